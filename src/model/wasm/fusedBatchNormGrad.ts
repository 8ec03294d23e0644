import * as tf from '@tensorflow/tfjs';

/**
 * Gradient of tfjs' `FusedBatchNorm` (tf.batchNorm, tfjs-layers' batchNormalization) without
 * the large temporary: tfjs-core 4.22 tiles rsqrt(variance + ε) to the full [B,H,W,C] input
 * shape before multiplying dy; broadcasting the [C] vector gives the same values with one pass
 * less and no B·H·W·C allocation. Backend-independent (gradients are shared by all backends).
 *
 * @example
 * ```ts
 * tf.registerGradient(fusedBatchNormGradConfig);
 * ```
 */
export const fusedBatchNormGradConfig: tf.GradConfig = {
  kernelName: tf.FusedBatchNorm,
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs?: tf.NamedAttrMap) => {
    const g = dy as tf.Tensor;
    const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
    const [x, mean, variance, scale] = saved;
    const scaleValue = scale ?? tf.scalar(1);
    const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    const reduce = (t: tf.Tensor): tf.Tensor => tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, mean.shape);
    const rstd = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
    return {
      x: () => tf.mul(tf.mul(g, rstd), scaleValue),
      mean: () => reduce(tf.mul(tf.mul(rstd, tf.scalar(-1)), tf.mul(g, scaleValue))),
      variance: () => reduce(tf.mul(tf.mul(tf.mul(tf.mul(rstd, rstd), tf.mul(rstd, tf.scalar(-0.5))), tf.sub(x, mean)), tf.mul(g, scaleValue))),
      scale: () => reduce(tf.mul(g, tf.mul(tf.sub(x, mean), rstd))),
      offset: () => reduce(g),
    };
  },
};

let registered = false;

/**
 * Replaces tfjs-core's `FusedBatchNorm` gradient with {@link fusedBatchNormGradConfig}. Idempotent.
 *
 * @example
 * ```ts
 * registerBatchNormGradient();
 * ```
 */
export function registerBatchNormGradient(): void {
  if (registered) return;
  tf.registerGradient(fusedBatchNormGradConfig);
  registered = true;
}
