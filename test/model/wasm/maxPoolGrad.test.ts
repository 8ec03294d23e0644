import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { assertClose, runOn, values } from './compareBackends';

interface Case { x: [number, number, number, number]; size: number; stride: number; pad: 'same' | 'valid' | number; offset: number; what: string }

const cases: Case[] = [
  { x: [2, 13, 13, 5], size: 3, stride: 2, pad: 'valid', offset: 0, what: 'mixed signs, overlapping 3/2 (AlexNet)' },
  { x: [2, 13, 13, 5], size: 3, stride: 2, pad: 'valid', offset: -3, what: 'all windows negative' },
  { x: [1, 10, 11, 3], size: 3, stride: 2, pad: 'same', offset: -3, what: "negative, 'same' padding" },
  { x: [1, 9, 9, 4], size: 2, stride: 2, pad: 'valid', offset: 0.5, what: 'non-overlapping 2/2' },
  { x: [1, 8, 8, 2], size: 3, stride: 1, pad: 1, offset: -1, what: 'stride 1, numeric padding' },
];

describe('wasm MaxPoolGrad (vs cpu)', () => {
  // Exact routing; only the summation order of overlapping windows may differ.
  const tol = 1e-6;
  for (const c of cases) {
    it(`${c.what}: x ${c.x.join('×')}, pool ${c.size}/${c.stride}, pad ${String(c.pad)}`, async () => {
      const run = (): tf.Tensor[] => {
        const x = tf.tensor4d(values(c.x.reduce((a, b) => a * b), 7, c.offset), c.x);
        const y = tf.maxPool(x, c.size, c.stride, c.pad);
        const dy = tf.tensor4d(values(y.size, 8, 2), y.shape); // positive, so misrouting shows
        return [tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, c.size, c.stride, c.pad))(x, dy), y];
      };
      const [cpu, cpuY] = await runOn('cpu', run);
      const [wasm, wasmY] = await runOn('wasm', run);
      assertClose(wasmY, cpuY, 0, 'forward max');
      assertClose(wasm, cpu, tol, 'dx');
    });
  }

  it('gives ties to the first maximum in the window, as cpu does', async () => {
    const run = (): tf.Tensor[] => {
      const x = tf.tensor4d([-2, -2, -2, -2, -2, -2, -2, -2, -2], [1, 3, 3, 1]);
      return [tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 1, 'valid'))(x, tf.ones([1, 2, 2, 1]))];
    };
    const [wasm] = await runOn('wasm', run);
    const [cpu] = await runOn('cpu', run);
    assert.deepEqual(Array.from(wasm), Array.from(cpu));
    assert.deepEqual(Array.from(wasm), [1, 1, 0, 1, 1, 0, 0, 0, 0]);
  });
});
