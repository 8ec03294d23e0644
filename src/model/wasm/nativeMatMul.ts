import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, type BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from './nativeKernels';

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * op(A)·op(B) (+ bias over the last axis, optional ReLU) for batch-1 float32 operands (rank 2,
 * or rank 3 with batch 1) on the native GEMM, in place on the wasm heap; transposes cost
 * nothing (the GEMM packs either layout). Returns undefined for batched or broadcast products,
 * other dtypes, empty tensors or a bias that is not one value per output column: the caller
 * then runs the wasm kernel.
 *
 * @example
 * ```ts
 * const c = nativeMatMul(addon, backend, a, b, false, true, undefined, false) ?? stock(args);
 * ```
 */
export function nativeMatMul(addon: NativeAddon, backend: BackendWasm, a: tf.TensorInfo, b: tf.TensorInfo,
  transposeA: boolean, transposeB: boolean, bias: tf.TensorInfo | undefined, relu: boolean): tf.TensorInfo | undefined {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2 || size(a.shape.slice(0, -2)) !== 1 || size(b.shape.slice(0, -2)) !== 1) return undefined;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb || m === 0 || n === 0 || k === 0) return undefined;
  if (bias !== undefined && (bias.dtype !== 'float32' || size(bias.shape) !== n || bias.shape[bias.shape.length - 1] !== n)) return undefined;
  const outer = (ra >= rb ? a : b).shape.slice(0, -2);
  const out = backend.makeOutput([...outer, m, n], 'float32');
  // Views only after allocating: growing the heap may replace its buffer.
  const view = (t: tf.TensorInfo): Float32Array => backend.typedArrayFromHeap(t) as Float32Array;
  addon.matmul(view(a), view(b), view(out), bias === undefined ? null : view(bias), transposeA, transposeB, m, n, k, relu, getThreadsCount());
  return out;
}
