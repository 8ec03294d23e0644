import * as tf from '@tensorflow/tfjs';
import { nativeConv2DBackpropFilter } from './nativeConv2D';
import { nativeKernels } from './nativeKernels';
import { asWasmBackend, releaseWasm, runWasmKernel, transposeWasm } from './wasmKernelCall';

/**
 * `Conv2DBackpropFilter` for `wasm`, which tfjs 4.22 does not provide (so no conv net could be
 * trained on it). The filter gradient dW[kh,kw,ci,co] = Σ_b,p,q xpad[b, i+p·s, j+q·s, ci] · dy[b,p,q,co]
 * is itself a convolution: batch ↔ channels swapped on x ([Ci,H,W,B]), dy as the filter
 * ([oh,ow,B,Co]), dilation = forward stride, stride 1. That runs on XNNPACK's convolution
 * (the fastest code in tfjs-backend-wasm) unless rxtrain's native addon is active, which computes
 * im2col(x)ᵀ·dy directly. Padding: forward top/left; bottom/right chosen so the
 * output is exactly kh×kw, or cropped when the forward pass dropped trailing rows/columns.
 *
 * @example
 * ```ts
 * tf.registerKernel(conv2DBackpropFilterConfig);
 * ```
 */
export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend: b, attrs }) => {
    const backend = asWasmBackend(b);
    const { x, dy } = inputs as unknown as tf.Conv2DBackpropFilterInputs & { x: tf.TensorInfo; dy: tf.TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false,
      tf.backend_util.convertConv2DDataFormat(dataFormat));
    if (info.dataFormat !== 'channelsLast') throw new Error('wasm Conv2DBackpropFilter supports only NHWC');
    const addon = nativeKernels();
    const native = addon === undefined ? undefined : nativeConv2DBackpropFilter(addon, backend, x, dy, info);
    if (native !== undefined) return native;
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, inHeight: H, inWidth: W, outHeight: oh, outWidth: ow } = info;
    const top = info.padInfo.top;
    const left = info.padInfo.left;
    const bottom = kh + (oh - 1) * sh - H - top;
    const right = kw + (ow - 1) * sw - W - left;

    if (dy.shape[1] < oh || dy.shape[2] < ow) {
      throw new Error(`Conv2DBackpropFilter: dy ${dy.shape.join('×')} is smaller than the ${oh}×${ow} output of the convolution`);
    }
    // tfjs-core's Conv2D gradient drops dimRoundingMode, so dy can carry one extra ('ceil') row
    // or column that the recomputed geometry does not cover; `cpu` ignores it, and so do we.
    const dyUsed = dy.shape[1] === oh && dy.shape[2] === ow
      ? dy
      : runWasmKernel(backend, 'Slice', { x: dy }, { begin: [0, 0, 0, 0], size: [dy.shape[0], oh, ow, dy.shape[3]] });
    const xT = transposeWasm(backend, x, [3, 1, 2, 0]);
    const dyT = transposeWasm(backend, dyUsed, [1, 2, 0, 3]);
    if (dyUsed !== dy) releaseWasm(backend, dyUsed);
    let g = runWasmKernel(backend, 'Conv2D', { x: xT, filter: dyT }, {
      strides: [1, 1],
      pad: [[0, 0], [top, Math.max(0, bottom)], [left, Math.max(0, right)], [0, 0]],
      dataFormat: 'NHWC',
      dilations: [sh, sw],
      dimRoundingMode: undefined,
    } as unknown as tf.NamedAttrMap);
    releaseWasm(backend, xT, dyT);
    if (g.shape[1] !== kh || g.shape[2] !== kw) {
      const cropped = runWasmKernel(backend, 'Slice', { x: g }, { begin: [0, 0, 0, 0], size: [g.shape[0], kh, kw, g.shape[3]] });
      releaseWasm(backend, g);
      g = cropped;
    }
    const out = transposeWasm(backend, g, [1, 2, 0, 3]);
    releaseWasm(backend, g);
    return out;
  },
};
