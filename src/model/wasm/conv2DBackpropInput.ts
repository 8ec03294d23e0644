import * as tf from '@tensorflow/tfjs';
import { nativeConv2DBackpropInput } from './nativeConv2D';
import { nativeKernels } from './nativeKernels';
import { asWasmBackend, releaseWasm, runWasmKernel, stockWasmKernel, transposeWasm } from './wasmKernelCall';

/**
 * `Conv2DBackpropInput` for `wasm`. tfjs' own kernel is a plain C++ loop; for stride 1 the input
 * gradient is an ordinary convolution of dy with the spatially flipped filter (in/out channels
 * swapped) and padding k−1−p, which XNNPACK runs several times faster. Strided or over-padded
 * cases (not used past the first layer of the shipped models, whose input needs no gradient)
 * keep tfjs' kernel. With rxtrain's native addon active, every NHWC case runs on its GEMM instead.
 *
 * @example
 * ```ts
 * tf.registerKernel(conv2DBackpropInputConfig);
 * ```
 */
export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  setupFunc: (backend) => stockWasmKernel(tf.Conv2DBackpropInput).setupFunc?.(backend),
  kernelFunc: (args) => {
    const backend = asWasmBackend(args.backend);
    const { dy, filter } = args.inputs as unknown as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const info = tf.backend_util.computeConv2DInfo(
      inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false,
      tf.backend_util.convertConv2DDataFormat(dataFormat));
    const addon = nativeKernels();
    const native = addon === undefined ? undefined : nativeConv2DBackpropInput(addon, backend, dy, filter, info);
    if (native !== undefined) return native;
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, inHeight: H, inWidth: W, outHeight: oh, outWidth: ow } = info;
    const top = kh - 1 - info.padInfo.top;
    const left = kw - 1 - info.padInfo.left;
    const bottom = H - oh - top + kh - 1;
    const right = W - ow - left + kw - 1;
    if (info.dataFormat !== 'channelsLast' || sh !== 1 || sw !== 1 || Math.min(top, left, bottom, right) < 0) {
      return stockWasmKernel(tf.Conv2DBackpropInput).kernelFunc(args);
    }
    const flipped = runWasmKernel(backend, 'Reverse', { x: filter }, { dims: [0, 1] });
    const swapped = transposeWasm(backend, flipped, [0, 1, 3, 2]);
    releaseWasm(backend, flipped);
    const dx = runWasmKernel(backend, 'Conv2D', { x: dy, filter: swapped }, {
      strides: [1, 1],
      pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
      dataFormat: 'NHWC',
      dilations: [1, 1],
      dimRoundingMode: undefined,
    } as unknown as tf.NamedAttrMap);
    releaseWasm(backend, swapped);
    return dx;
  },
};
