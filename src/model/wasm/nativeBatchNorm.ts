import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { nativeKernels, type NativeAddon } from './nativeKernels';
import { asWasmBackend } from './wasmKernelCall';

/**
 * Kernel name of the fused training-mode BatchNorm forward (outputs y, mean, variance, rstd).
 *
 * @example
 * ```ts
 * tf.getKernel(BATCH_NORM_TRAIN, 'wasm') !== undefined; // after registerWasmTrainingKernels()
 * ```
 */
export const BATCH_NORM_TRAIN = 'RxtrainBatchNormTrain';
/**
 * Kernel name of its gradient (outputs dx, dgamma, dbeta).
 *
 * @example
 * ```ts
 * const [dx, dgamma, dbeta] = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { x, dy, gamma, mean, rstd }) as tf.Tensor[];
 * ```
 */
export const BATCH_NORM_TRAIN_GRAD = 'RxtrainBatchNormTrainGrad';

/**
 * Attributes of {@link BATCH_NORM_TRAIN} (and `relu` of {@link BATCH_NORM_TRAIN_GRAD}): with
 * `relu`, y = max(BatchNorm(x), 0) in the same pass, and the gradient applies the ReLU's
 * dy·step(y) itself (its input then also takes `beta`, to recompute y's sign).
 *
 * @example
 * ```ts
 * const attrs: BatchNormTrainAttrs = { epsilon: 1e-5, relu: true };
 * ```
 */
export interface BatchNormTrainAttrs {
  readonly epsilon: number;
  readonly relu?: boolean;
}

function required(): NativeAddon {
  const addon = nativeKernels();
  // batchNormTrain only dispatches here after nativeBatchNormUsable() said yes; reaching this
  // means the kernels were switched off in between, which must not silently change the math.
  if (addon === undefined) throw new Error(`${BATCH_NORM_TRAIN}: the native addon is not active`);
  return addon;
}

function channelsOf(t: tf.TensorInfo): { rows: number; channels: number } {
  const channels = t.shape[t.shape.length - 1];
  return { rows: tf.util.sizeFromShape(t.shape) / channels, channels };
}

/**
 * Whether training-mode BatchNorm of `x` can run as rxtrain's fused native kernels: the
 * current backend is `wasm`, the kernels are registered there, the native addon is active
 * and `x` is a non-empty float32 tensor with at least one channel.
 *
 * @example
 * ```ts
 * if (nativeBatchNormUsable(x)) y = tf.engine().runKernel(BATCH_NORM_TRAIN, { x, gamma, beta }, { epsilon });
 * ```
 */
export function nativeBatchNormUsable(x: tf.Tensor): boolean {
  return x.dtype === 'float32' && x.rank >= 1 && x.size > 0 && tf.getBackend() === 'wasm'
    && tf.getKernel(BATCH_NORM_TRAIN, 'wasm') !== undefined && nativeKernels() !== undefined;
}

/**
 * Fused training-mode BatchNorm forward for `wasm` on the native addon: the per-channel batch
 * mean and biased variance over every axis but the last (double-precision sums in fixed row
 * blocks, so deterministic for any thread count), then y = (x − mean)·rstd·γ + β, in two passes
 * over x instead of tfjs' dozen small kernels. Inputs `x`, `gamma`, `beta`; outputs
 * `[y, mean, variance, rstd]`.
 *
 * @example
 * ```ts
 * tf.registerKernel(batchNormTrainConfig);
 * const [y, mean, variance, rstd] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x, gamma, beta }, { epsilon: 1e-5 }) as tf.Tensor[];
 * ```
 */
export const batchNormTrainConfig: tf.KernelConfig = {
  kernelName: BATCH_NORM_TRAIN,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend: b, attrs }) => {
    const backend = asWasmBackend(b);
    const addon = required();
    const { x, gamma, beta } = inputs as unknown as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
    const { epsilon, relu } = attrs as unknown as BatchNormTrainAttrs;
    const { rows, channels } = channelsOf(x);
    const y = backend.makeOutput(x.shape, 'float32');
    const mean = backend.makeOutput([channels], 'float32');
    const variance = backend.makeOutput([channels], 'float32');
    const rstd = backend.makeOutput([channels], 'float32');
    // Views only after allocating: growing the heap may replace its buffer.
    const v = (t: tf.TensorInfo): Float32Array => backend.typedArrayFromHeap(t) as Float32Array;
    const run = relu === true ? addon.batchNormReluTrain : addon.batchNormTrain;
    run.call(addon, v(x), v(gamma), v(beta), v(y), v(mean), v(variance), v(rstd), rows, channels, epsilon, getThreadsCount());
    return [y, mean, variance, rstd];
  },
};

/**
 * Gradient of {@link batchNormTrainConfig} for `wasm` on the native addon, in two passes over
 * the data: Σdy and Σdy·(x − mean) per channel (double, fixed row blocks), then
 * dx = γ·rstd/N · (N·dy − dβ − x̂·dγ) in one fused pass. Inputs `x`, `dy`, `gamma`, `mean`,
 * `rstd` (and `beta` with the `relu` attribute); outputs `[dx, dgamma, dbeta]`.
 *
 * @example
 * ```ts
 * const [dx, dgamma, dbeta] = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { x, dy, gamma, mean, rstd }) as tf.Tensor[];
 * ```
 */
export const batchNormTrainGradConfig: tf.KernelConfig = {
  kernelName: BATCH_NORM_TRAIN_GRAD,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend: b, attrs }) => {
    const backend = asWasmBackend(b);
    const addon = required();
    const { x, dy, gamma, beta, mean, rstd } = inputs as unknown as Record<'x' | 'dy' | 'gamma' | 'beta' | 'mean' | 'rstd', tf.TensorInfo>;
    const relu = (attrs as Partial<BatchNormTrainAttrs> | undefined)?.relu === true;
    if (relu && beta === undefined) throw new Error(`${BATCH_NORM_TRAIN_GRAD}: relu needs beta`);
    if (!tf.util.arraysEqual(x.shape, dy.shape)) throw new Error(`${BATCH_NORM_TRAIN_GRAD}: dy [${dy.shape.join(', ')}] must have x's shape [${x.shape.join(', ')}]`);
    const { rows, channels } = channelsOf(x);
    const dx = backend.makeOutput(x.shape, 'float32');
    const dgamma = backend.makeOutput([channels], 'float32');
    const dbeta = backend.makeOutput([channels], 'float32');
    const v = (t: tf.TensorInfo): Float32Array => backend.typedArrayFromHeap(t) as Float32Array;
    if (relu) addon.batchNormReluTrainGrad(v(x), v(dy), v(gamma), v(beta), v(mean), v(rstd), v(dx), v(dgamma), v(dbeta), rows, channels, getThreadsCount());
    else addon.batchNormTrainGrad(v(x), v(dy), v(gamma), v(mean), v(rstd), v(dx), v(dgamma), v(dbeta), rows, channels, getThreadsCount());
    return [dx, dgamma, dbeta];
  },
};
