import * as path from 'node:path';
import { initBackend, BACKEND_NAMES, type BackendName } from '../model/backend';
import { predictSource } from '../model/predictSource';
import { createImageDataset } from '../streams/createImageDataset';
import { fileStore } from '../streams/fileStore';
import { listImageFiles } from '../streams/listImageFiles';
import type { SourceItem } from '../streams/SourceItem';
import { parseCommandArgs } from './parseCommandArgs';
import { printablePath } from '../streams/printablePath';
import { shownPath } from './shownPath';
import { displayWidth, padEndColumns } from './displayWidth';
import { scoringCheckpoint, scoringInference, scoringTrainer, type WeightKind } from './scoringCheckpoint';
import { scoringFlags } from './scoringFlags';
import { DEFAULT_MAX_PIXELS } from '../streams/decodeFile';
import { backendEnvError } from './backendEnvError';

const USAGE = `usage: rxtrain predict CHECKPOINT|RUN_DIR IMAGE|FOLDER... [options]

Classifies images with a checkpoint's weights in inference mode: for each image, the most
probable classes and their probabilities. A folder is searched for images recursively. Each
image is prepared as the run's validation images were: centre-cropped to a square, resized to
the size the run's images had (e.g. the preprocess size), centre-cropped to the model's input
and normalised with the run's mean and std; transparent pixels are flattened onto the
background the run's preprocess used (--background). The checkpoint carries all of it.
RUN_DIR means RUN_DIR/checkpoints/best.rxckpt, or the run's latest checkpoint when it has no
best one.

options:
  --top K              classes shown per image (default 3)
  --weights KIND       ema | trained: the moving average of the weights or the trained
                       weights (default: ema when the run kept one, as its validation did)
  --batch-size N       images per forward pass (default 32)
  --max-pixels N       skip images larger than N pixels, a guard against decompression
                       bombs (default ${DEFAULT_MAX_PIXELS})
  --backend NAME       auto | ${BACKEND_NAMES.join(' | ')} (default: auto)
  --json               print one JSON object per image (and per skipped file or missing path)
  -h, --help           show this help

A path that does not exist, or a folder that cannot be read, is reported and the others
are still classified, as are the others when a file cannot be decoded: each is a message on
stderr (in --json an object with "skipped" on stdout instead). Paths are shown relative to
the working directory when inside it, else absolute, in the text and in --json alike.

exit codes: 0 classified, 1 a path that does not exist or cannot be read (once the others
are classified), unreadable checkpoint, or no image could be classified, 2 usage error (or a
bad RXTRAIN_BACKEND / RXTRAIN_THREADS)

examples:
  rxtrain predict runs/photos cat.jpg dog.png
  rxtrain predict runs/caltech256 photos/ --top 5 --json`;

/**
 * Console streams of `rxtrain predict`, injectable for tests.
 *
 * @example
 * ```ts
 * await run(['runs/sample', 'cat.png'], { out: process.stdout, err: process.stderr });
 * ```
 */
export interface PredictCommandIo {
  /** stdout; once its reader is gone (`'error'`, e.g. EPIPE from `| head`) predicting stops quietly. */
  readonly out: { write(text: string): unknown; on?(event: 'error', listener: (e: Error) => void): unknown };
  readonly err: { write(text: string): unknown };
}

/**
 * One line of `rxtrain predict --json`: an image and its most probable classes, or a file that
 * was skipped and why (a path given that does not exist: `not-found`; a folder that cannot be
 * read: `unreadable`, message `permission denied`). `image` is the path as
 * the text output shows it: relative to the working directory when inside it, else absolute.
 *
 * @example
 * ```ts
 * const line = JSON.parse(text) as PredictLine;
 * if ('predictions' in line) console.log(line.image, line.predictions[0].class);
 * ```
 */
export type PredictLine =
  | { readonly image: string; readonly predictions: ReadonlyArray<{ readonly class: string; readonly probability: number }> }
  | { readonly image: string; readonly skipped: string; readonly message: string };

class UsageError extends Error {}

/**
 * `rxtrain predict`: classifies image files with a checkpoint. Returns the exit code: 0 done,
 * 1 unreadable checkpoint, a missing or unreadable path (the others still classified) or nothing
 * classified, 2 usage error.
 *
 * @example
 * ```ts
 * process.exitCode = await run(['runs/fashion-mnist', 'photos/', '--top', '5']);
 * ```
 */
export async function run(argv: string[], io: PredictCommandIo = { out: process.stdout, err: process.stderr }): Promise<number> {
  let target: string;
  let inputs: string[];
  let top: number;
  let batchSize: number;
  let maxPixels: number;
  let weightsFlag: WeightKind | undefined;
  let backendName: BackendName | 'auto';
  let json: boolean;
  try {
    const args = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      options: {
        top: { type: 'string' },
        weights: { type: 'string' },
        'batch-size': { type: 'string' },
        'max-pixels': { type: 'string' },
        backend: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (args.values.help === true) {
      io.out.write(`${USAGE}\n`);
      return 0;
    }
    if (args.positionals.length === 0) throw new UsageError('missing CHECKPOINT or RUN_DIR, and the images to classify');
    if (args.positionals.length === 1) throw new UsageError('missing the images to classify (files or folders after the checkpoint)');
    [target, ...inputs] = args.positionals;
    const t = args.values.top;
    if (t !== undefined && (!/^\d+$/.test(t) || Number(t) < 1)) throw new UsageError(`--top must be a positive integer, got '${t}'`);
    top = t === undefined ? 3 : Number(t);
    const flags = scoringFlags(args.values);
    ({ weights: weightsFlag, backend: backendName } = flags);
    batchSize = flags.batchSize ?? 32;
    maxPixels = flags.maxPixels ?? DEFAULT_MAX_PIXELS;
    json = args.values.json === true;
  } catch (e) {
    io.err.write(`rxtrain predict: ${(e as Error).message}\n(rxtrain predict --help lists the options)\n`);
    return 2;
  }
  // Before the checkpoint is read: a typo in RXTRAIN_BACKEND or RXTRAIN_THREADS is a setting like a bad flag.
  const badEnv = backendEnvError('predict', process.env, backendName);
  if (badEnv !== undefined) {
    io.err.write(badEnv);
    return 2;
  }

  try {
    const opened = await scoringCheckpoint(target, weightsFlag);
    const { config: cfg } = opened;
    for (const n of opened.notes) io.err.write(`rxtrain predict: note: ${n}\n`);
    const { files, missing } = await listImageFiles(inputs);
    // Like cat or grep: a missing path is said once, up front, and the rest still run; the
    // exit code says it at the end.
    for (const m of missing) {
      const shown = shownPath(path.resolve(m.path));
      if (json) io.out.write(`${JSON.stringify({ image: shown, skipped: m.reason, message: m.message } satisfies PredictLine)}\n`);
      else io.err.write(`rxtrain predict: ${printablePath(shown)}: ${m.message}\n`);
    }
    const failed = missing.length > 0 ? 1 : 0;
    if (files.length === 0) {
      const found = inputs.filter((i) => !missing.some((m) => m.path === i));
      if (found.length === 0) return failed;
      throw new Error(`no image files in ${found.join(', ')}`);
    }
    const info = await scoringInference(opened);
    const { inputSize: crop, channels } = cfg.model;
    const numClasses = info.classes.length;
    const backend = await initBackend({ prefer: backendName, preferSource: '--backend' });
    // Labels are unknown: every item gets label 0, which nothing reads.
    const items = files.map((f): SourceItem => ({ kind: 'item', path: f, label: 0, category: { id: 0, name: '', label: 0 } }));
    const store = fileStore(items, { resize: info.imageSide ?? crop, channels, numClasses, maxPixels, maxPixelsSetting: '--max-pixels', ...(info.background === undefined ? {} : { background: info.background }) });
    const source = createImageDataset({
      store,
      batchSize,
      shuffle: false,
      channels,
      augment: { kind: 'eval', crop, mean: info.mean, ...(info.std === undefined ? {} : { std: info.std }) },
    });
    try {
      const trainer = await scoringTrainer(opened, { numClasses, inputShape: [crop, crop, channels], backend: backend.name as BackendName });
      try {
        // `rxtrain predict … | head -3`: the reader leaves early; stop there, a success.
        // The listener stays: an EPIPE from the last lines written can arrive after run() returns.
        let outClosed = false;
        io.out.on?.('error', () => {
          outClosed = true;
        });
        // reduce, not Math.max(...): a spread of ~120 000+ arguments overflows the call stack.
        const width = Math.min(60, files.reduce((w, f) => Math.max(w, displayWidth(printablePath(shownPath(f)))), 0));
        let classified = 0;
        let skipped = 0;
        for await (const p of predictSource(trainer, source, { top })) {
          if (outClosed) return failed;
          if (p.kind === 'skip') {
            skipped++;
            if (json) io.out.write(`${JSON.stringify({ image: shownPath(p.path), skipped: p.reason, message: p.message } satisfies PredictLine)}\n`);
            else io.err.write(`rxtrain predict: skipped ${printablePath(shownPath(p.path))} (${p.reason}): ${p.message}\n`);
            continue;
          }
          classified++;
          const predictions = p.top.map((t) => ({ class: info.classes[t.label], probability: t.probability }));
          if (json) io.out.write(`${JSON.stringify({ image: shownPath(p.path), predictions } satisfies PredictLine)}\n`);
          else io.out.write(`${padEndColumns(printablePath(shownPath(p.path)), width)}  ${predictions.map((t) => `${printablePath(t.class)} ${(t.probability * 100).toFixed(1)}%`).join('  ')}\n`);
        }
        if (classified === 0) throw new Error(`no image could be classified (${skipped} skipped)`);
        return failed;
      } finally {
        await trainer.dispose();
      }
    } finally {
      await source.close();
    }
  } catch (e) {
    io.err.write(`rxtrain predict: ${(e as Error).message}\n`);
    return 1;
  }
}
