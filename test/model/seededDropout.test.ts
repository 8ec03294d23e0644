import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs';
import { createRng } from '../../src/ops/Rng';
import { initBackend } from '../../src/model/backend';
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

describe('dropoutMask into a given buffer', () => {
  it('writes the same values into `out` and returns it; a wrong length is a RangeError', () => {
    const out = new Float32Array(2 * 4 * 4 * 3).fill(-1);
    assert.equal(dropoutMask([2, 4, 4, 3], 0.3, 11, 1, 5, out), out);
    assert.deepEqual(out, dropoutMask([2, 4, 4, 3], 0.3, 11, 1, 5));
    assert.throws(() => dropoutMask([2, 4, 4, 3], 0.3, 11, 1, 5, new Float32Array(95)), /out has 95 elements, the shape 96/);
    // The all-drop case (a rate within 2^-32 of 1) clears what the buffer held.
    assert.ok(dropoutMask([2, 48], 1 - 2 ** -40, 11, 1, 5, out).every((v) => v === 0));
  });
});

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`seededDropout on ${backend}`, () => {
    before(async () => {
      await initBackend({ prefer: backend });
    });

    it('multiplies by the mask of (seed, layer, sample), reusing its mask buffer from call to call, and leaks no tensors', async () => {
      const before = tf.memory().numTensors;
      // Large, then small, then large again: the reused buffer must never leak values between calls.
      for (const [shape, seed] of [[[4, 8, 8, 16], 1], [[2, 3, 5], 2], [[4, 8, 8, 16], 3], [[3, 7, 7, 2], 4]] as const) {
        const x = tf.randomUniform([...shape], 0.5, 1.5, 'float32', seed);
        const y = seededDropout(x, 0.4, seed, 2, 7);
        const mask = dropoutMask(shape, 0.4, seed, 2, 7);
        const xs = await x.data();
        const want = Float32Array.from(xs, (v, i) => Math.fround(v * mask[i]));
        assert.deepEqual(await y.data(), want, `shape ${shape.join('x')}`);
        tf.dispose([x, y]);
      }
      assert.equal(tf.memory().numTensors, before);
    });

    it('keeps each layer\'s mask for the backward pass though the buffer is reused by the next layer', async () => {
      const x = tf.ones([3, 40]);
      const g = tf.grad((t: tf.Tensor) => tf.sum(seededDropout(seededDropout(t, 0.5, 9, 0), 0.3, 9, 1)))(x);
      const [m0, m1] = [dropoutMask([3, 40], 0.5, 9, 0, 0), dropoutMask([3, 40], 0.3, 9, 1, 0)];
      assert.deepEqual(await g.data(), Float32Array.from(m0, (v, i) => Math.fround(v * m1[i])));
      tf.dispose([x, g]);
    });
  });
}
