import * as tf from '@tensorflow/tfjs';
import { asWasmBackend, stockWasmKernel } from './wasmKernelCall';

/**
 * `Identity` for `wasm` without the copy: the result shares the input's memory (reference
 * counted, as tfjs' own wasm `Reshape` and the cpu backend's `Identity` do). tfjs clones every
 * tensor an op saves for its gradient through `Identity`, and tfjs' wasm kernel copies it: the
 * weights of every dense layer and the activations of every layer, each step (AlexNet: ~240 MB
 * per step, 5 % of its kernel time). Sharing is safe because no kernel writes into an existing
 * tensor's memory: every kernel writes only outputs it allocated. Strings run tfjs' kernel.
 *
 * @example
 * ```ts
 * tf.registerKernel(identityConfig);
 * ```
 */
export const identityConfig: tf.KernelConfig = {
  kernelName: tf.Identity,
  backendName: 'wasm',
  kernelFunc: (args) => {
    const { x } = args.inputs as unknown as { x: tf.TensorInfo };
    if (x.dtype === 'string') return stockWasmKernel(tf.Identity).kernelFunc(args);
    asWasmBackend(args.backend).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  },
};
