import type { TrainEvent } from '../telemetry/TrainEvent';
import type { StopProgress } from './stopNotice';

/**
 * Folds one training event into where the training is, for the line the first stop signal
 * logs ({@link StopProgress}, see `stopNotice`). It validates from the pass's first
 * ValidationProgress (sent as the pass starts) to its EpochEnd: the events say so, where a
 * guess from the batch index missed an epoch that skipped samples (it ends before its planned
 * batches, so its validation read as a step under way) and took the wait for the end of the
 * data after the planned last batch for validation (a stop there ends the epoch unvalidated).
 * From EpochEnd to the next EpochBegin it saves the epoch's checkpoint (`savingEpoch`).
 *
 * @example
 * ```ts
 * let progress: StopProgress = { step: 0, stepSeconds: undefined, checkpointStep: undefined, validating: false };
 * events$.subscribe((e) => (progress = followStopProgress(progress, e)));
 * ```
 */
export function followStopProgress(p: StopProgress, e: TrainEvent): StopProgress {
  switch (e.kind) {
    case 'TrainBegin':
      return { ...p, step: e.step, checkpointStep: e.resumedFrom === undefined ? undefined : e.step, savingEpoch: false };
    case 'EpochBegin':
      return { ...p, validating: false, savingEpoch: false };
    case 'EpochEnd':
      // What follows is the epoch's checkpoint (and a stop's, if one comes now), not a step.
      return { ...p, validating: false, savingEpoch: true };
    case 'BatchEnd':
      return {
        ...p,
        step: e.step,
        stepSeconds: e.imagesPerSec > 0 ? e.batchSize / e.imagesPerSec : p.stepSeconds,
        validating: false,
        savingEpoch: false,
      };
    case 'ValidationProgress':
      return { ...p, validating: true, savingEpoch: false };
    case 'CheckpointSaved':
      return { ...p, checkpointStep: e.step };
    default:
      return p;
  }
}
