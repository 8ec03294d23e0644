import { withDefaults, type OptionalFields } from './withDefaults';

/**
 * Options of {@link cosineAnnealingLR}.
 *
 * @example
 * ```ts
 * const opts: CosineOptions = { ...defaultCosineOptions, etaMin: 1e-5 };
 * ```
 */
export interface CosineOptions {
  /** The lr the curve ends at (PyTorch's `eta_min`). */
  readonly etaMin: number;
  /**
   * `epochs`: PyTorch's CosineAnnealingLR with `T_max` = the run's epochs, stepped once per
   * epoch (reproducible). `budget`: the same curve, but it also follows the training-time
   * budget (`maxTime`) and ends with whichever of the two runs out first, so a run cut off
   * by its budget still spends its last epochs at low rates.
   */
  readonly horizon: 'epochs' | 'budget';
}

/**
 * The defaults: PyTorch's `eta_min` 0, following the time budget when there is one.
 *
 * @example
 * ```ts
 * const opts = { ...defaultCosineOptions, horizon: 'epochs' as const };
 * ```
 */
export const defaultCosineOptions: CosineOptions = { etaMin: 0, horizon: 'budget' };

/**
 * Scheduler state: plain JSON-safe data for checkpoints. The tag tells it apart from a
 * ReduceLROnPlateau state when a checkpoint is resumed.
 *
 * @example
 * ```ts
 * const s: CosineState = initialCosineState(0.01);
 * ```
 */
export interface CosineState {
  readonly kind: 'cosine';
  /** The lr at progress 0. */
  readonly baseLr: number;
  readonly lr: number;
  /** How far along the curve the last step was, 0..1. */
  readonly progress: number;
}

/**
 * Where the run stands after an epoch: what the cosine curve is a function of.
 *
 * @example
 * ```ts
 * const p: CosineProgress = { epochsDone: 3, epochs: 30, trainingMs: 900_000, budgetMs: 7_200_000 };
 * ```
 */
export interface CosineProgress {
  readonly epochsDone: number;
  readonly epochs: number;
  /** Training time spent so far (steps and validation, across resumes). */
  readonly trainingMs: number;
  /** The training-time budget, or null for none. */
  readonly budgetMs: number | null;
}

/**
 * The state before the first epoch, at learning rate `lr`.
 *
 * @example
 * ```ts
 * const s0 = initialCosineState(0.01);
 * ```
 */
export function initialCosineState(lr: number): CosineState {
  if (!(Number.isFinite(lr) && lr > 0)) throw new RangeError(`learning rate must be a positive number, got ${lr}`);
  return { kind: 'cosine', baseLr: lr, lr, progress: 0 };
}

/**
 * Whether a value (from a checkpoint) is a {@link CosineState}.
 *
 * @example
 * ```ts
 * isCosineState(initialCosineState(0.1)); // true
 * ```
 */
export function isCosineState(u: unknown): u is CosineState {
  if (typeof u !== 'object' || u === null) return false;
  const s = u as Record<string, unknown>;
  const num = (k: string): boolean => typeof s[k] === 'number' && Number.isFinite(s[k]);
  return s.kind === 'cosine' && num('baseLr') && num('lr') && num('progress');
}

/**
 * CosineAnnealingLR as a pure reducer `(state, progress) → {state, lr, changed}`, called after
 * each epoch: lr = etaMin + (baseLr − etaMin)(1 + cos πp)/2 with p = epochsDone / epochs,
 * which is PyTorch's closed form with `T_max` = epochs. With `horizon: 'budget'` and a budget,
 * p = max(epochsDone / epochs, trainingMs / budgetMs): time decides when the run will stop,
 * so it decides the curve too; an epoch's lr then depends on how fast the machine was, and a
 * resumed run with a larger budget continues from the progress it had reached instead of
 * going back up the curve. p never passes 1.
 *
 * @example
 * ```ts
 * const step = cosineAnnealingLR({ etaMin: 0, horizon: 'epochs' });
 * const r = step(initialCosineState(0.1), { epochsDone: 5, epochs: 10, trainingMs: 0, budgetMs: null });
 * r.lr; // 0.05
 * ```
 */
export function cosineAnnealingLR(
  options: OptionalFields<CosineOptions> = {},
): (state: CosineState, progress: CosineProgress) => { state: CosineState; lr: number; changed: boolean } {
  const o: CosineOptions = withDefaults(defaultCosineOptions, options);
  if (!(Number.isFinite(o.etaMin) && o.etaMin >= 0)) throw new RangeError(`cosine etaMin must be a non-negative number, got ${o.etaMin}`);
  if (o.horizon !== 'epochs' && o.horizon !== 'budget') throw new RangeError(`cosine horizon must be 'epochs' or 'budget', got ${String(o.horizon)}`);
  return (state, p) => {
    const byEpochs = p.epochs > 0 ? p.epochsDone / p.epochs : 1;
    const byTime = o.horizon === 'budget' && p.budgetMs !== null && p.budgetMs > 0 ? p.trainingMs / p.budgetMs : 0;
    // Monotone: a budget raised on resume must not send the rate back up the curve.
    const progress = Math.min(1, Math.max(byEpochs, byTime, state.progress));
    const lr = o.etaMin + ((state.baseLr - o.etaMin) * (1 + Math.cos(Math.PI * progress))) / 2;
    return { state: { ...state, lr, progress }, lr, changed: lr !== state.lr };
  };
}
