import { parseCommandArgs } from './parseCommandArgs';
import type { Writable } from 'node:stream';
import { SingleBar } from 'cli-progress';
import { machineCores } from '../model/machineCores';
import { createPreprocessWorkers } from '../streams/createPreprocessWorkers';
import { printablePath } from '../streams/printablePath';
import { shownPath } from './shownPath';
import { whyNoFolder } from './whyNoFolder';
import { oneLine } from '../streams/Skip';
import { processStopSignal, type StopSignal } from './processStopSignal';
import { stopExitCode } from './stopExitCode';
import { formatDuration } from '../telemetry/eventLogger';
import { preprocessBarLine, type PreprocessBarFields } from './preprocessBarLine';
import { parseMaxPixels } from './parseMaxPixels';
import * as E from 'fp-ts/Either';

/**
 * `rxtrain preprocess SRC OUT`: folder-per-class images → square train/val JPEGs,
 * manifests, the train-set mean RGB and (with `--records`) packed record files.
 */

const HELP = `usage: rxtrain preprocess SRC OUT [options]

Turns a folder-per-class image dataset (SRC/<class>/<image>, e.g. Caltech256's
001.ak47/001_0001.jpg) into OUT:
  train/000001.jpg …   centre-cropped, resized to SIZE×SIZE, JPEG
  val/000001.jpg …
  categories.csv       id,name (001.ak47 → 1,ak47)
  train.csv, val.csv   file,class,source (file relative to OUT, class = category id,
                       source = the original image, relative to OUT)
  rgb_val.json         {"r","g","b"}: mean of the train images' processed pixels
  preprocess.json      {"background"}: what transparent pixels were flattened onto
                       (checkpoints carry it, so predict and evaluate flatten alike)
  train.rec, val.rec   with --records: packed pre-decoded pixels for fast training

options:
  --size N           output side in pixels (default 256)
  --val-ratio R      fraction of each class held out for val, 0 ≤ R < 1 (default 0.2)
  --seed N           seed of the train/val split (default 0)
  --concurrency N    images in flight (default: 16 per worker thread with the fast JPEG
                     path, one worker per core; CPU cores with sharp; here ${machineCores()} cores)
  --decoder D        auto (default): ordinary JPEGs via libjpeg-turbo in worker threads,
                     everything else via sharp; sharp: every file via sharp
  --quality Q        JPEG quality 1..100 (default 90)
  --records          also write train.rec and val.rec
  --background C     colour transparent pixels become: black (default) or white
  --max-pixels N     skip images larger than N pixels (default 100000000)
  -q, --quiet        no progress bar and no success summary (skips are still reported)
  -h, --help         show this help

Bad files (truncated, not images, unreadable, …) are skipped, never fatal; a summary
grouped by reason lists them at the end. Reruns with the same inputs and seed produce
identical outputs. OUT must be empty, new, or a previous preprocess output.

exit codes: 0 done, 1 failed (or no image could be processed), 2 bad arguments,
130 interrupted by Ctrl-C, 143 by SIGTERM, 129 by SIGHUP (partial record files removed, a rerun starts over)`;

/**
 * Where the command writes; tests pass their own.
 *
 * @example
 * ```ts
 * const io: PreprocessIo = { stdout: process.stdout, stderr: process.stderr };
 * process.exitCode = await runPreprocess(['photos', 'data/pre', '--size', '256'], io);
 * ```
 */
export interface PreprocessIo {
  readonly stdout: Writable;
  readonly stderr: Writable & { isTTY?: boolean };
  /** Signals that stop the run (default: the process's SIGINT and SIGTERM); returns an unhook. */
  readonly onStopSignal?: (handler: (signal: StopSignal) => void) => () => void;
}

class UsageError extends Error {}

function intOpt(name: string, text: string | undefined, dflt: number, lo: number, hi: number): number {
  if (text === undefined) return dflt;
  if (!/^\s*-?\d+\s*$/.test(text)) throw new UsageError(`--${name} must be an integer, got "${text}"`);
  const v = Number.parseInt(text, 10);
  if (v < lo || v > hi) throw new UsageError(`--${name} must be between ${lo} and ${hi}, got ${v}`);
  return v;
}

/** `--max-pixels` as train, predict and evaluate read it (`1e9` too); the decoder's default without it. */
function maxPixelsOpt(text: string | undefined): number {
  if (text === undefined) return 100_000_000;
  const n = parseMaxPixels(text);
  if (E.isLeft(n)) throw new UsageError(n.left);
  return n.right;
}

function parse(argv: string[]) {
  let parsed;
  try {
    parsed = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        size: { type: 'string' },
        'val-ratio': { type: 'string' },
        seed: { type: 'string' },
        concurrency: { type: 'string' },
        quality: { type: 'string' },
        records: { type: 'boolean' },
        background: { type: 'string' },
        'max-pixels': { type: 'string' },
        decoder: { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  if (v.help === true) return { help: true as const };
  const [src, out, ...extra] = parsed.positionals;
  if (src === undefined || out === undefined) throw new UsageError('expected SRC and OUT folders');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const ratioText = v['val-ratio'];
  const valRatio = ratioText === undefined ? 0.2 : Number(ratioText);
  if (ratioText !== undefined && (ratioText.trim() === '' || !Number.isFinite(valRatio) || valRatio < 0 || valRatio >= 1)) {
    throw new UsageError(`--val-ratio must be a number with 0 ≤ R < 1, got "${ratioText}"`);
  }
  const background = v.background ?? 'black';
  if (background !== 'black' && background !== 'white') throw new UsageError(`--background must be black or white, got "${background}"`);
  const decoder = v.decoder ?? 'auto';
  if (decoder !== 'auto' && decoder !== 'sharp') throw new UsageError(`--decoder must be auto or sharp, got "${decoder}"`);
  return {
    help: false as const,
    src,
    out,
    valRatio,
    background: background as 'black' | 'white',
    size: intOpt('size', v.size, 256, 1, 16384),
    seed: intOpt('seed', v.seed, 0, 0, Number.MAX_SAFE_INTEGER),
    // Left undefined by default: preprocess picks it from the path it takes.
    concurrency: v.concurrency === undefined ? undefined : intOpt('concurrency', v.concurrency, 0, 1, 1024),
    decoder: decoder as 'auto' | 'sharp',
    quality: intOpt('quality', v.quality, 90, 1, 100),
    maxPixels: maxPixelsOpt(v['max-pixels']),
    records: v.records === true,
    quiet: v.quiet === true,
  };
}

/**
 * Formats the closing report: what was written, then skipped files grouped by reason.
 *
 * @example
 * ```ts
 * process.stderr.write(formatSkips(summary.skipped));
 * ```
 */
export function formatSkips(skipped: ReadonlyArray<{ path: string; reason: string; message: string }>): string {
  if (skipped.length === 0) return '';
  const groups = new Map<string, Array<{ path: string; message: string }>>();
  for (const s of skipped) {
    const g = groups.get(s.reason);
    if (g) g.push(s);
    else groups.set(s.reason, [s]);
  }
  const lines = [`skipped ${skipped.length} file${skipped.length === 1 ? '' : 's'}:`];
  for (const [reason, list] of [...groups].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))) {
    lines.push(`  ${reason} (${list.length}):`);
    // One row per file: a multi-line message would put lines without a file under the reason.
    for (const s of list) lines.push(`    ${printablePath(s.path)}: ${oneLine(s.message)}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Runs the command with explicit output streams (what {@link run} does with the process's).
 *
 * @example
 * ```ts
 * const code = await runPreprocess(['data/src', 'data/pre', '--quiet'], { stdout: process.stdout, stderr: process.stderr });
 * ```
 */
export async function runPreprocess(argv: string[], io: PreprocessIo): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`rxtrain preprocess: ${e.message}\n(rxtrain preprocess --help lists the options)\n`);
    return 2;
  }
  if (args.help) {
    io.stdout.write(HELP + '\n');
    return 0;
  }
  // sharp work runs on libuv's pool: one slot per image in flight plus room for file I/O.
  // Must be set before the pool's first use, i.e. before any async fs or sharp call.
  const cores = machineCores();
  const concurrency = args.concurrency ?? cores;
  process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, concurrency + 2));
  // The fast path's worker threads first: each takes a few hundred ms to boot on a small VM,
  // which now overlaps with loading the rest of the command (sharp, RxJS) and listing the
  // dataset instead of delaying the first images.
  const workers = args.decoder === 'auto' ? createPreprocessWorkers(Math.min(concurrency, cores)) : undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { preprocess } = require('../streams/preprocess') as typeof import('../streams/preprocess');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sharp = require('sharp') as typeof import('sharp');
    // Parallelism comes from images in flight; libvips threads per image would only contend.
    if (concurrency > 1) sharp.concurrency(1);
    return await runWith(preprocess, args, workers, io);
  } finally {
    await workers?.close();
  }
}

type Args = Exclude<ReturnType<typeof parse>, { help: true }>;

async function runWith(
  preprocess: typeof import('../streams/preprocess').preprocess,
  args: Args,
  workers: ReturnType<typeof createPreprocessWorkers>,
  io: PreprocessIo,
): Promise<number> {
  const showBar = !args.quiet && io.stderr.isTTY === true;
  const bar = showBar
    ? new SingleBar({
        stream: io.stderr,
        // The ETA from the rate shown (the images done since the start), so that the two agree:
        // cli-progress's own said 'ETA 0s' before the first image was done.
        format: (_options, params, payload: PreprocessBarFields) => preprocessBarLine(params, payload),
        hideCursor: true,
        clearOnComplete: true,
      })
    : undefined;
  let skippedLive = 0;
  let total = 0;
  const t0 = performance.now();
  let unhook = (): void => undefined;
  return new Promise<number>((resolve) => {
    const sub = preprocess({
      src: args.src,
      out: args.out,
      size: args.size,
      valRatio: args.valRatio,
      seed: args.seed,
      concurrency: args.concurrency,
      quality: args.quality,
      records: args.records,
      background: args.background,
      maxPixels: args.maxPixels,
      decoder: args.decoder,
      workers,
    }).subscribe({
      next: (e) => {
        if (e.kind === 'start') {
          total = e.total;
          // Nothing is done yet: no rate and no ETA to show, as the training bar says them.
          bar?.start(e.total, 0, { skipped: skippedLive, rate: '-', etaText: '-' });
        } else if (e.kind === 'skip') skippedLive++;
        else if (e.kind === 'progress') {
          const s = (performance.now() - t0) / 1000;
          const rate = s > 0 ? e.done / s : 0;
          const etaText = e.done >= total ? 'done' : rate > 0 ? formatDuration(((total - e.done) / rate) * 1000) : '-';
          bar?.update(e.done, { skipped: skippedLive, rate: rate > 0 ? rate.toFixed(0) : '-', etaText });
        } else if (e.kind === 'done') {
          bar?.stop();
          const m = e.summary;
          if (!args.quiet) {
            // The summary names the output as every command names paths (relative to the working
            // directory when inside it), as the skip list names the files: not the absolute
            // path preprocess resolved.
            const shown = (p: string): string => printablePath(shownPath(p));
            io.stdout.write(
              // The time as the epoch lines say it (27ms, 45.2s, 4m05s): '0.0s' for a small folder.
              `preprocessed ${m.train + m.val} image${m.train + m.val === 1 ? '' : 's'} in ${formatDuration(m.seconds * 1000)} (${m.imagesPerSecond.toFixed(0)} img/s): ` +
                `${m.train} train, ${m.val} val, ${m.categories} ${m.categories === 1 ? 'category' : 'categories'} → ${shown(m.out)}\n` +
                `train mean RGB: ${m.mean.r.toFixed(3)} ${m.mean.g.toFixed(3)} ${m.mean.b.toFixed(3)}\n` +
                (m.records.length > 0 ? `record files: ${m.records.map(shown).join(', ')}\n` : ''),
            );
          }
          io.stderr.write(formatSkips(m.skipped));
          if (m.classesWithoutImages.length > 0) {
            const n = m.classesWithoutImages.length;
            // Said here, not only when training starts: the folder can still be filled and the run redone.
            io.stderr.write(`note: ${n} class${n === 1 ? ' has' : 'es have'} no image (an empty folder, or every file skipped), so the model never sees ${n === 1 ? 'it' : 'them'} (it still has an output for ${n === 1 ? 'it' : 'each'}): ${m.classesWithoutImages.map((c) => JSON.stringify(c)).join(', ')}\n`);
          }
          if (m.classesWithoutVal.length > 0) {
            const n = m.classesWithoutVal.length;
            io.stderr.write(`note: ${n} class${n === 1 ? ' has' : 'es have'} no val image (one image only, or its val images were skipped), so ${n === 1 ? 'its' : 'their'} accuracy is not measured: ${m.classesWithoutVal.map((c) => JSON.stringify(c)).join(', ')}\n`);
          }
          if (m.train + m.val === 0) {
            io.stderr.write(`rxtrain preprocess: no image in ${args.src} could be processed\n`);
            resolve(1);
          } else resolve(0);
        }
      },
      error: (err: unknown) => {
        bar?.stop();
        // libvips piles its errors into one message (`…/000002.jpg: write error\nsystem error: No
        // space left on device`): one line, so the cause is not a second line without a prefix.
        const e = err as NodeJS.ErrnoException;
        // A folder of OUT it could not create: Node says ENOENT on a read-only file system.
        const message = e instanceof Error && e.syscall === 'mkdir' && typeof e.path === 'string' ? `${e.path}: ${whyNoFolder(e.path, e)}` : err instanceof Error ? err.message : String(err);
        io.stderr.write(`rxtrain preprocess: ${oneLine(message)}\n`);
        resolve(err instanceof RangeError ? 2 : 1);
      },
    });
    // Ctrl-C: give the terminal its cursor back (the bar hid it) and let the teardown remove the
    // half-written record files; nothing was committed, a rerun starts over. A second one quits.
    let interrupts = 0;
    unhook = (io.onStopSignal ?? processStopSignal)((signal) => {
      interrupts += 1;
      bar?.stop();
      if (interrupts > 1) {
        // Quit now, but let the fast path's threads end themselves (after the image in hand):
        // one stopped inside the libjpeg-turbo binding would abort the process (exit 134).
        const code = stopExitCode(signal);
        void Promise.race([workers?.close(), new Promise((r) => setTimeout(r, 1000))]).finally(() => process.exit(code));
        return;
      }
      io.stderr.write(`rxtrain preprocess: interrupted${signal === 'SIGINT' ? '' : ` by ${signal}`}; nothing was written to the manifests, partial record files are removed (run it again to start over)\n`);
      sub.unsubscribe();
      resolve(stopExitCode(signal));
    });
  }).finally(() => unhook());
}

/**
 * Entry point used by `rxtrain preprocess`.
 *
 * @example
 * ```ts
 * process.exitCode = await run(['data/caltech256', 'data/pre', '--records']);
 * ```
 */
export function run(argv: string[]): Promise<number> {
  return runPreprocess(argv, { stdout: process.stdout, stderr: process.stderr });
}
