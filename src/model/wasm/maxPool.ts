import * as tf from '@tensorflow/tfjs';
import { nativeKernels } from './nativeKernels';
import { nativeMaxPool } from './nativeMaxPool';
import { asWasmBackend, stockWasmKernel } from './wasmKernelCall';

/**
 * `MaxPool` for `wasm`: on rxtrain's native addon when it is built and enabled, else tfjs'
 * XNNPACK kernel. Native keeps the same first-maximum choice as its gradient
 * (`MaxPoolGrad`), and with it the cpu backend's.
 *
 * @example
 * ```ts
 * tf.registerKernel(maxPoolConfig);
 * ```
 */
export const maxPoolConfig: tf.KernelConfig = {
  kernelName: tf.MaxPool,
  backendName: 'wasm',
  setupFunc: (backend) => stockWasmKernel(tf.MaxPool).setupFunc?.(backend),
  kernelFunc: (args) => {
    const addon = nativeKernels();
    if (addon !== undefined) {
      const { x } = args.inputs as unknown as { x: tf.TensorInfo };
      const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.MaxPoolAttrs;
      if (x.shape.length === 4) {
        const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
        const out = nativeMaxPool(addon, asWasmBackend(args.backend), x, info);
        if (out !== undefined) return out;
      }
    }
    return stockWasmKernel(tf.MaxPool).kernelFunc(args);
  },
};
