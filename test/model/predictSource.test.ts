import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { predictSource, type Prediction } from '../../src/model/predictSource';
import type { Skip } from '../../src/streams/Skip';
import { memorySource, tinyData, tinyTrainer, useCpu } from './fixtures/tinyTraining';

async function collect(it: AsyncIterable<Prediction | Skip>): Promise<Array<Prediction | Skip>> {
  const out: Array<Prediction | Skip> = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('predictSource', () => {
  before(useCpu);

  it('yields each image with its top classes: the model\'s probabilities, most probable first, in source order', async () => {
    const data = tinyData(11, 2, 1.5);
    const trainer = tinyTrainer(16, 3, { initSeed: 5 });
    try {
      // The expected probabilities, from trainer.predict over the same batches.
      const expected: number[][] = [];
      for await (const b of memorySource(data, { batchSize: 4, seed: 0, shuffle: false }).epoch(0)) {
        if (b.kind !== 'batch') continue;
        const logp = await trainer.predict(b.xs);
        const lp = await logp.data();
        for (let i = 0; i < b.paths.length; i++) expected.push(Array.from(lp.subarray(i * 3, i * 3 + 3), Math.exp));
        tf.dispose([b.xs, b.ys, logp]);
      }
      const before = tf.memory().numTensors;
      const got = await collect(predictSource(trainer, memorySource(data, { batchSize: 4, seed: 0, shuffle: false }), { top: 2 }));
      assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
      assert.deepEqual(got.map((p) => p.path), Array.from({ length: 11 }, (_, i) => `mem/${i}`));
      got.forEach((p, i) => {
        assert.ok(p.kind === 'prediction');
        const order = [0, 1, 2].sort((a, b) => expected[i][b] - expected[i][a]);
        assert.deepEqual(p.top.map((t) => t.label), order.slice(0, 2));
        p.top.forEach((t) => assert.ok(Math.abs(t.probability - expected[i][t.label]) < 1e-6));
        assert.ok(p.top[0].probability >= p.top[1].probability);
      });
      const all = await collect(predictSource(trainer, memorySource(data, { batchSize: 4, seed: 0, shuffle: false }), { top: 10 }));
      for (const p of all) {
        assert.ok(p.kind === 'prediction' && p.top.length === 3, 'at most the number of classes');
        assert.ok(Math.abs(p.top.reduce((s, t) => s + t.probability, 0) - 1) < 1e-5, 'probabilities of all classes sum to 1');
      }
      const one = await collect(predictSource(trainer, memorySource(data, { batchSize: 4, seed: 0, shuffle: false })));
      assert.ok(one.every((p) => p.kind === 'prediction' && p.top.length === 1), 'top 1 by default');
    } finally {
      await trainer.dispose();
    }
  });

  it('passes skips on where they come, and an empty source yields nothing', async () => {
    const trainer = tinyTrainer(16, 3, { initSeed: 1 });
    try {
      const got = await collect(predictSource(trainer, memorySource(tinyData(6, 1), { batchSize: 4, seed: 0, shuffle: false, skipIndices: [1, 5] })));
      assert.deepEqual(got.map((p) => `${p.kind}:${p.path}`), ['skip:mem/1', 'prediction:mem/0', 'prediction:mem/2', 'prediction:mem/3', 'skip:mem/5', 'prediction:mem/4']);
      assert.deepEqual(await collect(predictSource(trainer, memorySource(tinyData(0, 1), { batchSize: 4, seed: 0, shuffle: false }))), []);
    } finally {
      await trainer.dispose();
    }
  });

  it('stopping early ends the source and leaks nothing; a bad top is refused', async () => {
    const trainer = tinyTrainer(16, 3, { initSeed: 1 });
    try {
      const before = tf.memory().numTensors;
      const src = memorySource(tinyData(12, 1), { batchSize: 4, seed: 0, shuffle: false });
      let n = 0;
      for await (const p of predictSource(trainer, src)) {
        assert.equal(p.kind, 'prediction');
        if (++n === 2) break;
      }
      assert.equal(tf.memory().numTensors, before);
      await assert.rejects(collect(predictSource(trainer, src, { top: 0 })), /top must be a positive integer, got 0/);
    } finally {
      await trainer.dispose();
    }
  });
});
