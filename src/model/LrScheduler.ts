import { cosineAnnealingLR, initialCosineState, isCosineState, type CosineOptions, type CosineProgress, type CosineState } from './CosineAnnealingLR';
import type { OptionalFields } from './withDefaults';
import { initialPlateauState, isPlateauState, reduceLROnPlateau, type PlateauOptions, type PlateauState } from './ReduceLROnPlateau';

/**
 * Which learning-rate schedule {@link train} runs after each epoch, and its options. An object
 * without `name` is ReduceLROnPlateau (what the loop supported first).
 *
 * @example
 * ```ts
 * const a: SchedulerOptions = { name: 'ReduceLROnPlateau', patience: 2 };
 * const b: SchedulerOptions = { name: 'CosineAnnealingLR', etaMin: 0, horizon: 'budget' };
 * ```
 */
export type SchedulerOptions =
  | ({ readonly name?: 'ReduceLROnPlateau' | undefined } & OptionalFields<PlateauOptions>)
  | ({ readonly name: 'CosineAnnealingLR' } & OptionalFields<CosineOptions>);

/**
 * A scheduler's checkpointed state (JSON-safe).
 *
 * @example
 * ```ts
 * const s: SchedulerState = lrScheduler({ name: 'CosineAnnealingLR' }).initial(0.01);
 * ```
 */
export type SchedulerState = PlateauState | CosineState;

/**
 * What a scheduler sees after an epoch: the monitored metric (validation loss, or training
 * loss without validation) and how far the run has come.
 *
 * @example
 * ```ts
 * const e: EpochOutcome = { metric: 0.3, epochsDone: 1, epochs: 10, trainingMs: 60_000, budgetMs: null };
 * ```
 */
export interface EpochOutcome extends CosineProgress {
  readonly metric: number;
}

/**
 * A learning-rate schedule as pure functions over a checkpointable state.
 *
 * @example
 * ```ts
 * const sched = lrScheduler({ name: 'CosineAnnealingLR' });
 * let s = sched.initial(0.01);
 * const r = sched.step(s, { metric: 0.5, epochsDone: 1, epochs: 10, trainingMs: 0, budgetMs: null });
 * ```
 */
export interface LrScheduler {
  readonly name: 'ReduceLROnPlateau' | 'CosineAnnealingLR';
  readonly initial: (lr: number) => SchedulerState;
  readonly step: (state: SchedulerState, outcome: EpochOutcome) => { state: SchedulerState; lr: number; changed: boolean };
  /** Whether a state from a checkpoint belongs to this scheduler. */
  readonly owns: (state: unknown) => boolean;
}

/**
 * Builds the scheduler that `options` names, validating its options (RangeError).
 *
 * @example
 * ```ts
 * const sched = lrScheduler({ name: 'ReduceLROnPlateau', factor: 0.2, patience: 1 });
 * ```
 */
export function lrScheduler(options: SchedulerOptions): LrScheduler {
  if (options.name === 'CosineAnnealingLR') {
    const { name: _name, ...rest } = options;
    const step = cosineAnnealingLR(rest);
    return scheduler('CosineAnnealingLR', initialCosineState, isCosineState, (state, outcome) => step(state, outcome));
  }
  const { name: _name, ...rest } = options;
  const step = reduceLROnPlateau(rest);
  return scheduler('ReduceLROnPlateau', initialPlateauState, isPlateauState, (state, outcome) => step(state, outcome.metric));
}

// One scheduler's functions behind the common interface, refusing a state that is not its own.
function scheduler<S extends SchedulerState>(
  name: LrScheduler['name'],
  initial: (lr: number) => S,
  owns: (u: unknown) => u is S,
  step: (state: S, outcome: EpochOutcome) => { state: S; lr: number; changed: boolean },
): LrScheduler {
  return {
    name,
    initial,
    step: (state, outcome) => {
      if (!owns(state)) throw new Error(`${name} got a state that is not its own (a checkpoint from another scheduler?)`);
      return step(state, outcome);
    },
    owns,
  };
}
