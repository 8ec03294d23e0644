import { formatDuration } from '../telemetry/eventLogger';
import type { StopSignal } from './processStopSignal';

/**
 * Where a training is when a stop signal comes, for {@link stopNotice}; `rxtrain train` follows
 * it from the training events.
 *
 * @example
 * ```ts
 * const p: StopProgress = { step: 39, stepSeconds: 14.2, runningSeconds: 3.5, checkpointStep: 32, validating: false };
 * ```
 */
export interface StopProgress {
  /** Global steps trained so far. */
  readonly step: number;
  /** How long a step takes, from the latest batch report; undefined before the first. */
  readonly stepSeconds: number | undefined;
  /** How long the current step (with its batch's loading) has run so far, when known. */
  readonly runningSeconds?: number | undefined;
  /** Step of the newest complete checkpoint of the run; undefined while it has none. */
  readonly checkpointStep: number | undefined;
  /** The epoch's last step is trained and its validation runs (the stop waits for it). */
  readonly validating: boolean;
  /**
   * The epoch is over (trained and validated) and its checkpoint is being written: the stop
   * waits for that, not for a step.
   */
  readonly savingEpoch?: boolean;
  /**
   * The step whose checkpoint is being written (a `checkpoint.everySteps` save, say), from the
   * checkpoint store: the stop waits for that write, and then has nothing more to write.
   */
  readonly savingStep?: number | undefined;
}

/**
 * Steps at least this long (seconds) are slow enough for the stop notice to say how long the
 * wait is and what quitting at once would cost: the cpu backend, AlexNet on wasm.
 *
 * @example
 * ```ts
 * const slow = (stepSeconds: number): boolean => stepSeconds >= SLOW_STEP_SECONDS;
 * ```
 */
export const SLOW_STEP_SECONDS = 2;

const QUIT: Record<StopSignal, string> = {
  SIGINT: 'Ctrl-C again to quit at once',
  SIGTERM: 'another SIGTERM or Ctrl-C quits at once',
  SIGHUP: 'a Ctrl-C or SIGTERM quits at once',
};

// A SIGTERM or SIGHUP comes from a program or the system, not from this terminal: name it.
const WHO: Record<StopSignal, string> = { SIGINT: '', SIGTERM: 'SIGTERM: ', SIGHUP: 'SIGHUP (the terminal hung up): ' };

/**
 * The line `rxtrain train` logs when the first stop signal comes: what it waits for (the current
 * step, the epoch's validation once its last step is trained, the checkpoint of an epoch that
 * has ended, or the one of a step being written), that a checkpoint follows, how to quit at once instead, and, when a step is slow
 * ({@link SLOW_STEP_SECONDS}), how long a step takes and which steps quitting at once would lose.
 *
 * @example
 * ```ts
 * stopNotice('SIGINT', { step: 39, stepSeconds: 14.2, checkpointStep: 32, validating: false });
 * // 'stopping after the current step (≈ 14.2s a step) and saving a checkpoint (Ctrl-C again to
 * //  quit at once, losing the 7 steps since the last checkpoint, step 32)'
 * ```
 */
export function stopNotice(signal: StopSignal, p: StopProgress): string {
  // Between an epoch's end and the next one no step runs: the time since the last step's report
  // is the validation's and the checkpoint's, and "after the current step (this one has run for
  // 2m36s)" would be wrong twice over.
  if (p.savingEpoch === true) return `${WHO[signal]}stopping after saving this epoch's checkpoint (${QUIT[signal]})`;
  // Nor does one while a step's checkpoint is written: the time since the last report is the write's.
  if (p.savingStep !== undefined) return `${WHO[signal]}stopping after the checkpoint being saved (step ${p.savingStep}) is written (${QUIT[signal]})`;
  const head = `${WHO[signal]}stopping after ${p.validating ? "this epoch's validation" : 'the current step'}`;
  const slowest = Math.max(p.stepSeconds ?? 0, p.runningSeconds ?? 0);
  if (p.validating || slowest < SLOW_STEP_SECONDS) return `${head} and saving a checkpoint (${QUIT[signal]})`;
  // The first steps (no timing yet, and the slowest: kernels warm up) say how long they have run.
  const took = [
    ...(p.stepSeconds === undefined ? [] : [`≈ ${formatDuration(p.stepSeconds * 1000)} a step`]),
    ...(p.runningSeconds === undefined || p.runningSeconds < SLOW_STEP_SECONDS ? [] : [`this one has run for ${formatDuration(p.runningSeconds * 1000)}`]),
  ].join(', ');
  const since = p.checkpointStep === undefined ? p.step : p.step - p.checkpointStep;
  const lost = since <= 0 && p.checkpointStep === undefined ? 'losing only this step: none is complete yet'
    : p.checkpointStep === undefined
    ? `losing ${p.step === 1 ? 'the one step' : `all ${p.step} steps`} of this run: it has no checkpoint yet`
    : since <= 0 ? `losing only this step: the last checkpoint is of step ${p.checkpointStep}`
    : `losing the ${since} step${since === 1 ? '' : 's'} since the last checkpoint, step ${p.checkpointStep}`;
  return `${head} (${took}) and saving a checkpoint (${QUIT[signal]}, ${lost})`;
}
