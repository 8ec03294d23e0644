import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { missingDatasetHint } from './missingDatasetHint';
import { parseCommandArgs } from './parseCommandArgs';
import { idxClassNames } from '../streams/idxClassNames';
import { readIdxDataset } from '../streams/idxDataset';
import { idxToFolders } from '../streams/idxToFolders';
import { idxToRecordFile } from '../streams/idxToRecordFile';

const USAGE = `usage: rxtrain import-idx IMAGES LABELS OUT [options]
       rxtrain import-idx --dataset-dir DIR OUT [options]

Converts MNIST-style IDX files (gzip or raw) into a folder-per-class PNG tree,
OUT/<id>.<name>/<index>.png (e.g. OUT/001.t-shirt_top/00042.png: image 42 of the file),
which \`rxtrain preprocess\` and folderSource read. With --dataset-dir, DIR/train-images*
and DIR/train-labels* go to OUT/train, DIR/t10k-images* and DIR/t10k-labels* to OUT/test.
With --records, each output folder also gets a record file next to it (OUT.rec; with
--dataset-dir OUT/train.rec and OUT/test.rec): the same images, pre-decoded, in the same
order, which \`rxtrain train\` reads as data.train / data.val without decoding any PNG.

options:
  --names NAMES              fashion-mnist | mnist | comma-separated class names, label 0 first
                             (default: fashion-mnist if a path mentions "fashion", mnist if one
                             mentions "mnist"; otherwise required)
  --limit-per-class N        at most N images per class: the first N in file order
  --test-limit-per-class N   with --dataset-dir: the limit for OUT/test (default: --limit-per-class)
  --seed S                   with a limit: pick the images of each class at random, seeded
  --records                  also write the images as a record file (OUT.rec) for training
  --no-png                   with --records: write only the record file, no PNG tree
  --channels 1|3             channels of the records (default: 1 for grey IDX files, else 3);
                             match the training config's model.channels
  --overwrite                replace class folders / record files that already exist
  --quiet                    print nothing but errors
  -h, --help                 show this help

exit codes: 0 written, 1 failed (a missing or malformed IDX file, an output that exists
without --overwrite), 2 usage error

examples:
  rxtrain import-idx --dataset-dir /usr/share/datasets/fashion-mnist data/fashion-mnist
  rxtrain import-idx --dataset-dir /usr/share/datasets/fashion-mnist data/fmnist-rec --records --no-png
  rxtrain import-idx train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz out --names mnist`;

/**
 * Console streams of a command, injectable for tests.
 *
 * @example
 * ```ts
 * await run(['--help'], { out: process.stdout, err: process.stderr });
 * ```
 */
export interface CommandIo {
  readonly out: { write(text: string): unknown };
  readonly err: { write(text: string): unknown };
}

class UsageError extends Error {}

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`${name} must be a positive integer, got '${v}'`);
  return Number(v);
}

function guessNames(paths: readonly string[]): string {
  const all = paths.join(' ').toLowerCase();
  if (all.includes('fashion')) return 'fashion-mnist';
  if (all.includes('mnist')) return 'mnist';
  throw new UsageError('cannot tell the class names from the file names: pass --names fashion-mnist, --names mnist or --names a,b,c');
}

async function findPair(dir: string, prefix: string): Promise<{ images: string; labels: string }> {
  let entries: string[];
  try {
    entries = (await fsp.readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${dir}: no such folder: ${missingDatasetHint(dir)}`);
    throw new Error(`${dir}: cannot list the dataset folder: ${(err as Error).message}`);
  }
  const pick = (kind: string): string => {
    const found = entries.filter((e) => e.startsWith(`${prefix}-${kind}`));
    if (found.length !== 1) {
      throw new Error(
        `${dir}: expected exactly one ${prefix}-${kind}* file (e.g. ${prefix}-${kind}-idx${kind === 'images' ? 3 : 1}-ubyte.gz), found ${found.length === 0 ? 'none' : found.join(', ')}`,
      );
    }
    return path.join(dir, found[0]);
  };
  return { images: pick('images'), labels: pick('labels') };
}

/**
 * `rxtrain import-idx`: IDX image/label files (MNIST, Fashion-MNIST) → folder-per-class PNG
 * tree. Returns the exit code: 0 done, 1 bad data or I/O error, 2 usage error.
 *
 * @example
 * ```ts
 * await run(['--dataset-dir', '/usr/share/datasets/fashion-mnist', 'data/fashion-mnist']);
 * ```
 */
export async function run(argv: string[], io: CommandIo = { out: process.stdout, err: process.stderr }): Promise<number> {
  let args;
  try {
    args = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      options: {
        names: { type: 'string' },
        'dataset-dir': { type: 'string' },
        'limit-per-class': { type: 'string' },
        'test-limit-per-class': { type: 'string' },
        seed: { type: 'string' },
        overwrite: { type: 'boolean' },
        records: { type: 'boolean' },
        'no-png': { type: 'boolean' },
        channels: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    io.err.write(`rxtrain import-idx: ${(err as Error).message}\n(rxtrain import-idx --help lists the options)\n`);
    return 2;
  }
  const { values: o, positionals: pos } = args;
  if (o.help) {
    io.out.write(`${USAGE}\n`);
    return 0;
  }
  try {
    const limit = positiveInt('--limit-per-class', o['limit-per-class']);
    const testLimit = positiveInt('--test-limit-per-class', o['test-limit-per-class']) ?? limit;
    let seed: number | undefined;
    if (o.seed !== undefined) {
      if (!/^-?\d+$/.test(o.seed)) throw new UsageError(`--seed must be an integer, got '${o.seed}'`);
      if (limit === undefined && testLimit === undefined) throw new UsageError('--seed only matters with --limit-per-class');
      seed = Number(o.seed);
    }
    if (o['no-png'] && !o.records) throw new UsageError('--no-png needs --records (otherwise nothing would be written)');
    if (o.channels !== undefined && !o.records) throw new UsageError('--channels sets the channels of the record file: it needs --records');
    if (o.channels !== undefined && o.channels !== '1' && o.channels !== '3') throw new UsageError(`--channels must be 1 or 3, got '${o.channels}'`);
    const channels = o.channels === undefined ? undefined : (Number(o.channels) as 1 | 3);
    const jobs: { images: string; labels: string; out: string; limit?: number }[] = [];
    let datasetPaths: string[];
    if (o['dataset-dir'] !== undefined) {
      if (pos.length !== 1) throw new UsageError(`with --dataset-dir, give just OUT (got ${pos.length} arguments)`);
      const dir = o['dataset-dir'];
      const train = await findPair(dir, 'train');
      const test = await findPair(dir, 't10k');
      jobs.push({ ...train, out: path.join(pos[0], 'train'), limit }, { ...test, out: path.join(pos[0], 'test'), limit: testLimit });
      datasetPaths = [dir, train.images, test.images];
    } else {
      if (pos.length !== 3) throw new UsageError(`expected IMAGES LABELS OUT, got ${pos.length} argument(s)`);
      if (o['test-limit-per-class'] !== undefined) throw new UsageError('--test-limit-per-class needs --dataset-dir');
      jobs.push({ images: pos[0], labels: pos[1], out: pos[2], limit });
      datasetPaths = [pos[0], pos[1]];
    }
    const names = idxClassNames(o.names ?? guessNames(datasetPaths));
    for (const job of jobs) {
      const t0 = Date.now();
      const ds = await readIdxDataset(job.images, job.labels, { numClasses: names.length });
      const tty = !o.quiet && (io.err as { isTTY?: boolean }).isTTY === true;
      const progress = (what: string) =>
        tty
          ? (done: number, total: number) => {
              if (done % 500 === 0 || done === total) io.err.write(`\r${what}: ${done}/${total}${done === total ? '\n' : ''}`);
            }
          : undefined;
      const per = (perClass: readonly number[]): string =>
        new Set(perClass).size === 1 ? `${perClass[0]} per class` : `${Math.min(...perClass)}–${Math.max(...perClass)} per class`;
      if (!o['no-png']) {
        const res = await idxToFolders(ds, job.out, { names, limitPerClass: job.limit, seed, overwrite: o.overwrite, onProgress: progress(job.out) });
        if (!o.quiet) {
          io.out.write(
            `${job.out}: ${res.written} ${ds.width}×${ds.height} images in ${res.dirs.length} classes (${per(res.perClass)}) from ${job.images} in ${((Date.now() - t0) / 1000).toFixed(1)}s\n`,
          );
        }
      }
      if (o.records) {
        const t1 = Date.now();
        const file = `${job.out.replace(/[\\/]+$/, '')}.rec`;
        const res = await idxToRecordFile(ds, file, { names, limitPerClass: job.limit, seed, channels, overwrite: o.overwrite, onProgress: progress(file) });
        if (!o.quiet) {
          io.out.write(
            `${file}: ${res.written} ${ds.width}×${ds.height}×${res.channels} records in ${names.length} classes (${per(res.perClass)}) in ${((Date.now() - t1) / 1000).toFixed(1)}s\n`,
          );
        }
      }
    }
    return 0;
  } catch (err) {
    const usage = err instanceof UsageError;
    // One line and where to look, like the other commands: the usage text would bury the message.
    io.err.write(`rxtrain import-idx: ${(err as Error).message}${usage ? '\n(rxtrain import-idx --help lists the options)' : ''}\n`);
    return usage ? 2 : 1;
  }
}
