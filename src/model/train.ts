import * as path from 'node:path';
import { Observable, type Subscriber } from 'rxjs';
import { createRng, restoreRng, type Rng } from '../ops/Rng';
import type { BatchItem, BatchSource } from '../streams/BatchSource';
import type { Skip } from '../streams/Skip';
import { DEFAULT_RUN_ID, type InitialisedFrom, type TrainEnd, type TrainEvent } from '../telemetry/TrainEvent';
import { hashIdentity, matchIdentity, type AcceptedChange, type Checkpoint, type EpochAccumulator, type IdentityPart, type RunIdentity } from './Checkpoint';
import type { CheckpointStore } from './CheckpointStore';
import { cutOffWriteNotice } from './cutOffWriteNotice';
import type { EpochRecord } from '../telemetry/EpochRecord';
import { lrScheduler, type SchedulerOptions, type SchedulerState } from './LrScheduler';
import { evaluateSource } from './evaluateSource';
import { LabelOutOfRangeError } from './LabelOutOfRangeError';
import type { InferenceInfo } from './InferenceInfo';
import type { InitWeights } from './InitWeights';
import { freshLabel, mergeInitWeights } from './mergeInitWeights';
import type { Trainer } from './Trainer';
import { updateWeightEma, type WeightEma } from './WeightEma';

/**
 * What {@link train} trains with. The loop owns all of it: when training ends for any reason
 * (completion, error, stop, unsubscribe) it closes the sources, disposes the trainer and
 * calls `close`.
 *
 * @example
 * ```ts
 * const setup = async (): Promise<TrainSetup> => ({ trainer: await createTrainer(opts), train: trainSource, val: valSource });
 * ```
 */
export interface TrainSetup {
  readonly trainer: Trainer;
  readonly train: BatchSource;
  /** Centre-crop validation batches; omitted = no validation pass. */
  readonly val?: BatchSource | undefined;
  /** 10-crop validation instead of `val`: uncropped images, cut into crops of `cropSize`. */
  readonly tenCrop?: { readonly source: BatchSource; readonly cropSize: number } | undefined;
  /** Score each `val` image and its mirror image (averaged log-probabilities); ignored with `tenCrop`. */
  readonly valFlip?: boolean | undefined;
  /** Files left out while listing the data (reported as SampleSkipped right after TrainBegin). */
  readonly skipped?: readonly Skip[] | undefined;
  /** Frees anything else the setup made (worker pools, stores). */
  readonly close?: (() => Promise<void>) | undefined;
}

/**
 * Which metric early stopping and "best checkpoint" follow.
 *
 * @example
 * ```ts
 * const m: MonitoredMetric = 'valLoss';
 * ```
 */
export type MonitoredMetric = 'valLoss' | 'valAccuracy' | 'valTop5Accuracy' | 'trainLoss';

/**
 * Options of {@link train}.
 *
 * @example
 * ```ts
 * const opts: TrainOptions = { setup, epochs: 10, seed: 1, lr: 0.01 };
 * ```
 */
export interface TrainOptions {
  /** Called on subscribe: builds trainer and sources (cold observable). */
  readonly setup: () => Promise<TrainSetup>;
  readonly epochs: number;
  /** Drives the per-step seeds (dropout); data order is the BatchSource's own (seeded) business. */
  readonly seed: number;
  /** Initial learning rate (a resumed run continues with its checkpointed one). */
  readonly lr: number;
  /**
   * The lr schedule, stepped after each epoch: ReduceLROnPlateau on the validation loss
   * (training loss without validation) or CosineAnnealingLR over the epochs or the time
   * budget; null = constant lr.
   */
  readonly scheduler?: SchedulerOptions | null | undefined;
  /**
   * Early stopping on `monitor`, which the best checkpoint then follows too. `valTop5Accuracy`
   * exists only with more than 5 classes: with fewer it is never measured, so it never improves.
   * Without validation data `valLoss` follows the training loss (as the scheduler does), and
   * `valAccuracy` / `valTop5Accuracy` error the stream at the first epoch's end.
   */
  readonly earlyStopping?: { readonly monitor: MonitoredMetric; readonly patience: number; readonly minDelta: number } | null | undefined;
  /**
   * Where and how often to checkpoint; a run with a checkpoint in the store resumes from it.
   * `everySteps` (0: off) also saves every that many steps, so that a kill loses at most that
   * many: once the next batch is at hand, or, when the epoch's data ran out at that step, at the
   * epoch's end (off the `everyEpochs` cadence too), never twice with the same weights.
   */
  readonly checkpoints?: { readonly store: CheckpointStore; readonly everyEpochs: number; readonly everySteps: number } | null | undefined;
  /**
   * What a checkpoint must match to be resumed (config fields that change the maths, data
   * hashes). A difference that one of its `changes` rules accepts resumes, with a non-fatal
   * `Error` event (a warning) right after TrainBegin naming it, so the log records the change.
   */
  readonly identity?: RunIdentity | undefined;
  /** Class names and normalisation, stored in every checkpoint (scoring it without the training data). */
  readonly inference?: InferenceInfo | undefined;
  /** Shown in TrainBegin. */
  readonly config?: unknown;
  /**
   * Names the run in TrainBegin (logs, TensorBoard's run text, telemetry); default
   * `DEFAULT_RUN_ID` (`'run'`), which the log line leaves out (`starting run: …`).
   */
  readonly runId?: string | undefined;
  /** Threads per replica reported in TrainBegin; default `trainer.threads`. */
  readonly threads?: number | undefined;
  /**
   * BatchEnd throttle: at most `perSec` per second, or exactly every `everyBatches` if > 0; an
   * epoch's last batch is always sent, marked `lastOfEpoch`, also when skipped samples ended the
   * epoch early (so a BatchEnd the throttle lets through goes out once the next batch is at
   * hand, or the data has run out), and so is the last trained batch's before a stop's checkpoint.
   * ValidationProgress follows the same throttle over the validation batches (and is always sent
   * as the pass starts).
   */
  readonly batchEvents?: { readonly perSec: number; readonly everyBatches: number } | undefined;
  /**
   * Training-time budget in ms (null/undefined: none). Training time is the sum of the epochs'
   * durations (steps + validation, across resumes). The loop does not start an epoch that the
   * previous epoch's duration says would overrun it; if one overruns anyway it stops at the
   * first step past the budget. Either way with a checkpoint and TrainEnd `time-limit`.
   */
  readonly maxTrainingMs?: number | null | undefined;
  /**
   * Keep an exponential moving average of the weights (BatchNorm statistics included), folded in
   * every `everySteps` steps with `decay` per step (see {@link updateWeightEma}). When set,
   * validation scores the averaged weights, so EpochEnd's validation metrics, the scheduler,
   * early stopping and the best checkpoint all follow the average; training itself is unchanged.
   * Checkpoints carry the average, and a resumed run continues it. Null/undefined: none.
   */
  readonly ema?: { readonly decay: number; readonly everySteps: number } | null | undefined;
  /**
   * Fine-tuning: the weights a NEW run starts from (see `initWeightsOf`), called only when
   * there is no checkpoint to resume (a resumed run's weights are its own checkpoint's, so the
   * source is not needed again). Every weight tensor of the model (BatchNorm statistics
   * included) whose name and shape the source has takes its values; the others keep their fresh
   * initialisation (a last layer for another class count). Optimizer slots, epoch, step, the lr
   * schedule and the weight average start afresh. TrainBegin's `initialisedFrom` says what was
   * taken; a source of which nothing fits (another architecture) fails the run. Record the
   * source in `identity` (as `runIdentity` does with `initFrom`) to have a resume that names
   * another refused.
   */
  readonly initFrom?: (() => Promise<InitWeights>) | undefined;
  /**
   * Graceful stop (Ctrl-C): finish the current step, checkpoint, TrainEnd `stopped`, complete.
   * The stream completes only after the trainer is disposed and the sources are closed, so
   * awaiting it is how to wait for the release (an unsubscribe releases later, unawaitable).
   */
  readonly signal?: AbortSignal | undefined;
  /** Clock, injectable for tests. */
  readonly now?: (() => number) | undefined;
}

interface LoopState {
  epoch: number;
  batch: number;
  step: number;
  lr: number;
  rng: Rng;
  scheduler: SchedulerState | null;
  best: Checkpoint['best'];
  badEpochs: number;
  acc: EpochAccumulator;
  history: EpochRecord[];
  ema: WeightEma | null;
}

const EMPTY_ACC: EpochAccumulator = { lossSum: 0, correct: 0, count: 0, elapsedMs: 0 };

/** How a refusal names what differs: the settings, the data read, or both. */
const DIFFERENT: Record<IdentityPart, string> = { config: 'a different config', data: 'different data' };

/**
 * The training loop as a cold `Observable<TrainEvent>`. On subscribe it builds the trainer and
 * sources (`setup`), resumes from the newest usable checkpoint in `checkpoints.store` (refusing
 * one made with a different identity, naming the fields that differ; skipping a damaged one
 * with a non-fatal `Error` event), then per epoch pulls ONE batch per step from the
 * BatchSource, trains it with a seed drawn from a checkpointed RNG seeded by `seed` (so the
 * seed of step s is a function of (seed, s)), validates, steps the lr scheduler, checkpoints
 * and checks early stopping.
 *
 * Event order per epoch: EpochBegin, BatchEnd… (throttled, the epoch's last always sent, with
 * `lastOfEpoch`; a stop mid-epoch sends the last trained batch's before its checkpoint;
 * SampleSkipped as they come, once per file and subscription: a file skipped again in a later
 * epoch is not reported again),
 * ValidationProgress… (with validation data: as the pass starts, then throttled as BatchEnd),
 * EpochEnd, LrChanged?, CheckpointSaved?, EarlyStop?. The stream ends with TrainEnd and
 * completes, or on failure emits `Error` (fatal) and then errors with the same Error.
 * Unsubscribing stops at the next await without another step and releases everything, after
 * `unsubscribe()` has returned (the step under way ends first); `signal` stops gracefully with
 * a final checkpoint, and the stream completes once everything is released.
 *
 * @example
 * ```ts
 * train({ setup, epochs: 5, seed: 42, lr: 0.01 })
 *   .pipe(filter(isEvent('EpochEnd')))
 *   .subscribe((e) => console.log(e.epoch, e.trainLoss, e.valAccuracy));
 * ```
 */
export function train(opts: TrainOptions): Observable<TrainEvent> {
  if (!(Number.isInteger(opts.epochs) && opts.epochs > 0)) throw new RangeError(`epochs must be a positive integer, got ${opts.epochs}`);
  return new Observable<TrainEvent>((subscriber) => {
    const life = { closed: false };
    const dir = opts.checkpoints?.store.dir;
    const folder = dir === undefined ? undefined : path.resolve(dir);
    const earlier = folder === undefined ? undefined : runsByFolder.get(folder);
    if (earlier !== undefined && !earlier.life.closed) {
      // Each subscription is a run: sinks subscribed one by one to an unshared train(…) would
      // train the same run several times at once, into one checkpoint folder, without a word.
      const message = `train: ${dir} is the checkpoint folder of a run this process is training already: each subscription to train(…) starts a run of its own; `
        + 'share one run between subscribers with train(options).pipe(share()), or give another run another folder';
      subscriber.next({ kind: 'Error', time: (opts.now ?? Date.now)(), epoch: 0, step: 0, message, fatal: true });
      subscriber.error(new Error(message));
      return undefined;
    }
    // A run that was unsubscribed may still be winding down (the step under way, its release):
    // the next one on its folder waits for it rather than resume while it may still write.
    const ended = (earlier?.ended ?? Promise.resolve()).then(() => runLoop(opts, subscriber, life));
    if (folder !== undefined) {
      runsByFolder.set(folder, { life, ended: ended.catch(() => undefined) });
      void ended.catch(() => undefined).then(() => {
        if (runsByFolder.get(folder)?.life === life) runsByFolder.delete(folder);
      });
    }
    ended.then(
      () => {
        if (!life.closed) subscriber.complete();
      },
      (err: unknown) => {
        if (life.closed) return;
        const error = err instanceof Error ? err : new Error(String(err));
        subscriber.error(error);
      },
    );
    return () => {
      life.closed = true;
    };
  });
}

/** The runs of this process by checkpoint folder (resolved), until their loop has ended. */
const runsByFolder = new Map<string, { readonly life: { readonly closed: boolean }; readonly ended: Promise<void> }>();

async function runLoop(opts: TrainOptions, out: Subscriber<TrainEvent>, life: { closed: boolean }): Promise<void> {
  const now = opts.now ?? Date.now;
  const started = now();
  let setup: TrainSetup | undefined;
  let iterator: AsyncIterator<BatchItem> | undefined;
  // Events carry the cursor; `st` is set once the resume point is known.
  let st: LoopState | undefined;
  const emit = (e: TrainEvent): void => {
    if (!life.closed) out.next(e);
  };
  const base = () => ({ time: now(), epoch: st?.epoch ?? 0, step: st?.step ?? 0 });
  // A bad file is bad in every epoch: reporting it each time would repeat the same warning
  // epochs × files times and crowd real events out of the monitor's replay buffer. So each
  // path is reported once per subscription (listing, training and validation skips alike); a
  // resumed run is a new subscription and reports its bad files once more.
  const reported = new Set<string>();
  const reportSkip = (k: Skip): void => {
    if (reported.has(k.path)) return;
    reported.add(k.path);
    emit({ kind: 'SampleSkipped', ...base(), path: k.path, reason: k.reason, message: k.message });
  };
  try {
    setup = await opts.setup();
    if (life.closed) return;
    const { trainer, train: source } = setup;
    const identity: RunIdentity = opts.identity ?? { config: null, data: null };
    const identityHash = hashIdentity(identity);
    const scheduler = opts.scheduler === null || opts.scheduler === undefined ? undefined : lrScheduler(opts.scheduler);
    const emaOptions = opts.ema ?? null;
    if (emaOptions !== null) {
      const { decay, everySteps } = emaOptions;
      if (!(decay > 0 && decay < 1)) throw new RangeError(`ema.decay must be in (0, 1), got ${decay}`);
      if (!(Number.isInteger(everySteps) && everySteps > 0)) throw new RangeError(`ema.everySteps must be a positive integer, got ${everySteps}`);
    }

    let resumedFrom: string | undefined;
    // Differences from the checkpoint's identity that a rule accepted (a replica count changed
    // on request): reported once the resume point is known, so the warning names it.
    let changed: readonly AcceptedChange[] = [];
    const store = opts.checkpoints?.store;
    const fresh: LoopState = {
      epoch: 0,
      batch: 0,
      step: 0,
      lr: opts.lr,
      rng: createRng(opts.seed),
      scheduler: scheduler === undefined ? null : scheduler.initial(opts.lr),
      best: null,
      badEpochs: 0,
      acc: EMPTY_ACC,
      history: [],
      ema: null,
    };
    st = fresh;
    if (store !== undefined) {
      // A kill -9 while writing a checkpoint loses the steps since the previous one: said once,
      // with where training starts instead, rather than the temp file vanishing without a word.
      const warnCutOff = (resume: { readonly path: string; readonly step: number } | undefined): void => {
        const message = cutOffWriteNotice(store.removedTempFiles ?? [], resume);
        if (message !== undefined) emit({ kind: 'Error', ...base(), message, fatal: false });
      };
      const scan = await store.scan();
      for (const p of scan.problems) emit({ kind: 'Error', ...base(), message: p, fatal: false });
      // Starting afresh over a run whose checkpoints are all damaged would train it again from
      // scratch, restart its charts and prune the damaged files: the user decides that, not we.
      if (scan.latest === undefined && scan.problems.length > 0) {
        throw new Error(
          `refusing to start afresh: none of the ${scan.problems.length} checkpoint${scan.problems.length === 1 ? '' : 's'} in ${store.dir} is usable (see the warnings above).\n` +
            'Move or delete that folder (or use a new run directory) to start a new run.',
        );
      }
      if (scan.latest !== undefined) {
        const ck = scan.latest.checkpoint;
        const match = matchIdentity(ck.identity, ck.identityHash, identity);
        if (!match.ok) {
          throw new Error(
            `refusing to resume from ${scan.latest.path}: it was made with ${match.differs.map((p) => DIFFERENT[p]).join(' and ')}:\n  ${match.problems.join('\n  ')}\n` +
              'Use a new run directory (or delete this one) to start afresh.',
          );
        }
        changed = match.changed;
        // The identity normally covers the scheduler; this catches a checkpoint written by hand or by an older version.
        if (scheduler !== undefined && ck.scheduler !== null && !scheduler.owns(ck.scheduler)) {
          throw new Error(`refusing to resume from ${scan.latest.path}: its scheduler state is not ${scheduler.name}'s`);
        }
        // Before st moves on: the warning belongs to no position of this run (see eventLogger).
        warnCutOff({ path: scan.latest.path, step: ck.step });
        await resumeState(trainer, scan.latest.path, ck);
        if (life.closed) return;
        // A checkpoint at the start of an epoch whose previous epoch is the best was saved as
        // the best one; a kill between writing it and linking best.rxckpt leaves an older (or
        // no) best.rxckpt, which `rxtrain evaluate` would then score as the run's best.
        if (ck.batch === 0 && ck.best !== null && ck.best.epoch === ck.epoch - 1 && (await store.ensureBest?.(scan.latest)) === true) {
          emit({
            kind: 'Error',
            ...base(),
            message: `best.rxckpt did not hold the best checkpoint (the previous run stopped between saving and linking it); it is now ${scan.latest.path}`,
            fatal: false,
          });
        }
        resumedFrom = scan.latest.path;
        st = {
          epoch: ck.epoch,
          batch: ck.batch,
          step: ck.step,
          lr: ck.lr,
          rng: restoreRng(ck.rng),
          // A checkpoint of a run without a scheduler, resumed with one, starts the schedule here.
          scheduler: scheduler === undefined ? null : (ck.scheduler ?? scheduler.initial(ck.lr)),
          best: ck.best,
          badEpochs: ck.badEpochs,
          acc: ck.accumulator,
          history: [...ck.history],
          // A checkpoint without an average (made before the run kept one) starts it here.
          ema: emaOptions === null ? null : (ck.ema ?? null),
        };
      } else {
        warnCutOff(undefined);
      }
    }
    let initialisedFrom: InitialisedFrom | undefined;
    if (resumedFrom === undefined && opts.initFrom !== undefined) {
      initialisedFrom = await initialise(trainer, await opts.initFrom());
      if (life.closed) return;
    }
    const s = st;
    trainer.setLearningRate(s.lr);

    const snapshot = async (): Promise<Checkpoint> => ({
      epoch: s.epoch,
      batch: s.batch,
      step: s.step,
      seed: opts.seed,
      rng: s.rng.state(),
      lr: s.lr,
      scheduler: s.scheduler,
      best: s.best,
      badEpochs: s.badEpochs,
      accumulator: s.acc,
      history: s.history,
      identity,
      identityHash,
      ...(opts.inference === undefined ? {} : { inference: opts.inference }),
      trainer: await trainer.getState(),
      ...(s.ema === null ? {} : { ema: s.ema }),
    });
    // A resumed run's checkpoint already holds this cursor: stopping before a step writes nothing.
    let savedAt = resumedFrom === undefined ? '' : `${s.step}/${s.epoch}/${s.batch}`;
    const saveCheckpoint = async (best: boolean): Promise<void> => {
      const cursor = `${s.step}/${s.epoch}/${s.batch}`;
      // A stop right after an epoch-end save has nothing new to write.
      if (store === undefined || cursor === savedAt) return;
      savedAt = cursor;
      const file = await store.save(await snapshot(), { best });
      emit({ kind: 'CheckpointSaved', ...base(), path: file, best });
    };

    emit({
      kind: 'TrainBegin',
      ...base(),
      runId: opts.runId ?? DEFAULT_RUN_ID,
      backend: trainer.backend,
      threads: opts.threads ?? trainer.threads,
      replicas: trainer.replicas,
      epochs: opts.epochs,
      stepsPerEpoch: source.stepsPerEpoch,
      config: opts.config ?? null,
      ...(resumedFrom === undefined ? {} : { resumedFrom, history: [...s.history] }),
      ...(initialisedFrom === undefined ? {} : { initialisedFrom }),
    });

    // Said by what differs: data that changed under the same config is another matter to check.
    for (const c of changed) emit({ kind: 'Error', ...base(), message: `resuming with ${c.part === 'data' ? 'data' : 'a config'} that differs from the checkpoint's: ${c.line}`, fatal: false });
    for (const k of setup.skipped ?? []) reportSkip(k);

    const throttle = opts.batchEvents ?? { perSec: 10, everyBatches: 0 };
    const minGapMs = 1000 / throttle.perSec;
    // One throttle for the progress events (BatchEnd, ValidationProgress): every `everyBatches`
    // batches counted from 1, or at least `minGapMs` since the previous one of the kind.
    const progressDue = (done: number, t: number, lastAt: number): boolean =>
      throttle.everyBatches > 0 ? done % throttle.everyBatches === 0 : t - lastAt >= minGapMs;
    // The validation pass's progress: sent as it starts (so every display switches to it at
    // once), then throttled as BatchEnd is. The planned count is the source's, from the files
    // before any is skipped: a pass may end before it, and one that runs past it (a source
    // whose count was short) goes on without it rather than read 12/10.
    const validationProgress = (ready: TrainSetup): ((batchesDone: number, images: number) => void) | undefined => {
      const source = ready.tenCrop?.source ?? ready.val;
      if (source === undefined) return undefined;
      const planned = Number.isInteger(source.stepsPerEpoch) && source.stepsPerEpoch > 0 ? source.stepsPerEpoch : undefined;
      let lastAt = -Infinity;
      return (batchesDone, images) => {
        const t = now();
        if (batchesDone > 0 && !progressDue(batchesDone, t, lastAt)) return;
        lastAt = t;
        emit({ kind: 'ValidationProgress', ...base(), batchesDone, ...(planned !== undefined && batchesDone <= planned ? { batches: planned } : {}), images });
      };
    };
    const stopRequested = (): boolean => opts.signal?.aborted === true;
    const budget = opts.maxTrainingMs ?? null;
    const finish = (reason: TrainEnd['reason']): void =>
      emit({ kind: 'TrainEnd', ...base(), reason, durationMs: now() - started });
    const everySteps = opts.checkpoints?.everySteps ?? 0;
    // A step-cadence save waits until the next batch is at hand: the planned batch count cannot
    // say whether the epoch goes on (skipped samples end it early), and when its data runs out
    // instead, the epoch-end save below writes the same weights, validated. Nothing trains or
    // draws in between, so the cursor, and with it the resume point, is the same either way.
    let stepSaveDue = false;
    // Waiting for the next batch must not lose the save to an error that ends the run before that
    // batch trains: reading it (a data error), or validating when the epoch's data ran out. The
    // due save is written first, as it was on disk before it waited. Only around those two: the
    // state is then the last step's, which trained; a step that fails has nothing due (its batch
    // took the save before it trained), and after validation the state is the next epoch's.
    const savingDueFirst = async <T>(work: () => Promise<T>): Promise<T> => {
      try {
        return await work();
      } catch (e) {
        if (stepSaveDue && !life.closed) {
          stepSaveDue = false;
          try {
            await saveCheckpoint(false);
          } catch (saveError) {
            // The error that ended the run is what to report; that its save failed too is said beside it.
            const why = saveError instanceof Error ? saveError.message : String(saveError);
            emit({ kind: 'Error', ...base(), message: `the checkpoint due at step ${s.step} could not be written before the error below ended the run: ${why}`, fatal: false });
          }
        }
        throw e;
      }
    };

    // The largest batch trained so far (the configured size, bar a run of one short batch), and
    // the img/s of the last BatchEnd: what a short batch's BatchEnd says instead of its own.
    let fullBatch = 0;
    let shownRate: number | undefined;
    while (s.epoch < opts.epochs) {
      if (stopRequested()) {
        await saveCheckpoint(false);
        finish('stopped');
        return;
      }
      const doneMs = s.history.reduce((sum, r) => sum + r.durationMs, 0);
      // Predicted from the last full epoch: stopping at a boundary leaves a validated model
      // instead of a half-trained epoch that the budget cuts off anyway.
      const nextEpochMs = s.batch === 0 ? (s.history.at(-1)?.durationMs ?? 0) : 0;
      if (budget !== null && doneMs + s.acc.elapsedMs + nextEpochMs > budget) {
        await saveCheckpoint(false);
        finish('time-limit');
        return;
      }
      const epochStart = now() - s.acc.elapsedMs;
      // What a resumed epoch had trained before this process: its img/s counts only what this
      // process trains (the earlier process's speed, another machine's perhaps, is not this one's).
      const resumedAcc = s.acc;
      emit({ kind: 'EpochBegin', ...base(), lr: s.lr, steps: source.stepsPerEpoch, startBatch: s.batch });
      const epochBatches = source.epoch(s.epoch, s.batch);
      iterator = epochBatches;
      let win = { images: 0, lossSum: 0, correct: 0, since: now() };
      let lastEmit = -Infinity;
      // The batches trained since the last BatchEnd, for the one that covers them: sent when the
      // throttle allows, and always for the epoch's last batch and before a stop. One the
      // throttle allows (`due`) waits until the next item is at hand, unless the plan says it
      // is the epoch's last: skipped samples end an epoch before its planned batches, and only
      // the data running out tells, so that the epoch's last BatchEnd can say it is
      // (`lastOfEpoch`) and progress shows the epoch trained while it validates.
      // `before`: when the batch before it ended (or the window began).
      let pending: { readonly size: number; readonly at: number; readonly before: number; readonly due: boolean } | undefined;
      const emitBatchEnd = (last: boolean): void => {
        if (pending === undefined) return;
        const { size, at, before } = pending;
        const secs = Math.max((at - win.since) / 1000, 1e-9);
        // A short batch (an epoch's leftover images) pays a step's fixed costs (the weight update
        // above all) for fewer images: counted in, it made img/s drop at every epoch's end, a dip
        // that says nothing of the run's speed. The window's other batches tell it, or, when it is
        // alone, the rate sent last.
        const imagesPerSec = size >= fullBatch ? win.images / secs
          : win.images > size ? (win.images - size) / Math.max((before - win.since) / 1000, 1e-9)
          : (shownRate ?? win.images / secs);
        shownRate = imagesPerSec;
        emit({
          kind: 'BatchEnd',
          ...base(),
          batch: s.batch - 1,
          batchSize: size,
          loss: win.lossSum / win.images,
          accuracy: win.correct / win.images,
          imagesPerSec,
          ...(last ? { lastOfEpoch: true } : {}),
        });
        lastEmit = at;
        pending = undefined;
        win = { images: 0, lossSum: 0, correct: 0, since: at };
      };
      // A stop mid-epoch: the batches trained since the last BatchEnd are in the checkpoint, so
      // their figures go out too (per-batch curves, watchers), before its CheckpointSaved.
      const stopMidEpoch = async (reason: TrainEnd['reason']): Promise<void> => {
        emitBatchEnd(false);
        await saveCheckpoint(false);
        finish(reason);
      };
      // For the error when nothing trains: a caller awaiting only the end sees no skip events.
      let epochSkips = 0;
      let firstSkip: Skip | undefined;
      for (;;) {
        if (life.closed) return;
        if (stopRequested()) {
          await stopMidEpoch('stopped');
          return;
        }
        const next = await savingDueFirst(async () => {
          try {
            return await epochBatches.next();
          } catch (e) {
            // The batches trained since the last BatchEnd are in the due save (written next) or
            // were trained all the same: their figures go out before the error ends the run.
            if (!life.closed) emitBatchEnd(false);
            throw e;
          }
        });
        if (life.closed || next.done === true) {
          if (next.done !== true && next.value.kind === 'batch') disposeBatch(next.value);
          if (life.closed) return;
          break;
        }
        const item = next.value;
        // The epoch goes on: a BatchEnd held back for that is sent now.
        if (item.kind === 'batch' && pending?.due === true) {
          emitBatchEnd(false);
          if (life.closed) {
            disposeBatch(item);
            return;
          }
        }
        if (item.kind === 'skip') {
          epochSkips += 1;
          firstSkip ??= item;
          reportSkip(item);
          continue;
        }
        if (stepSaveDue) {
          stepSaveDue = false;
          try {
            await saveCheckpoint(false);
          } catch (e) {
            disposeBatch(item);
            throw e;
          }
        }
        // A stop signal's handler (Ctrl-C) runs only when this thread's event loop turns, and
        // neither a prefetched batch nor a step of synchronous kernels (cpu, wasm) turns it: a
        // stop requested during a step was seen one or more steps late, each step minutes long
        // on the cpu backend. So the loop yields once per step, and a stop requested by then
        // leaves this batch untrained (the cursor still points at it).
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (life.closed || stopRequested()) {
          disposeBatch(item);
          if (life.closed) return;
          await stopMidEpoch('stopped');
          return;
        }
        // Checked once a batch is at hand: once the epoch's data runs out, its validation runs
        // even past the budget, since cutting it would throw the whole epoch's result away. The
        // planned batch count cannot say when that is: skipped samples end an epoch before it.
        if (budget !== null && doneMs + now() - epochStart >= budget) {
          disposeBatch(item);
          await stopMidEpoch('time-limit');
          return;
        }
        const n = item.xs.shape[0];
        const stepSeed = Math.floor(s.rng.next() * 2 ** 31);
        let result;
        try {
          result = await trainer.step(item.xs, item.ys, stepSeed);
        } catch (e) {
          // "image 13" of a batch means nothing to the user; the file, read from a CSV with
          // labels counted from 1, is what to look at.
          if (!life.closed) emitBatchEnd(false); // the batches before this one did train
          const path = e instanceof LabelOutOfRangeError ? item.paths[e.index] : undefined;
          throw e instanceof LabelOutOfRangeError && path !== undefined ? e.withPath(path) : e;
        } finally {
          disposeBatch(item);
        }
        s.step += 1;
        s.batch += 1;
        if (emaOptions !== null && s.step % emaOptions.everySteps === 0) {
          s.ema = updateWeightEma(s.ema, await trainer.getWeights(), emaOptions);
        }
        s.acc = {
          lossSum: s.acc.lossSum + result.loss * n,
          correct: s.acc.correct + result.accuracy * n,
          count: s.acc.count + n,
          elapsedMs: now() - epochStart,
        };
        win = { images: win.images + n, lossSum: win.lossSum + result.loss * n, correct: win.correct + result.accuracy * n, since: win.since };
        const t = now();
        const last = s.batch >= source.stepsPerEpoch;
        const due = progressDue(s.batch, t, lastEmit);
        fullBatch = Math.max(fullBatch, n);
        pending = { size: n, at: t, before: pending?.at ?? win.since, due };
        if (last) emitBatchEnd(true);
        if (everySteps > 0 && s.step % everySteps === 0) stepSaveDue = true;
      }
      iterator = undefined;
      if (life.closed) return;
      // Skipped samples end an epoch before its planned batches (their places are taken by the
      // next files), so only here is its last batch known: a BatchEnd the throttle held back
      // would leave the epoch's final figures out of every BatchEnd consumer (progress,
      // TensorBoard's per-batch curves, gRPC watchers).
      emitBatchEnd(true);
      // Every training image skipped (say, all smaller than the crop): the epoch would end with
      // NaN metrics, a checkpoint of untrained weights and exit code 0, as if it had trained.
      if (s.acc.count === 0) {
        const why = firstSkip === undefined
          ? 'the training data gave no images'
          : `${epochSkips} skipped, the first ${firstSkip.path}: ${firstSkip.reason}: ${firstSkip.message}`;
        throw new Error(`training: every image of the training data was skipped in epoch ${s.epoch + 1} (${why}), so there is nothing to train on`);
      }

      const ready = setup;
      const validated = await savingDueFirst(() => validate(ready, reportSkip, life, s.ema, validationProgress(ready)));
      if (life.closed) return;
      const hasVal = (setup.tenCrop?.source ?? setup.val) !== undefined;
      if (validated === 'empty') {
        emit({
          kind: 'Error',
          ...base(),
          message: `validation: every image of the validation data was skipped, so epoch ${s.epoch + 1} has no validation metrics; it counts as not improved (scheduler, early stopping, best checkpoint)`,
          fatal: false,
        });
      }
      const val = validated === 'empty' ? undefined : validated;
      const trainLoss = s.acc.count > 0 ? s.acc.lossSum / s.acc.count : NaN;
      const trainAccuracy = s.acc.count > 0 ? s.acc.correct / s.acc.count : NaN;
      const record: EpochRecord = {
        epoch: s.epoch,
        trainLoss,
        trainAccuracy,
        ...(val === undefined ? {} : { valLoss: val.loss, valAccuracy: val.accuracy, ...(val.top5Accuracy === undefined ? {} : { valTop5Accuracy: val.top5Accuracy }) }),
        lr: s.lr,
        durationMs: now() - epochStart,
        ...epochRate(s.acc.count - resumedAcc.count, s.acc.elapsedMs - resumedAcc.elapsedMs),
      };
      emit({ kind: 'EpochEnd', ...base(), ...record });
      s.history.push(record);

      if (scheduler !== undefined && s.scheduler !== null) {
        const r = scheduler.step(s.scheduler, {
          // Without a measurement an epoch must not look like an improvement: NaN is never better.
          metric: hasVal ? (val?.loss ?? NaN) : trainLoss,
          epochsDone: s.epoch + 1,
          epochs: opts.epochs,
          trainingMs: doneMs + record.durationMs,
          budgetMs: budget,
        });
        s.scheduler = r.state;
        if (r.changed) {
          emit({ kind: 'LrChanged', ...base(), from: s.lr, to: r.lr });
          s.lr = r.lr;
          trainer.setLearningRate(r.lr);
        }
      }

      // Without validation data the validation loss falls back to the training loss, as the
      // scheduler's does; a validation accuracy has no stand-in, and following NaN would stop the
      // run after `patience` epochs with the first one as its best.
      const asked = opts.earlyStopping?.monitor ?? 'valLoss';
      const monitor: MonitoredMetric = hasVal || asked === 'trainLoss' ? asked : asked === 'valLoss' ? 'trainLoss' : noValidation(asked);
      const value = monitored(monitor, record);
      const improvedBy = s.best === null ? Infinity : s.best.value - value;
      const isBest = Number.isFinite(value) && improvedBy > 0;
      if (isBest) s.best = { metric: monitor, value, epoch: s.epoch };
      s.badEpochs = improvedBy > (opts.earlyStopping?.minDelta ?? 0) ? 0 : s.badEpochs + 1;

      const finishedEpoch = s.epoch;
      s.epoch += 1;
      s.batch = 0;
      s.acc = EMPTY_ACC;
      const es = opts.earlyStopping;
      const stopEarly = es !== null && es !== undefined && s.badEpochs > es.patience;
      const everyEpochs = opts.checkpoints?.everyEpochs ?? 0;
      const cadence = everyEpochs > 0 && s.epoch % everyEpochs === 0;
      // A step-cadence save the epoch's end overtook is made here, at the epoch's cursor, also off the epoch cadence.
      const saveDue = cadence || stepSaveDue || stopEarly || s.epoch >= opts.epochs || stopRequested();
      stepSaveDue = false;
      if (saveDue) await saveCheckpoint(isBest);
      if (stopEarly) {
        emit({
          kind: 'EarlyStop',
          ...base(),
          epoch: finishedEpoch,
          reason: earlyStopReason(monitor, es.minDelta, s.badEpochs, s.best),
        });
        finish('early-stop');
        return;
      }
    }
    finish('completed');
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    emit({ kind: 'Error', ...base(), message, fatal: true });
    throw err;
  } finally {
    await release(setup, iterator);
  }
}

/**
 * Copies the source's weights into the trainer where name and shape match; the optimizer slots
 * stay the fresh trainer's (zeros). Nothing matching is an error: the run would train from
 * scratch while the user believes it fine-tunes.
 */
async function initialise(trainer: Trainer, init: InitWeights): Promise<InitialisedFrom> {
  const state = await trainer.getState();
  const m = mergeInitWeights(state.weights, init.weights);
  if (m.taken.length === 0) {
    const shown = m.fresh.filter((f) => f.sourceShape !== undefined).slice(0, 3).map(freshLabel);
    throw new Error(
      `cannot start from ${init.source}: none of its ${init.weights.length} weight tensors fits this model (no name with the same shape; a different architecture?)` +
        (shown.length > 0 ? `: ${shown.join(', ')}` : `: the model's are named ${m.fresh.slice(0, 3).map((f) => f.name).join(', ')}…, the checkpoint's ${init.weights.slice(0, 3).map((w) => w.name).join(', ')}…`),
    );
  }
  await trainer.setState({ weights: m.weights, optimizer: state.optimizer });
  return { path: init.source, step: init.step, weights: init.kind, taken: m.taken.length, total: state.weights.length, fresh: m.fresh.map(freshLabel) };
}

/**
 * The EarlyStop reason as the log shows it: the best value as the metric reads (monitored()
 * negates accuracies so that lower is better; a reason saying "best -0.5" was that sign) and
 * its epoch counted from 1, as every epoch the log and the monitor print.
 */
function earlyStopReason(metric: MonitoredMetric, minDelta: number, badEpochs: number, best: { value: number; epoch: number } | null): string {
  const accuracy = metric === 'valAccuracy' || metric === 'valTop5Accuracy';
  const shown = best === null ? 'none yet' : accuracy ? `${(-best.value * 100).toFixed(2)}% after epoch ${best.epoch + 1}` : `${best.value.toFixed(4)} after epoch ${best.epoch + 1}`;
  const by = accuracy ? `${+(minDelta * 100).toFixed(4)} points` : `${minDelta}`;
  return `${metric} did not improve by more than ${by} for ${badEpochs} epoch${badEpochs === 1 ? '' : 's'} (best ${shown})`;
}

/** EpochEnd's img/s from what this process trained of the epoch, or nothing when it trained none of it. */
function epochRate(images: number, ms: number): Pick<EpochRecord, 'imagesPerSec'> {
  return images > 0 && ms > 0 ? { imagesPerSec: images / (ms / 1000) } : {};
}

function noValidation(metric: MonitoredMetric): never {
  throw new Error(`earlyStopping.monitor ${metric} needs validation data, and this run has none: give it some, or monitor valLoss or trainLoss (both follow the training loss without validation)`);
}

function monitored(metric: MonitoredMetric, r: EpochRecord): number {
  // Normalised so that lower is better.
  if (metric === 'trainLoss') return r.trainLoss;
  if (metric === 'valLoss') return r.valLoss ?? NaN;
  if (metric === 'valTop5Accuracy') return r.valTop5Accuracy === undefined ? NaN : -r.valTop5Accuracy;
  return r.valAccuracy === undefined ? NaN : -r.valAccuracy;
}

/**
 * Gives the trainer a checkpoint's state. Without an identity (train() in code) nothing has
 * compared the checkpoint's model with this one, and a trainer's own words name a tensor only
 * (`weights state fc3/kernel has shape [1024, 4] …`): say which checkpoint, and what to do.
 */
async function resumeState(trainer: Trainer, file: string, ck: Checkpoint): Promise<void> {
  try {
    await trainer.setState(ck.trainer);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // networkState's refusals: a tensor missing, unknown or of another shape.
    const otherModel = /\bstate (?:lacks |has unknown entries |\S+ has shape )/.test(message);
    throw new Error(`cannot resume from ${file}: ${message}${otherModel
      ? ': it was saved from another model or class count; use a new checkpoint folder (or delete this one) to start afresh'
      : ''}`, { cause: err });
  }
}

function disposeBatch(b: { xs: { dispose(): void }; ys: { dispose(): void } }): void {
  b.xs.dispose();
  b.ys.dispose();
}

async function validate(
  setup: TrainSetup,
  reportSkip: (k: Skip) => void,
  life: { closed: boolean },
  ema: WeightEma | null,
  progress: ((batchesDone: number, images: number) => void) | undefined,
): Promise<{ loss: number; accuracy: number; top5Accuracy?: number } | 'empty' | undefined> {
  const source = setup.tenCrop?.source ?? setup.val;
  if (source === undefined) return undefined;
  // Sent before anything is awaited, in the turn that saw the epoch's data run out: displays
  // switch to the pass at once, and no stop signal's handler runs in between.
  progress?.(0, 0);
  let batchesDone = 0;
  const { trainer } = setup;
  // The average is scored by lending it to the trainer: one model in memory, and the same
  // inference code path (and backend) as the trained weights.
  const trained = ema === null ? undefined : await trainer.getState();
  if (trained !== undefined && ema !== null) await trainer.setState({ weights: ema.weights, optimizer: trained.optimizer });
  try {
    // The same pass as `rxtrain evaluate`, so its default figures are the ones logged here.
    const e = await evaluateSource(trainer, source, {
      tta: setup.tenCrop !== undefined ? { kind: 'tenCrop', cropSize: setup.tenCrop.cropSize } : { kind: setup.valFlip === true ? 'flip' : 'none' },
      onSkip: reportSkip,
      shouldStop: () => life.closed,
      onBatch: (images) => progress?.((batchesDone += 1), images),
    });
    if (e.stopped) return undefined;
    // Top-5 comes from the same pass (evaluateSource ranks the rows it already downloads).
    return e.count === 0 ? 'empty' : { loss: e.loss, accuracy: e.accuracy, ...(e.top5Accuracy === undefined ? {} : { top5Accuracy: e.top5Accuracy }) };
  } finally {
    if (trained !== undefined) await trainer.setState(trained);
  }
}

async function release(setup: TrainSetup | undefined, iterator: AsyncIterator<BatchItem> | undefined): Promise<void> {
  if (setup === undefined) return;
  // Release in order, and keep going if one part fails: a leak is worse than a lost error here.
  const steps: Array<() => Promise<unknown> | undefined> = [
    () => iterator?.return?.(),
    () => setup.train.close(),
    () => setup.val?.close(),
    () => setup.tenCrop?.source.close(),
    () => setup.trainer.dispose(),
    () => setup.close?.(),
  ];
  for (const s of steps) {
    try {
      await s();
    } catch {
      /* already reporting the primary outcome */
    }
  }
}
