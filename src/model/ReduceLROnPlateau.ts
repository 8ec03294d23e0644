import { withDefaults, type OptionalFields } from './withDefaults';

/**
 * Options of {@link reduceLROnPlateau}, with PyTorch's names and meaning
 * (`torch.optim.lr_scheduler.ReduceLROnPlateau`). Defaults follow the seed project
 * (`factor` 0.5, `patience` 5), not PyTorch's (`factor` 0.1, `patience` 10); everything
 * else is PyTorch's default.
 *
 * @example
 * ```ts
 * const opts: PlateauOptions = { ...defaultPlateauOptions, mode: 'max', patience: 2 };
 * ```
 */
export interface PlateauOptions {
  /** `min`: the metric should fall (a loss); `max`: it should rise (an accuracy). */
  readonly mode: 'min' | 'max';
  /** New lr = lr × factor; must be in (0, 1). */
  readonly factor: number;
  /** Number of epochs without improvement tolerated; the lr drops on the next bad one. */
  readonly patience: number;
  /** Minimum change that counts as an improvement (see `thresholdMode`). */
  readonly threshold: number;
  /** `rel`: better than best × (1 ∓ threshold); `abs`: better than best ∓ threshold. */
  readonly thresholdMode: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again. */
  readonly cooldown: number;
  /** Lower bound of the lr. */
  readonly minLr: number;
  /** A reduction smaller than this is ignored. */
  readonly eps: number;
}

/**
 * The defaults: seed project's factor 0.5 and patience 5, PyTorch's defaults otherwise.
 *
 * @example
 * ```ts
 * const opts = { ...defaultPlateauOptions, factor: 0.1 };
 * ```
 */
export const defaultPlateauOptions: PlateauOptions = {
  mode: 'min',
  factor: 0.5,
  patience: 5,
  threshold: 1e-4,
  thresholdMode: 'rel',
  cooldown: 0,
  minLr: 0,
  eps: 1e-8,
};

/**
 * Scheduler state: plain JSON-safe data, so it goes into a checkpoint as is. `best` is
 * `null` until the first metric (PyTorch keeps ±∞ there, which JSON cannot hold).
 *
 * @example
 * ```ts
 * const s: PlateauState = initialPlateauState(0.01);
 * JSON.parse(JSON.stringify(s)); // round-trips exactly
 * ```
 */
export interface PlateauState {
  readonly lr: number;
  readonly best: number | null;
  readonly numBadEpochs: number;
  readonly cooldownCounter: number;
  /** Number of metrics seen. */
  readonly epochs: number;
}

/**
 * Whether a value (from a checkpoint) is a {@link PlateauState}.
 *
 * @example
 * ```ts
 * isPlateauState(initialPlateauState(0.1)); // true
 * ```
 */
export function isPlateauState(u: unknown): u is PlateauState {
  if (typeof u !== 'object' || u === null || 'kind' in u) return false;
  const s = u as Record<string, unknown>;
  return ['lr', 'numBadEpochs', 'cooldownCounter', 'epochs'].every((k) => typeof s[k] === 'number') && (s.best === null || typeof s.best === 'number');
}

/**
 * Result of one reduction: the next state, the lr to use from now on, and whether it changed.
 *
 * @example
 * ```ts
 * const { state, lr, changed } = step(prev, valLoss);
 * if (changed) trainer.setLearningRate(lr);
 * ```
 */
export interface PlateauStep {
  readonly state: PlateauState;
  readonly lr: number;
  readonly changed: boolean;
}

/**
 * The state before any metric, at learning rate `lr`.
 *
 * @example
 * ```ts
 * const s0 = initialPlateauState(0.01);
 * ```
 */
export function initialPlateauState(lr: number): PlateauState {
  if (!(Number.isFinite(lr) && lr > 0)) throw new RangeError(`learning rate must be a positive number, got ${lr}`);
  return { lr, best: null, numBadEpochs: 0, cooldownCounter: 0, epochs: 0 };
}

function checkOptions(o: PlateauOptions): void {
  if (o.mode !== 'min' && o.mode !== 'max') throw new RangeError(`plateau mode must be 'min' or 'max', got ${String(o.mode)}`);
  if (o.thresholdMode !== 'rel' && o.thresholdMode !== 'abs') {
    throw new RangeError(`plateau thresholdMode must be 'rel' or 'abs', got ${String(o.thresholdMode)}`);
  }
  if (!(o.factor > 0 && o.factor < 1)) throw new RangeError(`plateau factor must be in (0, 1), got ${o.factor}`);
  for (const k of ['patience', 'cooldown'] as const) {
    if (!(Number.isInteger(o[k]) && o[k] >= 0)) throw new RangeError(`plateau ${k} must be a non-negative integer, got ${o[k]}`);
  }
  for (const k of ['threshold', 'minLr', 'eps'] as const) {
    if (!(Number.isFinite(o[k]) && o[k] >= 0)) throw new RangeError(`plateau ${k} must be a non-negative number, got ${o[k]}`);
  }
}

/**
 * ReduceLROnPlateau as a pure reducer `(state, metric) → {state, lr, changed}`, step for step
 * PyTorch's algorithm (1.13): a metric better than `best` by more than the threshold resets
 * the bad-epoch count, otherwise it grows; during cooldown bad epochs are not counted; once
 * the count exceeds `patience` the lr becomes max(lr × factor, minLr) unless that changes it
 * by no more than `eps`, and cooldown starts. A NaN metric counts as a bad epoch, as in
 * PyTorch. Being pure, it runs inside an RxJS `scan` and its state goes into checkpoints.
 *
 * @example
 * ```ts
 * const step = reduceLROnPlateau({ patience: 2 });
 * let s = initialPlateauState(0.01);
 * for (const loss of [1, 1, 1, 1]) ({ state: s } = step(s, loss));
 * s.lr; // 0.005
 * ```
 */
export function reduceLROnPlateau(options: OptionalFields<PlateauOptions> = {}): (state: PlateauState, metric: number) => PlateauStep {
  const o: PlateauOptions = withDefaults(defaultPlateauOptions, options);
  checkOptions(o);
  const isBetter = (a: number, best: number | null): boolean => {
    const b = best ?? (o.mode === 'min' ? Infinity : -Infinity);
    if (o.mode === 'min') return o.thresholdMode === 'rel' ? a < b * (1 - o.threshold) : a < b - o.threshold;
    return o.thresholdMode === 'rel' ? a > b * (o.threshold + 1) : a > b + o.threshold;
  };
  return (state, metric) => {
    let { best, numBadEpochs, cooldownCounter } = state;
    if (isBetter(metric, best)) {
      best = metric;
      numBadEpochs = 0;
    } else {
      numBadEpochs += 1;
    }
    if (cooldownCounter > 0) {
      cooldownCounter -= 1;
      numBadEpochs = 0;
    }
    let lr = state.lr;
    if (numBadEpochs > o.patience) {
      const next = Math.max(lr * o.factor, o.minLr);
      if (lr - next > o.eps) lr = next;
      cooldownCounter = o.cooldown;
      numBadEpochs = 0;
    }
    return {
      state: { lr, best, numBadEpochs, cooldownCounter, epochs: state.epochs + 1 },
      lr,
      changed: lr !== state.lr,
    };
  };
}
