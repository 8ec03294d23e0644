import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCommandArgs } from './parseCommandArgs';
import { printablePath } from '../streams/printablePath';
import { shownPath } from './shownPath';
import { displayWidth, padEndColumns } from './displayWidth';
import { scoringCheckpoint, scoringTrainer, type WeightKind } from './scoringCheckpoint';
import { scoringFlags } from './scoringFlags';
import { DEFAULT_MAX_PIXELS } from '../streams/decodeFile';
import { backendEnvError } from './backendEnvError';
import * as E from 'fp-ts/Either';
import { initBackend, BACKEND_NAMES, type BackendName } from '../model/backend';
import { decodeCheckpoint, type Checkpoint } from '../model/Checkpoint';
import { scanCheckpoints } from '../model/CheckpointStore';
import { checkpointFolderOf } from '../model/checkpointFolderOf';
import { evaluateSource, type Evaluation, type Tta } from '../model/evaluateSource';
import { openDatasets, openEvalData } from '../model/setupFromConfig';
import { decodeTrainConfig, formatConfigProblem, mergeConfig, type TrainConfig } from '../model/TrainConfig';

/**
 * The most classes whose confusion matrix `rxtrain evaluate` prints by default: 20 columns of
 * counts up to 999 take 84 characters; Caltech-256's 257 × 257 would be a wall of wrapped digits,
 * so beyond this the tables list the most confused pairs instead (`--confusion` prints the
 * matrix anyway).
 *
 * @example
 * ```ts
 * const printed = report.perClass.length <= CONFUSION_PRINT_LIMIT;
 * ```
 */
export const CONFUSION_PRINT_LIMIT = 20;

/** How many of the most confused class pairs the tables list when the matrix is not printed. */
const CONFUSED_PAIRS = 10;

const USAGE = `usage: rxtrain evaluate CHECKPOINT|RUN_DIR [options]

Scores a checkpoint's weights in inference mode (no dropout, BatchNorm moving statistics):
loss, accuracy, top-5 accuracy (more than 5 classes), mean per-class accuracy, per-class
accuracy and the confusion matrix (up to ${CONFUSION_PRINT_LIMIT} classes; beyond, the most confused class
pairs instead). Data, model and normalisation come from the config stored in the
checkpoint, so no config file is needed. RUN_DIR means RUN_DIR/checkpoints/best.rxckpt, or
the run's latest checkpoint when it has no best one.

options:
  --data PATH          evaluate this data instead of the run's validation data: a record
                       file or a folder-per-class tree with the run's classes (the
                       checkpoint carries its class names and normalisation, so the
                       training data need not be there)
  --tta MODE           test-time augmentation: none | flip (image and mirror image,
                       log-probabilities averaged) | ten-crop (corners and centre, each
                       mirrored; needs images larger than the model's input)
                       (default: what the run validated with: ten-crop, flip or none)
  --weights KIND       ema | trained: the moving average of the weights or the trained
                       weights (default: ema when the run kept one, as its validation did)
  --mistakes N         also list the N most confident wrong predictions: image, true and
                       predicted class, and the original image when the data is a
                       preprocess output (default 0)
  --confusion          print the confusion matrix whatever the number of classes (by
                       default only up to ${CONFUSION_PRINT_LIMIT}; --json always has it)
  --batch-size N       images per forward pass (default: the run's batch size)
  --max-pixels N       skip images larger than N pixels, a guard against decompression
                       bombs; image files only, not record files (default: ${DEFAULT_MAX_PIXELS}
                       with --data, else the run's data.maxPixels)
  --backend NAME       auto | ${BACKEND_NAMES.join(' | ')} (default: auto)
  --json               print one JSON object instead of the tables
  -h, --help           show this help

exit codes: 0 evaluated, 1 unreadable checkpoint or data, 2 usage error (or a bad
RXTRAIN_BACKEND / RXTRAIN_THREADS)

examples:
  rxtrain evaluate runs/fashion-mnist
  rxtrain evaluate runs/fashion-mnist --tta flip --json
  rxtrain evaluate runs/sample --mistakes 10
  rxtrain evaluate runs/sample/checkpoints/ckpt-s0000000100-e0004-b000000.rxckpt --data data/other-test.rec`;

/**
 * Console streams of `rxtrain evaluate`, injectable for tests.
 *
 * @example
 * ```ts
 * await run(['runs/sample', '--json'], { out: process.stdout, err: process.stderr });
 * ```
 */
export interface EvaluateCommandIo {
  /** stdout; a reader that leaves early (`| head`, EPIPE) is not an error. */
  readonly out: { write(text: string): unknown; on?(event: 'error', listener: (e: Error) => void): unknown };
  readonly err: { write(text: string): unknown; readonly isTTY?: boolean };
}

/**
 * What `rxtrain evaluate --json` prints: the checkpoint, the data, the TTA mode and the
 * {@link Evaluation} with class names. Its file paths are the ones the tables show: relative to
 * the working directory when inside it, else absolute.
 *
 * @example
 * ```ts
 * const report = JSON.parse(stdout) as EvaluateReport;
 * console.log(report.accuracy, report.perClass[0].name);
 * ```
 */
export interface EvaluateReport {
  readonly checkpoint: string;
  /** Epochs completed when the checkpoint was written (EpochEnd's 0-based `epoch` + 1 at an epoch end). */
  readonly epochs: number;
  /** Batches of the next epoch already trained (0 at an epoch end). */
  readonly batch: number;
  readonly step: number;
  readonly data: string;
  readonly tta: 'none' | 'flip' | 'ten-crop';
  /** Which weights were scored: the run's moving average (config `ema`) or the trained ones. */
  readonly weights: 'ema' | 'trained';
  readonly backend: string;
  readonly loss: number;
  readonly accuracy: number;
  readonly correct: number;
  readonly count: number;
  /** Share of images whose true class is among the 5 most probable; absent with 5 classes or fewer (always 1 there). */
  readonly top5Accuracy?: number;
  readonly top5Correct?: number;
  /** The mean of the per-class accuracies over the classes that have images (those without count nowhere). */
  readonly meanClassAccuracy: number;
  readonly perClass: ReadonlyArray<{ readonly name: string; readonly accuracy: number; readonly correct: number; readonly count: number }>;
  readonly confusion: ReadonlyArray<readonly number[]>;
  readonly skipped: ReadonlyArray<{ readonly path: string; readonly reason: string; readonly message: string }>;
  /**
   * With `--mistakes N`: the N most confident wrong predictions, most confident first. `path` is
   * what the data names the image by (a file, or a record's name, relative to its preprocess
   * folder); `original` the image it was preprocessed from, when the manifest says.
   */
  readonly mistakes: ReadonlyArray<{
    readonly path: string;
    readonly original?: string;
    readonly truth: string;
    readonly predicted: string;
    readonly confidence: number;
    readonly truthProbability: number;
  }>;
}

class UsageError extends Error {}

const TTA_MODES = ['none', 'flip', 'ten-crop'] as const;
type TtaMode = (typeof TTA_MODES)[number];

/**
 * The checkpoint file a path names: the file itself, RUN_DIR/checkpoints/best.rxckpt,
 * DIR/best.rxckpt, or else the latest valid checkpoint in that folder; `notes` says which
 * damaged checkpoints were passed over to get there. A damaged best.rxckpt is an error that
 * names the newest valid checkpoint to score instead: the best and the newest are different
 * models, so one is never silently scored for the other.
 *
 * @example
 * ```ts
 * const { file, checkpoint, notes } = await resolveCheckpointFile('runs/fashion-mnist'); // …/checkpoints/best.rxckpt
 * for (const n of notes) console.error(`note: ${n}`);
 * console.log(file, checkpoint.step);
 * ```
 */
export async function resolveCheckpointFile(given: string): Promise<{ file: string; checkpoint: Checkpoint; notes: readonly string[] }> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(given);
  } catch {
    throw new Error(`${given}: no such checkpoint file or run directory`);
  }
  // Each file is read and verified once (an AlexNet checkpoint is 470 MB), and the caller gets it decoded.
  if (stat.isFile()) {
    try {
      return { file: given, checkpoint: decodeCheckpoint(fs.readFileSync(given)), notes: [] };
    } catch (e) {
      throw new Error(`${given}: ${(e as Error).message}`);
    }
  }
  const dir = checkpointFolderOf(given);
  const best = path.join(dir, 'best.rxckpt');
  if (fs.existsSync(best)) {
    try {
      return { file: best, checkpoint: decodeCheckpoint(fs.readFileSync(best)), notes: [] };
    } catch (e) {
      // Read-only (scanCheckpoints, not the store): a training may be writing into this folder right now.
      const scan = await scanCheckpoints(dir);
      const instead = scan.latest === undefined ? 'and the run has no other valid checkpoint' : `the newest valid checkpoint is ${scan.latest.path}: pass it instead of ${given}`;
      throw new Error(`${best}: ${(e as Error).message}; ${instead}`);
    }
  }
  const scan = await scanCheckpoints(dir);
  if (scan.latest === undefined) {
    throw new Error(`${given}: no checkpoint found in ${dir}${scan.problems.length > 0 ? ` (${scan.problems.join('; ')})` : ''}`);
  }
  return { file: scan.latest.path, checkpoint: scan.latest.checkpoint, notes: scan.problems };
}

/**
 * The training config a checkpoint was written with (its stored identity, on the defaults),
 * or the problems that stop it decoding.
 *
 * @example
 * ```ts
 * const cfg = configOfCheckpoint(decodeCheckpoint(fs.readFileSync(file)));
 * ```
 */
export function configOfCheckpoint(ck: Checkpoint): E.Either<string, TrainConfig> {
  // train() in code writes `identity: { config: null }` unless given one: say so, rather than
  // report the null as a malformed config.
  if (ck.identity.config === null) {
    return E.left('the checkpoint holds no training config (train() in code writes one only when given identity: runIdentity(cfg, fingerprint)), '
      + 'and rxtrain evaluate, predict and export build the model and the data from it; score it in code instead: evaluateSource or predictSource '
      + '(README: Evaluate a checkpoint, in code)');
  }
  const decoded = decodeTrainConfig(mergeConfig({}, ck.identity.config));
  return E.isLeft(decoded) ? E.left(`the checkpoint's stored config does not decode: ${decoded.left.map(formatConfigProblem).join('; ')}`) : decoded;
}

function pct(x: number): string {
  // A class with no images (all of them skipped or none in --data) has no accuracy, not NaN%.
  return Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : '—';
}

/**
 * The text `rxtrain evaluate` prints for a report: the summary (with top-5 and mean per-class
 * accuracy), per-class accuracy, the confusion matrix (up to {@link CONFUSION_PRINT_LIMIT}
 * classes unless `confusion` is true; beyond, the most confused class pairs) and the most
 * confident mistakes.
 *
 * @example
 * ```ts
 * process.stdout.write(renderEvaluateReport(report)); // report: an EvaluateReport, as --json prints it
 * process.stdout.write(renderEvaluateReport(report, { confusion: true })); // the matrix even of 257 classes
 * ```
 */
export function renderEvaluateReport(r: EvaluateReport, options: { readonly confusion?: boolean } = {}): string {
  const classes = r.perClass.length;
  const withImages = r.perClass.filter((c) => c.count > 0).length;
  const lines = [
    `checkpoint ${r.checkpoint} (step ${r.step}: ${r.epochs} epoch${r.epochs === 1 ? '' : 's'}${r.batch > 0 ? ` + ${r.batch} batches` : ''})`,
    `data ${r.data}: ${r.count} images${r.skipped.length > 0 ? `, ${r.skipped.length} skipped` : ''}; tta ${r.tta}; ${r.weights === 'ema' ? 'weights: moving average; ' : ''}backend ${r.backend}`,
    `loss ${r.loss.toFixed(4)}  accuracy ${pct(r.accuracy)} (${r.correct} / ${r.count})${r.top5Accuracy === undefined ? '' : `  top-5 ${pct(r.top5Accuracy)} (${r.top5Correct ?? '?'} / ${r.count})`}`,
    `mean per-class accuracy ${pct(r.meanClassAccuracy)} (${withImages === classes ? `${classes} classes` : `${withImages} of ${classes} classes: ${classes - withImages} without images count nowhere`})`,
    '',
  ];
  // reduce, not Math.max(...): the confusion matrix of 350+ classes has more entries than a
  // spread can pass as arguments (the call stack overflows).
  // A class named with a line break (its folder's name) would split a row: shown as a path is.
  const names = r.perClass.map((c) => printablePath(c.name));
  const w = names.reduce((m, n) => Math.max(m, displayWidth(n)), 5);
  lines.push(`${'class'.padEnd(w)}  accuracy   correct / images`);
  r.perClass.forEach((c, i) => lines.push(`${padEndColumns(names[i], w)}  ${pct(c.accuracy).padStart(8)}   ${String(c.correct).padStart(7)} / ${c.count}`));
  if (options.confusion === true || classes <= CONFUSION_PRINT_LIMIT) {
    lines.push('', 'confusion matrix (rows: true class, columns: predicted, in class order)');
    const cw = r.confusion.reduce((m, row) => row.reduce((mm, n) => Math.max(mm, String(n).length), m), 3);
    lines.push(`${' '.repeat(3)}  ${r.confusion.map((_, j) => String(j).padStart(cw)).join(' ')}`); // the predicted class of each column
    r.confusion.forEach((row, i) => lines.push(`${String(i).padStart(3)}  ${row.map((n) => String(n).padStart(cw)).join(' ')}  ${names[i]}`));
  } else {
    lines.push('', `confusion matrix: not printed for ${classes} classes (--confusion prints it, --json has it)`);
    lines.push(...confusedPairs(r, names));
  }
  if (r.mistakes.length > 0) {
    const wrong = r.count - r.correct;
    lines.push('', `most confident mistakes (${r.mistakes.length} of ${wrong} wrong)`);
    const pairs = r.mistakes.map((m) => `${printablePath(m.truth)} → ${printablePath(m.predicted)}`);
    const pw = pairs.reduce((m, p) => Math.max(m, displayWidth(p)), 'true → predicted'.length);
    lines.push(`${'p(pred)'.padStart(7)}  ${'p(true)'.padStart(7)}  ${'true → predicted'.padEnd(pw)}  image`);
    r.mistakes.forEach((m, i) => {
      // The original is the file a user can open; a record's name (val/000017.jpg) is relative
      // to its preprocess folder, not to here.
      // An original that is gone (the dataset folder moved) is still named, but said to be missing.
      const image = m.original === undefined ? printablePath(m.path) : `${printablePath(m.original)}${fs.existsSync(m.original) ? '' : ' (not found: the dataset folder moved?)'}`;
      lines.push(`${pct(m.confidence).padStart(7)}  ${pct(m.truthProbability).padStart(7)}  ${padEndColumns(pairs[i], pw)}  ${image}`);
    });
  }
  for (const s of r.skipped) lines.push(`skipped ${printablePath(s.path)} (${s.reason}): ${s.message}`);
  return `${lines.join('\n')}\n`;
}

/** The most confused (true, predicted) pairs of a report, as table lines: the count and its share of the true class. */
function confusedPairs(r: EvaluateReport, names: readonly string[]): string[] {
  const top: Array<{ truth: number; predicted: number; n: number }> = [];
  // One scan, keeping the largest few: the matrix of 1000 classes has a million cells, not worth sorting.
  r.confusion.forEach((row, truth) =>
    row.forEach((n, predicted) => {
      if (predicted === truth || n === 0 || (top.length === CONFUSED_PAIRS && n <= top[CONFUSED_PAIRS - 1].n)) return;
      let i = top.length;
      while (i > 0 && n > top[i - 1].n) i--;
      top.splice(i, 0, { truth, predicted, n });
      if (top.length > CONFUSED_PAIRS) top.pop();
    }),
  );
  if (top.length === 0) return [];
  const pairs = top.map((p) => `${names[p.truth]} → ${names[p.predicted]}`);
  const pw = pairs.reduce((m, p) => Math.max(m, displayWidth(p)), 'true → predicted'.length);
  const nw = top.reduce((m, p) => Math.max(m, String(p.n).length), 'images'.length);
  return [
    '',
    `most confused pairs (${top.length} largest off-diagonal cells)`,
    `${'true → predicted'.padEnd(pw)}  ${'images'.padStart(nw)}  of true class`,
    ...top.map((p, i) => `${padEndColumns(pairs[i], pw)}  ${String(p.n).padStart(nw)}  ${pct(p.n / r.perClass[p.truth].count).padStart(13)}`),
  ];
}

/**
 * `rxtrain evaluate`: scores a checkpoint on its run's validation data or on `--data`, with
 * optional test-time augmentation. Returns the exit code: 0 done, 1 unreadable checkpoint or
 * data, 2 usage error.
 *
 * @example
 * ```ts
 * process.exitCode = await run(['runs/fashion-mnist', '--tta', 'flip']);
 * ```
 */
export async function run(argv: string[], io: EvaluateCommandIo = { out: process.stdout, err: process.stderr }): Promise<number> {
  let target: string;
  let ttaFlag: TtaMode | undefined;
  let weightsFlag: WeightKind | undefined;
  let batchSize: number | undefined;
  let maxPixels: number | undefined;
  let mistakes: number;
  let backendName: BackendName | 'auto';
  let data: string | undefined;
  let json: boolean;
  let confusion: boolean;
  try {
    const args = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      options: {
        data: { type: 'string' },
        tta: { type: 'string' },
        weights: { type: 'string' },
        'batch-size': { type: 'string' },
        'max-pixels': { type: 'string' },
        mistakes: { type: 'string' },
        backend: { type: 'string' },
        json: { type: 'boolean' },
        confusion: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (args.values.help === true) {
      io.out.write(`${USAGE}\n`);
      return 0;
    }
    if (args.positionals.length !== 1) throw new UsageError(args.positionals.length === 0 ? 'missing CHECKPOINT or RUN_DIR' : `expected one checkpoint, got ${args.positionals.length} arguments`);
    target = args.positionals[0];
    const tta = args.values.tta;
    if (tta !== undefined && !(TTA_MODES as readonly string[]).includes(tta)) throw new UsageError(`--tta must be ${TTA_MODES.join(', ')}; got '${tta}'`);
    ttaFlag = tta as TtaMode | undefined;
    ({ weights: weightsFlag, backend: backendName, batchSize, maxPixels } = scoringFlags(args.values));
    const m = args.values.mistakes;
    if (m !== undefined && !/^\d+$/.test(m)) throw new UsageError(`--mistakes must be a whole number, got '${m}'`);
    mistakes = m === undefined ? 0 : Number(m);
    data = args.values.data;
    json = args.values.json === true;
    confusion = args.values.confusion === true;
  } catch (e) {
    io.err.write(`rxtrain evaluate: ${(e as Error).message}\n(rxtrain evaluate --help lists the options)\n`);
    return 2;
  }
  // Before the checkpoint is read: a typo in RXTRAIN_BACKEND or RXTRAIN_THREADS is a setting like a bad flag.
  const badEnv = backendEnvError('evaluate', process.env, backendName);
  if (badEnv !== undefined) {
    io.err.write(badEnv);
    return 2;
  }

  try {
    const opened = await scoringCheckpoint(target, weightsFlag);
    const { file, checkpoint: ck, config: stored, weights } = opened;
    for (const n of opened.notes) io.err.write(`rxtrain evaluate: note: ${n}\n`);
    const mode: TtaMode = ttaFlag ?? (stored.tenCrop ? 'ten-crop' : stored.valFlip ? 'flip' : 'none');
    // The data as every path is shown (relative to here when inside it), in errors too.
    const dataPath = data === undefined ? undefined : shownPath(path.resolve(data));
    const cfg: TrainConfig = {
      ...stored,
      // Other data than the run's gets the default limit, not the run's (openEvalData's too).
      data: { ...stored.data, ...(dataPath === undefined ? {} : { val: dataPath }), maxPixels: maxPixels ?? (dataPath === undefined ? stored.data.maxPixels : DEFAULT_MAX_PIXELS) },
      batchSize: batchSize ?? stored.batchSize,
      tenCrop: mode === 'ten-crop',
    };
    const backend = await initBackend({ prefer: backendName, preferSource: '--backend' });
    // A checkpoint that stored its classes and normalisation scores --data on its own: the
    // training data may be on another machine, and listing it would be wasted work anyway.
    const limit = { maxPixels: cfg.data.maxPixels, maxPixelsSetting: '--max-pixels' };
    const opening = dataPath !== undefined && ck.inference !== undefined ? openEvalData(cfg, ck.inference, dataPath, limit) : openDatasets(cfg, limit);
    const datasets = await opening.catch((e: unknown) => {
      // The config's field is the user's --data here ("--data pre/val is …", not "--data pre/val: pre/val is …").
      const message = (e as Error).message;
      if (dataPath !== undefined) {
        throw new Error(message.startsWith(`data.val: ${dataPath} `) ? `--data ${message.slice('data.val: '.length)}` : message.replace(/^data\.val\b/, `--data ${dataPath}`));
      }
      // A checkpoint copied away from its run: it can still score other data.
      const away = /^data\.(train|val): .* does not exist$/.test(message) && ck.inference !== undefined;
      throw new Error(away ? `${message} (the run's data is not here; to score other data with this checkpoint, pass --data)` : message);
    });
    try {
      const source = datasets.tenCrop?.source ?? datasets.val;
      if (source === undefined) throw new Error(`the run has no validation data to evaluate (its config has data.val null and no val split): pass --data`);
      const trainer = await scoringTrainer(opened, { numClasses: datasets.classes.length, inputShape: datasets.inputShape, backend: backend.name as BackendName });
      try {
        const tta: Tta = mode === 'ten-crop' ? { kind: 'tenCrop', cropSize: datasets.tenCrop?.cropSize ?? datasets.inputShape[0] } : { kind: mode };
        const progress = io.err.isTTY === true && !json;
        const e: Evaluation = await evaluateSource(trainer, source, {
          numClasses: datasets.classes.length,
          tta,
          mistakes,
          ...(progress ? { onBatch: (n: number) => io.err.write(`\revaluating ${n} / ${source.size}`) } : {}),
        });
        if (progress) io.err.write('\r\x1b[K');
        if (e.count === 0) throw new Error('no image could be evaluated (every one was skipped)');
        // Paths as the tables show them, in --json too: one form a script can match against either.
        const report: EvaluateReport = {
          checkpoint: shownPath(file),
          epochs: ck.epoch,
          batch: ck.batch,
          step: ck.step,
          data: shownPath(cfg.data.val ?? cfg.data.train),
          tta: mode,
          weights,
          backend: trainer.backend,
          loss: e.loss,
          accuracy: e.accuracy,
          correct: e.correct,
          count: e.count,
          ...(e.top5Accuracy === undefined ? {} : { top5Accuracy: e.top5Accuracy, top5Correct: e.top5Correct }),
          meanClassAccuracy: e.meanClassAccuracy,
          perClass: e.perClass.map((p, i) => ({ name: datasets.classes[i], accuracy: p.count > 0 ? p.correct / p.count : NaN, correct: p.correct, count: p.count })),
          confusion: e.confusion,
          // What listing left out (a class folder it may not read) first: scoring never saw it.
          skipped: [...datasets.valSkipped, ...e.skipped].map((s) => ({ path: shownPath(s.path), reason: s.reason, message: s.message })),
          mistakes: e.mistakes.map((x) => {
            const original = datasets.originalOf(x.path);
            return {
              path: shownPath(x.path),
              ...(original === undefined ? {} : { original: shownPath(original) }),
              truth: datasets.classes[x.truth],
              predicted: datasets.classes[x.predicted],
              confidence: x.confidence,
              truthProbability: x.truthProbability,
            };
          }),
        };
        // `rxtrain evaluate … | head -3`: the EPIPE arrives after the write; unhandled it would crash with a stack trace.
        io.out.on?.('error', () => undefined);
        io.out.write(json ? `${JSON.stringify(report)}\n` : renderEvaluateReport(report, { confusion }));
        return 0;
      } finally {
        await trainer.dispose();
      }
    } finally {
      await datasets.close();
    }
  } catch (e) {
    io.err.write(`rxtrain evaluate: ${(e as Error).message}\n`);
    return 1;
  }
}
