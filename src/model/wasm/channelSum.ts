import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { nativeKernels } from './nativeKernels';
import { asWasmBackend, stockWasmKernel } from './wasmKernelCall';

/** Whether `axes` (normalised) are exactly every axis but the last of a rank-`rank` tensor. */
function allButLast(axes: number[], rank: number): boolean {
  if (rank < 2 || axes.length !== rank - 1) return false;
  const sorted = [...axes].sort((a, b) => a - b);
  return sorted.every((a, i) => a === i);
}

/**
 * `Sum` for `wasm`: a sum over every axis but the last of a float32 tensor (bias and BatchNorm
 * gradients: per-channel sums over N·H·W) runs on rxtrain's native addon, one pass in place,
 * double-precision accumulation in fixed row blocks (deterministic). tfjs' wasm kernel first
 * transposes the reduced axes innermost, a full copy of the input. Every other sum, or no
 * addon, runs tfjs' kernel.
 *
 * @example
 * ```ts
 * tf.registerKernel(channelSumConfig);
 * ```
 */
export const channelSumConfig: tf.KernelConfig = {
  kernelName: tf.Sum,
  backendName: 'wasm',
  setupFunc: (backend) => stockWasmKernel(tf.Sum).setupFunc?.(backend),
  kernelFunc: (args) => {
    const addon = nativeKernels();
    const { x } = args.inputs as unknown as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const rank = x.shape.length;
    const size = tf.util.sizeFromShape(x.shape);
    if (addon !== undefined && x.dtype === 'float32' && size > 0 && allButLast(tf.util.parseAxisParam(axis, x.shape), rank)) {
      const backend = asWasmBackend(args.backend);
      const channels = x.shape[rank - 1];
      const out = backend.makeOutput(keepDims ? [...x.shape.slice(0, -1).map(() => 1), channels] : [channels], 'float32');
      // Views only after allocating: growing the heap may replace its buffer.
      addon.channelSum(backend.typedArrayFromHeap(x) as Float32Array, backend.typedArrayFromHeap(out) as Float32Array,
        size / channels, channels, getThreadsCount());
      return out;
    }
    return stockWasmKernel(tf.Sum).kernelFunc(args);
  },
};
