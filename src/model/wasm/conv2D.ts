import * as tf from '@tensorflow/tfjs';
import { nativeConv2D } from './nativeConv2D';
import { nativeKernels } from './nativeKernels';
import { asWasmBackend, stockWasmKernel } from './wasmKernelCall';

function convInfo(x: tf.TensorInfo, filter: tf.TensorInfo, attrs: tf.Conv2DAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number], attrs.strides,
    attrs.dilations, attrs.pad, attrs.dimRoundingMode, false, tf.backend_util.convertConv2DDataFormat(attrs.dataFormat));
}

/**
 * `Conv2D` for `wasm`: on rxtrain's native GEMM when the addon is built and enabled (see
 * `nativeKernelState()`), else tfjs' XNNPACK kernel.
 *
 * @example
 * ```ts
 * tf.registerKernel(conv2DConfig);
 * ```
 */
export const conv2DConfig: tf.KernelConfig = {
  kernelName: tf.Conv2D,
  backendName: 'wasm',
  setupFunc: (backend) => stockWasmKernel(tf.Conv2D).setupFunc?.(backend),
  kernelFunc: (args) => {
    const addon = nativeKernels();
    if (addon !== undefined) {
      const { x, filter } = args.inputs as unknown as { x: tf.TensorInfo; filter: tf.TensorInfo };
      const info = convInfo(x, filter, args.attrs as unknown as tf.Conv2DAttrs);
      const out = nativeConv2D(addon, asWasmBackend(args.backend), x, filter, undefined, info, false);
      if (out !== undefined) return out;
    }
    return stockWasmKernel(tf.Conv2D).kernelFunc(args);
  },
};

/**
 * `FusedConv2D` for `wasm` (bias and `linear`/`relu` activation fused into the native GEMM's
 * epilogue); other activations, PReLU weights or no addon run tfjs' XNNPACK kernel.
 *
 * @example
 * ```ts
 * tf.registerKernel(fusedConv2DConfig);
 * ```
 */
export const fusedConv2DConfig: tf.KernelConfig = {
  kernelName: tf.FusedConv2D,
  backendName: 'wasm',
  setupFunc: (backend) => stockWasmKernel(tf.FusedConv2D).setupFunc?.(backend),
  kernelFunc: (args) => {
    const addon = nativeKernels();
    const attrs = args.attrs as unknown as tf.FusedConv2DAttrs;
    const inputs = args.inputs as unknown as { x: tf.TensorInfo; filter: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
    const act = attrs.activation ?? 'linear';
    if (addon !== undefined && (act === 'linear' || act === 'relu') && inputs.preluActivationWeights === undefined) {
      const info = convInfo(inputs.x, inputs.filter, attrs);
      const out = nativeConv2D(addon, asWasmBackend(args.backend), inputs.x, inputs.filter, inputs.bias, info, act === 'relu');
      if (out !== undefined) return out;
    }
    return stockWasmKernel(tf.FusedConv2D).kernelFunc(args);
  },
};
