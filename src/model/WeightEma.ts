import type { TrainerState } from './Trainer';

/**
 * An exponential moving average of a model's weights (BatchNorm moving statistics included),
 * kept on the host next to the training loop, as timm's `ModelEma` and TensorFlow's
 * `ExponentialMovingAverage` keep one beside the trained model. `updates` counts the
 * {@link updateWeightEma} calls folded in; it drives the warm-up and goes into checkpoints, so a
 * resumed run continues the same average.
 *
 * @example
 * ```ts
 * const ema: WeightEma = { updates: 0, weights: [] };
 * ```
 */
export interface WeightEma {
  readonly updates: number;
  readonly weights: TrainerState['weights'];
}

/**
 * The weight given to the old average at update number `updates` (0-based): `decay`
 * raised to `everySteps` (so the average spans the same number of training steps whatever
 * the update cadence), capped by TensorFlow's warm-up `(1 + updates) / (10 + updates)` so
 * that the first updates are not dominated by the randomly initialised weights.
 *
 * @example
 * ```ts
 * emaDecayAt(0.999, 1, 0);     // 0.1 (warm-up)
 * emaDecayAt(0.999, 1, 10000); // 0.999
 * emaDecayAt(0.999, 4, 10000); // 0.999⁴ ≈ 0.996
 * ```
 */
export function emaDecayAt(decay: number, everySteps: number, updates: number): number {
  return Math.min(decay ** everySteps, (1 + updates) / (10 + updates));
}

/**
 * Folds the current `weights` into the average: `avg ← d·avg + (1 − d)·weights` with
 * d = {@link emaDecayAt}. The first update (no average yet, or one with no updates) copies
 * the weights. The average's arrays are updated in place (an average is as large as the
 * model, and a copy per step would double the garbage); `weights` is only read.
 *
 * @throws Error when the weights do not match the average's names and shapes (another model).
 * @example
 * ```ts
 * let ema: WeightEma | null = null;
 * ema = updateWeightEma(ema, await trainer.getWeights(), { decay: 0.999, everySteps: 1 });
 * ```
 */
export function updateWeightEma(
  avg: WeightEma | null,
  weights: TrainerState['weights'],
  options: { readonly decay: number; readonly everySteps: number },
): WeightEma {
  if (avg === null || avg.updates === 0) {
    return { updates: 1, weights: weights.map((w) => ({ name: w.name, shape: [...w.shape], data: new Float32Array(w.data) })) };
  }
  if (avg.weights.length !== weights.length) throw new Error(`weight EMA: the average has ${avg.weights.length} tensors, the model ${weights.length}`);
  const d = emaDecayAt(options.decay, options.everySteps, avg.updates);
  const fresh = 1 - d;
  for (let i = 0; i < weights.length; i++) {
    const a = avg.weights[i];
    const w = weights[i];
    if (a.name !== w.name || a.data.length !== w.data.length) {
      throw new Error(`weight EMA: tensor ${i} is ${w.name} [${w.shape.join(', ')}] in the model but ${a.name} [${a.shape.join(', ')}] in the average`);
    }
    const ad = a.data;
    const wd = w.data;
    for (let j = 0; j < ad.length; j++) ad[j] = d * ad[j] + fresh * wd[j];
  }
  return { updates: avg.updates + 1, weights: avg.weights };
}
