import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, type BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from './nativeKernels';

/** The addon's geometry array for a channels-last convolution. */
function geometry(info: tf.backend_util.Conv2DInfo): number[] {
  return [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.filterHeight, info.filterWidth,
    info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, info.padInfo.top, info.padInfo.left,
    info.outHeight, info.outWidth, info.outChannels];
}

function usable(info: tf.backend_util.Conv2DInfo, ...tensors: tf.TensorInfo[]): boolean {
  return info.dataFormat === 'channelsLast' && info.padInfo.top >= 0 && info.padInfo.left >= 0
    && tensors.every((t) => t.dtype === 'float32' && tf.util.sizeFromShape(t.shape) > 0);
}

function view(backend: BackendWasm, t: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/**
 * Forward NHWC convolution (+ per-channel bias, optional ReLU) on the native GEMM, reading and
 * writing the wasm heap in place. Returns undefined for what it does not cover (other data
 * formats, non-float32, empty tensors, a bias that is not one value per output channel); the
 * caller then runs the wasm kernel.
 *
 * @example
 * ```ts
 * const y = nativeConv2D(addon, backend, x, filter, undefined, info, false) ?? stock(args);
 * ```
 */
export function nativeConv2D(addon: NativeAddon, backend: BackendWasm, x: tf.TensorInfo, filter: tf.TensorInfo,
  bias: tf.TensorInfo | undefined, info: tf.backend_util.Conv2DInfo, relu: boolean): tf.TensorInfo | undefined {
  if (!usable(info, x, filter)) return undefined;
  if (bias !== undefined && (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== info.outChannels
    || bias.shape[bias.shape.length - 1] !== info.outChannels)) return undefined;
  const out = backend.makeOutput(info.outShape, 'float32');
  // Views only after allocating: growing the heap may replace its buffer.
  addon.conv2d(view(backend, x), view(backend, filter), view(backend, out), bias === undefined ? null : view(backend, bias),
    geometry(info), relu, getThreadsCount());
  return out;
}

/**
 * Input gradient of an NHWC convolution (any stride, padding, dilation) on the native GEMM:
 * dy·Wᵀ per image, scattered back (col2im). Undefined when not covered, as {@link nativeConv2D};
 * also when dy is not exactly the convolution's output shape.
 *
 * @example
 * ```ts
 * const dx = nativeConv2DBackpropInput(addon, backend, dy, filter, info) ?? fallback();
 * ```
 */
export function nativeConv2DBackpropInput(addon: NativeAddon, backend: BackendWasm, dy: tf.TensorInfo, filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo): tf.TensorInfo | undefined {
  if (!usable(info, dy, filter) || !tf.util.arraysEqual(dy.shape, info.outShape)) return undefined;
  const out = backend.makeOutput(info.inShape, 'float32');
  addon.conv2dBackpropInput(view(backend, dy), view(backend, filter), view(backend, out), geometry(info), getThreadsCount());
  return out;
}

/**
 * Filter gradient of an NHWC convolution on the native GEMM: im2col(x)ᵀ·dy, split over threads
 * by filter rows, each summed over the batch in fixed 256-row blocks (deterministic).
 * Undefined when not covered, as {@link nativeConv2DBackpropInput}.
 *
 * @example
 * ```ts
 * const dw = nativeConv2DBackpropFilter(addon, backend, x, dy, info) ?? fallback();
 * ```
 */
export function nativeConv2DBackpropFilter(addon: NativeAddon, backend: BackendWasm, x: tf.TensorInfo, dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo): tf.TensorInfo | undefined {
  if (!usable(info, x, dy) || !tf.util.arraysEqual(dy.shape, info.outShape)) return undefined;
  const out = backend.makeOutput(info.filterShape, 'float32');
  addon.conv2dBackpropFilter(view(backend, x), view(backend, dy), view(backend, out), geometry(info), getThreadsCount());
  return out;
}
