import * as tf from '@tensorflow/tfjs-core';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, nativeBatchNormUsable } from './wasm/nativeBatchNorm';

/**
 * Per-channel statistics of one training batch, as BatchNorm used them: mean and biased
 * variance over `count` values per channel.
 *
 * @example
 * ```ts
 * const s: BatchStats = { count: 8 * 13 * 13, mean, variance };
 * ```
 */
export interface BatchStats {
  readonly count: number;
  readonly mean: tf.Tensor1D;
  readonly variance: tf.Tensor1D;
}

/**
 * Training-mode BatchNorm over all axes but the last (PyTorch's BatchNorm1d/2d on NHWC):
 * normalises with the batch mean and biased variance and returns them too (the caller
 * updates the moving statistics, and owns and disposes `stats`). The gradient is the closed
 * form dx = γ·σ⁻¹/N · (N·dy − Σdy − x̂·Σ(dy·x̂)), which avoids tfjs's tiling of σ⁻¹ and
 * the extra passes autodiff through `moments` would cost. On `wasm` with rxtrain's native addon
 * active, forward and gradient each run as one fused kernel (two passes over the data) instead
 * of tfjs' many small elementwise and reduction kernels; the math is the same.
 *
 * With `relu`, y = max(BatchNorm(x), 0) — a ReLU layer right after — which the native kernels
 * apply in the same passes (forward, and its dy·step(y) in the gradient) instead of a Relu, a
 * Step and a Multiply over the whole tensor; elsewhere it is `tf.relu` after. Same results.
 *
 * @example
 * ```ts
 * const { y, stats } = batchNormTrain(x, gamma, beta, 1e-5);
 * const fused = batchNormTrain(x, gamma, beta, 1e-5, { relu: true }); // y ≥ 0
 * ```
 */
export function batchNormTrain<T extends tf.Tensor>(
  x: T,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
  options: { readonly relu?: boolean | undefined } = {},
): { y: T; stats: BatchStats } {
  const relu = options.relu === true;
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const channels = x.shape[x.rank - 1];
  const count = x.size / channels;
  let stats: BatchStats | undefined;
  if (nativeBatchNormUsable(x)) {
    const fused = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [xi, g, b] = args as tf.Tensor[];
      const save = args[3] as tf.GradSaveFunc;
      const [value, mean, variance, rstd] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x: xi, gamma: g, beta: b }, { epsilon: eps, relu }) as tf.Tensor[];
      // x rather than x̂: the gradient kernel recomputes x̂ on the fly, so no extra B·H·W·C tensor.
      save([xi, g, mean, rstd, b]);
      stats = { count, mean: tf.keep(mean) as tf.Tensor1D, variance: tf.keep(variance) as tf.Tensor1D };
      return {
        value,
        gradFunc: (d: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, gm, mn, rs, bt] = saved;
          return tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { x: xs, dy: d, gamma: gm, beta: bt, mean: mn, rstd: rs }, { relu }) as tf.Tensor[];
        },
      };
    });
    const y = fused(x, gamma, beta) as T;
    if (stats === undefined) throw new Error('batchNormTrain: statistics were not computed');
    return { y, stats };
  }
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xi, g, b] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const { mean, variance } = tf.moments(xi, axes);
    const rstd = tf.rsqrt(tf.add(variance, eps));
    const xhat = tf.mul(tf.sub(xi, mean), rstd);
    const value = tf.add(tf.mul(xhat, g), b);
    save([xhat, rstd, g]);
    stats = { count, mean: tf.keep(mean) as tf.Tensor1D, variance: tf.keep(variance) as tf.Tensor1D };
    return {
      value,
      gradFunc: (d: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, gm] = saved;
        const dbeta = tf.sum(d, axes);
        const dgamma = tf.sum(tf.mul(d, xh), axes);
        const scale = tf.div(tf.mul(gm, rs), count);
        const inner = tf.sub(tf.sub(tf.mul(d, count), dbeta), tf.mul(xh, dgamma));
        return [tf.mul(inner, scale), dgamma, dbeta];
      },
    };
  });
  const bn = f(x, gamma, beta) as T;
  if (stats === undefined) throw new Error('batchNormTrain: statistics were not computed');
  if (!relu) return { y: bn, stats };
  const y = tf.relu(bn);
  bn.dispose();
  return { y, stats };
}
