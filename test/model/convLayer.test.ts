import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { convLayer } from '../../src/model/convLayer';
import { assertClose, runOn, values, WASM_PATHS, type WasmPath } from './wasm/compareBackends';

type Pad = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];
interface Case { x: [number, number, number, number]; k: number; co: number; stride: number; pad: Pad; activation: 'linear' | 'relu' }

const cases: Case[] = [
  { x: [2, 9, 9, 3], k: 3, co: 4, stride: 1, pad: 'same', activation: 'linear' },
  { x: [2, 11, 11, 3], k: 5, co: 6, stride: 2, pad: 'valid', activation: 'relu' },
  { x: [1, 8, 8, 5], k: 3, co: 7, stride: 1, pad: [[0, 0], [2, 2], [2, 2], [0, 0]], activation: 'relu' },
];

/** Value and dx, dW, db of Σ(y·w) through convLayer and through tf.fused.conv2d. */
function ops(c: Case): () => tf.Tensor[] {
  return () => {
    const x = tf.tensor4d(values(c.x.reduce((a, b) => a * b), 61), c.x);
    const filter = tf.tensor4d(values(c.k * c.k * c.x[3] * c.co, 62), [c.k, c.k, c.x[3], c.co]);
    const bias = tf.tensor1d(values(c.co, 63));
    const mine = (xi: tf.Tensor, fi: tf.Tensor, bi: tf.Tensor): tf.Tensor4D => convLayer(xi as tf.Tensor4D, fi as tf.Tensor4D, bi as tf.Tensor1D, c.stride, c.pad, c.activation);
    const theirs = (xi: tf.Tensor, fi: tf.Tensor, bi: tf.Tensor): tf.Tensor4D =>
      tf.fused.conv2d({ x: xi as tf.Tensor4D, filter: fi as tf.Tensor4D, bias: bi, strides: c.stride, pad: c.pad, activation: c.activation });
    const y = mine(x, filter, bias);
    const w = tf.tensor(values(y.size, 64), y.shape);
    const loss = (f: typeof mine) => (xi: tf.Tensor, fi: tf.Tensor, bi: tf.Tensor): tf.Scalar => tf.sum(tf.mul(f(xi, fi, bi), w));
    return [y, theirs(x, filter, bias), ...tf.grads(loss(mine))([x, filter, bias]), ...tf.grads(loss(theirs))([x, filter, bias])];
  };
}

describe('convLayer (FusedConv2D with a per-input lazy gradient)', () => {
  const backends: Array<['cpu' | 'wasm', WasmPath]> = [['cpu', 'native'], ...WASM_PATHS.map((p): ['wasm', WasmPath] => ['wasm', p])];
  for (const [backend, path] of backends) {
    for (const c of cases) {
      it(`${backend === 'cpu' ? 'cpu' : path}: equals tf.fused.conv2d and its gradients: x ${c.x.join('×')}, ${c.k}×${c.k}/${c.stride}, pad ${JSON.stringify(c.pad)}, ${c.activation}`, async () => {
        const [y, y2, dx, dw, db, dx2, dw2, db2] = await runOn(backend, ops(c), path);
        // Same kernels in the same order: identical results.
        assertClose(y, y2, 0, 'y');
        assertClose(dx, dx2, 0, 'dx');
        assertClose(dw, dw2, 0, 'dW');
        assertClose(db, db2, 1e-6, 'db');
      });
    }
  }

  it('does not compute the input gradient when only the weights are trained (first layer)', async () => {
    await runOn('wasm', () => [], 'native');
    const x = tf.tensor4d(values(2 * 9 * 9 * 3, 71), [2, 9, 9, 3]);
    const filter = tf.variable(tf.tensor4d(values(3 * 3 * 3 * 4, 72), [3, 3, 3, 4]));
    const bias = tf.variable(tf.tensor1d(values(4, 73)));
    const before = tf.memory().numTensors;
    const info = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(convLayer(x, filter, bias, 1, 'same', 'relu')), [filter, bias]);
      tf.dispose([value, ...Object.values(grads)]);
    });
    const names = info.kernels.map((k) => k.name);
    assert.ok(names.includes('Conv2DBackpropFilter'), `filter gradient computed: ${names.join(' ')}`);
    assert.ok(!names.includes('Conv2DBackpropInput'), `no input gradient: ${names.join(' ')}`);
    assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
    tf.dispose([x, filter, bias]);
  });
});
