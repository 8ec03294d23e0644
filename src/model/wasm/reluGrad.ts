import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { nativeKernels } from './nativeKernels';
import { asWasmBackend } from './wasmKernelCall';

/**
 * Kernel name of the fused ReLU gradient from the ReLU's output (inputs `dy`, `y`; output
 * dy·step(y)), native addon on `wasm` only.
 *
 * @example
 * ```ts
 * tf.getKernel(RELU_GRAD, 'wasm') !== undefined; // after registerWasmTrainingKernels()
 * ```
 */
export const RELU_GRAD = 'RxtrainReluGrad';

/**
 * dy·step(y) for `wasm` on the native addon, in one threaded pass where tfjs runs a Step and a
 * Multiply (each a single-threaded pass on wasm): the gradient of the ReLU in a convolution's
 * epilogue. The same bits as tfjs' `mul(dy, step(y))`, ±0 included.
 *
 * @example
 * ```ts
 * tf.registerKernel(reluGradConfig);
 * const g = tf.engine().runKernel(RELU_GRAD, { dy, y }) as tf.Tensor;
 * ```
 */
export const reluGradConfig: tf.KernelConfig = {
  kernelName: RELU_GRAD,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend: b }) => {
    const backend = asWasmBackend(b);
    const addon = nativeKernels();
    // reluGrad only dispatches here after checking; switched off in between must not change the math.
    if (addon === undefined) throw new Error(`${RELU_GRAD}: the native addon is not active`);
    const { dy, y } = inputs as unknown as { dy: tf.TensorInfo; y: tf.TensorInfo };
    if (!tf.util.arraysEqual(dy.shape, y.shape)) throw new Error(`${RELU_GRAD}: dy [${dy.shape.join(', ')}] must have y's shape [${y.shape.join(', ')}]`);
    const out = backend.makeOutput(dy.shape, 'float32');
    // Views only after allocating: growing the heap may replace its buffer.
    const v = (t: tf.TensorInfo): Float32Array => backend.typedArrayFromHeap(t) as Float32Array;
    addon.reluGrad(v(dy), v(y), v(out), tf.util.sizeFromShape(dy.shape), getThreadsCount());
    return out;
  },
};

/**
 * The gradient of a ReLU given its output `y`: dy·step(y), as tfjs' own ReLU gradient (which
 * uses the input; the signs agree). One native pass ({@link reluGradConfig}) on `wasm` with the
 * addon, `tf.mul(dy, tf.step(y))` elsewhere.
 *
 * @example
 * ```ts
 * const g = reluGrad(dy, y); // 0 where y ≤ 0, dy elsewhere
 * ```
 */
export function reluGrad(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  const native = dy.dtype === 'float32' && y.dtype === 'float32' && dy.size > 0 && tf.util.arraysEqual(dy.shape, y.shape)
    && tf.getBackend() === 'wasm' && tf.getKernel(RELU_GRAD, 'wasm') !== undefined && nativeKernels() !== undefined;
  return native ? tf.engine().runKernel(RELU_GRAD, { dy, y }) as tf.Tensor : tf.mul(dy, tf.step(y));
}
