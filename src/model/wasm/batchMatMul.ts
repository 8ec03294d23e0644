import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { nativeKernels } from './nativeKernels';
import { nativeMatMul } from './nativeMatMul';
import { asWasmBackend, releaseWasm, runWasmKernel, stockWasmKernel } from './wasmKernelCall';

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function outerSize(shape: readonly number[]): number {
  return size(shape.slice(0, -2));
}

/** Materialises the transpose of the last two axes of a batch-1 tensor, keeping its rank. */
function transpose2D(backend: BackendWasm, x: tf.TensorInfo): tf.TensorInfo {
  const r = x.shape.length;
  const rows = x.shape[r - 2];
  const cols = x.shape[r - 1];
  const flat = runWasmKernel(backend, 'Reshape', { x }, { shape: [rows, cols] });
  const t = runWasmKernel(backend, 'Transpose', { x: flat }, { perm: [1, 0] });
  releaseWasm(backend, flat);
  if (r === 2) return t;
  const shaped = runWasmKernel(backend, 'Reshape', { x: t }, { shape: [...x.shape.slice(0, -2), cols, rows] });
  releaseWasm(backend, t);
  return shaped;
}

/**
 * Plan for op(A)·op(B): either materialise the transposed operands, or compute the transposed
 * product op(B)ᵀ·op(A)ᵀ (whose operands flip their transposition) and transpose the result.
 * Picks whichever copies fewer elements; e.g. dX = dY·Wᵀ of a 9216×4096 dense layer transposes
 * the 16-row dY and result rather than all of W.
 */
function planSwap(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): boolean {
  const m = transposeA ? a.shape[a.shape.length - 1] : a.shape[a.shape.length - 2];
  const n = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
  const direct = (transposeA ? size(a.shape) : 0) + (transposeB ? size(b.shape) : 0);
  const swapped = (transposeA ? 0 : size(a.shape)) + (transposeB ? 0 : size(b.shape)) + m * n;
  return swapped < direct;
}

/**
 * `BatchMatMul` for `wasm`. tfjs' kernel uses XNNPACK's fast GEMM only when neither operand is
 * transposed; otherwise it runs a scalar loop many times slower. Training needs exactly those
 * products (dX = dY·Wᵀ, dW = Xᵀ·dY), so transposes are materialised (or the product computed
 * the other way round, see planSwap) and the untransposed XNNPACK path is used. Batched (3-D,
 * batch > 1) products, which the models do not use, keep tfjs' kernel. With rxtrain's native
 * addon active, batch-1 float32 products (transposed or not) run on its GEMM instead.
 *
 * @example
 * ```ts
 * tf.registerKernel(batchMatMulConfig);
 * ```
 */
export const batchMatMulConfig: tf.KernelConfig = {
  kernelName: tf.BatchMatMul,
  backendName: 'wasm',
  setupFunc: (backend) => stockWasmKernel(tf.BatchMatMul).setupFunc?.(backend),
  kernelFunc: (args) => {
    const backend = asWasmBackend(args.backend);
    const { a, b } = args.inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    const stock = stockWasmKernel(tf.BatchMatMul).kernelFunc;
    const addon = nativeKernels();
    const native = addon === undefined ? undefined : nativeMatMul(addon, backend, a, b, transposeA, transposeB, undefined, false);
    if (native !== undefined) return native;
    if ((!transposeA && !transposeB) || outerSize(a.shape) !== 1 || outerSize(b.shape) !== 1 || a.dtype !== 'float32' || b.dtype !== 'float32') {
      return stock(args);
    }
    const plain = { transposeA: false, transposeB: false };
    if (planSwap(a, b, transposeA, transposeB)) {
      // op(A)·op(B) = (op(B)ᵀ·op(A)ᵀ)ᵀ, and op(B)ᵀ is B itself when transposeB.
      const lhs = transposeB ? b : transpose2D(backend, b);
      const rhs = transposeA ? a : transpose2D(backend, a);
      const prod = stock({ inputs: { a: lhs, b: rhs }, backend, attrs: plain }) as tf.TensorInfo;
      if (lhs !== b) releaseWasm(backend, lhs);
      if (rhs !== a) releaseWasm(backend, rhs);
      const t = transpose2D(backend, prod);
      releaseWasm(backend, prod);
      const outer = (a.shape.length >= b.shape.length ? a : b).shape.slice(0, -2);
      const r = t.shape.length;
      const out = runWasmKernel(backend, 'Reshape', { x: t }, { shape: [...outer, t.shape[r - 2], t.shape[r - 1]] });
      releaseWasm(backend, t);
      return out;
    }
    const lhs = transposeA ? transpose2D(backend, a) : a;
    const rhs = transposeB ? transpose2D(backend, b) : b;
    const out = stock({ inputs: { a: lhs, b: rhs }, backend, attrs: plain });
    if (lhs !== a) releaseWasm(backend, lhs);
    if (rhs !== b) releaseWasm(backend, rhs);
    return out;
  },
};

/**
 * `_FusedMatMul` for `wasm`: like {@link batchMatMulConfig}, transposed operands are
 * materialised so that XNNPACK's fast path runs; bias and activation stay fused. With the native
 * addon active, `linear`/`relu` products with a per-column bias run on its GEMM.
 *
 * @example
 * ```ts
 * tf.registerKernel(fusedMatMulConfig);
 * ```
 */
export const fusedMatMulConfig: tf.KernelConfig = {
  kernelName: tf._FusedMatMul,
  backendName: 'wasm',
  setupFunc: (backend) => stockWasmKernel(tf._FusedMatMul).setupFunc?.(backend),
  kernelFunc: (args) => {
    const backend = asWasmBackend(args.backend);
    const inputs = args.inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf._FusedMatMulAttrs;
    const stock = stockWasmKernel(tf._FusedMatMul).kernelFunc;
    const { a, b } = inputs;
    const addon = nativeKernels();
    const act = attrs.activation ?? 'linear';
    const extra = args.inputs as unknown as { bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
    if (addon !== undefined && (act === 'linear' || act === 'relu') && extra.preluActivationWeights === undefined) {
      const native = nativeMatMul(addon, backend, a, b, attrs.transposeA, attrs.transposeB, extra.bias, act === 'relu');
      if (native !== undefined) return native;
    }
    if ((!attrs.transposeA && !attrs.transposeB) || outerSize(a.shape) !== 1 || outerSize(b.shape) !== 1) return stock(args);
    const lhs = attrs.transposeA ? transpose2D(backend, a) : a;
    const rhs = attrs.transposeB ? transpose2D(backend, b) : b;
    const out = stock({
      inputs: { ...args.inputs, a: lhs, b: rhs },
      backend,
      attrs: { ...(args.attrs ?? {}), transposeA: false, transposeB: false },
    });
    if (lhs !== a) releaseWasm(backend, lhs);
    if (rhs !== b) releaseWasm(backend, rhs);
    return out;
  },
};
