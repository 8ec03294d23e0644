import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { nativeKernels } from './nativeKernels';
import { asWasmBackend } from './wasmKernelCall';

/**
 * Kernel name of the fused SGD update (inputs `p`, `g`; output the new weights).
 *
 * @example
 * ```ts
 * const next = tf.engine().runKernel(SGD_UPDATE, { p: weights, g: grad }, { negLr, momentum, weightDecay, nesterov, buffer });
 * ```
 */
export const SGD_UPDATE = 'RxtrainSgdUpdate';

/**
 * Attributes of {@link SGD_UPDATE}: float32-rounded coefficients and the momentum buffer,
 * updated in place (absent without momentum).
 *
 * @example
 * ```ts
 * const attrs: SgdUpdateAttrs = { negLr: Math.fround(-0.01), momentum: Math.fround(0.9), weightDecay: 0, nesterov: true, buffer };
 * ```
 */
export interface SgdUpdateAttrs {
  readonly negLr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  readonly buffer?: Float32Array;
}

/**
 * The fused SGD update for `wasm` on the native addon: reads weights and gradient in place on
 * the wasm heap, updates the momentum buffer and writes the new weights straight into a new
 * heap tensor: one multithreaded pass, no host-side copy. Bit-identical to the JavaScript loop
 * of `createSgd` (same float32 operations, no fused multiply-adds).
 *
 * @example
 * ```ts
 * tf.registerKernel(sgdUpdateConfig);
 * ```
 */
export const sgdUpdateConfig: tf.KernelConfig = {
  kernelName: SGD_UPDATE,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend: b, attrs }) => {
    const backend = asWasmBackend(b);
    const addon = nativeKernels();
    if (addon === undefined) throw new Error(`${SGD_UPDATE}: the native addon is not active`);
    const { p, g } = inputs as unknown as { p: tf.TensorInfo; g: tf.TensorInfo };
    const a = attrs as unknown as SgdUpdateAttrs;
    const n = tf.util.sizeFromShape(p.shape);
    const out = backend.makeOutput(p.shape, 'float32');
    // Views only after allocating: growing the heap may replace its buffer.
    const v = (t: tf.TensorInfo): Float32Array => backend.typedArrayFromHeap(t) as Float32Array;
    addon.sgdUpdate(v(g), v(p), a.buffer ?? null, v(out), n, a.negLr, a.momentum, a.weightDecay, a.nesterov, getThreadsCount());
    return out;
  },
};

/**
 * New weights after one SGD step of `variable` with `grad`, computed by {@link sgdUpdateConfig}
 * (the caller assigns and disposes them), or undefined when the native kernel does not apply
 * (not on `wasm`, addon off, not float32, sizes differ): the caller then runs its own loop.
 *
 * @example
 * ```ts
 * const next = nativeSgdUpdate(v, g, { negLr, momentum, weightDecay, nesterov, buffer });
 * if (next !== undefined) tf.tidy(() => v.assign(next));
 * ```
 */
export function nativeSgdUpdate(variable: tf.Tensor, grad: tf.Tensor, attrs: SgdUpdateAttrs): tf.Tensor | undefined {
  if (tf.getBackend() !== 'wasm' || tf.getKernel(SGD_UPDATE, 'wasm') === undefined || nativeKernels() === undefined) return undefined;
  if (variable.dtype !== 'float32' || grad.dtype !== 'float32' || grad.size !== variable.size) return undefined;
  if (attrs.buffer !== undefined && attrs.buffer.length < variable.size) return undefined;
  return tf.engine().runKernel(SGD_UPDATE, { p: variable, g: grad }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}
