import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { lastValueFrom, tap, toArray } from 'rxjs';
import { checkBatch } from '../../src/model/checkBatch';
import { checkpointFileName, openCheckpointStore } from '../../src/model/CheckpointStore';
import { evaluateSource } from '../../src/model/evaluateSource';
import { createLocalTrainer } from '../../src/model/LocalTrainer';
import { train, type TrainOptions, type TrainSetup } from '../../src/model/train';
import type { TrainerState } from '../../src/model/Trainer';
import type { BatchItem } from '../../src/streams/BatchSource';
import { formatEvent } from '../../src/telemetry/eventLogger';
import type { TrainEvent } from '../../src/telemetry/TrainEvent';
import { memorySource, tinyData, tinyTrainer, useCpu } from './fixtures/tinyTraining';
import { tinyAlexNet } from './tinySpec';

const data = tinyData(30, 1);
const valData = tinyData(9, 2);

function setupFactory(extra: { skip?: number[]; onPull?: () => void; failAtStep?: number } = {}) {
  const made: Array<ReturnType<typeof tinyTrainer>> = [];
  const sources: Array<ReturnType<typeof memorySource>> = [];
  let steps = 0;
  const setup = async (): Promise<TrainSetup> => {
    const trainer = tinyTrainer(16, 3, { initSeed: 5 });
    const step = trainer.step.bind(trainer);
    trainer.step = async (xs, ys, seed) => {
      steps += 1;
      if (extra.failAtStep === steps) throw new Error('kernel exploded');
      return step(xs, ys, seed);
    };
    const tr = memorySource(data, { batchSize: 8, seed: 3, shuffle: true, skipIndices: extra.skip, onPull: extra.onPull });
    const val = memorySource(valData, { batchSize: 4, seed: 0, shuffle: false });
    made.push(trainer);
    sources.push(tr, val);
    return { trainer, train: tr, val };
  };
  return { setup, made, sources, steps: () => steps };
}

const base = (setup: TrainOptions['setup']): TrainOptions => ({ setup, epochs: 3, seed: 11, lr: 0.1, batchEvents: { perSec: 1000, everyBatches: 1 } });

describe('train', () => {
  before(useCpu);

  it('emits the lifecycle in order, with finite metrics, and releases everything', async () => {
    const f = setupFactory({ skip: [4] });
    const events = await lastValueFrom(train(base(f.setup)).pipe(toArray()));
    const kinds = events.map((e) => e.kind).filter((k) => k !== 'BatchEnd' && k !== 'SampleSkipped' && k !== 'ValidationProgress');
    assert.deepEqual(kinds, ['TrainBegin', 'EpochBegin', 'EpochEnd', 'EpochBegin', 'EpochEnd', 'EpochBegin', 'EpochEnd', 'TrainEnd']);
    const begin = events[0];
    assert.equal(begin.kind === 'TrainBegin' && begin.stepsPerEpoch, 4);
    assert.equal(begin.kind === 'TrainBegin' && begin.threads, 3, 'TrainBegin reports the trainer\'s threads');
    const batchEnds = events.filter((e) => e.kind === 'BatchEnd');
    assert.equal(batchEnds.length, 12);
    assert.deepEqual(
      batchEnds.map((e) => e.step),
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    assert.equal(events.filter((e) => e.kind === 'SampleSkipped').length, 1, 'the bad sample is reported once, not once per epoch');
    for (const e of events) {
      if (e.kind === 'EpochEnd') {
        for (const v of [e.trainLoss, e.trainAccuracy, e.valLoss, e.valAccuracy]) assert.ok(Number.isFinite(v), `finite metric in ${JSON.stringify(e)}`);
      }
    }
    const end = events[events.length - 1];
    assert.equal(end.kind === 'TrainEnd' && end.reason, 'completed');
    assert.ok(f.made[0].disposed);
    assert.ok(f.sources.every((s) => s.closed));
  });

  it('a run started without a runId logs "starting run: …", not "starting run run: …"; a named one names itself', async () => {
    const beginLine = async (runId?: string): Promise<string> => {
      const f = setupFactory();
      const events = await lastValueFrom(train({ ...base(f.setup), epochs: 1, ...(runId === undefined ? {} : { runId }) }).pipe(toArray()));
      return formatEvent(events[0])[1];
    };
    assert.match(await beginLine(), /^starting run: 1 epoch × 4 steps, backend cpu/);
    assert.match(await beginLine('cats-1'), /^starting run cats-1: 1 epoch × 4 steps/);
  });

  it('learns: training loss falls over epochs', async () => {
    const f = setupFactory();
    const events = await lastValueFrom(train({ ...base(f.setup), epochs: 6 }).pipe(toArray()));
    const losses = events.flatMap((e) => (e.kind === 'EpochEnd' ? [e.trainLoss] : []));
    assert.ok(losses[5] < losses[0], `loss ${losses[0]} → ${losses[5]}`);
  });

  it('keeps the tensor count constant across epochs and returns to the baseline', async () => {
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    // Measured inside the stream, at each epoch boundary.
    const f2 = setupFactory();
    await new Promise<void>((resolve, reject) =>
      train({ ...base(f2.setup), epochs: 4 }).subscribe({
        next: (e) => {
          if (e.kind === 'EpochEnd') counts.push(tf.memory().numTensors);
        },
        error: reject,
        complete: resolve,
      }),
    );
    assert.equal(counts.length, 4);
    assert.ok(counts.every((c) => c === counts[0]), `tensors per epoch: ${counts}`);
    assert.equal(tf.memory().numTensors, before);
  });

  it('pulls one batch per step, never ahead (backpressure)', async () => {
    // Counted at each pull, not at BatchEnd: a BatchEnd may wait for the next batch (is the epoch over?).
    let pulls = 0;
    const seen: number[] = [];
    const f = setupFactory({ onPull: () => seen.push((pulls += 1) - f.steps()) });
    await lastValueFrom(train({ ...base(f.setup), epochs: 2 }));
    assert.deepEqual(seen, new Array(8).fill(1));
  });

  it('throttles BatchEnd by count', async () => {
    const f = setupFactory();
    const events = await lastValueFrom(train({ ...base(f.setup), epochs: 1, batchEvents: { perSec: 1000, everyBatches: 3 } }).pipe(toArray()));
    // batches 0..3: every 3rd (index 2) plus the last (index 3)
    assert.deepEqual(
      events.flatMap((e) => (e.kind === 'BatchEnd' ? [e.batch] : [])),
      [2, 3],
    );
  });

  it("keeps img/s from dipping at the epoch's short last batch: its fixed step costs over fewer images say nothing of the speed", async () => {
    // 30 images in batches of 8: 8, 8, 8 and a short 6. Each step takes 200 ms of fixed costs
    // and 10 ms an image, on a clock only the steps move: a full batch trains 8 / 0.28 s.
    const full = 8 / 0.28;
    const rates = async (everyBatches: number): Promise<number[]> => {
      let t = 0;
      const setup = async (): Promise<TrainSetup> => {
        const s = await setupFactory().setup();
        const step = s.trainer.step.bind(s.trainer);
        s.trainer.step = async (xs, ys, seed) => {
          t += 200 + 10 * xs.shape[0];
          return step(xs, ys, seed);
        };
        return s;
      };
      const events = await lastValueFrom(train({ ...base(setup), epochs: 2, now: () => t, batchEvents: { perSec: 1000, everyBatches } }).pipe(toArray()));
      return events.flatMap((e) => (e.kind === 'BatchEnd' ? [e.imagesPerSec] : []));
    };
    // Alone in its BatchEnd, the short batch repeats the rate before it (6 / 0.26 s before).
    const each = await rates(1);
    assert.equal(each.length, 8);
    for (const r of each) assert.ok(Math.abs(r - full) < 1e-9, `${each}`);
    // With full batches in the same BatchEnd, their rate is the one sent (30 / 1.1 s before).
    const all = await rates(4);
    assert.equal(all.length, 2);
    for (const r of all) assert.ok(Math.abs(r - full) < 1e-9, `${all}`);
  });

  describe("EpochEnd's img/s", () => {
    /**
     * A setup on a clock only the steps and validation move: a step takes 200 ms of fixed costs
     * and 10 ms an image, each validation batch 5 s.
     */
    const clocked = (f: ReturnType<typeof setupFactory>, clock: { t: number }) => async (): Promise<TrainSetup> => {
      const s = await f.setup();
      const step = s.trainer.step.bind(s.trainer);
      s.trainer.step = async (xs, ys, seed) => {
        clock.t += 200 + 10 * xs.shape[0];
        return step(xs, ys, seed);
      };
      const val = s.val as NonNullable<TrainSetup['val']>;
      const epoch = val.epoch.bind(val);
      val.epoch = (e, start) => {
        const it = epoch(e, start);
        const next = it.next.bind(it);
        it.next = async () => {
          clock.t += 5000;
          return next();
        };
        return it;
      };
      return s;
    };

    it("is the epoch's images over its training time, validation left out", async () => {
      const clock = { t: 0 };
      const events = await lastValueFrom(train({ ...base(clocked(setupFactory(), clock)), epochs: 2, now: () => clock.t }).pipe(toArray()));
      // 30 images in batches of 8, 8, 8 and 6: 1.1 s of steps an epoch.
      const ends = events.flatMap((e) => (e.kind === 'EpochEnd' ? [e] : []));
      assert.equal(ends.length, 2);
      for (const e of ends) {
        assert.ok(e.imagesPerSec !== undefined && Math.abs(e.imagesPerSec - 30 / 1.1) < 1e-9, JSON.stringify(e));
        assert.ok(e.durationMs > 1100, 'its duration has the validation in it');
      }
    });

    it('counts, in a resumed epoch, only what this process trained', async () => {
      const clock = { t: 0 };
      const stop = new AbortController();
      let pulls = 0;
      // The stop comes while the 3rd batch is fetched: 2 steps (16 images, 560 ms) trained before.
      const first = setupFactory({ onPull: () => (pulls += 1) === 3 && setImmediate(() => stop.abort()) });
      const store = await openCheckpointStore(await fsp.mkdtemp(path.join(os.tmpdir(), 'rxtrain-rate-')), { keepLast: 1, keepBest: false });
      try {
        const checkpoints = { store, everyEpochs: 1, everySteps: 0 };
        const stopped = await lastValueFrom(train({ ...base(clocked(first, clock)), epochs: 1, now: () => clock.t, signal: stop.signal, checkpoints }).pipe(toArray()));
        assert.ok(stopped.some((e) => e.kind === 'TrainEnd' && e.reason === 'stopped' && e.step === 2));
        // The earlier process was slow (an hour for its 2 steps): none of that is in the rate.
        clock.t += 3_600_000;
        const resumed = await lastValueFrom(train({ ...base(clocked(setupFactory(), clock)), epochs: 1, now: () => clock.t, checkpoints }).pipe(toArray()));
        assert.ok(resumed[0].kind === 'TrainBegin' && resumed[0].resumedFrom !== undefined);
        const end = resumed.find((e) => e.kind === 'EpochEnd');
        // Batches 3 and 4 (8 and 6 images) in 280 + 260 ms.
        assert.ok(end?.kind === 'EpochEnd' && end.imagesPerSec !== undefined && Math.abs(end.imagesPerSec - 14 / 0.54) < 1e-9, JSON.stringify(end));
      } finally {
        await fsp.rm(store.dir, { recursive: true, force: true });
      }
    });
  });

  describe('ValidationProgress', () => {
    /** Each epoch's events from its last BatchEnd on: `V done/batches images` for ValidationProgress. */
    const afterTraining = (events: readonly TrainEvent[]): string[][] => {
      const epochs: string[][] = [];
      let current: string[] | undefined;
      for (const e of events) {
        if (e.kind === 'BatchEnd' && e.lastOfEpoch === true) epochs.push((current = ['last BatchEnd']));
        else if (e.kind === 'ValidationProgress') current?.push(`V ${e.epoch} ${e.batchesDone}/${e.batches ?? '?'} ${e.images}`);
        else if (e.kind === 'EpochEnd') current = (current?.push('EpochEnd'), undefined);
        else if (e.kind !== 'SampleSkipped') current?.push(e.kind);
      }
      return epochs;
    };

    it('is sent as validation starts, then after each batch as BatchEnd is (every 1 here), before EpochEnd and never after it', async () => {
      const f = setupFactory();
      const events = await lastValueFrom(train({ ...base(f.setup), epochs: 2 }).pipe(toArray()));
      // 9 validation images in batches of 4: 3 batches of 4, 4 and 1.
      assert.deepEqual(afterTraining(events), [0, 1].map((epoch) => ['last BatchEnd', `V ${epoch} 0/3 0`, `V ${epoch} 1/3 4`, `V ${epoch} 2/3 8`, `V ${epoch} 3/3 9`, 'EpochEnd']));
    });

    it('follows the BatchEnd throttle: every N batches, or by time, the start always sent', async () => {
      const f = setupFactory();
      const everyTwo = await lastValueFrom(train({ ...base(f.setup), epochs: 1, batchEvents: { perSec: 1000, everyBatches: 2 } }).pipe(toArray()));
      assert.deepEqual(afterTraining(everyTwo), [['last BatchEnd', 'V 0 0/3 0', 'V 0 2/3 8', 'EpochEnd']]);
      // A clock that never moves: by time nothing after the start is due.
      const g = setupFactory();
      const still = await lastValueFrom(train({ ...base(g.setup), epochs: 1, now: () => 1000, batchEvents: { perSec: 10, everyBatches: 0 } }).pipe(toArray()));
      assert.deepEqual(afterTraining(still), [['last BatchEnd', 'V 0 0/3 0', 'EpochEnd']]);
    });

    it('is sent for 10-crop validation too, and none without validation data', async () => {
      const f = setupFactory();
      const tenCrop = async (): Promise<TrainSetup> => {
        const s = await f.setup();
        return { ...s, val: undefined, tenCrop: { source: s.val as NonNullable<TrainSetup['val']>, cropSize: 4 } };
      };
      const ten = await lastValueFrom(train({ ...base(tenCrop), epochs: 1 }).pipe(toArray()));
      assert.deepEqual(afterTraining(ten), [['last BatchEnd', 'V 0 0/3 0', 'V 0 1/3 4', 'V 0 2/3 8', 'V 0 3/3 9', 'EpochEnd']]);
      const g = setupFactory();
      const noVal = async (): Promise<TrainSetup> => ({ ...(await g.setup()), val: undefined });
      const none = await lastValueFrom(train({ ...base(noVal), epochs: 1 }).pipe(toArray()));
      assert.deepEqual(afterTraining(none), [['last BatchEnd', 'EpochEnd']]);
    });

    it('leaves the planned count out once the pass has gone past it (never 3/2), and counts the images scored, not those skipped', async () => {
      const f = setupFactory();
      const short = async (): Promise<TrainSetup> => {
        const s = await f.setup();
        const val = s.val as NonNullable<TrainSetup['val']>;
        // A source whose count is short of the batches it gives.
        return { ...s, val: { ...val, stepsPerEpoch: 2, epoch: (e, b) => val.epoch(e, b), close: () => val.close() } };
      };
      const past = await lastValueFrom(train({ ...base(short), epochs: 1 }).pipe(toArray()));
      assert.deepEqual(afterTraining(past), [['last BatchEnd', 'V 0 0/2 0', 'V 0 1/2 4', 'V 0 2/2 8', 'V 0 3/? 9', 'EpochEnd']]);
      const skipping = async (): Promise<TrainSetup> => ({
        ...(await setupFactory().setup()),
        val: memorySource(valData, { batchSize: 4, seed: 0, shuffle: false, skipIndices: [0] }),
      });
      const skipped = await lastValueFrom(train({ ...base(skipping), epochs: 1 }).pipe(toArray()));
      assert.deepEqual(afterTraining(skipped), [['last BatchEnd', 'V 0 0/3 0', 'V 0 1/3 3', 'V 0 2/3 7', 'V 0 3/3 8', 'EpochEnd']]);
    });
  });

  it('always sends the last batch of an epoch, one that skipped samples ended early included, and marks it the last', async () => {
    // 4 batches planned; skips end each epoch after 3, which the count throttle (every 2nd) and
    // a time throttle that allows one BatchEnd per epoch (its first) would both leave out.
    const shortened = (o: { batches?: number }) => async (): Promise<TrainSetup> => ({
      trainer: tinyTrainer(16, 3, { initSeed: 5 }),
      train: memorySource(data, { batchSize: 8, seed: 3, shuffle: true, ...o }),
    });
    const sent = async (setup: TrainOptions['setup'], batchEvents: TrainOptions['batchEvents']): Promise<string[]> => {
      const events = await lastValueFrom(train({ ...base(setup), epochs: 2, batchEvents }).pipe(toArray()));
      return events.flatMap((e) => (e.kind === 'BatchEnd' ? [`${e.epoch}:${e.batch}@${e.step}${e.lastOfEpoch === true ? ' last' : ''}`] : e.kind === 'EpochEnd' ? [`end@${e.step}`] : []));
    };
    assert.deepEqual(await sent(shortened({ batches: 3 }), { perSec: 1000, everyBatches: 2 }), ['0:1@2', '0:2@3 last', 'end@3', '1:1@5', '1:2@6 last', 'end@6']);
    assert.deepEqual(await sent(shortened({ batches: 3 }), { perSec: 1e-9, everyBatches: 0 }), ['0:0@1', '0:2@3 last', 'end@3', '1:0@4', '1:2@6 last', 'end@6']);
    // Every batch allowed (as when steps are slower than the throttle's gap): the data running
    // out after batch 2 still makes its BatchEnd the last, though it was due when trained.
    assert.deepEqual(await sent(shortened({ batches: 3 }), { perSec: 1000, everyBatches: 1 }), ['0:0@1', '0:1@2', '0:2@3 last', 'end@3', '1:0@4', '1:1@5', '1:2@6 last', 'end@6']);
    // A full epoch, as before: its last batch is known when it is trained.
    assert.deepEqual(await sent(shortened({}), { perSec: 1000, everyBatches: 3 }), ['0:2@3', '0:3@4 last', 'end@4', '1:2@7', '1:3@8 last', 'end@8']);
  });

  it('stops at the next await on unsubscribe: no more steps, everything released', async () => {
    const before = tf.memory().numTensors;
    const f = setupFactory();
    const received: TrainEvent[] = [];
    await new Promise<void>((resolve) => {
      const sub = train({ ...base(f.setup), epochs: 50 }).subscribe((e) => {
        received.push(e);
        if (e.kind === 'BatchEnd' && e.step === 2) {
          sub.unsubscribe();
          resolve();
        }
      });
    });
    const stepsAtUnsubscribe = f.steps();
    for (let i = 0; i < 50 && !f.made[0].disposed; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(f.made[0].disposed, 'trainer disposed');
    assert.ok(f.sources.every((s) => s.closed), 'sources closed');
    assert.ok(f.steps() <= stepsAtUnsubscribe + 0, `steps after unsubscribe: ${f.steps() - stepsAtUnsubscribe}`);
    assert.equal(received[received.length - 1].kind, 'BatchEnd');
    assert.equal(tf.memory().numTensors, before);
  });

  it('sees a stop signal raised while a batch was being fetched before training that batch, though the batch came without waiting', async () => {
    // A process signal's handler is a macrotask, like this setImmediate; the memory source and
    // the tiny trainer resolve everything with microtasks, as a prefetched batch and a step of
    // synchronous kernels do, so the loop must turn the event loop itself to see the signal.
    const stop = new AbortController();
    let pulls = 0;
    const f = setupFactory({ onPull: () => (pulls += 1) === 3 && setImmediate(() => stop.abort()) });
    const store = await openCheckpointStore(await fsp.mkdtemp(path.join(os.tmpdir(), 'rxtrain-stop-')), { keepLast: 1, keepBest: false });
    try {
      const events = await lastValueFrom(train({ ...base(f.setup), epochs: 3, signal: stop.signal, checkpoints: { store, everyEpochs: 1, everySteps: 0 } }).pipe(toArray()));
      assert.equal(f.steps(), 2, 'the third batch, fetched when the stop came, is not trained');
      const end = events[events.length - 1];
      assert.ok(end.kind === 'TrainEnd' && end.reason === 'stopped' && end.step === 2, JSON.stringify(end));
      assert.ok(events.some((e) => e.kind === 'CheckpointSaved' && /-e0000-b000002\.rxckpt$/.test(e.path)), 'the cursor points at the untrained batch');
    } finally {
      await fsp.rm(store.dir, { recursive: true, force: true });
    }
  });

  it("sends the last trained batch's BatchEnd, held back by the throttle, before a stop's checkpoint, once", async () => {
    const stop = new AbortController();
    let pulls = 0;
    // The stop comes while the 4th batch is fetched: 3 steps trained.
    const f = setupFactory({ onPull: () => (pulls += 1) === 4 && setImmediate(() => stop.abort()) });
    const store = await openCheckpointStore(await fsp.mkdtemp(path.join(os.tmpdir(), 'rxtrain-stop-')), { keepLast: 1, keepBest: false });
    try {
      // A time throttle that lets only an epoch's first BatchEnd through.
      const events = await lastValueFrom(
        train({ ...base(f.setup), batchEvents: { perSec: 1e-9, everyBatches: 0 }, signal: stop.signal, checkpoints: { store, everyEpochs: 1, everySteps: 0 } }).pipe(toArray()),
      );
      assert.equal(f.steps(), 3);
      const tail = events.flatMap((e) => (e.kind === 'BatchEnd' ? [`batch ${e.batch}@${e.step}${e.lastOfEpoch === true ? ' last' : ''}`] : e.kind === 'CheckpointSaved' || e.kind === 'TrainEnd' ? [`${e.kind}@${e.step}`] : []));
      assert.deepEqual(tail, ['batch 0@1', 'batch 2@3', 'CheckpointSaved@3', 'TrainEnd@3']);
      const last = events.filter((e) => e.kind === 'BatchEnd').at(-1);
      assert.ok(last?.kind === 'BatchEnd' && last.batchSize === 8 && Number.isFinite(last.loss) && last.imagesPerSec > 0, 'the figures of the batches since the one sent');
    } finally {
      await fsp.rm(store.dir, { recursive: true, force: true });
    }
  });

  it('a second live subscription to a run with a checkpoint folder (share() forgotten) is refused, and the first trains on', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rxtrain-twice-'));
    try {
      const f = setupFactory();
      const events$ = train({ ...base(f.setup), epochs: 1, checkpoints: { store: await openCheckpointStore(dir, { keepLast: 1, keepBest: false }), everyEpochs: 1, everySteps: 0 } });
      const first = lastValueFrom(events$.pipe(toArray()));
      const second: TrainEvent[] = [];
      const err = await new Promise<unknown>((resolve) => events$.subscribe({ next: (e) => second.push(e), error: resolve, complete: () => resolve(undefined) }));
      assert.ok(err instanceof Error, 'the second subscription fails');
      assert.match(err.message, /^train: \S+rxtrain-twice-\S+ is the checkpoint folder of a run this process is training already: each subscription to train\(…\) starts a run of its own; share one run between subscribers with train\(options\)\.pipe\(share\(\)\)/);
      assert.deepEqual(second.map((e) => e.kind === 'Error' && e.fatal && e.message === err.message), [true], 'one fatal Error event first, as for any failure');
      const kinds = (await first).map((e) => e.kind);
      assert.equal(kinds[kinds.length - 1], 'TrainEnd', 'the first run completes');
      assert.equal(f.made.length, 1, 'one trainer was made: the second run never started');
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('a run on the checkpoint folder of one just unsubscribed starts once that one has released everything', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rxtrain-after-'));
    try {
      const order: string[] = [];
      const f = setupFactory();
      const setup = async (): Promise<TrainSetup> => {
        const s = await f.setup();
        const n = f.made.length;
        order.push(`setup ${n}`);
        const dispose = s.trainer.dispose.bind(s.trainer);
        return { ...s, trainer: Object.assign(s.trainer, { dispose: async () => { await dispose(); order.push(`disposed ${n}`); } }) };
      };
      const checkpoints = { store: await openCheckpointStore(dir, { keepLast: 1, keepBest: false }), everyEpochs: 1, everySteps: 0 };
      await new Promise<void>((resolve) => {
        const sub = train({ ...base(setup), epochs: 5, checkpoints }).subscribe((e) => {
          if (e.kind === 'BatchEnd' && e.step === 2) {
            sub.unsubscribe();
            resolve();
          }
        });
      });
      const events = await lastValueFrom(train({ ...base(setup), epochs: 1, checkpoints }).pipe(toArray()));
      assert.equal(events[events.length - 1]?.kind, 'TrainEnd');
      assert.deepEqual(order, ['setup 1', 'disposed 1', 'setup 2', 'disposed 2']);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('a checkpoint of another model, which no identity refused, is named with what to do, not only by a tensor', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rxtrain-other-model-'));
    try {
      const checkpoints = async (): Promise<TrainOptions['checkpoints']> => ({ store: await openCheckpointStore(dir, { keepLast: 1, keepBest: false }), everyEpochs: 1, everySteps: 0 });
      await lastValueFrom(train({ ...base(setupFactory().setup), epochs: 1, checkpoints: await checkpoints() }), { defaultValue: undefined });
      // The same folder, now with a (tiny) AlexNet: none of its tensors is in the checkpoint.
      const other = createLocalTrainer({ spec: tinyAlexNet(3), seed: 1, optimizer: { lr: 0.1 }, backend: 'cpu' });
      const before = tf.memory().numTensors;
      const events: TrainEvent[] = [];
      const resumed = train({ ...base(async () => ({ trainer: other, train: memorySource(data, { batchSize: 8, seed: 3, shuffle: true }) })), checkpoints: await checkpoints() });
      const err = await new Promise<unknown>((resolve) =>
        resumed
          .subscribe({ next: (e) => events.push(e), error: resolve, complete: () => resolve(undefined) }));
      assert.ok(err instanceof Error, 'the resume fails');
      assert.match(err.message, /^cannot resume from \S+ckpt-s0000000004-e0001-b000000\.rxckpt: weights state lacks conv1\/kernel.*: it was saved from another model or class count; use a new checkpoint folder \(or delete this one\) to start afresh$/);
      const last = events[events.length - 1];
      assert.ok(last?.kind === 'Error' && last.fatal && last.message === err.message, 'the fatal Error event says the same');
      assert.ok(tf.memory().numTensors < before, 'the trainer is released');
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a failing step as a fatal Error event, then errors, and still releases', async () => {
    const f = setupFactory({ failAtStep: 3 });
    const events: TrainEvent[] = [];
    const err = await new Promise<unknown>((resolve) =>
      train(base(f.setup)).subscribe({ next: (e) => events.push(e), error: resolve, complete: () => resolve(undefined) }),
    );
    assert.ok(err instanceof Error && /kernel exploded/.test(err.message));
    const last = events[events.length - 1];
    assert.equal(last.kind, 'Error');
    assert.ok(last.kind === 'Error' && last.fatal && /kernel exploded/.test(last.message));
    assert.ok(f.made[0].disposed);
  });

  it('a label the model has no class for names its file (labels counted from 1, as a CSV may have them), not the image\'s place in the batch', async () => {
    // Every class number one too high: 1..3 for a 3-class model.
    const oneBased = { ...data, labels: data.labels.map((y) => y + 1) };
    const setup = async (): Promise<TrainSetup> => {
      const trainer = tinyTrainer(16, 3, { initSeed: 5 });
      const step = trainer.step.bind(trainer);
      // What LocalTrainer and DataParallelTrainer check before a step.
      trainer.step = async (xs, ys, seed) => {
        checkBatch({ ...tinyAlexNet(3), inputShape: [4, 4, 1] }, xs, ys, true);
        return step(xs, ys, seed);
      };
      return { trainer, train: memorySource(oneBased, { batchSize: 8, seed: 0, shuffle: false }) };
    };
    const events: TrainEvent[] = [];
    const err = await new Promise<unknown>((resolve) =>
      train(base(setup)).subscribe({ next: (e) => events.push(e), error: resolve, complete: () => resolve(undefined) }),
    );
    // Unshuffled, the first batch is mem/0..7, labels 1,2,3,1,…: mem/2 has label 3.
    const want = 'label 3 of mem/2 is not a class index in [0, 3): the model has 3 classes, and labels count from 0';
    assert.ok(err instanceof RangeError);
    assert.equal(err.message, want);
    const last = events[events.length - 1];
    assert.equal(last.kind === 'Error' && last.message, want);
  });

  it('reports a failing setup as an error', async () => {
    const events: TrainEvent[] = [];
    const err = await new Promise<unknown>((resolve) =>
      train(base(async () => Promise.reject(new Error('no data')))).subscribe({ next: (e) => events.push(e), error: resolve }),
    );
    assert.ok(err instanceof Error && err.message === 'no data');
    assert.deepEqual(
      events.map((e) => e.kind === 'Error' && e.fatal && e.message),
      ['no data'],
    );
  });

  it('reduces the learning rate on a plateau and tells', async () => {
    const f = setupFactory();
    // A threshold nothing can beat makes every epoch a bad one.
    const events = await lastValueFrom(
      train({ ...base(f.setup), scheduler: { patience: 0, factor: 0.5, threshold: 10, thresholdMode: 'rel' } }).pipe(toArray()),
    );
    const changes = events.flatMap((e) => (e.kind === 'LrChanged' ? [[e.from, e.to]] : []));
    assert.deepEqual(changes, [
      [0.1, 0.05],
      [0.05, 0.025],
      [0.025, 0.0125],
    ]);
    assert.deepEqual(
      events.flatMap((e) => (e.kind === 'EpochBegin' ? [e.lr] : [])),
      [0.1, 0.05, 0.025],
    );
  });

  it('stops early when the monitored metric does not improve', async () => {
    const f = setupFactory();
    const events = await lastValueFrom(
      train({ ...base(f.setup), epochs: 10, earlyStopping: { monitor: 'trainLoss', patience: 1, minDelta: 100 } }).pipe(toArray()),
    );
    const epochs = events.filter((e) => e.kind === 'EpochEnd').length;
    assert.equal(epochs, 3, 'epoch 0 sets the best, 1 and 2 fail to improve by minDelta');
    const stop = events.find((e) => e.kind === 'EarlyStop');
    const losses = events.flatMap((e) => (e.kind === 'EpochEnd' ? [e.trainLoss] : []));
    const best = losses.indexOf(Math.min(...losses));
    // The best loss as the log prints losses, its epoch counted from 1 (as the log counts them).
    assert.ok(stop?.kind === 'EarlyStop', JSON.stringify(stop));
    assert.equal(stop.reason, `trainLoss did not improve by more than 100 for 2 epochs (best ${losses[best].toFixed(4)} after epoch ${best + 1})`);
    const end = events[events.length - 1];
    assert.equal(end.kind === 'TrainEnd' && end.reason, 'early-stop');
  });

  it('early stopping on the validation loss follows the training loss when there is no validation data, and refuses a validation accuracy', async () => {
    const f = setupFactory();
    const noVal = async (): Promise<TrainSetup> => ({ ...(await f.setup()), val: undefined });
    // It used to follow a NaN validation loss: never a best, never a stop, no best checkpoint.
    const events = await lastValueFrom(
      train({ ...base(noVal), epochs: 10, earlyStopping: { monitor: 'valLoss', patience: 1, minDelta: 100 } }).pipe(toArray()),
    );
    assert.equal(events.filter((e) => e.kind === 'EpochEnd').length, 3, 'epoch 0 sets the best, 1 and 2 fail to improve by minDelta');
    const stop = events.find((e) => e.kind === 'EarlyStop');
    assert.ok(stop?.kind === 'EarlyStop' && stop.reason.startsWith('trainLoss did not improve'), JSON.stringify(stop));
    await assert.rejects(
      lastValueFrom(train({ ...base(noVal), epochs: 3, earlyStopping: { monitor: 'valAccuracy', patience: 1, minDelta: 0 } })),
      /earlyStopping\.monitor valAccuracy needs validation data, and this run has none/,
    );
  });

  it('early stopping and the best checkpoint can follow the validation top-5 accuracy', async () => {
    // A 7-class "model" whose validation ranking is set per epoch: in epoch 0 class 0 first and
    // classes 1 and 2 last (top-1 3/9, top-5 3/9); later class 3 first, then 0, 1, 2 (top-1 0, top-5 9/9).
    const run = async (monitor: 'valAccuracy' | 'valTop5Accuracy'): Promise<TrainEvent[]> => {
      const setup = async (): Promise<TrainSetup> => {
        const trainer = tinyTrainer(16, 7, { initSeed: 5 });
        let calls = 0;
        trainer.predict = async (xs) => {
          const row = Math.floor(calls++ / 3) === 0 ? [6, 0, 0, 5, 4, 3, 2] : [5, 4, 3, 6, 0, 0, 0];
          return tf.tidy(() => tf.logSoftmax(tf.tensor2d(Array.from({ length: xs.shape[0] }, () => row))) as tf.Tensor2D);
        };
        return { trainer, train: memorySource(data, { batchSize: 8, seed: 3, shuffle: true }), val: memorySource(valData, { batchSize: 4, seed: 0, shuffle: false }) };
      };
      return lastValueFrom(train({ ...base(setup), epochs: 5, earlyStopping: { monitor, patience: 0, minDelta: 0 } }).pipe(toArray()));
    };
    const top5 = await run('valTop5Accuracy');
    assert.deepEqual(top5.flatMap((e) => (e.kind === 'EpochEnd' ? [[e.valAccuracy, e.valTop5Accuracy]] : [])), [[1 / 3, 1 / 3], [0, 1], [0, 1]]);
    const stop = top5.find((e) => e.kind === 'EarlyStop');
    assert.ok(stop?.kind === 'EarlyStop' && stop.epoch === 2 && stop.reason === 'valTop5Accuracy did not improve by more than 0 points for 1 epoch (best 100.00% after epoch 2)', JSON.stringify(stop));
    const top1 = await run('valAccuracy');
    const stop1 = top1.find((e) => e.kind === 'EarlyStop');
    assert.ok(stop1?.kind === 'EarlyStop' && stop1.epoch === 1, 'top-1 got worse in epoch 1');
  });

  it('validates with the test-time augmentation the setup asks for: none, valFlip (2 views) or tenCrop (10)', async () => {
    const run = async (extra: Partial<TrainSetup>): Promise<{ predicts: number; ends: Array<{ trainLoss: number; valLoss: number | undefined }> }> => {
      const f = setupFactory();
      let predicts = 0;
      const setup = async (): Promise<TrainSetup> => {
        const s = await f.setup();
        const predict = s.trainer.predict.bind(s.trainer);
        s.trainer.predict = async (xs) => {
          predicts += 1;
          return predict(xs);
        };
        return { ...s, ...extra, ...(extra.tenCrop ? { tenCrop: { ...extra.tenCrop, source: s.val as NonNullable<TrainSetup['val']> } } : {}) };
      };
      const events = await lastValueFrom(train({ ...base(setup), epochs: 1 }).pipe(toArray()));
      const ends = events.flatMap((e) => (e.kind === 'EpochEnd' ? [{ trainLoss: e.trainLoss, valLoss: e.valLoss }] : []));
      return { predicts, ends };
    };
    const none = await run({});
    const flip = await run({ valFlip: true });
    const ten = await run({ tenCrop: { source: undefined as never, cropSize: 4 } });
    assert.deepEqual([none.predicts, flip.predicts, ten.predicts], [3, 6, 30], '3 validation batches × views');
    assert.equal(flip.ends[0].trainLoss, none.ends[0].trainLoss, 'training itself is the same');
    assert.notEqual(flip.ends[0].valLoss, none.ends[0].valLoss, 'the mirror images are scored too');
    // 4×4 crops of 4×4 images: every crop is the image, so 10-crop = flip.
    assert.ok(Math.abs((ten.ends[0].valLoss ?? NaN) - (flip.ends[0].valLoss ?? NaN)) < 1e-5);
  });

  it('with more than 5 classes EpochEnd carries the validation top-5 accuracy of the same pass; with 5 or fewer none', async () => {
    const run = async (classes: number): Promise<{ ends: Array<{ valAccuracy?: number; valTop5Accuracy?: number }>; final?: Awaited<ReturnType<typeof evaluateSource>>; predicts: number }> => {
      let final: Awaited<ReturnType<typeof evaluateSource>> | undefined;
      let predicts = 0;
      const setup = async (): Promise<TrainSetup> => {
        // tinyData's labels are 0–2: a 7-class model simply never sees classes 3–6.
        const trainer = tinyTrainer(16, classes, { initSeed: 5 });
        const predict = trainer.predict.bind(trainer);
        trainer.predict = async (xs) => {
          predicts += 1;
          return predict(xs);
        };
        const dispose = trainer.dispose.bind(trainer);
        // The weights of the last validation, scored on their own before the loop releases them.
        trainer.dispose = async () => {
          final = await evaluateSource(trainer, memorySource(valData, { batchSize: 4, seed: 0, shuffle: false }), {});
          return dispose();
        };
        return { trainer, train: memorySource(data, { batchSize: 8, seed: 3, shuffle: true }), val: memorySource(valData, { batchSize: 4, seed: 0, shuffle: false }) };
      };
      const events = await lastValueFrom(train({ ...base(setup), epochs: 2 }).pipe(toArray()));
      return { ends: events.flatMap((e) => (e.kind === 'EpochEnd' ? [e] : [])), final, predicts };
    };
    const seven = await run(7);
    assert.equal(seven.ends.length, 2);
    for (const e of seven.ends) assert.ok(typeof e.valTop5Accuracy === 'number' && e.valTop5Accuracy >= (e.valAccuracy ?? NaN), JSON.stringify(e));
    assert.ok(seven.final?.top5Accuracy !== undefined);
    assert.equal(seven.ends[1].valTop5Accuracy, seven.final.top5Accuracy, 'what evaluateSource gives for the same weights');
    assert.equal(seven.predicts, 2 * 3 + 3, 'one validation pass of 3 batches per epoch (and the 3 of the check above): top-5 adds none');
    const three = await run(3);
    for (const e of three.ends) assert.ok(!('valTop5Accuracy' in e), JSON.stringify(e));
  });

  describe('with a moving average of the weights (ema)', () => {
    // Each step's trained weights, recorded by the test itself, so the average is recomputed independently.
    const recorded = (f: ReturnType<typeof setupFactory>, states: Array<TrainerState['weights']>) => async (): Promise<TrainSetup> => {
      const s = await f.setup();
      const step = s.trainer.step.bind(s.trainer);
      s.trainer.step = async (xs, ys, seed) => {
        const r = await step(xs, ys, seed);
        states.push((await s.trainer.getState()).weights);
        return r;
      };
      return s;
    };
    const byHand = (states: Array<TrainerState['weights']>, decay: number, every: number): Float32Array[] => {
      const picked = states.filter((_, i) => (i + 1) % every === 0);
      const avg = picked[0].map((w) => Float64Array.from(w.data));
      picked.slice(1).forEach((ws, i) => {
        const d = Math.min(decay ** every, (2 + i) / (11 + i));
        ws.forEach((w, t) => w.data.forEach((x, j) => (avg[t][j] = d * avg[t][j] + (1 - d) * x)));
      });
      return avg.map((a) => Float32Array.from(a));
    };
    const scoreOf = async (weights: Float32Array[], like: TrainerState['weights']) => {
      const t = tinyTrainer(16, 3, { initSeed: 5 });
      try {
        await t.setState({ weights: like.map((w, i) => ({ ...w, data: weights[i] })), optimizer: (await t.getState()).optimizer });
        return await evaluateSource(t, memorySource(valData, { batchSize: 4, seed: 0, shuffle: false }), {});
      } finally {
        await t.dispose();
      }
    };

    for (const every of [1, 2]) {
      it(`trains exactly as without one and validates the average (folded in every ${every} step${every > 1 ? 's' : ''})`, async () => {
        const plain = await lastValueFrom(train(base(setupFactory().setup)).pipe(toArray()));
        const states: Array<TrainerState['weights']> = [];
        const f = setupFactory();
        const events = await lastValueFrom(train({ ...base(recorded(f, states)), ema: { decay: 0.6, everySteps: every } }).pipe(toArray()));
        const ends = (evs: TrainEvent[]) => evs.flatMap((e) => (e.kind === 'EpochEnd' ? [e] : []));
        assert.deepEqual(ends(events).map((e) => e.trainLoss), ends(plain).map((e) => e.trainLoss), 'the trained weights are lent, never changed');
        assert.equal(states.length, 12);
        for (const epoch of [0, 2]) {
          const upTo = states.slice(0, 4 * (epoch + 1));
          const expected = await scoreOf(byHand(upTo, 0.6, every), upTo[0]);
          const got = ends(events)[epoch];
          assert.ok(Math.abs((got.valLoss ?? NaN) - expected.loss) < 1e-5, `epoch ${epoch}: ${got.valLoss} vs ${expected.loss}`);
          assert.equal(got.valAccuracy, expected.accuracy);
          assert.notEqual(got.valLoss, ends(plain)[epoch].valLoss, 'not the trained weights\' score');
        }
        assert.ok(f.made[0].disposed);
      });
    }

    it('refuses a decay outside (0, 1) and a bad cadence with a fatal Error event', async () => {
      for (const [ema, message] of [
        [{ decay: 1, everySteps: 1 }, /ema.decay must be in \(0, 1\), got 1/],
        [{ decay: 0.9, everySteps: 0 }, /ema.everySteps must be a positive integer, got 0/],
      ] as const) {
        const events: TrainEvent[] = [];
        await assert.rejects(lastValueFrom(train({ ...base(setupFactory().setup), ema }).pipe(tap((e) => events.push(e)))), message);
        assert.ok(events.some((e) => e.kind === 'Error' && e.fatal && message.test(e.message)));
      }
    });
  });

  it('checkpoints every N steps without a second save of the same weights: an epoch that skipped samples ended at such a step saves at its end only', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rxtrain-train-steps-'));
    try {
      /** The cursors (step/epoch/batch) written, in order, by a run of `epochs` from an empty store. */
      const saves = async (o: { batches?: number; everyEpochs: number; everySteps: number; epochs: number }): Promise<string[]> => {
        await fsp.rm(dir, { recursive: true, force: true });
        const store = await openCheckpointStore(dir, { keepLast: 10, keepBest: false });
        const written: string[] = [];
        const files: string[] = [];
        const spy = { ...store, dir: store.dir, scan: () => store.scan(), save: (ck: Parameters<typeof store.save>[0], so: { readonly best: boolean }) => {
          written.push(`${ck.step}/${ck.epoch}/${ck.batch}`);
          files.push(checkpointFileName(ck.step, ck.epoch, ck.batch));
          return store.save(ck, so);
        } };
        const setup = async (): Promise<TrainSetup> => ({
          trainer: tinyTrainer(16, 3, { initSeed: 5 }),
          // 4 batches planned; `batches: 3` ends each epoch after 3, as skipped samples do.
          train: memorySource(data, { batchSize: 8, seed: 3, shuffle: true, batches: o.batches }),
        });
        const events = await lastValueFrom(train({ ...base(setup), epochs: o.epochs, checkpoints: { store: spy, everyEpochs: o.everyEpochs, everySteps: o.everySteps } }).pipe(toArray()));
        assert.equal(events[events.length - 1].kind, 'TrainEnd');
        assert.deepEqual(events.flatMap((e) => (e.kind === 'CheckpointSaved' ? [path.basename(e.path)] : [])), files, 'a CheckpointSaved per save');
        return written;
      };
      // Steps 3 and 6 end the shortened epochs: the epoch-end save alone, not a mid-epoch one before it.
      assert.deepEqual(await saves({ batches: 3, everyEpochs: 1, everySteps: 3, epochs: 2 }), ['3/1/0', '6/2/0']);
      // Mid-epoch saves still come every 2 steps, at the cursor of the batch that follows.
      assert.deepEqual(await saves({ batches: 3, everyEpochs: 1, everySteps: 2, epochs: 2 }), ['2/0/2', '3/1/0', '4/1/1', '6/2/0']);
      // Off the epoch cadence, a full epoch that ends at such a step still saves there (it
      // saved nothing until the run's end, 2 × 4 steps lost to a kill just before it).
      assert.deepEqual(await saves({ everyEpochs: 0, everySteps: 4, epochs: 3 }), ['4/1/0', '8/2/0', '12/3/0']);
      assert.deepEqual(await saves({ batches: 3, everyEpochs: 2, everySteps: 3, epochs: 3 }), ['3/1/0', '6/2/0', '9/3/0']);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('writes a due step save before an error that ends the run while it waits (reading the next batch, validating), once, and never after a failed step', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rxtrain-train-due-'));
    try {
      /** What a run of 2 epochs that fails as `o` says writes (step/epoch/batch), its events and its error. */
      const failing = async (o: { everySteps: number; badBatch?: number; badVal?: boolean; failAtStep?: number; saveFails?: boolean; quiet?: boolean }) => {
        await fsp.rm(dir, { recursive: true, force: true });
        const store = await openCheckpointStore(dir, { keepLast: 10, keepBest: false });
        const written: string[] = [];
        const spy = { ...store, dir: store.dir, scan: () => store.scan(), save: (ck: Parameters<typeof store.save>[0], so: { readonly best: boolean }) => {
          written.push(`${ck.step}/${ck.epoch}/${ck.batch}`);
          return o.saveFails === true ? Promise.reject(new Error('disk full')) : store.save(ck, so);
        } };
        const tr = memorySource(data, { batchSize: 8, seed: 3, shuffle: true });
        // Reading batch `badBatch` of the first epoch fails, as a damaged record file does.
        const train = { ...tr, epoch: (epoch: number, start?: number): AsyncIterableIterator<BatchItem> => {
          const it = tr.epoch(epoch, start);
          const read = it.next.bind(it);
          let b = start ?? 0;
          return Object.assign(it, { next: async () => {
            if (epoch === 0 && b === o.badBatch) throw new Error('train.rec: record 17 is damaged');
            b += 1;
            return read();
          } });
        } };
        const vs = memorySource(valData, { batchSize: 4, seed: 0, shuffle: false });
        const val = o.badVal === true ? { ...vs, epoch: (): AsyncIterableIterator<BatchItem> => { throw new Error('val.rec: unreadable'); } } : vs;
        let steps = 0;
        const setup = async (): Promise<TrainSetup> => {
          const trainer = tinyTrainer(16, 3, { initSeed: 5 });
          const step = trainer.step.bind(trainer);
          trainer.step = async (xs, ys, seed) => {
            steps += 1;
            if (steps === o.failAtStep) throw new Error('kernel exploded');
            return step(xs, ys, seed);
          };
          return { trainer, train, val };
        };
        const events: TrainEvent[] = [];
        const error = await lastValueFrom(train$(setup, 2, { store: spy, everyEpochs: 1, everySteps: o.everySteps }, o.quiet === true ? { perSec: 1e-9, everyBatches: 0 } : undefined).pipe(tap((e) => events.push(e)))).then(
          () => assert.fail('the run should fail'),
          (e: Error) => e.message,
        );
        return { written, events, error };
      };
      const train$ = (setup: TrainOptions['setup'], epochs: number, checkpoints: NonNullable<TrainOptions['checkpoints']>, batchEvents?: TrainOptions['batchEvents']) =>
        train({ ...base(setup), epochs, checkpoints, ...(batchEvents === undefined ? {} : { batchEvents }) });

      // Step 2's save waited for batch 2, whose reading failed: written before the error ends the run.
      const read = await failing({ everySteps: 2, badBatch: 2 });
      assert.equal(read.error, 'train.rec: record 17 is damaged');
      assert.deepEqual(read.written, ['2/0/2']);
      const kinds = read.events.flatMap((e) => (e.kind === 'CheckpointSaved' ? ['saved'] : e.kind === 'Error' ? [e.fatal ? 'fatal' : 'warning'] : []));
      assert.deepEqual(kinds, ['saved', 'fatal'], 'saved, then the error');
      // The last trained batches' figures go out before the error too, also when not due (step 2 of a
      // once-a-minute throttle) or when a step fails (step 2's, batch 3's step failing).
      const lastBatchEnd = (r: { readonly events: readonly TrainEvent[] }) => r.events.flatMap((e) => (e.kind === 'BatchEnd' ? [e.step] : [])).at(-1);
      assert.equal(lastBatchEnd(read), 2, 'step 2 reported before the read error');
      assert.equal(lastBatchEnd(await failing({ everySteps: 2, badBatch: 2, quiet: true })), 2, 'step 2, held back by the throttle, reported before the read error');
      // Step 4 ends the epoch: its save waits for validation, which fails.
      assert.deepEqual((await failing({ everySteps: 4, badVal: true })).written, ['4/0/4']);
      // Already written when the next batch came (step 3's, before step 4 trained): not again.
      assert.deepEqual((await failing({ everySteps: 3, badVal: true })).written, ['3/0/3']);
      assert.deepEqual((await failing({ everySteps: 2, badBatch: 3 })).written, ['2/0/2']);
      // A failed step leaves nothing due: step 2's save came with step 3's batch, before it failed.
      const step = await failing({ everySteps: 2, failAtStep: 3 });
      assert.equal(step.error, 'kernel exploded');
      assert.equal(lastBatchEnd(step), 2, 'step 2 reported before the failed step 3');
      assert.equal(lastBatchEnd(await failing({ everySteps: 2, failAtStep: 3, quiet: true })), 2, 'step 2, held back by the throttle, reported before the failed step 3');
      assert.deepEqual(step.written, ['2/0/2']);
      // A due save that fails too is said beside the error that ended the run, which stays the error.
      const both = await failing({ everySteps: 2, badBatch: 2, saveFails: true });
      assert.equal(both.error, 'train.rec: record 17 is damaged');
      assert.deepEqual(both.written, ['2/0/2']);
      const said = both.events.flatMap((e) => (e.kind === 'Error' ? [`${e.fatal ? 'fatal' : 'warning'}: ${e.message}`] : []));
      assert.deepEqual(said, [
        'warning: the checkpoint due at step 2 could not be written before the error below ended the run: disk full',
        'fatal: train.rec: record 17 is damaged',
      ]);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('reports each bad file once per run, not once per epoch; a resumed run reports it once more', async () => {
    // The same files fail in every epoch: train samples 4 and 17, val sample 2, and a file the
    // listing left out that the dataset then skips too.
    const setup = async (): Promise<TrainSetup> => ({
      trainer: tinyTrainer(16, 3, { initSeed: 5 }),
      train: memorySource(data, { batchSize: 8, seed: 3, shuffle: true, skipIndices: [4, 17] }),
      val: memorySource(valData, { batchSize: 4, seed: 0, shuffle: false, skipIndices: [2] }),
      skipped: [
        { kind: 'skip', path: 'listing/notes.jpg', reason: 'not-an-image', message: 'content is not a known image format' },
        { kind: 'skip', path: 'mem/17', reason: 'truncated', message: 'test skip' },
      ],
    });
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rxtrain-train-skips-'));
    try {
      const run = async (epochs: number): Promise<TrainEvent[]> => {
        const store = await openCheckpointStore(dir, { keepLast: 2, keepBest: false });
        return lastValueFrom(train({ ...base(setup), epochs, checkpoints: { store, everyEpochs: 1, everySteps: 0 } }).pipe(toArray()));
      };
      const skipsOf = (events: TrainEvent[]) => events.flatMap((e) => (e.kind === 'SampleSkipped' ? [`${e.epoch} ${e.path}`] : []));
      const first = await run(3);
      assert.equal(first.filter((e) => e.kind === 'EpochEnd').length, 3);
      // All in the first epoch (the listing's before it starts, at epoch 0 too), each path once.
      assert.deepEqual(skipsOf(first).sort(), ['0 listing/notes.jpg', '0 mem/17', '0 mem/2', '0 mem/4']);
      const resumed = await run(5);
      assert.equal(resumed.filter((e) => e.kind === 'EpochEnd').length, 2);
      assert.deepEqual(skipsOf(resumed).sort(), ['3 listing/notes.jpg', '3 mem/17', '3 mem/2', '3 mem/4']);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('warns when every validation image is skipped, and such an epoch never counts as the best', async () => {
    const setup = async (): Promise<TrainSetup> => ({
      trainer: tinyTrainer(16, 3, { initSeed: 5 }),
      train: memorySource(data, { batchSize: 8, seed: 3, shuffle: true }),
      val: memorySource(valData, { batchSize: 4, seed: 0, shuffle: false, skipIndices: [0, 1, 2, 3, 4, 5, 6, 7, 8] }),
    });
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rxtrain-train-noval-'));
    try {
      const store = await openCheckpointStore(dir, { keepLast: 2, keepBest: true });
      const events = await lastValueFrom(train({ ...base(setup), epochs: 2, checkpoints: { store, everyEpochs: 1, everySteps: 0 } }).pipe(toArray()));
      const warnings = events.filter((e) => e.kind === 'Error');
      assert.deepEqual(warnings.map((e) => e.kind === 'Error' && !e.fatal && /^validation: every image of the validation data was skipped, so epoch (\d) has no validation metrics/.exec(e.message)?.[1]), ['1', '2']);
      assert.ok(events.every((e) => e.kind !== 'EpochEnd' || e.valLoss === undefined));
      // Not "best" by the training loss instead: the run validates, so the metric stays valLoss.
      assert.deepEqual(events.flatMap((e) => (e.kind === 'CheckpointSaved' ? [e.best] : [])), [false, false]);
      assert.equal(events[events.length - 1].kind, 'TrainEnd');
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('fails, without an epoch or a checkpoint, when every training image is skipped', async () => {
    const setup = async (): Promise<TrainSetup> => ({
      trainer: tinyTrainer(16, 3, { initSeed: 5 }),
      train: memorySource(data, { batchSize: 8, seed: 3, shuffle: true, skipIndices: Array.from({ length: data.labels.length }, (_, i) => i) }),
      val: memorySource(valData, { batchSize: 4, seed: 0, shuffle: false }),
    });
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rxtrain-train-notrain-'));
    try {
      const store = await openCheckpointStore(dir, { keepLast: 2, keepBest: true });
      const events: TrainEvent[] = [];
      await assert.rejects(
        lastValueFrom(train({ ...base(setup), epochs: 2, checkpoints: { store, everyEpochs: 1, everySteps: 0 } }).pipe(tap((e) => events.push(e)))),
        // The reason is in the error itself: a caller awaiting only the end never saw the skip events.
        new RegExp(`^Error: training: every image of the training data was skipped in epoch 1 \\(${data.labels.length} skipped, the first mem/\\d+: truncated: test skip\\), so there is nothing to train on$`),
      );
      assert.equal(events.filter((e) => e.kind === 'SampleSkipped').length, data.labels.length);
      assert.ok(events.every((e) => e.kind !== 'EpochEnd' && e.kind !== 'CheckpointSaved' && e.kind !== 'TrainEnd'), events.map((e) => e.kind).join(', '));
      assert.ok(events.some((e) => e.kind === 'Error' && e.fatal));
      store.close?.();
      assert.deepEqual(await fsp.readdir(dir), []);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a non-positive epoch count up front', () => {
    assert.throws(() => train({ ...base(setupFactory().setup), epochs: 0 }), /epochs must be a positive integer/);
  });
});
