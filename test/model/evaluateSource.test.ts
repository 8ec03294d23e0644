import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { evaluateSource } from '../../src/model/evaluateSource';
import type { Trainer } from '../../src/model/Trainer';
import { memorySource, tinyData, tinyTrainer, useCpu, type TinyData } from './fixtures/tinyTraining';

/** The same images made mirror-symmetric (each row plus its reverse), so a flip changes nothing. */
function symmetric(d: TinyData): TinyData {
  const [h, w] = d.shape;
  const images = new Float32Array(d.images.length);
  for (let i = 0; i < d.labels.length; i++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const at = (xx: number): number => d.images[(i * h + y) * w + xx];
        images[(i * h + y) * w + x] = at(x) + at(w - 1 - x);
      }
    }
  }
  return { ...d, images };
}

describe('evaluateSource', () => {
  before(useCpu);

  it('tta none: the accuracy and loss of trainer.evaluate over the same batches, with per-class counts and a confusion matrix', async () => {
    const data = tinyData(23, 4, 1.5);
    const trainer = tinyTrainer(16, 3, { initSeed: 7 });
    try {
      let lossSum = 0;
      let correct = 0;
      for await (const b of memorySource(data, { batchSize: 5, seed: 0, shuffle: false }).epoch(0)) {
        if (b.kind !== 'batch') continue;
        const r = await trainer.evaluate(b.xs, b.ys);
        lossSum += r.lossSum;
        correct += r.correct;
        tf.dispose([b.xs, b.ys]);
      }
      const before = tf.memory().numTensors;
      const progress: number[] = [];
      const e = await evaluateSource(trainer, memorySource(data, { batchSize: 5, seed: 0, shuffle: false }), { numClasses: 3, onBatch: (n) => progress.push(n) });
      assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
      assert.equal(e.count, 23);
      assert.equal(e.correct, Math.round(correct));
      assert.ok(correct > 0 && correct < 23, `a model that is neither always right nor always wrong (${correct})`);
      assert.equal(e.accuracy, Math.round(correct) / 23);
      assert.ok(Math.abs(e.loss - lossSum / 23) < 1e-5, `${e.loss} vs ${lossSum / 23}`);
      assert.deepEqual(progress, [5, 10, 15, 20, 23]);
      assert.deepEqual(e.perClass.map((p) => p.count), [8, 8, 7], 'labels are i % 3');
      assert.deepEqual(e.confusion.map((row, c) => row[c]), e.perClass.map((p) => p.correct));
      assert.equal(e.confusion.flat().reduce((a, b) => a + b, 0), 23);
    } finally {
      await trainer.dispose();
    }
  });

  it('mistakes: keeps the N most confident wrong predictions, most confident first, with both probabilities', async () => {
    const data = tinyData(23, 4, 1.5);
    const trainer = tinyTrainer(16, 3, { initSeed: 7 });
    try {
      // The expected list, from trainer.predict over the same batches.
      const wrong: Array<{ path: string; truth: number; predicted: number; confidence: number; truthProbability: number }> = [];
      for await (const b of memorySource(data, { batchSize: 5, seed: 0, shuffle: false }).epoch(0)) {
        if (b.kind !== 'batch') continue;
        const logp = await trainer.predict(b.xs);
        const [lp, ys] = [await logp.data(), await b.ys.data()];
        for (let i = 0; i < ys.length; i++) {
          const row = Array.from(lp.subarray(i * 3, i * 3 + 3));
          const predicted = row.indexOf(Math.max(...row));
          if (predicted !== ys[i]) wrong.push({ path: b.paths[i], truth: ys[i], predicted, confidence: Math.exp(row[predicted]), truthProbability: Math.exp(row[ys[i]]) });
        }
        tf.dispose([b.xs, b.ys, logp]);
      }
      assert.ok(wrong.length >= 4, `enough mistakes to choose from (${wrong.length})`);
      wrong.sort((a, b) => b.confidence - a.confidence);
      const top3 = await evaluateSource(trainer, memorySource(data, { batchSize: 5, seed: 0, shuffle: false }), { numClasses: 3, mistakes: 3 });
      assert.deepEqual(top3.mistakes.map((m) => m.path), wrong.slice(0, 3).map((m) => m.path));
      top3.mistakes.forEach((m, i) => {
        assert.equal(m.truth, wrong[i].truth);
        assert.equal(m.predicted, wrong[i].predicted);
        assert.ok(Math.abs(m.confidence - wrong[i].confidence) < 1e-6 && Math.abs(m.truthProbability - wrong[i].truthProbability) < 1e-6);
        assert.ok(m.confidence > m.truthProbability);
      });
      const all = await evaluateSource(trainer, memorySource(data, { batchSize: 5, seed: 0, shuffle: false }), { numClasses: 3, mistakes: 1000 });
      assert.equal(all.mistakes.length, all.count - all.correct);
      const none = await evaluateSource(trainer, memorySource(data, { batchSize: 5, seed: 0, shuffle: false }), { numClasses: 3 });
      assert.deepEqual(none.mistakes, []);
      await assert.rejects(evaluateSource(trainer, memorySource(data, { batchSize: 5, seed: 0, shuffle: false }), { numClasses: 3, mistakes: -1 }), /mistakes must be an integer ≥ 0, got -1/);
    } finally {
      await trainer.dispose();
    }
  });

  it('tta flip: averages the log-probabilities of each image and its mirror; on symmetric images it equals none', async () => {
    const data = tinyData(12, 9, 1.0);
    const trainer = tinyTrainer(16, 3, { initSeed: 3 });
    try {
      const flip = await evaluateSource(trainer, memorySource(data, { batchSize: 4, seed: 0, shuffle: false }), { numClasses: 3, tta: { kind: 'flip' } });
      // By hand: predict the batch and its mirror, average, score.
      const xs = tf.tensor4d(data.images, [12, ...data.shape]);
      const mirrored = tf.image.flipLeftRight(xs);
      const [a, b] = [await trainer.predict(xs), await trainer.predict(mirrored)];
      const avg = await tf.tidy(() => tf.div(tf.add(a, b), 2)).array() as number[][];
      tf.dispose([xs, mirrored, a, b]);
      let loss = 0;
      let correct = 0;
      avg.forEach((row, i) => {
        loss -= row[data.labels[i]];
        if (row.indexOf(Math.max(...row)) === data.labels[i]) correct++;
      });
      assert.equal(flip.correct, correct);
      assert.ok(Math.abs(flip.loss - loss / 12) < 1e-5, `${flip.loss} vs ${loss / 12}`);
      const plain = await evaluateSource(trainer, memorySource(data, { batchSize: 4, seed: 0, shuffle: false }), { numClasses: 3 });
      assert.notEqual(flip.loss, plain.loss, 'the mirror images are scored too');

      const sym = symmetric(data);
      const s1 = await evaluateSource(trainer, memorySource(sym, { batchSize: 4, seed: 0, shuffle: false }), { numClasses: 3, tta: { kind: 'flip' } });
      const s0 = await evaluateSource(trainer, memorySource(sym, { batchSize: 4, seed: 0, shuffle: false }), { numClasses: 3 });
      assert.equal(s1.correct, s0.correct);
      assert.ok(Math.abs(s1.loss - s0.loss) < 1e-6, `${s1.loss} vs ${s0.loss}`);
    } finally {
      await trainer.dispose();
    }
  });

  it('tta tenCrop: the 10-crop average, scored per image', async () => {
    const data = tinyData(6, 2, 1.0);
    const trainer = tinyTrainer(16, 3, { initSeed: 5 });
    try {
      // Crop 4 of 4×4 images: five identical crops and their flips = flip TTA.
      const ten = await evaluateSource(trainer, memorySource(data, { batchSize: 3, seed: 0, shuffle: false }), { numClasses: 3, tta: { kind: 'tenCrop', cropSize: 4 } });
      const flip = await evaluateSource(trainer, memorySource(data, { batchSize: 3, seed: 0, shuffle: false }), { numClasses: 3, tta: { kind: 'flip' } });
      assert.equal(ten.correct, flip.correct);
      assert.ok(Math.abs(ten.loss - flip.loss) < 1e-5);
    } finally {
      await trainer.dispose();
    }
  });

  it('collects skipped images, which count nowhere', async () => {
    const data = tinyData(9, 1);
    const trainer = tinyTrainer(16, 3, { initSeed: 1 });
    try {
      const live: string[] = [];
      const e = await evaluateSource(trainer, memorySource(data, { batchSize: 4, seed: 0, shuffle: false, skipIndices: [2, 7] }), { onSkip: (s) => live.push(s.path) });
      assert.equal(e.count, 7);
      assert.deepEqual(e.skipped.map((s) => s.path), ['mem/2', 'mem/7']);
      assert.deepEqual(live, ['mem/2', 'mem/7'], 'reported as they come');
      assert.equal(e.confusion.length, 3, "without numClasses: the model's output width");
      assert.equal(e.perClass.reduce((n, p) => n + p.count, 0), 7);
    } finally {
      await trainer.dispose();
    }
  });

  it('shouldStop ends the pass before the next batch: stopped, figures of the batches before, source ended, nothing leaked', async () => {
    const data = tinyData(12, 1);
    const trainer = tinyTrainer(16, 3, { initSeed: 1 });
    try {
      const before = tf.memory().numTensors;
      let batches = 0;
      const src = memorySource(data, { batchSize: 4, seed: 0, shuffle: false, onPull: () => batches++ });
      const e = await evaluateSource(trainer, src, { numClasses: 3, onBatch: () => undefined, shouldStop: () => batches > 2 });
      assert.equal(e.stopped, true);
      assert.equal(e.count, 8, 'two batches of 4 scored, the third pulled but not');
      assert.equal(tf.memory().numTensors, before);
      const all = await evaluateSource(trainer, memorySource(data, { batchSize: 4, seed: 0, shuffle: false }), { shouldStop: () => false });
      assert.equal(all.stopped, false);
      assert.equal(all.count, 12);
    } finally {
      await trainer.dispose();
    }
  });

  it('an empty source gives count 0 and NaN figures, not a division by zero', async () => {
    const empty: TinyData = { images: new Float32Array(0), labels: new Int32Array(0), shape: [4, 4, 1] };
    const e = await evaluateSource({} as Trainer, memorySource(empty, { batchSize: 4, seed: 0, shuffle: false }), { numClasses: 3 });
    assert.equal(e.count, 0);
    assert.ok(Number.isNaN(e.accuracy) && Number.isNaN(e.loss));
  });

  it('rejects labels outside the classes and a model of another width, and still disposes the batch and ends the source', async () => {
    const data = tinyData(4, 1);
    const trainer = tinyTrainer(16, 3, { initSeed: 1 });
    try {
      const before = tf.memory().numTensors;
      let ended = false;
      const src = memorySource({ ...data, labels: Int32Array.from([0, 1, 5, 2]) }, { batchSize: 4, seed: 0, shuffle: false });
      const epoch = src.epoch.bind(src);
      src.epoch = (e: number, s?: number) => {
        const it = epoch(e, s);
        const ret = it.return?.bind(it);
        it.return = async (v?: unknown) => {
          ended = true;
          return ret ? ret(v) : { done: true, value: undefined };
        };
        return it;
      };
      await assert.rejects(evaluateSource(trainer, src, { numClasses: 3 }), /^RangeError: label 5 of mem\/2 is not a class index in \[0, 3\): the model has 3 classes, and labels count from 0$/);
      assert.ok(ended, 'the source iterator was returned');
      assert.equal(tf.memory().numTensors, before);
      await assert.rejects(evaluateSource(trainer, memorySource(data, { batchSize: 4, seed: 0, shuffle: false }), { numClasses: 4 }), /the model predicts 3 classes, expected 4/);
      await assert.rejects(evaluateSource(trainer, memorySource(data, { batchSize: 4, seed: 0, shuffle: false }), { numClasses: 1 }), /numClasses must be an integer ≥ 2/);
    } finally {
      await trainer.dispose();
    }
  });

  /** A "model" whose log-probabilities are the log-softmax of the image's pixels: a 1 × k image is a row of scores. */
  const scoresAsModel = { predict: async (xs: tf.Tensor4D) => tf.tidy(() => tf.logSoftmax(tf.reshape(xs, [xs.shape[0], -1])) as tf.Tensor2D) } as unknown as Trainer;
  function rows(scores: readonly (readonly number[])[], labels: readonly number[]): TinyData {
    return { images: Float32Array.from(scores.flat()), labels: Int32Array.from(labels), shape: [1, scores[0].length, 1] };
  }

  it('top-5: the true class among the 5 most probable, ties ranked as top-1 ranks them (the lower class first); nothing leaked', async () => {
    const up = [0, 1, 2, 3, 4, 5, 6]; // class 6 most probable, then 5, 4, …
    const tie = [0, 0, 0, 0, 0, 0, 0]; // argmax picks class 0, so the ranking is 0, 1, 2, …
    const data = rows([up, up, up, tie, tie, tie, tie], [6, 2, 1, 0, 4, 5, 6]);
    const before = tf.memory().numTensors;
    const e = await evaluateSource(scoresAsModel, memorySource(data, { batchSize: 3, seed: 0, shuffle: false }), { numClasses: 7 });
    assert.equal(tf.memory().numTensors, before);
    assert.equal(e.correct, 2, 'top-1: class 6 of `up`, class 0 of `tie`');
    // up: 6 rank 0 (in), 2 rank 4 (in), 1 rank 5 (out); tie: 0 and 4 in, 5 and 6 out.
    assert.equal(e.top5Correct, 4);
    assert.equal(e.top5Accuracy, 4 / 7);
  });

  it('top-5 is left out with 5 classes or fewer, where every image is in the top 5', async () => {
    const e = await evaluateSource(scoresAsModel, memorySource(rows([[0, 1, 2, 3, 4]], [0]), { batchSize: 1, seed: 0, shuffle: false }), { numClasses: 5 });
    assert.equal(e.count, 1);
    assert.ok(!('top5Accuracy' in e) && !('top5Correct' in e), JSON.stringify(e));
    const six = await evaluateSource(scoresAsModel, memorySource(rows([[0, 1, 2, 3, 4, 5]], [0]), { batchSize: 1, seed: 0, shuffle: false }), {});
    assert.equal(six.top5Correct, 0, "6 classes (the model's width): class 0 ranks 6th");
  });

  it('top-5 with flip TTA ranks the averaged log-probabilities, as top-1 does', async () => {
    // Alone class 5 ranks last; with its mirror image the average is
    // [9.5, 10, 7, 7, 7, 10, 9.5]: class 5 ties class 1 for first, and argmax takes class 1.
    const data = rows([[9, 20, 8, 7, 6, 0, 10]], [5]);
    const plain = await evaluateSource(scoresAsModel, memorySource(data, { batchSize: 1, seed: 0, shuffle: false }), { numClasses: 7 });
    const flip = await evaluateSource(scoresAsModel, memorySource(data, { batchSize: 1, seed: 0, shuffle: false }), { numClasses: 7, tta: { kind: 'flip' } });
    assert.deepEqual([plain.correct, plain.top5Correct], [0, 0]);
    assert.deepEqual([flip.correct, flip.top5Correct], [0, 1]);
  });

  it('mean per-class accuracy: the mean of the accuracies of the classes that have images', async () => {
    const s = (c: number): number[] => Array.from({ length: 7 }, (_, i) => (i === c ? 1 : 0)); // predicts class c
    // Class 0: 1 of 3 right; class 1: 1 of 1; classes 2–6 have no images and count nowhere.
    const data = rows([s(0), s(3), s(3), s(1)], [0, 0, 0, 1]);
    const e = await evaluateSource(scoresAsModel, memorySource(data, { batchSize: 4, seed: 0, shuffle: false }), { numClasses: 7 });
    assert.equal(e.accuracy, 2 / 4);
    assert.equal(e.meanClassAccuracy, (1 / 3 + 1) / 2);
    const empty: TinyData = { images: new Float32Array(0), labels: new Int32Array(0), shape: [1, 7, 1] };
    const none = await evaluateSource(scoresAsModel, memorySource(empty, { batchSize: 4, seed: 0, shuffle: false }), { numClasses: 7 });
    assert.ok(Number.isNaN(none.meanClassAccuracy) && Number.isNaN(none.top5Accuracy));
  });
});
