import * as tf from '@tensorflow/tfjs';
import { assertClose, runOn, values, WASM_PATHS } from './compareBackends';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
interface Case { x: [number, number, number, number]; k: [number, number]; co: number; stride: number | [number, number]; pad: Pad; round?: 'floor' | 'ceil' | 'round' }

const cases: Case[] = [
  { x: [2, 9, 9, 3], k: [3, 3], co: 4, stride: 1, pad: 'same' },
  { x: [2, 8, 8, 4], k: [5, 5], co: 3, stride: 1, pad: 2 },
  { x: [2, 10, 10, 3], k: [3, 3], co: 2, stride: 2, pad: 'valid' }, // last row/column dropped
  { x: [1, 11, 13, 2], k: [5, 3], co: 3, stride: [2, 3], pad: 'same' }, // asymmetric same padding
  { x: [2, 23, 23, 3], k: [11, 11], co: 4, stride: 4, pad: 'valid' }, // AlexNet conv1 shape family
  { x: [2, 7, 6, 3], k: [3, 3], co: 2, stride: 3, pad: 1, round: 'ceil' },
  { x: [1, 9, 9, 2], k: [2, 4], co: 2, stride: 2, pad: [[0, 0], [1, 0], [2, 1], [0, 0]] },
  { x: [3, 5, 5, 1], k: [5, 5], co: 1, stride: 1, pad: 'valid' }, // 1×1 output
  { x: [2, 15, 15, 8], k: [3, 3], co: 37, stride: 1, pad: 'same' }, // 450 rows: two GEMM k-blocks
];

describe('wasm Conv2DBackpropFilter (vs cpu)', () => {
  // Both backends sum the same products in different orders: 1e-5 of the largest value.
  const tol = 1e-5;
  for (const c of cases) for (const wasmPath of WASM_PATHS) {
    it(`${wasmPath}: x ${c.x.join('×')}, kernel ${c.k.join('×')}, stride ${String(c.stride)}, pad ${JSON.stringify(c.pad)}${c.round ? `, ${c.round}` : ''}`, async () => {
      const filterShape: [number, number, number, number] = [c.k[0], c.k[1], c.x[3], c.co];
      const run = (): tf.Tensor[] => {
        const x = tf.tensor4d(values(c.x.reduce((a, b) => a * b), 1), c.x);
        const w = tf.tensor4d(values(filterShape.reduce((a, b) => a * b), 2), filterShape);
        const y = tf.conv2d(x, w, c.stride, c.pad, 'NHWC', 1, c.round);
        const dy = tf.tensor4d(values(y.size, 3), y.shape);
        // The upstream gradient dy is arbitrary, so pass it explicitly instead of summing y.
        return [tf.grad((f: tf.Tensor) => tf.conv2d(x, f as tf.Tensor4D, c.stride, c.pad, 'NHWC', 1, c.round))(w, dy)];
      };
      const [cpu] = await runOn('cpu', run);
      const [wasm] = await runOn('wasm', run, wasmPath);
      assertClose(wasm, cpu, tol, 'dW');
    });
  }
});
