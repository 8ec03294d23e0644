import * as tf from '@tensorflow/tfjs';
import { batchMatMulConfig, fusedMatMulConfig } from './batchMatMul';
import { conv2DConfig, fusedConv2DConfig } from './conv2D';
import { conv2DBackpropFilterConfig } from './conv2DBackpropFilter';
import { conv2DBackpropInputConfig } from './conv2DBackpropInput';
import { channelSumConfig } from './channelSum';
import { identityConfig } from './identity';
import { maxPoolConfig } from './maxPool';
import { maxPoolGradConfig } from './maxPoolGrad';
import { batchNormTrainConfig, batchNormTrainGradConfig } from './nativeBatchNorm';
import { sgdUpdateConfig } from './nativeSgd';
import { reluGradConfig } from './reluGrad';
import { stockWasmKernel } from './wasmKernelCall';

/** The kernel configs rxtrain adds to (or replaces on) the `wasm` backend. */
const kernels: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  maxPoolGradConfig,
  batchMatMulConfig,
  fusedMatMulConfig,
  conv2DConfig,
  fusedConv2DConfig,
  maxPoolConfig,
  channelSumConfig,
  batchNormTrainConfig,
  batchNormTrainGradConfig,
  identityConfig,
  sgdUpdateConfig,
  reluGradConfig,
];

/** tfjs wasm kernels the replacements delegate to; captured before anything is replaced. */
const delegates = ['Conv2D', 'FusedConv2D', 'Transpose', 'Slice', 'Reverse', 'Reshape', 'Conv2DBackpropInput', 'BatchMatMul', '_FusedMatMul', 'MaxPoolGrad', 'MaxPool', 'Sum', 'Identity'];

let registered = false;

/**
 * Names of the kernels rxtrain registers for `wasm`.
 *
 * @example
 * ```ts
 * wasmTrainingKernelNames(); // ['Conv2DBackpropFilter', 'Conv2DBackpropInput', ...]
 * ```
 */
export function wasmTrainingKernelNames(): string[] {
  return kernels.map((k) => k.kernelName);
}

/**
 * Registers the kernels that training a convnet needs on tfjs' `wasm` backend and that tfjs
 * 4.22 lacks (`Conv2DBackpropFilter`), gets wrong (`MaxPoolGrad`) or runs slowly
 * (`Conv2DBackpropInput`, transposed `BatchMatMul`/`_FusedMatMul`, and on the native addon
 * `MaxPool` and per-channel `Sum`), plus rxtrain's fused training BatchNorm kernels
 * (`RxtrainBatchNormTrain`, `RxtrainBatchNormTrainGrad`), SGD update (`RxtrainSgdUpdate`) and
 * ReLU gradient (`RxtrainReluGrad`), native addon only, and a copy-free
 * `Identity` (the clones tfjs saves for gradients). Idempotent; replaces tfjs'
 * own registration of the same kernel name. Call it before the `wasm` backend is first
 * initialised (initBackend does) so that the replacements' setup runs with the backend.
 *
 * @example
 * ```ts
 * registerWasmTrainingKernels();
 * await tf.setBackend('wasm');
 * ```
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  for (const name of delegates) stockWasmKernel(name);
  for (const k of kernels) {
    if (tf.getKernel(k.kernelName, 'wasm') !== undefined) tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel(k);
  }
  registered = true;
}
