import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { lastValueFrom, toArray } from 'rxjs';
import { openCheckpointStore } from '../../src/model/CheckpointStore';
import type { InitWeights } from '../../src/model/InitWeights';
import { createLocalTrainer } from '../../src/model/LocalTrainer';
import type { NetworkSpec } from '../../src/model/NetworkSpec';
import { train, type TrainOptions, type TrainSetup } from '../../src/model/train';
import type { TrainerState } from '../../src/model/Trainer';
import type { TrainBegin, TrainEvent } from '../../src/telemetry/TrainEvent';
import { memorySource, tinyData, useCpu } from './fixtures/tinyTraining';

/** Conv + BatchNorm + two dense layers on tinyData's 4×4×1 images: real names, moving statistics, a last layer per class count. */
const spec = (numClasses: number, hidden = 8): NetworkSpec => ({
  name: 'finetune-test',
  inputShape: [4, 4, 1],
  numClasses,
  layers: [
    { kind: 'conv', name: 'conv1', filters: 4, kernel: 3, stride: 1, pad: 1 },
    { kind: 'batchNorm', name: 'bn1' },
    { kind: 'relu' },
    { kind: 'flatten' },
    { kind: 'dense', name: 'fc1', units: hidden },
    { kind: 'relu' },
    { kind: 'dense', name: 'fc2', units: numClasses },
    { kind: 'logSoftmax' },
  ],
});

/** Weights of a trained source model: another seed, then a few steps, so the BatchNorm statistics moved and the momentum is not zero. */
async function sourceWeights(s: NetworkSpec): Promise<TrainerState['weights']> {
  const t = createLocalTrainer({ spec: s, seed: 77, optimizer: { lr: 0.1 }, backend: 'cpu' });
  try {
    const d = tinyData(12, 3);
    for (let i = 0; i < 3; i++) {
      const xs = tf.tensor4d(d.images, [12, 4, 4, 1]);
      const ys = tf.tensor1d(Array.from(d.labels, (y) => y % s.numClasses), 'int32');
      await t.step(xs, ys, i);
      xs.dispose();
      ys.dispose();
    }
    return await t.getWeights();
  } finally {
    await t.dispose();
  }
}

interface Seen {
  /** The trainer's full state when the first step was asked for: what the run started from. */
  first?: TrainerState;
  /** A fresh model of the same spec and seed: what an uninitialised run starts from. */
  fresh?: TrainerState;
  setups: number;
}

function setupOf(s: NetworkSpec, seen: Seen): () => Promise<TrainSetup> {
  return async () => {
    seen.setups += 1;
    const trainer = createLocalTrainer({ spec: s, seed: 5, optimizer: { lr: 0.1 }, backend: 'cpu' });
    const reference = createLocalTrainer({ spec: s, seed: 5, optimizer: { lr: 0.1 }, backend: 'cpu' });
    seen.fresh = await reference.getState();
    await reference.dispose();
    const step = trainer.step.bind(trainer);
    trainer.step = async (xs, ys, seed) => {
      seen.first ??= await trainer.getState();
      return step(xs, ys, seed);
    };
    const data = tinyData(12, 1);
    const labels = { ...data, labels: Int32Array.from(data.labels, (y) => y % s.numClasses) };
    return { trainer, train: memorySource(labels, { batchSize: 6, seed: 1, shuffle: true }) };
  };
}

const options = (setup: TrainOptions['setup'], initFrom?: TrainOptions['initFrom']): TrainOptions => ({
  setup,
  epochs: 1,
  seed: 3,
  lr: 0.1,
  ...(initFrom === undefined ? {} : { initFrom }),
});

const init = (weights: TrainerState['weights']): InitWeights => ({ source: 'runs/a/checkpoints/best.rxckpt', step: 938, kind: 'trained', weights });

const byName = (ws: TrainerState['weights']): Map<string, Float32Array> => new Map(ws.map((w) => [w.name, w.data]));

describe('train: initFrom (fine-tuning)', function () {
  this.timeout(120_000);
  before(useCpu);

  it('starts from the source\'s weights, BatchNorm statistics included, with fresh optimizer slots, at epoch 0 step 0', async () => {
    const src = await sourceWeights(spec(3));
    const seen: Seen = { setups: 0 };
    const events = await lastValueFrom(train(options(setupOf(spec(3), seen), async () => init(src))).pipe(toArray()));
    const begin = events[0] as TrainBegin;
    assert.deepEqual(begin.initialisedFrom, { path: 'runs/a/checkpoints/best.rxckpt', step: 938, weights: 'trained', taken: src.length, total: src.length, fresh: [] });
    assert.equal(begin.step, 0);
    assert.equal(begin.resumedFrom, undefined);
    const first = byName(seen.first?.weights ?? []);
    for (const w of src) assert.deepEqual(first.get(w.name), w.data, `${w.name} is the source's`);
    assert.ok(src.some((w) => w.name === 'bn1/movingMean') && src.some((w) => w.name === 'bn1/movingVariance'), 'the statistics are among them');
    // The source trained 3 steps: had its weights not been taken, these would be the fresh model's.
    assert.notDeepEqual(first.get('fc1/kernel'), byName(seen.fresh?.weights ?? []).get('fc1/kernel'));
    for (const o of seen.first?.optimizer ?? []) assert.ok(o.data.every((v) => v === 0), `${o.name} starts at zero`);
  });

  it('another class count: the last layer keeps its fresh initialisation, the rest is the source\'s, and TrainBegin names what was not taken', async () => {
    const src = await sourceWeights(spec(3));
    const seen: Seen = { setups: 0 };
    const events = await lastValueFrom(train(options(setupOf(spec(2), seen), async () => init(src))).pipe(toArray()));
    const begin = events[0] as TrainBegin;
    const total = seen.fresh?.weights.length ?? 0;
    assert.deepEqual(begin.initialisedFrom, {
      path: 'runs/a/checkpoints/best.rxckpt', step: 938, weights: 'trained', taken: total - 2, total,
      fresh: ['fc2/kernel [8,3] vs [8,2]', 'fc2/bias [3] vs [2]'],
    });
    const first = byName(seen.first?.weights ?? []);
    const fresh = byName(seen.fresh?.weights ?? []);
    const source = byName(src);
    for (const [name, data] of first) {
      const expected = name.startsWith('fc2/') ? fresh.get(name) : source.get(name);
      assert.deepEqual(data, expected, `${name} is the ${name.startsWith('fc2/') ? 'fresh model\'s' : 'source\'s'}`);
    }
    assert.equal(events.at(-1)?.kind, 'TrainEnd');
  });

  it('refuses a source of which nothing fits (another architecture): a fatal error naming it, nothing trained, everything released', async () => {
    const src = (await sourceWeights(spec(3))).map((w) => ({ ...w, name: `other/${w.name}` }));
    const seen: Seen = { setups: 0 };
    const before = tf.memory().numTensors;
    const events: TrainEvent[] = [];
    await assert.rejects(
      lastValueFrom(train(options(setupOf(spec(3), seen), async () => init(src)))),
      new RegExp(`cannot start from runs/a/checkpoints/best\\.rxckpt: none of its ${src.length} weight tensors fits this model`),
    );
    await new Promise<void>((resolve) => {
      train(options(setupOf(spec(3), seen), async () => init(src))).subscribe({ next: (e) => events.push(e), error: () => resolve() });
    });
    assert.deepEqual(events.map((e) => e.kind), ['Error']);
    assert.equal(seen.first, undefined, 'no step');
    assert.equal(tf.memory().numTensors, before, 'the trainer was disposed');

    // Same names, other shapes everywhere: still nothing taken, and the message shows the shapes.
    const wide = await sourceWeights({ ...spec(3, 5), layers: spec(3, 5).layers.map((l) => (l.kind === 'conv' ? { ...l, filters: 6 } : l)) });
    await assert.rejects(lastValueFrom(train(options(setupOf(spec(2), seen), async () => init(wide)))), /none of its \d+ weight tensors fits this model .*: conv1\/kernel \[3,3,1,6\] vs \[3,3,1,4\]/);
  });

  it('resumes a fine-tuned run from its own checkpoint without reading the source again', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-finetune-'));
    try {
      const src = await sourceWeights(spec(3));
      const store = await openCheckpointStore(dir, { keepLast: 2, keepBest: false });
      let loads = 0;
      const loader = async (): Promise<InitWeights> => {
        loads += 1;
        return init(src);
      };
      const seen1: Seen = { setups: 0 };
      await lastValueFrom(train({ ...options(setupOf(spec(2), seen1), loader), checkpoints: { store, everyEpochs: 1, everySteps: 0 } }));
      const saved = (await store.scan()).latest?.checkpoint.trainer.weights ?? [];
      assert.equal(loads, 1);
      const seen2: Seen = { setups: 0 };
      const events = await lastValueFrom(train({ ...options(setupOf(spec(2), seen2), loader), epochs: 2, checkpoints: { store, everyEpochs: 1, everySteps: 0 } }).pipe(toArray()));
      assert.equal(loads, 1, 'the source is not read again');
      const begin = events[0] as TrainBegin;
      assert.match(begin.resumedFrom ?? '', /ckpt-s0000000002-e0001/);
      assert.equal(begin.initialisedFrom, undefined);
      assert.equal(begin.step, 2);
      // The resumed run continues from its own weights, not the source's.
      assert.deepEqual(seen2.first?.weights.map((w) => w.data), saved.map((w) => w.data));
      assert.equal(events.at(-1)?.kind, 'TrainEnd');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves no tensor behind', async () => {
    const src = await sourceWeights(spec(3));
    const before = tf.memory().numTensors;
    const events = await lastValueFrom(train(options(setupOf(spec(2), { setups: 0 }), async () => init(src))).pipe(toArray()));
    assert.ok(((events[0] as TrainBegin).initialisedFrom?.taken ?? 0) > 0, 'it did initialise');
    assert.equal(tf.memory().numTensors, before);
  });
});
