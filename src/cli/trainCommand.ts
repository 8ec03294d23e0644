import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCommandArgs } from './parseCommandArgs';
import { parseConfigJson } from './parseConfigJson';
import { whyNoFolder } from './whyNoFolder';
import { parseMaxPixels } from './parseMaxPixels';
import * as E from 'fp-ts/Either';
import { catchError, EMPTY, lastValueFrom, merge, Subject, type Observable } from 'rxjs';
import { initBackend, type BackendName } from '../model/backend';
import { latestCheckpointHeader, openCheckpointStore, type CheckpointStore } from '../model/CheckpointStore';
import { canonicalInitSource } from '../model/canonicalInitSource';
import { parseDuration } from '../model/Duration';
import { machineCores } from '../model/machineCores';
import { createTrainer, networkSpecOf } from '../model/createTrainer';
import type { CheckpointHeader, IdentityChangeRule } from '../model/Checkpoint';
import { replicaWarnings } from '../model/replicaWarnings';
import { resolveReplicas } from '../model/resolveReplicas';
import { openDatasets, recordFilesNotTrainedOn, runIdentity } from '../model/setupFromConfig';
import { train } from '../model/train';
import { TOP_K } from '../model/evaluateSource';
import { DEFAULT_TRAIN_CONFIG, decodeTrainConfig, formatConfigProblem, mergeConfig, type TrainConfig } from '../model/TrainConfig';
import type { Trainer } from '../model/Trainer';
import { defaultCosineOptions } from '../model/CosineAnnealingLR';
import { CHART_HISTORY_FILE, chartWriter } from '../telemetry/chartWriter';
import { createLogger, type Logger } from '../telemetry/createLogger';
import { eventLogger } from '../telemetry/eventLogger';
import type { EventSink } from '../telemetry/EventSink';
import { loadTelemetryTls } from '../telemetry/loadTelemetryTls';
import { monitorHint } from '../telemetry/monitorHint';
import { parseTelemetryFlags } from '../telemetry/parseTelemetryFlags';
import { startTelemetryServer, type TelemetryServer } from '../telemetry/startTelemetryServer';
import { TelemetrySettingError } from '../telemetry/TelemetrySettingError';
import { tensorBoardWriter } from '../telemetry/tensorBoardWriter';
import { graphFromNetworkSpec } from '../telemetry/graphFromNetworkSpec';
import { ignoreClosedOutput } from './ignoreClosedOutput';
import { lockRunDir } from './lockRunDir';
import { checkpointFolderRefusal } from './checkpointFolderRefusal';
import { CheckpointFolderInUseError } from '../model/CheckpointFolderInUseError';
import { describeTakeover } from '../model/lockFile';
import type { TrainEvent } from '../telemetry/TrainEvent';
import { formatOptions, wrapWords, type OptionRow } from './formatOptions';
import { trainProgress } from './trainProgress';
import { processStopSignal, type StopSignal } from './processStopSignal';
import { stopExitCode } from './stopExitCode';
import { followStopProgress } from './followStopProgress';
import { stopNotice, type StopProgress } from './stopNotice';
import { backendEnvError } from './backendEnvError';
import { nextStepHint } from './nextStepHint';
import { shownPath } from './shownPath';
import { resolveCheckpointFile } from './evaluateCommand';
import { initWeightsOf, type InitWeights } from '../model/InitWeights';
import type { InferenceInfo } from '../model/InferenceInfo';
import { newPaths } from './newPaths';
import { REPLICAS_PER_CORE, tooManyReplicas } from './tooManyReplicas';
import { ioErrorReason } from '../streams/ioErrorReason';
import { isRedactedToken, redactedToken } from './redactedToken';

/**
 * Exit codes of `rxtrain train`.
 *
 * @example
 * ```ts
 * process.exitCode = TRAIN_EXIT.INTERRUPTED;
 * ```
 */
export const TRAIN_EXIT = {
  /** Training finished (all epochs, early stopping, or the --max-time budget spent). */
  OK: 0,
  /** Training failed (data, backend, a kernel, a refused checkpoint…); the log says why. */
  FAILED: 1,
  /** Bad command line or config: nothing was started. */
  USAGE: 2,
  /** Stopped by Ctrl-C (SIGINT, 128 + 2) after saving a checkpoint; run again to resume. */
  INTERRUPTED: 130,
  /** Stopped by SIGTERM (128 + 15) after saving a checkpoint; run again to resume. */
  TERMINATED: 143,
  /** Stopped by SIGHUP (128 + 1: the terminal or ssh connection closed) after saving a checkpoint; run again to resume. */
  HUNG_UP: 129,
} as const;

/**
 * What a run may do when its replica count or its balance differs from its checkpoint's (see
 * `RunIdentity.changes`). A checkpoint written before the identity held the resolved count says
 * 0 for `auto`, and nothing else in it records the count it ran on: that one resumes, with a
 * warning. `--allow-replica-change` covers the balance too: both only decide how a batch is
 * split over the replicas (and so what BatchNorm normalises over: each shard), the one thing such a resume gives
 * up anyway, so one decision, and moving to another machine is when both change.
 */
function replicaChangeRules(replicas: number, balance: TrainConfig['balance'], allow: boolean): IdentityChangeRule[] {
  const on = `${replicas} replica${replicas === 1 ? '' : 's'}`;
  // Two values, and the identity leaves out the default: the checkpoint's is the other one.
  const other = balance === 'speed' ? 'even' : 'speed';
  return [
    {
      path: 'config.replicas',
      from: 0,
      action: 'accept',
      note: `the checkpoint recorded replicas "auto" as 0, not the count it trained on (nothing else in it says); resuming on ${on}, which differs from an uninterrupted run if that count was another`,
    },
    // What changes is said for the direction at hand: training-mode BatchNorm normalises each
    // shard with its own statistics (only the moving statistics are combined over the batch), so
    // one replica normalises over the whole batch and several over their shards.
    ...(allow
      ? replicas === 1
        ? [{ path: 'config.replicas', action: 'accept', note: `--allow-replica-change: resuming on ${on}, so the result differs from an uninterrupted run (BatchNorm statistics over the whole batch instead of per shard, the batch no longer split)` } as const]
        : [
            { path: 'config.replicas', from: 1, action: 'accept', note: `--allow-replica-change: resuming on ${on}, so the result differs from an uninterrupted run (BatchNorm statistics per shard instead of over the whole batch, the batch split ${replicas} ways)` } as const,
            { path: 'config.replicas', action: 'accept', note: `--allow-replica-change: resuming on ${on}, so the result differs from an uninterrupted run (BatchNorm statistics per shard, over ${replicas} shards now, another batch split)` } as const,
          ]
      : [{ path: 'config.replicas', action: 'refuse', note: `to resume on ${on} anyway (another machine's core count), pass --allow-replica-change (config "allowReplicaChange": true); the result then differs from an uninterrupted run` } as const]),
    allow
      ? { path: 'config.balance', action: 'accept', note: `--allow-replica-change: resuming with balance ${balance} (the checkpoint's is ${other}), so the result differs from an uninterrupted run (another batch split)` }
      : {
          path: 'config.balance',
          action: 'refuse',
          note: `to resume with balance ${balance} anyway (the checkpoint's is ${other}), pass --allow-replica-change (config "allowReplicaChange": true), which covers the balance as well as the replica count, or --balance ${other}; the result then differs from an uninterrupted run`,
        },
  ];
}

/**
 * Removes `dir` and its parents up to `top` (the outermost folder a recursive mkdir created), each
 * only while empty: what a start created and left empty, never a folder holding anything.
 */
function removeEmptyFolders(dir: string, top: string | undefined): void {
  if (top === undefined) return;
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      fs.rmdirSync(d);
    } catch {
      return;
    }
    if (d === top || path.dirname(d) === d) return;
  }
}

type Kind = 'string' | 'int' | 'number' | 'bool' | 'list';

interface Flag {
  readonly name: string;
  readonly kind: Kind;
  /** Dotted config path the flag sets. */
  readonly field: string;
  readonly arg?: string;
  readonly help: string;
  /** Value mapping for special words ("none" → null …). */
  readonly words?: Readonly<Record<string, unknown>>;
  /** A parser of its own, shared with other commands' flag of the same name (Left: the usage error). */
  readonly parse?: (raw: string) => E.Either<string, unknown>;
}

// One table drives parsing, the config override and --help, so they cannot drift apart.
const FLAGS: readonly Flag[] = [
  { name: 'data', kind: 'string', field: 'data.train', arg: 'DIR', help: 'training data: a `rxtrain preprocess` output dir or a folder-per-class tree' },
  { name: 'val', kind: 'string', field: 'data.val', arg: 'DIR|none', help: 'validation folder-per-class tree (none: the preprocess val split, if any)', words: { none: null } },
  { name: 'format', kind: 'string', field: 'data.format', arg: 'auto|manifest|folder', help: 'how to read --data (auto: manifest when train.csv exists)' },
  { name: 'records', kind: 'bool', field: 'data.records', help: 'use train.rec/val.rec of a preprocess dir when present (--no-records: decode the image files); not given, a resume reads what its checkpoint trained on' },
  { name: 'prefetch', kind: 'int', field: 'data.prefetch', arg: 'N', help: 'batches prepared ahead of the training step' },
  { name: 'max-pixels', kind: 'int', field: 'data.maxPixels', arg: 'N', help: 'skip images larger than N pixels (a guard against decompression bombs; image files only, not record files)', parse: parseMaxPixels },
  { name: 'model', kind: 'string', field: 'model.name', arg: 'alexnet|small', help: 'network' },
  { name: 'input-size', kind: 'int', field: 'model.inputSize', arg: 'N', help: 'side of the (cropped) image the network sees' },
  { name: 'channels', kind: 'int', field: 'model.channels', arg: '1|3', help: 'input channels' },
  { name: 'classes', kind: 'int', field: 'model.numClasses', arg: 'N', help: 'number of classes (default: from the data)' },
  { name: 'conv-dropout', kind: 'number', field: 'model.dropout.conv', arg: 'X', help: 'dropout after each pooled conv block (0 = none)' },
  { name: 'dense-dropout', kind: 'number', field: 'model.dropout.dense', arg: 'X', help: 'dropout after each hidden dense layer (0 = none)' },
  { name: 'epochs', kind: 'int', field: 'epochs', arg: 'N', help: 'epochs in total (a resumed run trains up to this many)' },
  { name: 'max-time', kind: 'string', field: 'maxTime', arg: '2h|90m|none', help: 'training-time budget, summed over resumes: no epoch is started that would overrun it', words: { none: null } },
  { name: 'batch-size', kind: 'int', field: 'batchSize', arg: 'N', help: 'images per step' },
  { name: 'lr', kind: 'number', field: 'optimizer.lr', arg: 'X', help: 'initial learning rate (SGD)' },
  { name: 'momentum', kind: 'number', field: 'optimizer.momentum', arg: 'X', help: 'SGD momentum' },
  { name: 'nesterov', kind: 'bool', field: 'optimizer.nesterov', help: 'Nesterov momentum (--no-nesterov: classical)' },
  { name: 'weight-decay', kind: 'number', field: 'optimizer.weightDecay', arg: 'X', help: 'L2 weight decay' },
  { name: 'label-smoothing', kind: 'number', field: 'labelSmoothing', arg: 'X', help: 'label smoothing of the training loss, in [0, 1) (0: plain NLL)' },
  { name: 'ema-decay', kind: 'number', field: 'ema.decay', arg: 'X', help: 'keep a moving average of the weights with this per-step decay (e.g. 0.999) and validate it (0: off)' },
  { name: 'ema-every', kind: 'int', field: 'ema.everySteps', arg: 'N', help: 'fold the weights into the average every N steps' },
  { name: 'scheduler', kind: 'string', field: 'scheduler.name', arg: 'ReduceLROnPlateau|CosineAnnealingLR|none', help: 'learning-rate schedule (a different one than the config file\'s drops that one\'s options)' },
  { name: 'lr-factor', kind: 'number', field: 'scheduler.factor', arg: 'X', help: 'ReduceLROnPlateau: new lr = lr × X' },
  { name: 'lr-patience', kind: 'int', field: 'scheduler.patience', arg: 'N', help: 'ReduceLROnPlateau: bad epochs tolerated' },
  { name: 'min-lr', kind: 'number', field: 'scheduler.minLr', arg: 'X', help: 'ReduceLROnPlateau: lower bound of the lr' },
  { name: 'eta-min', kind: 'number', field: 'scheduler.etaMin', arg: 'X', help: 'CosineAnnealingLR: the lr the curve ends at' },
  { name: 'cosine-horizon', kind: 'string', field: 'scheduler.horizon', arg: 'budget|epochs', help: 'CosineAnnealingLR: anneal over the epochs, or end with the time budget if that comes first' },
  { name: 'resize', kind: 'int', field: 'augmentation.resize', arg: 'N|none', help: 'centre-crop + resize decoded images to N² first', words: { none: null } },
  { name: 'pad', kind: 'int', field: 'augmentation.pad', arg: 'N', help: 'zero padding on each side before the random crop' },
  { name: 'random-crop', kind: 'bool', field: 'augmentation.randomCrop', help: 'random crops in training (--no-random-crop: centre crops)' },
  { name: 'flip', kind: 'bool', field: 'augmentation.flip', help: 'random horizontal flips in training' },
  { name: 'mean', kind: 'list', field: 'augmentation.mean', arg: 'R,G,B|V|dataset|none', help: 'mean to subtract (0..255 units; one value for every channel)', words: { dataset: 'dataset', none: null } },
  { name: 'std', kind: 'list', field: 'augmentation.std', arg: 'R,G,B|V|none', help: 'standard deviation to divide by (0..255 units; one value for every channel)', words: { none: null } },
  { name: 'seed', kind: 'int', field: 'seed', arg: 'N', help: 'seed of weights, data order, augmentation and dropout' },
  { name: 'init-from', kind: 'string', field: 'initFrom', arg: 'CHECKPOINT|RUN_DIR', help: 'start a new run from these weights where name and shape match (fine-tuning; a run directory: its best.rxckpt)', words: { none: null } },
  { name: 'init-weights', kind: 'string', field: 'initWeights', arg: 'ema|trained', help: 'which weights of --init-from (default: the moving average when its run kept one, as rxtrain evaluate)' },
  { name: 'run-dir', kind: 'string', field: 'runDir', arg: 'DIR', help: 'checkpoints, logs, TensorBoard, charts; resumes if it has a checkpoint' },
  { name: 'checkpoint-every', kind: 'int', field: 'checkpoint.everyEpochs', arg: 'N', help: 'checkpoint every N epochs (0: only at the end and on Ctrl-C)' },
  { name: 'checkpoint-steps', kind: 'int', field: 'checkpoint.everySteps', arg: 'N', help: 'also checkpoint every N steps, so a kill loses at most N steps (0: off)' },
  { name: 'keep-last', kind: 'int', field: 'checkpoint.keepLast', arg: 'N', help: 'recent checkpoints kept' },
  { name: 'keep-best', kind: 'bool', field: 'checkpoint.keepBest', help: 'keep the best checkpoint as checkpoints/best.rxckpt' },
  { name: 'early-stopping', kind: 'bool', field: 'earlyStopping.enabled', help: 'stop when the monitored metric stops improving' },
  { name: 'es-patience', kind: 'int', field: 'earlyStopping.patience', arg: 'N', help: 'early stopping: epochs without improvement tolerated' },
  { name: 'es-monitor', kind: 'string', field: 'earlyStopping.monitor', arg: 'valLoss|valAccuracy|valTop5Accuracy|trainLoss', help: 'early stopping and best checkpoint metric' },
  { name: 'ten-crop', kind: 'bool', field: 'tenCrop', help: 'validate with 10-crop averaging (corners + centre, and flips)' },
  { name: 'val-flip', kind: 'bool', field: 'valFlip', help: 'validate on each image and its mirror image, averaged (test-time flip)' },
  { name: 'backend', kind: 'string', field: 'backend', arg: 'auto|wasm|cpu|tensorflow', help: 'tfjs backend (auto: tensorflow if installed, else wasm)' },
  { name: 'replicas', kind: 'int', field: 'replicas', arg: 'N|auto', help: 'data-parallel replicas (auto or 0: one using every core when the kernels are threaded, as wasm+native and tensorflow are, else one per core)', words: { auto: 0 } },
  { name: 'balance', kind: 'string', field: 'balance', arg: 'even|speed', help: 'how replicas split a batch (speed: by measured speed, not bit-reproducible)' },
  { name: 'allow-replica-change', kind: 'bool', field: 'allowReplicaChange', help: 'resume a checkpoint made on another replica count or --balance (with a warning: the result differs from an uninterrupted run)' },
  { name: 'allow-many-replicas', kind: 'bool', field: 'allowManyReplicas', help: `start more than ${REPLICAS_PER_CORE} replicas per core (refused otherwise: they train no faster, and each costs start-up time and memory)` },
  { name: 'tensorboard', kind: 'bool', field: 'tensorboard', help: 'write TensorBoard event files to RUN_DIR/tensorboard' },
  { name: 'log-level', kind: 'string', field: 'log.level', arg: 'debug|info|warn|error', help: 'log verbosity (console and file)' },
  { name: 'log-file', kind: 'string', field: 'log.file', arg: 'FILE|none', help: 'log file (relative to RUN_DIR)', words: { none: null } },
  { name: 'charts', kind: 'bool', field: 'charts', help: 'draw RUN_DIR/plot.png and lr.png after every epoch' },
  { name: 'progress', kind: 'string', field: 'progress.bar', arg: 'auto|on|off', help: 'progress on stderr (auto: a bar on a terminal, plain lines otherwise; off: none)' },
  { name: 'telemetry', kind: 'string', field: 'telemetry.address', arg: 'HOST:PORT|off', help: 'serve the events over gRPC (port 0: any free port)' },
  { name: 'telemetry-insecure', kind: 'bool', field: 'telemetry.insecure', help: 'allow plaintext telemetry on a non-loopback address' },
  { name: 'telemetry-token', kind: 'string', field: 'telemetry.token', arg: 'TOKEN', help: 'require `authorization: Bearer TOKEN` (or RXTRAIN_TELEMETRY_TOKEN)' },
  { name: 'telemetry-linger', kind: 'string', field: 'telemetry.linger', arg: '10m|0', help: 'after the run ends, go on serving it this long to monitors that connect only then (closes once its monitors have the end; Ctrl-C: at once)', words: { '0': 0 } },
];

/**
 * The weights `--init-from` names, read only when the run starts afresh: a checkpoint file or a
 * run directory (its best.rxckpt, else its newest checkpoint), with the errors `rxtrain evaluate`
 * gives for a file that is no checkpoint or is damaged. A normalisation other than the source
 * run's is the user's choice (other data has another mean), said in one line.
 */
async function loadInitWeights(given: string, kind: TrainConfig['initWeights'], now: InferenceInfo, logger: Logger): Promise<InitWeights> {
  let init: InitWeights;
  try {
    const opened = await resolveCheckpointFile(given);
    for (const n of opened.notes) logger.warn(`--init-from: ${n}`);
    init = initWeightsOf(opened.checkpoint, opened.file, kind ?? undefined);
  } catch (e) {
    throw new Error(`--init-from ${(e as Error).message}`, { cause: e });
  }
  const then = init.inference;
  const show = (i: Pick<InferenceInfo, 'mean' | 'std'>): string => `mean [${i.mean.map((v) => +v.toFixed(1)).join(', ')}]${i.std === undefined ? '' : ` std [${i.std.map((v) => +v.toFixed(1)).join(', ')}]`}`;
  // One value stands for every channel: [72.9] and [72.9, 72.9, 72.9] are the same normalisation.
  const perChannel = (v: readonly number[] | undefined, n: number): string => (v === undefined ? '-' : (v.length === 1 ? Array<number>(n).fill(v[0]) : v).map((x) => x.toFixed(3)).join());
  const channels = Math.max(now.mean.length, then?.mean.length ?? 1);
  const differs = then !== undefined && (perChannel(then.mean, channels) !== perChannel(now.mean, channels) || perChannel(then.std, channels) !== perChannel(now.std, channels));
  if (then !== undefined && differs) {
    logger.info(`--init-from: its run normalised the images with ${show(then)}, this run with ${show(now)} (the weights were trained on the former; --mean/--std set the latter)`);
  }
  return init;
}

/** What a start that ends before training began leaves of itself in `runDir`: nothing. */
function startUndone(runDir: string, createdDir: string | undefined): string {
  return createdDir === undefined ? `what this start created in ${runDir} is removed; what was there stays` : `the run directory ${runDir}, which this start created, is removed`;
}

/**
 * `, default X` for a config field, as --help shows it next to the field's name. The default
 * config's scheduler is ReduceLROnPlateau: CosineAnnealingLR's fields take theirs from its own
 * defaults, which a switch to it by --scheduler fills in.
 */
function defaultOf(field: string): string {
  let v: unknown = { ...DEFAULT_TRAIN_CONFIG, scheduler: { ...defaultCosineOptions, ...DEFAULT_TRAIN_CONFIG.scheduler } };
  for (const k of field.split('.')) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  if (v === undefined || v === '') return '';
  const shown = v === null ? 'none' : Array.isArray(v) ? v.join(',') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return `, default ${shown}`;
}

function helpText(width: number): string {
  const rows: OptionRow[] = [
    { option: '--config FILE', help: 'JSON config (see README "training" for every field)' },
    { option: '--print-config', help: 'print the resolved config as JSON and exit (the telemetry token redacted; data.records only when given)' },
    { option: '-h, --help', help: 'this help' },
    ...FLAGS.map((f) => ({
      option: `--${f.name}${f.kind === 'bool' ? ` / --no-${f.name}` : ` ${f.arg ?? 'V'}`}`,
      // A help that says its default in words ('default: from the data') is not contradicted by
      // the field's stored placeholder ('default none').
      help: `${f.help} [${f.field}${f.help.includes('(default') ? '' : defaultOf(f.field)}]`,
    })),
    { option: '--telemetry-cert FILE', help: 'PEM certificate: serve telemetry over TLS [telemetry.tls.cert]' },
    { option: '--telemetry-key FILE', help: 'PEM key for --telemetry-cert [telemetry.tls.key]' },
  ];
  const para = (text: string): string => wrapWords(text, width).join('\n');
  return `usage: rxtrain train [--config FILE.json] [options]

${para(
  'Trains an image classifier. Settings come from the defaults, then --config, then the flags below ' +
    '(each overrides one config field, shown in brackets). The run directory holds checkpoints; starting ' +
    'again on the same run directory resumes exactly where it stopped.',
)}

${formatOptions(rows, { width })}

${para('Telemetry is a live gRPC stream of the training events; watch it with `rxtrain monitor HOST:PORT`.')}

${para('Ctrl-C (or SIGTERM, or SIGHUP when the terminal or ssh connection closes) stops after the current step and saves a checkpoint; a second Ctrl-C quits at once (the previous checkpoint stays valid).')}

exit codes:
${formatOptions(
  [
    { option: '0', help: 'finished (all epochs, early stopping, or the --max-time budget spent)' },
    { option: '1', help: 'training failed' },
    { option: '2', help: `bad command line, config, telemetry TLS files, a --telemetry address it cannot serve on (port in use, not this machine's) or RXTRAIN_BACKEND / RXTRAIN_THREADS, or more than ${REPLICAS_PER_CORE} replicas per core (--allow-many-replicas)` },
    { option: '130', help: 'interrupted by Ctrl-C (143: by SIGTERM, 129: by SIGHUP) after a checkpoint, or at once by a second one' },
  ],
  { column: 8, width },
)}

examples:
  rxtrain train --data photos --run-dir runs/photos
  rxtrain train --data data/pre --model alexnet \\
      --epochs 90 --run-dir runs/alexnet
  rxtrain train --config my-config.json --epochs 20 \\
      --telemetry off --progress off
  rxtrain train --config configs/sample.json  # in a clone`;
}

/**
 * Console and process hooks of the command, injectable for tests.
 *
 * @example
 * ```ts
 * const io: TrainCommandIo = { out: process.stdout, err: process.stderr, env: process.env };
 * ```
 */
export interface TrainCommandIo {
  /** `columns` (a terminal's width) sets where `--help` wraps. */
  readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly err: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Signals that stop training gracefully (default: the process's SIGINT, SIGTERM and SIGHUP). */
  readonly onStopSignal?: (handler: (signal: StopSignal) => void) => () => void;
  /** The machine's cores, for the replica checks (default {@link machineCores}). */
  readonly cores?: number;
}

class UsageError extends Error {}

function setPath(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]] = value;
}

function flagValue(f: Flag, raw: string | boolean): unknown {
  if (typeof raw === 'boolean') return raw;
  if (f.words !== undefined && raw in f.words) return f.words[raw];
  if (f.parse !== undefined) {
    const v = f.parse(raw);
    if (E.isLeft(v)) throw new UsageError(v.left);
    return v.right;
  }
  switch (f.kind) {
    case 'int':
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n) || (f.kind === 'int' && !Number.isInteger(n))) {
        throw new UsageError(`--${f.name}: expected ${f.kind === 'int' ? 'an integer' : 'a number'}${f.words ? ` or ${Object.keys(f.words).join('/')}` : ''}, got '${raw}'`);
      }
      return n;
    }
    case 'list': {
      const parts = raw.split(',').map((s) => Number(s.trim()));
      if ((parts.length !== 1 && parts.length !== 3) || parts.some((n) => !Number.isFinite(n))) {
        throw new UsageError(`--${f.name}: expected one number or three R,G,B${f.words ? ` or ${Object.keys(f.words).join('/')}` : ''}, got '${raw}'`);
      }
      return parts;
    }
    default:
      return raw;
  }
}

/**
 * Parses `rxtrain train` arguments into the resolved config: defaults ← `--config` file ←
 * flags, decoded once with {@link decodeTrainConfig}. Left: text for stderr (exit 2).
 * `recordsGiven`: whether `--[no-]records` or the file's `data.records` set the one option
 * whose default a resume replaces (with what its checkpoint trained on).
 *
 * @example
 * ```ts
 * const r = resolveTrainConfig(['--config', 'configs/sample.json', '--epochs', '2']);
 * if (E.isRight(r) && r.right !== 'help') console.log(r.right.config.epochs); // 2
 * ```
 */
export function resolveTrainConfig(argv: readonly string[]): E.Either<string, 'help' | { config: TrainConfig; printOnly: boolean; recordsGiven: boolean }> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    config: { type: 'string' },
    'print-config': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    'telemetry-cert': { type: 'string' },
    'telemetry-key': { type: 'string' },
  };
  for (const f of FLAGS) options[f.name] = { type: f.kind === 'bool' ? 'boolean' : 'string' };
  try {
    const { values, positionals } = parseCommandArgs({ args: [...argv], options, allowPositionals: true, allowNegative: true, strict: true });
    if (values.help === true) return E.right('help');
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (options start with --)`);
    let fromFile: unknown = {};
    if (typeof values.config === 'string') {
      let text: string;
      try {
        text = fs.readFileSync(values.config, 'utf8');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const why = code === 'EISDIR' ? 'it is a folder, not a file' : code === 'ENOENT' ? 'no such file' : (e as Error).message;
        throw new UsageError(`--config: cannot read ${values.config}: ${why}`);
      }
      const parsed = parseConfigJson(text);
      if (E.isLeft(parsed)) throw new UsageError(`--config: ${values.config} is not valid JSON: ${parsed.left}`);
      fromFile = parsed.right;
      // Flags merged onto an array or a string would replace it whole, as if the file were empty.
      if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) {
        throw new UsageError(`--config: ${values.config} holds ${Array.isArray(fromFile) ? 'an array' : JSON.stringify(fromFile)}, expected a JSON object of config fields ({ "data": { "train": … }, … })`);
      }
    }
    const overrides: Record<string, unknown> = {};
    for (const f of FLAGS) {
      const raw = values[f.name];
      if (raw !== undefined) setPath(overrides, f.field, flagValue(f, raw));
    }
    const cert = values['telemetry-cert'];
    const key = values['telemetry-key'];
    if ((cert === undefined) !== (key === undefined)) throw new UsageError('--telemetry-cert and --telemetry-key go together');
    if (typeof cert === 'string' && typeof key === 'string') setPath(overrides, 'telemetry.tls', { cert, key });
    // Switching the scheduler by flag must not carry the file's options of another scheduler.
    const chosen = (overrides.scheduler as { name?: unknown } | undefined)?.name;
    const file = typeof fromFile === 'object' && fromFile !== null && !Array.isArray(fromFile) ? (fromFile as { scheduler?: { name?: unknown } }) : undefined;
    const base = file !== undefined && chosen !== undefined && file.scheduler?.name !== chosen ? { ...file, scheduler: undefined } : fromFile;
    const merged = mergeConfig(base, overrides);
    // --print-config alone is how a user gets a config file to start from: the data is the one
    // thing without a default, so it prints as "" (which the file's first run then names).
    const printOnly = values['print-config'] === true;
    const givenTrain = (merged as { data?: { train?: unknown } } | undefined)?.data?.train;
    const dataMissing = printOnly && (givenTrain === undefined || givenTrain === '');
    const decoded = decodeTrainConfig(dataMissing ? mergeConfig(merged, { data: { train: '.' } }) : merged);
    if (E.isLeft(decoded)) {
      const where = typeof values.config === 'string' ? ` (${values.config} + flags)` : '';
      return E.left(`invalid training config${where}:\n  ${decoded.left.map(formatConfigProblem).join('\n  ')}`);
    }
    const recordsGiven = (merged as { data?: { records?: unknown } } | undefined)?.data?.records !== undefined;
    return E.right({ config: dataMissing ? { ...decoded.right, data: { ...decoded.right.data, train: '' } } : decoded.right, printOnly, recordsGiven });
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true) return E.left((e as Error).message);
    throw e;
  }
}

/**
 * The record files a resume from `latest` (the newest checkpoint's header) leaves unread, and
 * that checkpoint ({@link recordFilesNotTrainedOn}), or undefined when it reads what it would anyway.
 */
function imageFilesOfResume(data: TrainConfig['data'], latest: { readonly header: CheckpointHeader; readonly path: string } | undefined): { checkpoint: string; unread: readonly string[] } | undefined {
  if (latest === undefined) return undefined;
  const unread = recordFilesNotTrainedOn(data, latest.header.identity);
  return unread.length === 0 ? undefined : { checkpoint: latest.path, unread };
}

/** The `--init-from` spelling a checkpoint's header records, if any (runIdentity's recordedInitFrom). */
function recordedInitFrom(header: CheckpointHeader | undefined): string | undefined {
  const config = header?.identity.config;
  const initFrom = typeof config === 'object' && config !== null ? (config as { initFrom?: unknown }).initFrom : undefined;
  return typeof initFrom === 'string' ? initFrom : undefined;
}

/**
 * `rxtrain train`: resolves the config, opens the data, initialises the backend, builds the
 * trainer and runs {@link train} with the logger, TensorBoard writer, chart writer, progress
 * bar and gRPC telemetry server subscribed. Resolves to an exit code ({@link TRAIN_EXIT}).
 *
 * @example
 * ```ts
 * process.exitCode = await run(['--config', 'configs/sample.json', '--telemetry', 'off']);
 * ```
 */
export async function run(argv: string[], io: TrainCommandIo = { out: process.stdout, err: process.stderr, env: process.env }): Promise<number> {
  const resolved = resolveTrainConfig(argv);
  if (E.isLeft(resolved)) {
    io.err.write(`rxtrain train: ${resolved.left}\n\nrxtrain train --help lists the options.\n`);
    return TRAIN_EXIT.USAGE;
  }
  if (resolved.right === 'help') {
    // Wrap to the terminal when there is one (kept within 60..120 columns), else at 100.
    const cols = io.out.columns;
    io.out.write(`${helpText(cols === undefined || cols <= 0 ? 100 : Math.min(Math.max(cols - 1, 60), 120))}\n`);
    return TRAIN_EXIT.OK;
  }
  const { config: cfg, printOnly, recordsGiven } = resolved.right;
  if (printOnly) {
    const token = cfg.telemetry.token === null ? null : redactedToken(cfg.telemetry.token);
    // data.records written out would count as given: a resume with the saved file would then
    // read the record files whatever its checkpoint trained on, and be refused. Left out, it
    // means what it meant here (the record files for a new run, the checkpoint's choice for a resume).
    const { records: _defaulted, ...dataWithoutRecords } = cfg.data;
    const data = recordsGiven ? cfg.data : dataWithoutRecords;
    io.out.write(`${JSON.stringify({ ...cfg, data, telemetry: { ...cfg.telemetry, token } }, null, 2)}\n`);
    return TRAIN_EXIT.OK;
  }
  const t = cfg.telemetry;
  // A config saved from --print-config says a token is wanted, not which: the variable gives it.
  const placeholder = t.token !== null && isRedactedToken(t.token);
  if (placeholder && io.env.RXTRAIN_TELEMETRY_TOKEN === undefined) {
    io.err.write(
      `rxtrain train: telemetry.token is ${JSON.stringify(t.token)}, the placeholder --print-config writes for the token: ` +
        'set RXTRAIN_TELEMETRY_TOKEN to the token (or pass --telemetry-token TOKEN)\n',
    );
    return TRAIN_EXIT.USAGE;
  }
  const listen = parseTelemetryFlags(
    {
      telemetry: t.address,
      ...(t.tls === null ? {} : { 'telemetry-cert': t.tls.cert, 'telemetry-key': t.tls.key }),
      'telemetry-insecure': t.insecure,
      ...(t.token === null || placeholder ? {} : { 'telemetry-token': t.token }),
    },
    io.env,
  );
  if (E.isLeft(listen)) {
    // Each of its messages names the flag or the telemetry already.
    io.err.write(`rxtrain train: ${listen.left}\n`);
    return TRAIN_EXIT.USAGE;
  }
  // A typo in RXTRAIN_BACKEND or RXTRAIN_THREADS is a setting like a bad flag: refused before the
  // run directory, the telemetry server or the data are touched.
  const badEnv = backendEnvError('train', io.env, cfg.backend);
  if (badEnv !== undefined) {
    io.err.write(badEnv);
    return TRAIN_EXIT.USAGE;
  }
  const cores = io.cores ?? machineCores();
  // Refused here, not warned about once the replicas run: starting them took minutes.
  const tooMany = cfg.allowManyReplicas ? undefined : tooManyReplicas(cfg.replicas, cores);
  if (tooMany !== undefined) {
    io.err.write(`rxtrain train: ${tooMany}\n`);
    return TRAIN_EXIT.USAGE;
  }
  // TLS files that do not fit are a setting like a bad flag too: said in one line, before the
  // run directory (and its lock and log) exists. Read once: the server binds with, and the
  // monitor hint fingerprints, the very bytes checked here.
  let tlsPem: { readonly cert: Buffer; readonly key: Buffer } | undefined;
  if (listen.right.tls !== undefined) {
    const tls = await loadTelemetryTls(listen.right.tls);
    if (E.isLeft(tls)) {
      io.err.write(`rxtrain train: ${tls.left}\n`);
      return TRAIN_EXIT.USAGE;
    }
    tlsPem = tls.right;
  }

  const runDir = path.resolve(cfg.runDir);
  // The outermost folder this run creates, if any: a start that fails takes its folders away again.
  let createdDir: string | undefined;
  try {
    createdDir = fs.mkdirSync(runDir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    io.err.write(`rxtrain train: --run-dir ${cfg.runDir}: ${code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way (expected a folder)' : whyNoFolder(runDir, e as Error)}\n`);
    return code === 'EEXIST' || code === 'ENOTDIR' ? TRAIN_EXIT.USAGE : TRAIN_EXIT.FAILED;
  }
  // Two runs in one folder would resume from, and prune, each other's checkpoints.
  const lock = lockRunDir(runDir);
  if (E.isLeft(lock)) {
    io.err.write(`rxtrain train: ${lock.left}\n`);
    removeEmptyFolders(runDir, createdDir);
    return TRAIN_EXIT.FAILED;
  }
  // What this start is about to create. A run that ends before training begins (missing data, a
  // refused checkpoint, a backend that fails) removes them again, so that a mistyped --data does
  // not leave a run directory holding a train.log; what was there before stays as it was.
  const logFile = cfg.log.file === null ? undefined : path.resolve(runDir, cfg.log.file);
  const made = newPaths(
    [...(logFile === undefined ? [] : [logFile]), ...['checkpoints', 'tensorboard', 'plot.png', 'lr.png', CHART_HISTORY_FILE].map((f) => path.join(runDir, f))],
    // A refused resume opens an event file there before the refusal.
    { entriesOf: [path.join(runDir, 'tensorboard')] },
  );
  let began = false;
  // Whether the run directory line has been logged (see the finally below).
  let announced = false;
  // Removed while the lock is still held: no other training can have written there meanwhile.
  // Set when another process took checkpoints/ between the run directory's lock and the store's.
  let checkpointsTaken = false;
  const undoStart = (): void => {
    made.remove(checkpointsTaken ? [path.join(runDir, 'checkpoints')] : []);
    lock.right.release();
    removeEmptyFolders(runDir, createdDir);
  };
  // Set when a log line, TensorBoard or a chart could not be written: the run then exits 1.
  let outputFailed = false;
  const barOn = cfg.progress.bar === 'on' || (cfg.progress.bar === 'auto' && io.err.isTTY === true);
  const logger: Logger = createLogger({
    level: cfg.log.level,
    ...(logFile === undefined ? {} : { file: logFile }),
    // A log file that cannot be written (full disk) must not silence the console as well; nor
    // one that cannot be opened (a folder by its name): the run goes on as after a failed write.
    onFileError: (e, during) => {
      outputFailed = true;
      if (during === 'write') {
        io.err.write(`rxtrain train: cannot write the log file ${cfg.log.file}: ${e.message}; logging to the console only\n`);
        return;
      }
      const why = (e as NodeJS.ErrnoException).code === 'EISDIR' ? 'it is a folder' : ioErrorReason(e);
      io.err.write(`rxtrain train: cannot open the log file ${shownPath(path.resolve(runDir, cfg.log.file ?? ''))}: ${why}; logging to the console only (the run ends with exit 1)\n`);
    },
    // With a progress bar on the terminal a log line would land on the bar's line (Ctrl-C's
    // "stopping…", a mid-epoch checkpoint): clear that line first; the bar redraws below.
    console: { write: (s: string) => io.err.write(barOn ? `\r\x1b[K${s}` : s) },
  });
  // A reader that quits (`| tee` killed by the same Ctrl-C) must not take the run down before
  // its checkpoint; the file log goes on.
  const consoleGone = (e: Error): void => {
    logger.warn(`console output closed (${(e as { code?: string }).code ?? e.message}); training goes on${cfg.log.file === null ? '' : `, logging to ${cfg.log.file}`}`);
  };
  const unguard = [ignoreClosedOutput(io.err, consoleGone), ignoreClosedOutput(io.out, consoleGone)];
  if (lock.right.tookOver !== undefined) logger.warn(`run directory lock taken over from ${lock.right.tookOver}`);
  const outputs = ['checkpoints/', ...(cfg.log.file === null ? [] : [cfg.log.file]), ...(cfg.tensorboard ? ['tensorboard/'] : []), ...(cfg.charts ? ['plot.png, lr.png', CHART_HISTORY_FILE] : [])];
  const stop = new AbortController();
  let stoppedBy: StopSignal | undefined;
  let server: TelemetryServer | undefined;
  // Ends the telemetry stream alone (with an error) when a second signal quits at once.
  const serverEnd = new Subject<never>();
  let quitting = false;
  // Once the run is over and the server goes on serving it (telemetry.linger): 'closing' after
  // a signal ended that wait.
  let lingering: 'no' | 'yes' | 'closing' = 'no';
  // The newest complete checkpoint, for the line a second Ctrl-C leaves behind.
  let lastCheckpoint: string | undefined;
  // Where training is, for the line the first stop signal logs (see stopNotice).
  let progress: StopProgress = { step: 0, stepSeconds: undefined, checkpointStep: undefined, validating: false };
  // When the current step began, as near as the events tell: the previous step's report.
  let stepSince = Date.now();
  // The run's checkpoint store once open: closed at the end, and asked by a stop what it writes.
  let openStore: CheckpointStore | undefined;
  const unhook = (io.onStopSignal ?? processStopSignal)((signal) => {
    if (lingering !== 'no') {
      // Training is over and saved: a signal now only ends the wait for late monitors (the
      // server then closes within its grace of a few seconds; another signal changes nothing).
      if (lingering === 'yes') logger.info('telemetry: no longer serving the finished run');
      lingering = 'closing';
      void server?.shutdown();
      return;
    }
    if (stoppedBy === undefined) {
      stoppedBy = signal;
      // What the store is writing, if anything: no event says that a save began (a step's save
      // follows no BatchEnd of its own when they are throttled).
      const savingStep = openStore?.writing?.step;
      logger.warn(stopNotice(signal, { ...progress, savingStep, runningSeconds: began ? (Date.now() - stepSince) / 1000 : undefined }));
      stop.abort();
    } else if (signal === 'SIGHUP') {
      // A hangup reaches a process more than once (the terminal, then the shell passing it on to
      // its jobs), and nobody is there to have asked: never a request to quit at once.
      return;
    } else {
      const code = stopExitCode(signal);
      if (!began) {
        // A start that was cut short is a start that failed: nothing of it is kept, as in the
        // finally below, but synchronously, since process.exit runs no finally.
        logger.error(`quitting at once (exit ${code}) before training began: ${startUndone(runDir, createdDir)}`);
        logger.close();
        undoStart();
        process.exit(code);
      }
      if (quitting) process.exit(code);
      quitting = true;
      const where = lastCheckpoint === undefined ? 'this run has no checkpoint yet, so the next one starts afresh' : `the last checkpoint is ${lastCheckpoint}, where the next run resumes`;
      logger.error(`quitting at once (exit ${code}): the checkpoint of the current step is not written; ${where}`);
      logger.close();
      if (server === undefined || server.subscribers === 0) process.exit(code);
      // A monitor watching would see the connection drop and retry for ever, "is training
      // running?": its stream ends first, saying why (within a second; another signal: at once).
      serverEnd.error(new Error(`quit at once by a second ${signal === 'SIGINT' ? 'Ctrl-C' : signal} (exit ${code}), without a checkpoint of the current step; ${where}`));
      void Promise.race([server.shutdown(), new Promise((r) => setTimeout(r, 1000))]).then(() => process.exit(code));
    }
  });
  let trainingFailed = false;
  try {
    // The server first: a port in use or bad TLS files should fail in a second, not after the
    // backend and the data have loaded.
    const runId = path.basename(runDir);
    const bus = new Subject<TrainEvent>();
    const lingerMs = cfg.telemetry.linger === 0 ? 0 : (parseDuration(cfg.telemetry.linger) ?? 0);
    server = await startTelemetryServer(merge(bus, serverEnd), { runId, ...listen.right, ...(tlsPem === undefined ? {} : { tls: tlsPem }), lingerAfterEndMs: lingerMs });
    // Said once the telemetry setting has proved usable: a start it refuses writes nothing.
    logger.info(`run directory ${runDir}: ${outputs.join(', ')}`);
    announced = true;
    if (server.address !== 'off') {
      // The command a monitor on another machine runs: "rxtrain monitor 0.0.0.0:PORT" reached
      // nothing there, and left out the --ca, --server-name and token that a TLS server needs.
      const cert = listen.right.tls?.cert;
      logger.info(`telemetry: ${monitorHint({
        address: server.address,
        hostname: os.hostname(),
        token: listen.right.token !== undefined,
        ...(cert === undefined || tlsPem === undefined ? {} : { tls: { certPath: typeof cert === 'string' ? cert : 'cert.pem', certPem: tlsPem.cert } }),
      })}`);
    }
    const backend = await initBackend({ prefer: cfg.backend === 'auto' ? 'auto' : (cfg.backend as BackendName), preferSource: '--backend, or "backend" in the config' });
    // The count the run trains on, resolved here so that its identity records it ("auto" used
    // to be recorded as 0, which matched any count), and createTrainer builds that many.
    const replicas = resolveReplicas(cfg.replicas === 0 ? 'auto' : cfg.replicas, backend.name);
    for (const a of backend.attempts) logger.debug(`backend ${a.name} (${a.package}) not used: ${a.error}`);
    // Whether the native kernels run decides the speed by 2-4x, so it is said at info level.
    for (const n of backend.notes) (n.startsWith('native kernels') ? logger.info : logger.debug)(`backend: ${n}`);
    // A resume goes on with the data its checkpoint trained on: record files made since a run on
    // the image files (or left unread with --no-records) are not read unless asked for, and that
    // is refused, saying why; and with the --init-from spelling its run started with. Only the
    // header is read: an AlexNet checkpoint is 470 MB.
    const latest = recordsGiven && cfg.initFrom === null ? undefined : await latestCheckpointHeader(path.join(runDir, 'checkpoints'));
    const imageFiles = recordsGiven ? undefined : imageFilesOfResume(cfg.data, latest);
    const runCfg = imageFiles === undefined ? cfg : { ...cfg, data: { ...cfg.data, records: false } };
    if (imageFiles !== undefined) {
      const { checkpoint, unread } = imageFiles;
      const one = unread.length === 1;
      logger.info(
        `resuming on the image files, as the checkpoint ${shownPath(checkpoint)} was trained: ${unread.join(' and ')} ${one ? 'is' : 'are'} not read ` +
          `(${one ? 'it holds' : 'they hold'} the pixels before JPEG compression, not the ones trained on; --records would be refused: train on ${one ? 'it' : 'them'} in a new --run-dir)`,
      );
    }
    const datasets = await openDatasets(runCfg);
    for (const n of datasets.notes) logger.info(n);
    // Top-5 of 5 classes or fewer is always 100 %: monitoring it would never see an improvement,
    // stop after `patience` epochs and keep the first epoch as the best.
    if (cfg.earlyStopping.enabled && cfg.earlyStopping.monitor === 'valTop5Accuracy' && datasets.classes.length <= TOP_K) {
      await datasets.close();
      throw new Error(`earlyStopping.monitor valTop5Accuracy needs more than ${TOP_K} classes, and the data has ${datasets.classes.length} (every image is in their top ${TOP_K}): monitor valAccuracy instead`);
    }
    const validates = (datasets.tenCrop?.source ?? datasets.val) !== undefined;
    if (cfg.earlyStopping.enabled && !validates) {
      if (cfg.earlyStopping.monitor === 'valAccuracy' || cfg.earlyStopping.monitor === 'valTop5Accuracy') {
        await datasets.close();
        throw new Error(`earlyStopping.monitor ${cfg.earlyStopping.monitor} needs validation data, and this run has none (no --val / data.val, and no val split in ${shownPath(cfg.data.train)}): give it some, or monitor valLoss or trainLoss`);
      }
      if (cfg.earlyStopping.monitor === 'valLoss') logger.info('early stopping follows the training loss: this run has no validation data');
    }
    let store: CheckpointStore;
    try {
      store = await openCheckpointStore(path.join(runDir, 'checkpoints'), { keepLast: cfg.checkpoint.keepLast, keepBest: cfg.checkpoint.keepBest });
    } catch (e) {
      await datasets.close();
      if (!(e instanceof CheckpointFolderInUseError)) throw e;
      // Taken since lockRunDir looked (a script opening it from code): the folder, and what the
      // other process keeps there, are not this start's to remove.
      checkpointsTaken = true;
      throw new Error(checkpointFolderRefusal(runDir, e.holder, e.elsewhere));
    }
    openStore = store;
    // A kill -9 leaves both locks: the run directory's line above already named that process.
    const storeTakeover = store.lockTakeover;
    const runHolder = lock.right.takeover?.holder;
    const sameProcess = runHolder !== undefined && storeTakeover?.holder?.pid === runHolder.pid && storeTakeover.holder.host === runHolder.host;
    if (storeTakeover !== undefined && !sameProcess) logger.warn(`checkpoint folder lock taken over from ${describeTakeover(storeTakeover)}`);
    if (cfg.ema.decay > 0) {
      logger.info(`weight EMA: decay ${cfg.ema.decay} per step, folded in every ${cfg.ema.everySteps} step(s); validation, the best checkpoint and evaluate use the average`);
    }

    // One spec for the trainer and the TensorBoard graph, so the Graphs tab shows what trains.
    const spec = networkSpecOf({ model: cfg.model.name, numClasses: datasets.classes.length, inputShape: datasets.inputShape, dropout: cfg.model.dropout });
    const recordedSource = recordedInitFrom(latest?.header);
    const identity = runIdentity({ ...runCfg, replicas }, datasets.fingerprint, {
      ...(imageFiles === undefined ? {} : { imageFilesAsIn: shownPath(imageFiles.checkpoint) }),
      ...(recordedSource === undefined ? {} : { recordedInitFrom: recordedSource }),
    });
    // The identity keeps the spelling of the run's start (so that another spelling of the same
    // source resumes later too), and so matches: what changed about the source is said here.
    const keptSource = (identity.config as { initFrom?: unknown }).initFrom;
    const sourceNow = cfg.initFrom === null ? undefined : canonicalInitSource(cfg.initFrom);
    if (sourceNow !== undefined && keptSource === recordedSource && keptSource !== sourceNow) {
      logger.warn(
        `--init-from ${cfg.initFrom} resolves to ${sourceNow} now, not to ${String(keptSource)} as when the run started (its source run went on, or is gone): ` +
          'resuming, since it is not read again (the run\'s own checkpoint holds the weights it took)',
      );
    }
    const events$ = train({
      setup: async () => {
        let trainer: Trainer;
        try {
          trainer = await createTrainer({
            model: spec,
            seed: cfg.seed,
            optimizer: cfg.optimizer,
            labelSmoothing: cfg.labelSmoothing,
            backend: backend.name as BackendName,
            replicas,
            balance: cfg.balance,
            // A cpu step is synchronous JavaScript lasting seconds to minutes; on this thread it
            // would hold Ctrl-C back until it ends. In a worker this thread stays free for it.
            worker: backend.name === 'cpu',
          });
          for (const w of replicaWarnings({ replicas: trainer.replicas, batchSize: cfg.batchSize, cores })) logger.warn(w);
        } catch (e) {
          await datasets.close();
          throw e;
        }
        return {
          trainer,
          train: datasets.train,
          ...(datasets.val === undefined ? {} : { val: datasets.val }),
          ...(datasets.tenCrop === undefined ? {} : { tenCrop: datasets.tenCrop }),
          valFlip: cfg.valFlip,
          skipped: datasets.skipped,
        };
      },
      epochs: cfg.epochs,
      maxTrainingMs: cfg.maxTime === null ? null : (parseDuration(cfg.maxTime) ?? null),
      seed: cfg.seed,
      lr: cfg.optimizer.lr,
      scheduler: cfg.scheduler.name === 'none' ? null : cfg.scheduler,
      earlyStopping: cfg.earlyStopping.enabled ? cfg.earlyStopping : null,
      ema: cfg.ema.decay > 0 ? cfg.ema : null,
      checkpoints: { store, everyEpochs: cfg.checkpoint.everyEpochs, everySteps: cfg.checkpoint.everySteps },
      // Data paths say where the data is; the fingerprint says what it is. A moved project resumes.
      identity: {
        ...identity,
        relocatable: ['config.data.train', 'config.data.val'],
        changes: [...(identity.changes ?? []), ...replicaChangeRules(replicas, cfg.balance, cfg.allowReplicaChange)],
      },
      inference: datasets.inference,
      ...(cfg.initFrom === null ? {} : { initFrom: () => loadInitWeights(cfg.initFrom as string, cfg.initWeights, datasets.inference, logger) }),
      // TrainBegin goes to logs, TensorBoard and monitors: never the token itself.
      config: { ...runCfg, telemetry: { ...cfg.telemetry, token: cfg.telemetry.token === null ? null : '(set)' } },
      runId,
      batchEvents: { perSec: cfg.progress.batchEventsPerSec, everyBatches: cfg.progress.everyBatches },
      signal: stop.signal,
    });

    const sinks: EventSink[] = [];
    // The progress sink goes first so its bar is cleared before the logger prints the epoch line.
    if (cfg.progress.bar !== 'off') sinks.push(trainProgress({ stream: io.err, bar: barOn }));
    sinks.push(eventLogger(logger));
    if (cfg.tensorboard) sinks.push(tensorBoardWriter(path.join(runDir, 'tensorboard'), { graph: graphFromNetworkSpec(spec) }));
    if (cfg.charts) sinks.push(chartWriter(runDir, { title: runId }));
    const shared = bus.asObservable();
    let outcome: TrainEvent | undefined;
    let trainingError: unknown;
    // One output that cannot write (TensorBoard on a full disk, charts into a folder that is a
    // file) must not take the others down with it: merged, its error would unsubscribe the
    // logger, and the run would go on for hours without a line on the console or in the log.
    const guard = (sink$: Observable<never>): Observable<never> =>
      sink$.pipe(
        catchError((err: unknown) => {
          if (err !== trainingError) {
            outputFailed = true;
            logger.error(`${err instanceof Error ? err.message : String(err)}; training goes on without this output`);
          }
          return EMPTY;
        }),
      );
    const done = lastValueFrom(merge(...sinks.map((s) => guard(s(shared)))), { defaultValue: undefined });
    const trained = new Promise<void>((resolve, reject) =>
      events$.subscribe({
        next: (e) => {
          if (e.kind === 'TrainEnd') outcome = e;
          if (e.kind === 'TrainBegin') began = true;
          if (e.kind === 'TrainBegin' && e.resumedFrom !== undefined) lastCheckpoint = e.resumedFrom;
          if (e.kind === 'CheckpointSaved') lastCheckpoint = e.path;
          if (e.kind === 'TrainBegin' || e.kind === 'EpochBegin' || e.kind === 'BatchEnd') stepSince = Date.now();
          progress = followStopProgress(progress, e);
          bus.next(e);
        },
        error: (err: unknown) => {
          trainingError = err;
          bus.error(err);
          reject(err);
        },
        complete: () => {
          bus.complete();
          // The server's stream merges this one in: it ends only once both have.
          serverEnd.complete();
          resolve();
        },
      }),
    );
    // Let the sinks flush their files even when training failed, then report the failure.
    const [t1, t2] = await Promise.allSettled([trained, done]);
    if (t1.status === 'rejected') {
      trainingFailed = true;
      throw t1.reason;
    }
    if (t2.status === 'rejected') throw t2.reason;
    let code: number;
    if (outputFailed) {
      logger.error('training finished, but some of its outputs could not be written (see above)');
      code = TRAIN_EXIT.FAILED;
    } else {
      // Charts are drawn at the end of an epoch: a run stopped (or out of budget) inside its first has none.
      const charts = [path.join(runDir, 'plot.png'), path.join(runDir, 'lr.png')].filter((f) => fs.existsSync(f));
      if (cfg.charts && charts.length > 0) logger.info(`charts: ${charts.join(', ')}`);
      // A stop with no checkpoint to resume from (none made yet) has no next step to offer.
      if (outcome?.kind === 'TrainEnd' && (outcome.reason !== 'stopped' || lastCheckpoint !== undefined)) logger.info(nextStepHint(outcome, shownPath(runDir)));
      code = outcome?.kind === 'TrainEnd' && outcome.reason === 'stopped' ? stopExitCode(stoppedBy ?? 'SIGINT') : TRAIN_EXIT.OK;
    }
    if (lingerMs > 0 && server.address !== 'off') {
      // A run stopped by Ctrl-C or SIGTERM was asked to end: it does not wait for monitors.
      if (stoppedBy !== undefined) void server.shutdown();
      else {
        lingering = 'yes';
        logger.info(`telemetry: the run is over; serving it at ${server.address} for up to ${cfg.telemetry.linger} more to a monitor that connects now (until its monitors have the end; Ctrl-C: exit now)`);
      }
    }
    await server.closed;
    return code;
  } catch (e) {
    if (e instanceof TelemetrySettingError) {
      // A --telemetry that cannot serve here (port in use, not this machine's address) is a bad
      // setting, refused as the checks before the run directory refuse theirs: exit 2, one line
      // on stderr and none in the run's log, and what this start created is removed below.
      io.err.write(`rxtrain train: ${e.message}\n`);
      return TRAIN_EXIT.USAGE;
    }
    // A failure of the training stream itself was already logged by the event logger.
    if (!trainingFailed) logger.error(e instanceof Error ? e.message : String(e));
    await server?.shutdown();
    return TRAIN_EXIT.FAILED;
  } finally {
    unhook();
    // The first line named a run directory and what goes there: a start that failed before
    // training takes them away again, and says so (else the folder named is not there).
    if (!began && announced) logger.info(startUndone(runDir, createdDir));
    logger.close();
    // Before the run directory's lock: its folder is free only when both are.
    openStore?.close?.();
    if (began) lock.right.release();
    else undoStart();
    // A failed write reports its error a tick later: keep listening until those have come in.
    setImmediate(() => {
      for (const u of unguard) u();
    });
  }
}
