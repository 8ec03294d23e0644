import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/model/backend';
import { createTrainer } from '../../src/model/createTrainer';
import { createDataParallelTrainer, type DataParallelTrainer } from '../../src/model/DataParallelTrainer';
import type { NetworkSpec } from '../../src/model/NetworkSpec';
import type { Trainer, TrainerState } from '../../src/model/Trainer';
import { tinyAlexNet } from './tinySpec';

function images(n: number, seed: number): tf.Tensor4D {
  return tf.randomNormal([n, 16, 16, 1], 0, 1, 'float32', seed) as tf.Tensor4D;
}
const labels = (n: number, seed: number): tf.Tensor1D => tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 5 + seed) % 3), 'int32');

function assertBitIdentical(a: TrainerState, b: TrainerState, what: string): void {
  a.weights.forEach((w, i) => assert.deepEqual(b.weights[i].data, w.data, `${what}: ${w.name}`));
  a.optimizer.forEach((w, i) => assert.deepEqual(b.optimizer[i].data, w.data, `${what}: ${w.name}`));
}

function maxDiff(a: TrainerState, b: TrainerState): number {
  let m = 0;
  a.weights.forEach((w, i) => w.data.forEach((v, k) => { m = Math.max(m, Math.abs(v - b.weights[i].data[k])); }));
  return m;
}

/**
 * [A; A] split in two gives each replica A: per-shard BatchNorm statistics equal the whole
 * batch's, so one replica and two must agree up to float rounding, step after step (each
 * step's forward pass runs on the parameters the previous update loaded from shared memory).
 */
async function expectDuplicatedBatchAgreement(single: Trainer, dp: DataParallelTrainer, steps: number): Promise<void> {
  const a = images(4, 1);
  const xs = tf.concat([a, a]) as tf.Tensor4D;
  const ys = tf.tensor1d([0, 1, 2, 1, 0, 1, 2, 1], 'int32');
  for (let s = 0; s < steps; s++) {
    const r1 = await single.step(xs, ys, s);
    const r2 = await dp.step(xs, ys, s);
    assert.ok(Math.abs(r1.loss - r2.loss) < 1e-4, `step ${s}: loss ${r1.loss} (1 replica) vs ${r2.loss} (2 replicas)`);
    assert.equal(r2.accuracy, r1.accuracy);
  }
  const [s1, s2] = [await single.getState(), await dp.getState()];
  assert.ok(maxDiff(s1, s2) < 1e-4, `weights differ by ${maxDiff(s1, s2)}`);
  tf.dispose([a, xs, ys]);
}

/**
 * The tiny AlexNet without dropout. Dropout before BatchNorm would give the two halves of a
 * duplicated batch different statistics; without it the exact-equivalence tests are possible.
 * Dropout's own independence from the split is tested in seededDropout.test.ts.
 */
const tinyNoDropout: NetworkSpec = { ...tinyAlexNet(), layers: tinyAlexNet().layers.filter((l) => l.kind !== 'dropout') };

describe('createDataParallelTrainer (2 worker_thread replicas, cpu)', function () {
  // Starting worker_threads that load tfjs through tsx takes a few seconds on a busy machine.
  this.timeout(180000);
  let dp: DataParallelTrainer;
  let single: Trainer;
  const spec = tinyNoDropout;
  before(async () => {
    await initBackend({ prefer: 'cpu' });
    [dp, single] = await Promise.all([
      createDataParallelTrainer({ spec, seed: 11, optimizer: {}, replicas: 2, backend: 'cpu' }),
      createTrainer({ model: spec, backend: 'cpu', seed: 11 }),
    ]);
  });
  after(async () => {
    await dp?.dispose();
    await single?.dispose();
  });

  it('starts every replica from the single-thread weights', async () => {
    assert.equal(dp.replicas, 2);
    assert.equal(dp.backend, 'cpu');
    assert.equal(dp.threads, 1, 'each replica reports its own backend thread count');
    const states = await dp.replicaStates();
    assertBitIdentical(await single.getState(), states[0], 'replica 0 vs single');
    assertBitIdentical(states[0], states[1], 'replica 1 vs 0');
  });

  it('equals single-replica training when both shards see the same statistics (duplicated batch)', async () => {
    await expectDuplicatedBatchAgreement(single, dp, 3);
  });

  it('keeps every replica bit-identical after k steps, including uneven and tiny batches', async () => {
    for (const [n, s] of [[8, 1], [7, 2], [3, 3], [2, 4]]) {
      const xs = images(n, s);
      const ys = labels(n, s);
      const r = await dp.step(xs, ys, s);
      assert.ok(Number.isFinite(r.loss));
      tf.dispose([xs, ys]);
    }
    const states = await dp.replicaStates();
    assertBitIdentical(states[0], states[1], 'after uneven steps');
  });

  it('follows the single-replica loss curve on ordinary batches within tolerance', async () => {
    const state = await dp.getState();
    await single.setState(state);
    const l1: number[] = [];
    const l2: number[] = [];
    for (let s = 0; s < 3; s++) {
      const xs = images(32, 10 + s);
      const ys = labels(32, s);
      l1.push((await single.step(xs, ys, s)).loss);
      l2.push((await dp.step(xs, ys, s)).loss);
      tf.dispose([xs, ys]);
    }
    // Per-shard BatchNorm (as in PyTorch's DataParallel) makes the curves differ a little.
    l1.forEach((v, i) => assert.ok(Math.abs(v - l2[i]) < 0.1 * v, `step ${i}: ${v} vs ${l2[i]}`));
  });

  it('reports as its loss the shard-size-weighted mean of one trainer\'s losses on each shard (per-shard BatchNorm)', async () => {
    // Why the curves above differ at all: each replica normalises with its own shard's
    // statistics. Small shards make that visible (12 or 13 images), and this pins it down exactly.
    for (const [n, seed] of [[24, 21], [25, 22]]) {
      const state = await dp.getState();
      const xs = images(n, seed);
      const ys = labels(n, seed);
      const r = await dp.step(xs, ys, seed);
      const { shards } = dp.timings();
      assert.equal(shards.reduce((a, b) => a + b, 0), n);
      let sum = 0;
      let start = 0;
      for (const size of shards) {
        const one = await createTrainer({ model: spec, backend: 'cpu', seed: 11 });
        await one.setState(state);
        const part = tf.tidy(() => [xs.slice(start, size), ys.slice(start, size)] as const);
        sum += (await one.step(part[0], part[1], seed)).loss * size;
        tf.dispose([...part]);
        await one.dispose();
        start += size;
      }
      assert.ok(Math.abs(r.loss - sum / n) < 1e-5 * Math.max(1, r.loss), `batch ${n} (shards ${shards.join('+')}): ${r.loss} vs weighted mean of shard losses ${sum / n}`);
      tf.dispose([xs, ys]);
    }
  });

  it('evaluates, predicts and round-trips state like a single trainer', async () => {
    const state = await dp.getState();
    await single.setState(state);
    const xs = images(5, 20);
    const ys = labels(5, 20);
    const [e1, e2] = [await single.evaluate(xs, ys), await dp.evaluate(xs, ys)];
    assert.equal(e2.count, 5);
    assert.equal(e2.correct, e1.correct);
    assert.ok(Math.abs(e1.lossSum - e2.lossSum) < 1e-4);
    const [p1, p2] = [await single.predict(xs), await dp.predict(xs)];
    assert.deepEqual(p2.shape, [5, 3]);
    assert.ok(tf.tidy(() => tf.max(tf.abs(tf.sub(p1, p2))).dataSync()[0]) < 1e-5);
    tf.dispose([p1, p2, xs, ys]);
    await dp.setState(await single.getState());
    for (const s of await dp.replicaStates()) assertBitIdentical(await single.getState(), s, 'after setState');
    assert.deepEqual(await dp.getWeights(), (await dp.getState()).weights, 'getWeights is the weights part of the state');
  });

  it('reports where the step time went, and starts over after each read', async () => {
    dp.timings();
    const xs = images(8, 3);
    const ys = labels(8, 3);
    await dp.step(xs, ys, 3);
    await dp.step(xs, ys, 4);
    const t = dp.timings();
    assert.equal(t.steps, 2);
    for (const k of ['step', 'input', 'replica', 'compute', 'computeFastest', 'copy', 'wait', 'update', 'load'] as const) assert.ok(t[k] >= 0 && Number.isFinite(t[k]), `${k} = ${t[k]}`);
    for (const k of ['compute', 'wait', 'update', 'load'] as const) assert.ok(t.replica >= t[k] - 1e-6, `a replica's request (${t.replica} ms) includes its ${k} (${t[k]} ms)`);
    assert.ok(t.computeFastest > 0 && t.computeFastest <= t.compute, `fastest replica ${t.computeFastest} ms, slowest ${t.compute} ms`);
    assert.ok(t.update > 0 && t.load > 0, `update ${t.update} ms, load ${t.load} ms`);
    assert.ok(Number.isFinite(t.messaging) && Math.abs(t.step - t.input - t.replica - t.messaging) < 1e-6);
    assert.equal(dp.timings().steps, 0);
    tf.dispose([xs, ys]);
  });

  it('reports replica errors as rejections and stays usable', async () => {
    const xs = images(4, 1);
    await assert.rejects(dp.step(xs, tf.tensor1d([0, 1, 2, 7], 'int32'), 1), /label 7 of image 3/);
    await assert.rejects(dp.setState({ weights: [], optimizer: [] }), /replica \d: weights state lacks/);
    const r = await dp.step(xs, labels(4, 1), 1);
    assert.ok(Number.isFinite(r.loss));
    xs.dispose();
  });
});

describe('createDataParallelTrainer when a replica thread dies (2 replicas, cpu)', function () {
  this.timeout(180000);

  it("rejects the step with the dead replica's error, not the survivor's release from the barrier", async () => {
    await initBackend({ prefer: 'cpu' });
    // The module object itself (not an import's copy), so startReplicaWorker sees the wrapper.
    const threads = createRequire(__filename)('node:worker_threads') as { Worker: typeof Worker };
    const Original = threads.Worker;
    const started: Worker[] = [];
    threads.Worker = class extends Original {
      constructor(...args: ConstructorParameters<typeof Worker>) {
        super(...args);
        started.push(this);
      }
    };
    let dp: DataParallelTrainer | undefined;
    try {
      dp = await createDataParallelTrainer({ spec: tinyNoDropout, seed: 3, optimizer: {}, replicas: 2, backend: 'cpu' });
    } finally {
      threads.Worker = Original;
    }
    const xs = images(4, 2);
    const ys = labels(4, 2);
    try {
      assert.equal(started.length, 2);
      await dp.step(xs, ys, 0);
      await started[1].terminate();
      // Replica 0 is released from the barrier with an error of its own; the cause is replica 1.
      await assert.rejects(dp.step(xs, ys, 1), /^Error: replica 1 exited/);
      await assert.rejects(dp.step(xs, ys, 2), /^Error: replica 1 exited/);
    } finally {
      tf.dispose([xs, ys]);
      await dp.dispose();
    }
  });
});

describe('createDataParallelTrainer (3 replicas, weight decay, plain momentum, cpu)', function () {
  this.timeout(180000);
  let dp: DataParallelTrainer;
  let single: Trainer;
  const spec = tinyNoDropout;
  // A third is not exact in binary, so unlike 2 replicas (bit-exact against one replica on a
  // duplicated batch) rounding differs slightly; a large lr on 4-image BatchNorm shards
  // amplifies that within a few steps, hence the modest lr.
  const optimizer = { lr: 0.01, momentum: 0.8, nesterov: false, weightDecay: 1e-3 };
  before(async () => {
    await initBackend({ prefer: 'cpu' });
    [dp, single] = await Promise.all([
      createDataParallelTrainer({ spec, seed: 5, optimizer, replicas: 3, backend: 'cpu' }),
      createTrainer({ model: spec, backend: 'cpu', seed: 5, optimizer }),
    ]);
  });
  after(async () => {
    await dp?.dispose();
    await single?.dispose();
  });

  it('updates weights and momentum in shared memory like one replica on the whole batch', async () => {
    // [A; A; A] gives every replica A: same statistics as the whole batch (see above).
    const a = images(4, 7);
    const xs = tf.concat([a, a, a]) as tf.Tensor4D;
    const ys = tf.tensor1d([0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1], 'int32');
    for (let s = 0; s < 3; s++) {
      const [r1, r2] = [await single.step(xs, ys, s), await dp.step(xs, ys, s)];
      assert.ok(Math.abs(r1.loss - r2.loss) < 1e-4, `step ${s}: ${r1.loss} vs ${r2.loss}`);
    }
    const [s1, s2] = [await single.getState(), await dp.getState()];
    assert.ok(maxDiff(s1, s2) < 1e-4, `weights differ by ${maxDiff(s1, s2)}`);
    let m = 0;
    s1.optimizer.forEach((o, i) => o.data.forEach((v, k) => { m = Math.max(m, Math.abs(v - s2.optimizer[i].data[k])); }));
    assert.ok(s2.optimizer.length > 0 && m < 1e-3, `momentum differs by ${m}`);
    const states = await dp.replicaStates();
    assertBitIdentical(states[0], states[1], 'replica 1 vs 0');
    assertBitIdentical(states[0], states[2], 'replica 2 vs 0');
    tf.dispose([a, xs, ys]);
  });

  it('resumes from a state (momentum included) exactly like one replica', async () => {
    const state = await single.getState();
    await dp.setState(state);
    const xs = tf.concat([images(4, 9), images(4, 9), images(4, 9)]) as tf.Tensor4D;
    const ys = labels(12, 2);
    const [r1, r2] = [await single.step(xs, ys, 9), await dp.step(xs, ys, 9)];
    assert.ok(Math.abs(r1.loss - r2.loss) < 1e-4, `${r1.loss} vs ${r2.loss}`);
    const d = maxDiff(await single.getState(), await dp.getState());
    assert.ok(d < 1e-4, `weights differ by ${d}`);
    tf.dispose([xs, ys]);
  });

  it('takes back its trained state after lending other weights for evaluation (the weight EMA\'s validation): no trace on the next step', async () => {
    const xs = tf.concat([images(4, 3), images(4, 4)]) as tf.Tensor4D;
    const ys = labels(8, 1);
    const trained = await dp.getState();
    const first = await dp.step(xs, ys, 5);
    const after = await dp.getState();
    await dp.setState(trained);
    const other = { weights: trained.weights.map((w) => ({ ...w, data: w.data.map((v) => v * 0.5 + 0.01) })), optimizer: trained.optimizer };
    await dp.setState(other);
    const lent = await dp.evaluate(xs, ys);
    await dp.setState(trained);
    const own = await dp.evaluate(xs, ys);
    assert.notEqual(lent.lossSum, own.lossSum, 'the lent weights were the ones evaluated');
    const again = await dp.step(xs, ys, 5);
    assert.equal(again.loss, first.loss);
    assertBitIdentical(after, await dp.getState(), 'after lend and take-back');
    const [a, b] = await dp.replicaStates();
    assertBitIdentical(a, b, 'replicas');
    tf.dispose([xs, ys]);
  });
});

describe('createDataParallelTrainer with label smoothing (2 replicas, cpu)', function () {
  this.timeout(180000);
  const spec = tinyNoDropout;
  before(async () => {
    await initBackend({ prefer: 'cpu' });
  });

  it('trains every replica on the smoothed loss, like one trainer', async () => {
    const [dp, smooth, plain] = await Promise.all([
      createDataParallelTrainer({ spec, seed: 8, optimizer: {}, replicas: 2, backend: 'cpu', labelSmoothing: 0.3 }),
      createTrainer({ model: spec, backend: 'cpu', seed: 8, labelSmoothing: 0.3 }),
      createTrainer({ model: spec, backend: 'cpu', seed: 8 }),
    ]);
    // [A; A]: each replica's shard has the whole batch's statistics (see above), so the
    // losses agree to rounding; a replica that ignored the smoothing would be far off.
    const a = images(4, 12);
    const xs = tf.concat([a, a]) as tf.Tensor4D;
    const ys = tf.tensor1d([0, 1, 2, 1, 0, 1, 2, 1], 'int32');
    try {
      const [rd, rs, rp] = [await dp.step(xs, ys, 1), await smooth.step(xs, ys, 1), await plain.step(xs, ys, 1)];
      assert.ok(Math.abs(rd.loss - rs.loss) < 1e-4, `2 replicas ${rd.loss} vs 1 trainer ${rs.loss}`);
      assert.ok(Math.abs(rd.loss - rp.loss) > 1e-2, `smoothed ${rd.loss} vs plain ${rp.loss}`);
      const states = await dp.replicaStates();
      assertBitIdentical(states[0], states[1], 'replica 1 vs 0');
    } finally {
      tf.dispose([a, xs, ys]);
      await Promise.all([dp.dispose(), smooth.dispose(), plain.dispose()]);
    }
  });

  it('rejects a label smoothing outside [0, 1) before starting any replica', async () => {
    await assert.rejects(createDataParallelTrainer({ spec, seed: 5, optimizer: {}, replicas: 2, backend: 'cpu', labelSmoothing: 1 }), /labelSmoothing must be a number in \[0, 1\)/);
    await assert.rejects(createTrainer({ model: spec, backend: 'cpu', seed: 5, labelSmoothing: -0.5 }), /labelSmoothing must be a number in \[0, 1\)/);
  });
});

describe('createDataParallelTrainer with shards balanced by speed (2 replicas, cpu)', function () {
  this.timeout(180000);
  const spec = tinyNoDropout;

  it('splits every batch whole into valid shards, keeps the replicas bit-identical, and learns', async () => {
    await initBackend({ prefer: 'cpu' });
    const dp = await createDataParallelTrainer({ spec, seed: 9, optimizer: {}, replicas: 2, backend: 'cpu', balance: 'speed' });
    const xs = images(32, 30);
    const ys = labels(32, 1);
    try {
      const losses: number[] = [];
      for (let s = 0; s < 6; s++) {
        losses.push((await dp.step(xs, ys, s)).loss);
        const { shards } = dp.timings();
        assert.equal(shards.length, 2);
        assert.equal(shards[0] + shards[1], 32, `step ${s}: shards ${shards.join(' + ')}`);
        assert.ok(shards.every((n) => n >= 2), `step ${s}: shards ${shards.join(' + ')}`);
      }
      assert.ok(losses.every(Number.isFinite));
      assert.ok(losses[5] < losses[0], `the same batch six times: loss ${losses.map((l) => l.toFixed(3)).join(' → ')}`);
      const states = await dp.replicaStates();
      assertBitIdentical(states[0], states[1], 'after balanced steps');
    } finally {
      tf.dispose([xs, ys]);
      await dp.dispose();
    }
  });

  it('rejects an unknown balance before starting any replica', async () => {
    await assert.rejects(
      createDataParallelTrainer({ spec, seed: 1, optimizer: {}, replicas: 2, backend: 'cpu', balance: 'fast' as 'speed' }),
      /balance must be 'even' or 'speed', got fast/,
    );
  });
});

describe('createDataParallelTrainer on wasm (2 replicas, 1 thread each)', function () {
  this.timeout(180000);
  let dp: DataParallelTrainer;
  let single: Trainer;
  const spec = tinyNoDropout;
  before(async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
    [dp, single] = await Promise.all([
      createDataParallelTrainer({ spec, seed: 11, optimizer: {}, replicas: 2, backend: 'wasm', threads: 1 }),
      createTrainer({ model: spec, backend: 'wasm', seed: 11, threads: 1 }),
    ]);
  });
  after(async () => {
    await dp?.dispose();
    await single?.dispose();
  });

  it('follows one replica on a duplicated batch step after step, and keeps the replicas bit-identical', async () => {
    await expectDuplicatedBatchAgreement(single, dp, 4);
    const states = await dp.replicaStates();
    assertBitIdentical(states[0], states[1], 'replica 1 vs 0');
  });
});
