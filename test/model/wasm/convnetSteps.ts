import * as tf from '@tensorflow/tfjs';
import { values } from './compareBackends';

/** Shape and seeds of the small conv net {@link convnetSteps} trains. */
export interface ConvnetParams {
  /** Input height and width (batch of 8, 3 channels). */
  readonly size: number;
  /** Stride of the first (5×5, pad 2) convolution. */
  readonly stride: number;
  /** Filters of both convolutions. */
  readonly filters: number;
  /** Spatial size after the 3/2 max-pool (the dense layer sees pooled² × filters inputs). */
  readonly pooled: number;
  /** Seed of the first weight; the others follow it, batches use `seed + 9 + step`. */
  readonly seed: number;
  /** Weight scales of conv, conv2 and dense (BN and biases are fixed). */
  readonly scale: { readonly conv: number; readonly conv2: number; readonly dense: number };
  readonly steps: number;
}

/**
 * SGD-Nesterov steps of a small conv net (conv 5×5 + bias + ReLU → BN → max-pool 3/2 →
 * conv 3×3 'same' → ReLU → dense + bias → log-softmax NLL) from fixed weights on fixed
 * batches, on whatever backend tfjs currently runs: the same call on two backends gives
 * step-by-step comparable losses and final weights.
 *
 * @example
 * ```ts
 * await tf.setBackend('cpu');
 * const { losses } = await convnetSteps({ size: 12, stride: 1, filters: 16, pooled: 5, seed: 151, scale: { conv: 0.2, conv2: 0.1, dense: 0.05 }, steps: 5 });
 * ```
 */
export async function convnetSteps(p: ConvnetParams): Promise<{ losses: number[]; weights: Float32Array[] }> {
  const init = (shape: number[], seed: number, scale: number, offset = 0): tf.Variable =>
    tf.variable(tf.tensor(values(shape.reduce((a, b) => a * b), seed).map((v) => v * scale + offset), shape));
  const f = p.filters;
  const v = {
    conv: init([5, 5, 3, f], p.seed, p.scale.conv), convBias: init([f], p.seed + 1, 0.05),
    gamma: init([f], p.seed + 2, 0.1, 1), beta: init([f], p.seed + 3, 0.1),
    conv2: init([3, 3, f, f], p.seed + 4, p.scale.conv2),
    dense: init([p.pooled * p.pooled * f, 10], p.seed + 5, p.scale.dense), denseBias: init([10], p.seed + 6, 0.05),
  };
  const opt = tf.train.momentum(0.05, 0.9, true);
  const losses: number[] = [];
  for (let s = 0; s < p.steps; s++) {
    const cost = tf.tidy(() => {
      const x = tf.tensor4d(values(8 * p.size * p.size * 3, p.seed + 9 + s), [8, p.size, p.size, 3]);
      const labels = tf.tensor1d(Array.from({ length: 8 }, (_, i) => (i * 3 + s) % 10), 'int32');
      return opt.minimize(() => {
        let h: tf.Tensor = tf.fused.conv2d({ x, filter: v.conv as tf.Tensor4D, strides: p.stride, pad: 2, bias: v.convBias, activation: 'relu' });
        const m = tf.moments(h, [0, 1, 2]);
        h = tf.batchNorm(h, m.mean, m.variance, v.beta, v.gamma, 1e-3);
        h = tf.maxPool(h as tf.Tensor4D, 3, 2, 'valid');
        h = tf.relu(tf.conv2d(h as tf.Tensor4D, v.conv2 as tf.Tensor4D, 1, 'same'));
        const logits = tf.fused.matMul({ a: h.reshape([8, -1]), b: v.dense as tf.Tensor2D, bias: v.denseBias });
        return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(labels, 10)), 1))) as tf.Scalar;
      }, true) as tf.Scalar;
    });
    losses.push((await cost.data())[0]);
    cost.dispose();
  }
  const weights = await Promise.all(Object.values(v).map(async (t) => Float32Array.from(await t.data())));
  opt.dispose();
  tf.dispose(Object.values(v));
  return { losses, weights };
}
