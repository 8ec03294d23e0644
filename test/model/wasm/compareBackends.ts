import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { initBackend } from '../../../src/model/backend';
import { nativeKernelState, setNativeKernelsEnabled } from '../../../src/model/wasm/nativeKernels';

/**
 * The two ways the wasm backend can run rxtrain's kernels: on the native addon (`native`,
 * which must then be built: the test fails with the reason otherwise) or pure wasm (`pure`).
 */
export type WasmPath = 'native' | 'pure';

/** Both {@link WasmPath}s, for tests that check each. */
export const WASM_PATHS: readonly WasmPath[] = ['native', 'pure'];

/**
 * Test helper: runs `f` on the given backend (for `wasm`, on the given {@link WasmPath};
 * default native) and reads every output back as plain numbers.
 *
 * @example
 * ```ts
 * const [dw] = await runOn('wasm', () => [tf.grad(...)(x)], 'pure');
 * ```
 */
export async function runOn(backend: 'cpu' | 'wasm', f: () => tf.Tensor[], wasmPath: WasmPath = 'native'): Promise<Float32Array[]> {
  if (backend === 'wasm') {
    await initBackend({ prefer: 'wasm' });
    const state = nativeKernelState();
    if (wasmPath === 'native') assert.ok(state.available, `native addon expected (built by npm ci): ${state.reason ?? ''}`);
    setNativeKernelsEnabled(wasmPath === 'native');
  } else {
    await tf.setBackend('cpu');
  }
  try {
    const outs = tf.tidy(f);
    const data = await Promise.all(outs.map(async (t) => Float32Array.from(await t.data())));
    tf.dispose(outs);
    return data;
  } finally {
    setNativeKernelsEnabled(true);
  }
}

/**
 * Test helper: asserts that two arrays agree within `tol` relative to the larger of 1 and the
 * reference's largest magnitude (so a tolerance reads as "digits of the biggest value").
 *
 * @example
 * ```ts
 * assertClose(wasmOut, cpuOut, 1e-4, 'dW');
 * ```
 */
export function assertClose(actual: Float32Array, expected: Float32Array, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 1;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worst)) { worst = d; at = i; }
  }
  assert.ok(worst <= tol * scale, `${what}: max |wasm−cpu| = ${worst} at ${at} (wasm ${actual[at]}, cpu ${expected[at]}) > ${tol}·${scale}`);
}

/**
 * Test helper: deterministic pseudo-random values in [-1, 1) (so both backends see identical data).
 *
 * @example
 * ```ts
 * const x = tf.tensor4d(values(2 * 9 * 9 * 3, 1), [2, 9, 9, 3]);
 * ```
 */
export function values(n: number, seed: number, offset = 0): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1 + offset;
  }
  return out;
}
