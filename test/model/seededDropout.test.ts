import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs';
import { dropoutMask, seededDropout } from '../../src/model/seededDropout';

describe('seededDropout', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('is a pure function of (seed, layer, sample index)', () => {
    assert.deepEqual(dropoutMask([4, 50], 0.5, 7, 2, 0), dropoutMask([4, 50], 0.5, 7, 2, 0));
    assert.notDeepEqual(dropoutMask([4, 50], 0.5, 7, 2, 0), dropoutMask([4, 50], 0.5, 8, 2, 0));
    assert.notDeepEqual(dropoutMask([4, 50], 0.5, 7, 2, 0), dropoutMask([4, 50], 0.5, 7, 3, 0));
  });

  it('gives a shard of the batch exactly its slice of the whole-batch mask', () => {
    const whole = dropoutMask([6, 3, 3, 4], 0.25, 99, 1, 0);
    const shard = dropoutMask([2, 3, 3, 4], 0.25, 99, 1, 4);
    assert.deepEqual(shard, whole.subarray(4 * 36, 6 * 36));
  });

  it('drops at the given rate and scales the rest by 1/(1-rate), like PyTorch', () => {
    const m = dropoutMask([100, 1000], 0.25, 3, 0, 0);
    const zeros = m.filter((v) => v === 0).length / m.length;
    assert.ok(Math.abs(zeros - 0.25) < 0.005, `dropped ${zeros}`);
    assert.ok(m.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6));
    assert.throws(() => dropoutMask([1, 1], 1, 0, 0, 0), /rate must be in \[0, 1\)/);
  });

  it('passes gradients through the kept elements only, and rate 0 is the identity', () => {
    const x = tf.ones([2, 8]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(seededDropout(t, 0.5, 5, 0)))(x);
    assert.deepEqual(Array.from(g.dataSync()), Array.from(dropoutMask([2, 8], 0.5, 5, 0, 0)));
    assert.equal(seededDropout(x, 0, 5, 0), x);
    tf.dispose([x, g]);
  });
});
