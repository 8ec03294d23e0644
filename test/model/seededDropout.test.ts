import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs';
import { createRng } from '../../src/ops/Rng';
import { dropoutMask, dropoutSeed, seededDropout } from '../../src/model/seededDropout';

describe('seededDropout', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('is a pure function of (seed, layer, sample index)', () => {
    assert.deepEqual(dropoutMask([4, 50], 0.5, 7, 2, 0), dropoutMask([4, 50], 0.5, 7, 2, 0));
    assert.notDeepEqual(dropoutMask([4, 50], 0.5, 7, 2, 0), dropoutMask([4, 50], 0.5, 8, 2, 0));
    assert.notDeepEqual(dropoutMask([4, 50], 0.5, 7, 2, 0), dropoutMask([4, 50], 0.5, 7, 3, 0));
  });

  it('draws each sample\'s mask from its generator: element j is dropped when next() number j is below the rate', () => {
    const cases: Array<[number[], number, number, number, number]> = [
      [[3, 7], 0.5, 17, 0, 0],
      [[2, 4, 4, 3], 0.3, 123456789, 2, 5],
      [[4, 33], 0.1, 0, 1, 1000],
      [[1, 5000], 0.25, 4294967295, 7, 0],
      [[2, 9], 0, 42, 3, 0],
      [[2, 9], 1 - 2 ** -40, 42, 3, 0],
      [[2, 300], 1 - 2 ** -31, 5, 0, 0],
    ];
    for (const [shape, rate, seed, layer, offset] of cases) {
      const per = shape.slice(1).reduce((a, b) => a * b, 1);
      const expected = new Float32Array(shape[0] * per);
      for (let b = 0; b < shape[0]; b++) {
        const rng = createRng(dropoutSeed(seed, layer, offset + b));
        for (let j = 0; j < per; j++) expected[b * per + j] = rng.next() < rate ? 0 : 1 / (1 - rate);
      }
      assert.deepEqual(dropoutMask(shape, rate, seed, layer, offset), expected, `shape ${shape.join('x')} rate ${rate} seed ${seed}`);
    }
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
