import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, type BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from './nativeKernels';

/** The addon's pooling geometry array for channels-last 2-D pooling. */
function geometry(info: tf.backend_util.Conv2DInfo): number[] {
  return [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.filterHeight, info.filterWidth,
    info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left, info.outHeight, info.outWidth];
}

function usable(info: tf.backend_util.Conv2DInfo, ...tensors: tf.TensorInfo[]): boolean {
  return info.dataFormat === 'channelsLast' && info.dilationHeight === 1 && info.dilationWidth === 1
    && info.padInfo.top >= 0 && info.padInfo.left >= 0
    && tensors.every((t) => t.dtype === 'float32' && t.shape.length === 4 && tf.util.sizeFromShape(t.shape) > 0);
}

function view(backend: BackendWasm, t: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/**
 * NHWC max pooling on the native addon, in place on the wasm heap; each window's first maximum
 * (row-major, starting from −∞) wins, as on `cpu`. Returns undefined for what it does not cover
 * (dilation, other data formats, non-float32, empty tensors): the caller runs the wasm kernel.
 *
 * @example
 * ```ts
 * const info = tf.backend_util.computePool2DInfo(x.shape, 3, 2, 1, 'valid');
 * const y = nativeMaxPool(addon, backend, x, info) ?? stock(args);
 * ```
 */
export function nativeMaxPool(addon: NativeAddon, backend: BackendWasm, x: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo | undefined {
  if (!usable(info, x)) return undefined;
  const out = backend.makeOutput(info.outShape, 'float32');
  // Views only after allocating: growing the heap may replace its buffer.
  addon.maxPool(view(backend, x), view(backend, out), geometry(info), getThreadsCount());
  return out;
}

/**
 * Max-pooling gradient on the native addon: recomputes each window's first maximum from the
 * input and adds dy there (split by image, so each dx element is summed by one thread in window
 * order). Undefined when not covered, as {@link nativeMaxPool}; also when dy is not exactly the
 * pooling's output shape.
 *
 * @example
 * ```ts
 * const dx = nativeMaxPoolGrad(addon, backend, input, dy, info) ?? jsFallback();
 * ```
 */
export function nativeMaxPoolGrad(addon: NativeAddon, backend: BackendWasm, x: tf.TensorInfo, dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo): tf.TensorInfo | undefined {
  if (!usable(info, x, dy) || !tf.util.arraysEqual(dy.shape, info.outShape)) return undefined;
  const out = backend.makeOutput(x.shape, 'float32');
  addon.maxPoolGrad(view(backend, x), view(backend, dy), view(backend, out), geometry(info), getThreadsCount());
  return out;
}
