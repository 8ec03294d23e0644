import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** tfjs' own `wasm` kernels, captured before rxtrain replaces any of them. */
const stock = new Map<string, tf.KernelConfig>();

/**
 * tfjs' original `wasm` kernel of that name (captured the first time it is asked for, so it
 * stays reachable after rxtrain registers a replacement under the same name).
 *
 * @example
 * ```ts
 * const conv = stockWasmKernel('Conv2D');
 * ```
 */
export function stockWasmKernel(name: string): tf.KernelConfig {
  let k = stock.get(name);
  if (k === undefined) {
    k = tf.getKernel(name, 'wasm');
    if (k === undefined) throw new Error(`tfjs-backend-wasm has no "${name}" kernel`);
    stock.set(name, k);
  }
  return k;
}

/**
 * Runs tfjs' original `wasm` kernel directly (no tape, no engine bookkeeping), as tfjs' own
 * kernels compose each other. The caller owns the returned TensorInfo and must release it with
 * {@link releaseWasm} unless it is the kernel's final output.
 *
 * @example
 * ```ts
 * const t = runWasmKernel(backend, 'Transpose', { x }, { perm: [1, 0] });
 * releaseWasm(backend, t);
 * ```
 */
export function runWasmKernel(backend: BackendWasm, name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
  const out = stockWasmKernel(name).kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`wasm kernel ${name} returned ${out.length} outputs, expected one`);
  return out;
}

/**
 * Frees intermediate TensorInfos made by {@link runWasmKernel}.
 *
 * @example
 * ```ts
 * releaseWasm(backend, xT, dyT);
 * ```
 */
export function releaseWasm(backend: BackendWasm, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/**
 * Narrows a kernel's `backend` argument (typed `{}` by tfjs) to the wasm backend.
 *
 * @example
 * ```ts
 * const backend = asWasmBackend(args.backend);
 * ```
 */
export function asWasmBackend(backend: unknown): BackendWasm {
  const b = backend as Partial<BackendWasm> | null;
  if (b === null || typeof b !== 'object' || typeof b.typedArrayFromHeap !== 'function') {
    throw new Error('rxtrain wasm training kernel called with a non-wasm backend');
  }
  return b as BackendWasm;
}

/**
 * Transposes with tfjs' wasm kernel, skipping identity permutations.
 *
 * @example
 * ```ts
 * const xT = transposeWasm(backend, x, [3, 1, 2, 0]);
 * ```
 */
export function transposeWasm(backend: BackendWasm, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  return runWasmKernel(backend, 'Transpose', { x }, { perm });
}
