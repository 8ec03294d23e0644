import * as tf from '@tensorflow/tfjs';
import { assertClose, runOn, values, WASM_PATHS } from './compareBackends';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
interface Case { x: [number, number, number, number]; k: [number, number]; co: number; stride: number; pad: Pad }

const cases: Case[] = [
  { x: [2, 9, 9, 3], k: [3, 3], co: 4, stride: 1, pad: 'same' }, // AlexNet conv3-5 family
  { x: [2, 8, 8, 4], k: [5, 5], co: 3, stride: 1, pad: 2 }, // AlexNet conv2 family
  { x: [1, 7, 10, 2], k: [3, 5], co: 3, stride: 1, pad: 'valid' },
  { x: [1, 6, 6, 2], k: [4, 4], co: 2, stride: 1, pad: 'same' }, // even kernel: asymmetric padding
  { x: [1, 9, 9, 2], k: [3, 3], co: 2, stride: 1, pad: [[0, 0], [2, 0], [0, 1], [0, 0]] },
  { x: [2, 10, 10, 3], k: [3, 3], co: 2, stride: 2, pad: 'valid' }, // strided: tfjs' own kernel
  { x: [1, 11, 11, 3], k: [5, 5], co: 2, stride: 2, pad: 'same' },
  { x: [3, 9, 9, 24], k: [3, 3], co: 37, stride: 1, pad: 'same' }, // > one GEMM tile, odd sizes, 3 images over 2 threads
];

describe('wasm Conv2DBackpropInput (vs cpu)', () => {
  const tol = 1e-5; // relative to the largest |dx|: summation order only
  for (const c of cases) for (const wasmPath of WASM_PATHS) {
    it(`${wasmPath}: x ${c.x.join('×')}, kernel ${c.k.join('×')}, stride ${c.stride}, pad ${JSON.stringify(c.pad)}`, async () => {
      const run = (): tf.Tensor[] => {
        const x = tf.tensor4d(values(c.x.reduce((a, b) => a * b), 4), c.x);
        const w = tf.tensor4d(values(c.k[0] * c.k[1] * c.x[3] * c.co, 5), [c.k[0], c.k[1], c.x[3], c.co]);
        const y = tf.conv2d(x, w, c.stride, c.pad);
        const dy = tf.tensor4d(values(y.size, 6), y.shape);
        return [tf.grad((t: tf.Tensor) => tf.conv2d(t as tf.Tensor4D, w, c.stride, c.pad))(x, dy)];
      };
      const [cpu] = await runOn('cpu', run);
      const [wasm] = await runOn('wasm', run, wasmPath);
      assertClose(wasm, cpu, tol, 'dx');
    });
  }
});
