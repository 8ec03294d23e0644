import type { SkipReason } from '../streams/Skip';
import type { EpochRecord } from './EpochRecord';

/**
 * Fields every training event carries, so each subscriber (logger, TensorBoard writer,
 * gRPC server) can place it without keeping state of its own.
 *
 * @example
 * ```ts
 * const { time, epoch, step }: EventBase = event;
 * ```
 */
export interface EventBase {
  /** Wall-clock time the event was emitted, ms since the Unix epoch. */
  readonly time: number;
  /** 0-based epoch the event belongs to. */
  readonly epoch: number;
  /** Global optimisation step (batches trained since the run began, across resumes). */
  readonly step: number;
}

/**
 * The `runId` of a run started without a name (`train()` without `runId`). Text for people
 * leaves it out, `starting run: 5 epochs × 10 steps, …` rather than `starting run run: …` in
 * the log, `training on wasm: …` in `rxtrain monitor`'s lines, `**run** started` in
 * TensorBoard's run text (as for a run named `run`, e.g. `rxtrain train --run-dir run`); the
 * events and telemetry carry it as it is.
 *
 * @example
 * ```ts
 * const named = begin.runId !== DEFAULT_RUN_ID;
 * ```
 */
export const DEFAULT_RUN_ID = 'run';

/**
 * Training is starting (or resuming).
 *
 * @example
 * ```ts
 * events$.pipe(filter(isEvent('TrainBegin'))).subscribe((e) => console.log(e.step));
 * ```
 */
export interface TrainBegin extends EventBase {
  readonly kind: 'TrainBegin';
  /** The run's name: the run directory's for `rxtrain train`, `train()`'s `runId`, else {@link DEFAULT_RUN_ID}. */
  readonly runId: string;
  /** Resolved tfjs backend name, e.g. `wasm`, `tensorflow`, `cpu`. */
  readonly backend: string;
  /** Threads per replica the backend uses. */
  readonly threads: number;
  /** Data-parallel replicas (1 = single process). */
  readonly replicas: number;
  readonly epochs: number;
  readonly stepsPerEpoch: number;
  /** The decoded config, as JSON, for monitors that want to display it. */
  readonly config: unknown;
  /** Path of the checkpoint resumed from, if any. */
  readonly resumedFrom?: string;
  /**
   * A resumed run's completed epochs, as the checkpoint recorded them (without their own
   * times and steps): lets a sink fill in what a kill kept it from writing (see
   * `tensorBoardWriter`), and a monitor started after the restart show them. Over gRPC as
   * `TrainBegin.history` (the latest `TRAIN_BEGIN_HISTORY_MAX` epochs); absent from a server
   * before that field.
   */
  readonly history?: readonly EpochRecord[];
  /**
   * A new run started from another run's weights (`TrainOptions.initFrom`, `--init-from`): what
   * was taken. Absent otherwise, also when such a run resumes (its own checkpoint holds the
   * weights then). Over gRPC as `TrainBegin.initialised_from` (absent from servers before that field).
   */
  readonly initialisedFrom?: InitialisedFrom;
}

/**
 * What a run started from another run's weights took: the checkpoint, its step and which of its
 * weights (`ema` or `trained`; `unknown` only from gRPC, for a value this version does not know),
 * how many of the model's weight tensors (BatchNorm statistics included) it set, out of how many,
 * and the ones left freshly initialised, one label each (`fc8/kernel [4096,257] vs [4096,10]`:
 * the checkpoint's shape, then the model's). Over gRPC `fresh` lists at most the first
 * `INITIALISED_FRESH_MAX` and `freshMore` counts the rest.
 *
 * @example
 * ```ts
 * const i: InitialisedFrom = { path: 'runs/a/checkpoints/best.rxckpt', step: 938, weights: 'trained', taken: 14, total: 16, fresh: ['fc8/kernel [4096,257] vs [4096,10]', 'fc8/bias [257] vs [10]'] };
 * ```
 */
export interface InitialisedFrom {
  readonly path: string;
  readonly step: number;
  readonly weights: 'ema' | 'trained' | 'unknown';
  readonly taken: number;
  readonly total: number;
  readonly fresh: readonly string[];
  /** Tensors left fresh that `fresh` does not list (from gRPC, whose list is capped); absent when it lists them all. */
  readonly freshMore?: number;
}

/**
 * An epoch starts.
 *
 * @example
 * ```ts
 * events$.pipe(filter(isEvent('EpochBegin'))).subscribe((e) => console.log(e.step));
 * ```
 */
export interface EpochBegin extends EventBase {
  readonly kind: 'EpochBegin';
  readonly lr: number;
  readonly steps: number;
  /** The first batch of this epoch: 0, or where a resumed run continues a half-done epoch. */
  readonly startBatch: number;
}

/**
 * A training batch finished (throttled: not necessarily every batch). The epoch's last one is
 * always sent, with `lastOfEpoch`: its data ran out at `batch`, which is before the planned
 * `EpochBegin.steps` when skipped samples shortened the epoch; validation and `EpochEnd` follow.
 *
 * @example
 * ```ts
 * events$.pipe(filter(isEvent('BatchEnd'))).subscribe((e) => console.log(e.step));
 * ```
 */
export interface BatchEnd extends EventBase {
  readonly kind: 'BatchEnd';
  /** 0-based batch index within the epoch. */
  readonly batch: number;
  readonly batchSize: number;
  readonly loss: number;
  readonly accuracy: number;
  /**
   * Training images a second over the batches since the previous BatchEnd, leaving out a short
   * batch (an epoch's leftover images, fewer than a full batch for a full step's fixed costs): a
   * BatchEnd of only that batch repeats the previous one's rate, so that the rate does not dip at
   * every epoch's end.
   */
  readonly imagesPerSec: number;
  /**
   * True on the epoch's last BatchEnd, absent on the others (and from servers before the
   * field): the epoch trained `batch + 1` batches, so progress can show it done before its
   * validation ends, also when that is fewer than planned.
   */
  readonly lastOfEpoch?: boolean;
}

/**
 * The epoch's validation pass goes on (10-crop validation included): sent as it starts, with
 * `batchesDone` 0, so that progress displays switch to it at once, then throttled as BatchEnd
 * is (at most `perSec` a second, or every `everyBatches` batches), and never after the pass
 * ends: its figures come with the epoch's `EpochEnd`.
 *
 * @example
 * ```ts
 * events$.pipe(filter(isEvent('ValidationProgress'))).subscribe((e) => console.log(e.batchesDone, e.batches));
 * ```
 */
export interface ValidationProgress extends EventBase {
  readonly kind: 'ValidationProgress';
  /** Validation batches scored so far in this pass (0 as it starts). */
  readonly batchesDone: number;
  /**
   * The pass's planned batches, counted from the files before any is skipped (so the pass may
   * end before them). Absent when the source does not say, and once `batchesDone` has passed
   * it (a source whose count was short): progress never reads `12/10`.
   */
  readonly batches?: number;
  /** Validation images scored so far (with 10-crop, images, not crops). */
  readonly images: number;
}

/**
 * An epoch finished, with its train and (if run) validation metrics. `valTop5Accuracy` (the
 * share of validation images whose true class is among the 5 most probable) comes with the
 * validation metrics when the model has more than 5 classes, from the same validation pass.
 *
 * @example
 * ```ts
 * events$.pipe(filter(isEvent('EpochEnd'))).subscribe((e) => console.log(e.step));
 * ```
 */
export interface EpochEnd extends EventBase {
  readonly kind: 'EpochEnd';
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly valLoss?: number;
  readonly valAccuracy?: number;
  readonly valTop5Accuracy?: number;
  readonly lr: number;
  /** Wall-clock time of the epoch, validation included (a resumed epoch's earlier part too). */
  readonly durationMs: number;
  /**
   * Training images a second over the epoch: the images trained over the time they took,
   * validation left out. A resumed run's first epoch counts only what this process trained
   * (the batches after the resume point, over the time since it resumed), not what the earlier
   * process did. Absent when this process trained none of the epoch's images (resumed at its
   * very end), and from servers before the field.
   */
  readonly imagesPerSec?: number;
}

/**
 * The learning-rate scheduler changed the rate.
 *
 * @example
 * ```ts
 * events$.pipe(filter(isEvent('LrChanged'))).subscribe((e) => console.log(e.step));
 * ```
 */
export interface LrChanged extends EventBase {
  readonly kind: 'LrChanged';
  readonly from: number;
  readonly to: number;
}

/**
 * A checkpoint was written atomically.
 *
 * @example
 * ```ts
 * events$.pipe(filter(isEvent('CheckpointSaved'))).subscribe((e) => console.log(e.step));
 * ```
 */
export interface CheckpointSaved extends EventBase {
  readonly kind: 'CheckpointSaved';
  readonly path: string;
  /** True when this checkpoint is the best so far by the monitored metric. */
  readonly best: boolean;
}

/**
 * An input sample was left out; training goes on. `train()` reports each file once per run (the
 * first time the listing, an epoch or validation meets it), not again in later epochs; a
 * resumed run reports it once more. `message` is one line.
 *
 * @example
 * ```ts
 * events$.pipe(filter(isEvent('SampleSkipped'))).subscribe((e) => console.log(e.step));
 * ```
 */
export interface SampleSkipped extends EventBase {
  readonly kind: 'SampleSkipped';
  readonly path: string;
  readonly reason: SkipReason;
  readonly message: string;
}

/**
 * Early stopping ended training before the configured epochs.
 *
 * @example
 * ```ts
 * events$.pipe(filter(isEvent('EarlyStop'))).subscribe((e) => console.log(e.step));
 * ```
 */
export interface EarlyStop extends EventBase {
  readonly kind: 'EarlyStop';
  readonly reason: string;
}

/**
 * Training ended: the last event of a stream that completes normally.
 *
 * @example
 * ```ts
 * events$.pipe(filter(isEvent('TrainEnd'))).subscribe((e) => console.log(e.step));
 * ```
 */
export interface TrainEnd extends EventBase {
  readonly kind: 'TrainEnd';
  readonly reason: 'completed' | 'early-stop' | 'stopped' | 'time-limit';
  readonly durationMs: number;
}

/**
 * Something went wrong; `fatal` errors end the stream right after.
 *
 * @example
 * ```ts
 * events$.pipe(filter(isEvent('Error'))).subscribe((e) => console.log(e.step));
 * ```
 */
export interface TrainError extends EventBase {
  readonly kind: 'Error';
  readonly message: string;
  readonly fatal: boolean;
}

/**
 * Everything a training run reports, as one tagged union named after the training
 * lifecycle. `train(...)` returns `Observable<TrainEvent>`; the logger, the TensorBoard
 * writer and the gRPC server are each just a subscriber.
 *
 * @example
 * ```ts
 * events$.subscribe((e) => {
 *   if (e.kind === 'EpochEnd') console.log(e.epoch, e.valAccuracy);
 * });
 * ```
 */
export type TrainEvent =
  | TrainBegin
  | EpochBegin
  | BatchEnd
  | ValidationProgress
  | EpochEnd
  | LrChanged
  | CheckpointSaved
  | SampleSkipped
  | EarlyStop
  | TrainEnd
  | TrainError;

/**
 * The `kind` tags of {@link TrainEvent}, e.g. for filtering subscriptions.
 *
 * @example
 * ```ts
 * const k: TrainEventKind = 'EpochEnd';
 * ```
 */
export type TrainEventKind = TrainEvent['kind'];

/**
 * All event kinds, in lifecycle order.
 *
 * @example
 * ```ts
 * TRAIN_EVENT_KINDS.includes('BatchEnd'); // true
 * ```
 */
export const TRAIN_EVENT_KINDS: readonly TrainEventKind[] = [
  'TrainBegin',
  'EpochBegin',
  'BatchEnd',
  'ValidationProgress',
  'EpochEnd',
  'LrChanged',
  'CheckpointSaved',
  'SampleSkipped',
  'EarlyStop',
  'TrainEnd',
  'Error',
];

/**
 * Narrows an event stream to one kind, for subscribers that care about a single kind.
 *
 * @example
 * ```ts
 * events$.pipe(filter(isEvent('EpochEnd'))).subscribe((e) => console.log(e.trainLoss));
 * ```
 */
export function isEvent<K extends TrainEventKind>(kind: K) {
  return (e: TrainEvent): e is Extract<TrainEvent, { kind: K }> => e.kind === kind;
}
