import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/model/backend';
import { readCopy, readNow } from '../../src/model/hostArrays';

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`readCopy on ${backend}`, () => {
    before(async () => {
      await initBackend({ prefer: backend });
    });

    it('gives the values of the tensor in an array of its own', async () => {
      const v = tf.variable(tf.tensor1d([1.5, -2, 3.25, 4]));
      const copy = await readCopy(v);
      assert.deepEqual(Array.from(copy), [1.5, -2, 3.25, 4]);
      copy[0] = 99;
      assert.deepEqual(Array.from(await v.data()), [1.5, -2, 3.25, 4], 'changing the copy leaves the variable alone');
      v.assign(tf.tensor1d([5, 6, 7, 8]));
      assert.deepEqual(Array.from(copy), [99, -2, 3.25, 4], 'assigning the variable leaves the copy alone');
      v.dispose();
    });

    it('outlives the tensor and later allocations', async () => {
      const t = tf.range(0, 1000, 1, 'float32');
      const copy = await readCopy(t);
      t.dispose();
      const other = tf.fill([1000], 7);
      assert.equal(copy[999], 999);
      assert.equal(copy.length, 1000);
      other.dispose();
    });

    it('refuses tensors that are not float32', async () => {
      const t = tf.tensor1d([1, 2], 'int32');
      await assert.rejects(readCopy(t), /float32/);
      t.dispose();
    });
  });
}

describe('readNow on wasm', () => {
  before(async () => {
    await initBackend({ prefer: 'wasm' });
  });

  it('reads the tensor without copying: the view sees a later in-place write', () => {
    const t = tf.tensor1d([1, 2, 3]);
    const view = readNow(t);
    assert.deepEqual(Array.from(view), [1, 2, 3]);
    view[1] = 20;
    assert.deepEqual(Array.from(t.dataSync()), [1, 20, 3]);
    t.dispose();
  });
});
