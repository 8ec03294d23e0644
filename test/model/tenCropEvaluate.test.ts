import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { tenCropEvaluate } from '../../src/model/tenCropEvaluate';
import type { Trainer } from '../../src/model/Trainer';
import { tinyTrainer, useCpu } from './fixtures/tinyTraining';

describe('tenCropEvaluate', () => {
  before(useCpu);

  it('averages the log-probabilities of 5 crops and their flips', async () => {
    // A "model" that scores a crop by its top-left pixel, so each crop is identifiable.
    const seen: number[][] = [];
    const trainer = {
      predict: async (xs: tf.Tensor4D) => {
        const corner = Array.from(await tf.slice(xs, [0, 0, 0, 0], [1, 1, 1, 1]).data());
        seen.push(corner);
        return tf.tidy(() => tf.logSoftmax(tf.tensor2d([[corner[0], 0]])) as tf.Tensor2D);
      },
    } as unknown as Trainer;
    const img = Array.from({ length: 16 }, (_, i) => i); // 4×4, value = y*4+x
    const xs = tf.tensor4d(img, [1, 4, 4, 1]);
    const ys = tf.tensor1d([0], 'int32');
    const r = await tenCropEvaluate(trainer, xs, ys, 3);
    // top-left pixel of: TL, TL-flipped, TR, TR-flipped, BL, BL-flipped, BR, BR-flipped, centre (offset 0), centre-flipped
    assert.deepEqual(
      seen.map((s) => s[0]),
      [0, 2, 1, 3, 4, 6, 5, 7, 0, 2],
    );
    const expected = -seen.map((s) => s[0] - Math.log(Math.exp(s[0]) + 1)).reduce((a, b) => a + b, 0) / 10;
    assert.ok(Math.abs(r.lossSum - expected) < 1e-5, `${r.lossSum} vs ${expected}`);
    assert.equal(r.correct, 1);
    assert.equal(r.count, 1);
    xs.dispose();
    ys.dispose();
  });

  it('agrees with evaluate when all crops are the image, and leaks nothing', async () => {
    const trainer = tinyTrainer(16, 3, { initSeed: 2 });
    const xs = tf.randomNormal([5, 4, 4, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    const sym = tf.tidy(() => tf.add(xs, tf.image.flipLeftRight(xs)) as tf.Tensor4D); // flip-invariant images
    const ys = tf.tensor1d([0, 1, 2, 0, 1], 'int32');
    const before = tf.memory().numTensors;
    const ten = await tenCropEvaluate(trainer, sym, ys, 4);
    assert.equal(tf.memory().numTensors, before);
    const plain = await trainer.evaluate(sym, ys);
    assert.ok(Math.abs(ten.lossSum - plain.lossSum) < 1e-4, `${ten.lossSum} vs ${plain.lossSum}`);
    assert.equal(ten.correct, Math.round(plain.correct));
    assert.equal(ten.count, 5);
    tf.dispose([xs, sym, ys]);
    await trainer.dispose();
  });

  it('refuses a crop larger than the images', async () => {
    const xs = tf.zeros([1, 4, 4, 1]) as tf.Tensor4D;
    const ys = tf.tensor1d([0], 'int32');
    await assert.rejects(tenCropEvaluate({} as Trainer, xs, ys, 5), /crop 5 is larger than the images \(4×4\)/);
    tf.dispose([xs, ys]);
  });
});
