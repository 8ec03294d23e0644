import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { initBackend } from '../../../src/model/backend';
import { nativeKernels, setNativeKernelsEnabled, type NativeAddon } from '../../../src/model/wasm/nativeKernels';
import { reluGrad, RELU_GRAD } from '../../../src/model/wasm/reluGrad';
import { convLayer } from '../../../src/model/convLayer';
import { runOn, values } from './compareBackends';

/** Bit patterns, so that −0 and +0 (and NaN payloads aside, NaN) count as different. */
function bits(a: Float32Array): string[] {
  return Array.from(a, (v) => (Number.isNaN(v) ? 'NaN' : Buffer.from(new Float32Array([v]).buffer).toString('hex')));
}

describe('reluGrad: a ReLU\'s gradient from its output (wasm+native: one fused pass)', () => {
  // y: positive, negative, ±0, NaN, ±Inf; dy: signs and specials, so 0·dy keeps dy's sign.
  const y = [1.5, -2, 0, -0, NaN, Infinity, -Infinity, 3, 0.25, -1e-30];
  const dy = [-1, 2, -3, 4, 5, -6, Infinity, -0, NaN, -7];

  it('has the bits of tfjs\' mul(dy, step(y)), ±0, Inf and NaN included', async () => {
    const fused = await runOn('wasm', () => {
      const d = tf.tensor1d(dy);
      const t = tf.tensor1d(y);
      assert.ok(tf.getKernel(RELU_GRAD, 'wasm') !== undefined && nativeKernels() !== undefined, 'the fused kernel is used');
      return [reluGrad(d, t)];
    });
    const composed = await runOn('cpu', () => [tf.mul(tf.tensor1d(dy), tf.step(tf.tensor1d(y)))]);
    assert.deepEqual(bits(fused[0]), bits(composed[0]));
  });

  it('gives the same bits on 1 and 2 threads and over the pool\'s split (a large tensor)', () => {
    const addon = nativeKernels() as NativeAddon;
    assert.ok(addon !== undefined, 'native addon expected (built by npm ci)');
    const n = (1 << 17) + 3;
    const d = values(n, 41);
    const t = values(n, 42);
    const run = (threads: number): Float32Array => {
      const out = new Float32Array(n);
      addon.reluGrad(d, t, out, n, threads);
      return out;
    };
    const one = run(1);
    assert.ok(Buffer.from(one.buffer).equals(Buffer.from(run(2).buffer)));
    one.forEach((v, i) => assert.equal(v, t[i] > 0 ? d[i] : 0 * d[i], `element ${i}`));
    assert.throws(() => addon.reluGrad(d, t.subarray(0, 5), new Float32Array(n), n, 1), /y has 5 elements/);
  });

  it('leaves a convolution + ReLU\'s gradients as they were (fused vs switched off)', async () => {
    const grads = (): tf.Tensor[] => {
      const x = tf.tensor4d(values(2 * 6 * 6 * 4, 51), [2, 6, 6, 4]);
      const w = tf.tensor4d(values(3 * 3 * 4 * 5, 52), [3, 3, 4, 5]);
      const b = tf.tensor1d(values(5, 53));
      const f = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor): tf.Tensor => tf.sum(tf.mul(convLayer(xi as tf.Tensor4D, wi as tf.Tensor4D, bi as tf.Tensor1D, 1, 'same', 'relu'), 1.5));
      return tf.grads(f)([x, w, b]);
    };
    const on = await runOn('wasm', grads);
    await initBackend({ prefer: 'wasm' });
    setNativeKernelsEnabled(false);
    let off: Float32Array[];
    try {
      off = await runOn('wasm', grads, 'pure');
    } finally {
      setNativeKernelsEnabled(true);
    }
    // Only the ReLU mask is under test here: conv gradients differ in rounding between the paths.
    on.forEach((g, i) => g.forEach((v, j) => assert.ok(Math.abs(v - off[i][j]) <= 1e-4 * (1 + Math.abs(off[i][j])), `grad ${i}[${j}]: ${v} vs ${off[i][j]}`)));
  });
});
