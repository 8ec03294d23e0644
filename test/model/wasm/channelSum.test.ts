import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { assertClose, runOn, values, WASM_PATHS } from './compareBackends';

interface Case { shape: number[]; axis: number | number[]; keepDims: boolean; what: string }

const cases: Case[] = [
  { shape: [4, 9, 9, 7], axis: [0, 1, 2], keepDims: false, what: 'conv bias gradient: all but the channel axis' },
  { shape: [4, 9, 9, 7], axis: [2, 0, 1], keepDims: true, what: 'unsorted axes, keepDims' },
  { shape: [33, 20], axis: 0, keepDims: false, what: 'dense bias gradient' },
  { shape: [16, 40, 40, 24], axis: [0, 1, 2], keepDims: false, what: 'many row blocks, both threads' },
  { shape: [4, 9, 9, 7], axis: [1, 2], keepDims: false, what: 'not every outer axis: tfjs kernel' },
  { shape: [6, 10], axis: 1, keepDims: false, what: 'innermost axis: tfjs kernel' },
  { shape: [6, 10], axis: [0, 1], keepDims: false, what: 'all axes: tfjs kernel' },
];

describe('wasm Sum over every axis but the last (vs cpu)', () => {
  // Native sums in double and cpu in float64 JS numbers: a float32 ulp or so of the largest sum.
  // tfjs' wasm kernel keeps a float32 running sum: ~4e-6 relative after 38 400 terms.
  const tol = { native: 1e-6, pure: 1e-5 };
  for (const path of WASM_PATHS) {
    for (const c of cases) {
      it(`${path}: ${c.what}: ${c.shape.join('×')}, axis ${JSON.stringify(c.axis)}${c.keepDims ? ', keepDims' : ''}`, async () => {
        const run = (): tf.Tensor[] => {
          const x = tf.tensor(values(c.shape.reduce((a, b) => a * b, 1), 51, 0.25), c.shape);
          const s = tf.sum(x, c.axis, c.keepDims);
          return [s, tf.tensor1d(s.shape.length === 0 ? [] : s.shape)];
        };
        const [cpu, cpuShape] = await runOn('cpu', run);
        const [wasm, wasmShape] = await runOn('wasm', run, path);
        assert.deepEqual(Array.from(wasmShape), Array.from(cpuShape), 'output shape');
        assertClose(wasm, cpu, tol[path], `${path} sum`);
      });
    }
  }
});
