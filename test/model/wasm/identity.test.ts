import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { initBackend } from '../../../src/model/backend';

describe('wasm Identity (shared memory instead of a copy)', () => {
  before(async () => {
    await initBackend({ prefer: 'wasm' });
  });

  it('gives the same values, and the clone outlives the original', async () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor2d([[1, -2, 3], [4, 5, -6]]);
    const y = tf.clone(x);
    assert.deepEqual(y.shape, [2, 3]);
    x.dispose();
    assert.deepEqual(Array.from(await y.data()), [1, -2, 3, 4, 5, -6]);
    y.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it('costs no memory and no copy on the backend: one buffer for both', () => {
    const x = tf.zeros([1000]);
    const buffers = tf.memory().numDataBuffers;
    const y = tf.clone(x);
    assert.equal(tf.memory().numDataBuffers, buffers, 'no new data buffer');
    assert.equal(y.dataId, x.dataId);
    tf.dispose([x, y]);
  });

  it('keeps int32 and bool tensors intact, and variables assigned from a clone independent of later assignments', async () => {
    const i = tf.tensor1d([1, 2, 3], 'int32');
    const b = tf.tensor1d([1, 0, 1], 'bool');
    const [ic, bc] = [tf.clone(i), tf.clone(b)];
    assert.equal(ic.dtype, 'int32');
    assert.deepEqual(Array.from(await ic.data()), [1, 2, 3]);
    assert.deepEqual(Array.from(await bc.data()), [1, 0, 1]);
    const v = tf.variable(tf.tensor1d([1, 2]));
    const saved = tf.clone(v);
    v.assign(tf.tensor1d([7, 8]));
    assert.deepEqual(Array.from(await saved.data()), [1, 2], 'a saved clone keeps the old value');
    tf.dispose([i, b, ic, bc, v, saved]);
  });

  it('supports gradients that save their inputs (tfjs clones them through Identity)', async () => {
    const x = tf.tensor1d([-1, 2, -3, 4]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), t)))(x);
    assert.deepEqual(Array.from(await g.data()), [0, 4, 0, 8]);
    tf.dispose([x, g]);
  });
});
