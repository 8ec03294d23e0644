import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { openCheckpointStore } from '../../src/model/CheckpointStore';
import { train, type TrainOptions } from '../../src/model/train';
import type { TrainEvent } from '../../src/telemetry/TrainEvent';
import { resumeSetup } from './fixtures/resumeSetup';
import { useCpu } from './fixtures/tinyTraining';

// A virtual clock that only moves when the trainer steps: 100 ms per step, nothing else costs
// time, so the budget arithmetic is exact (5 steps per epoch = 500 ms per epoch).
const STEP_MS = 100;

function clocked(overrides: { batches?: number } = {}): { opts: Pick<TrainOptions, 'setup' | 'seed' | 'lr' | 'scheduler' | 'identity' | 'batchEvents' | 'now'>; steps: () => number } {
  const base = resumeSetup(overrides);
  let t = 0;
  let steps = 0;
  return {
    opts: {
      ...base,
      now: () => t,
      setup: async () => {
        const s = await base.setup();
        const step = s.trainer.step.bind(s.trainer);
        s.trainer.step = async (xs, ys, seed) => {
          steps += 1;
          t += STEP_MS;
          return step(xs, ys, seed);
        };
        return s;
      },
    },
    steps: () => steps,
  };
}

const ofKind = <K extends TrainEvent['kind']>(events: TrainEvent[], kind: K): Array<Extract<TrainEvent, { kind: K }>> =>
  events.filter((e): e is Extract<TrainEvent, { kind: K }> => e.kind === kind);

describe('train: training-time budget (maxTrainingMs)', () => {
  let dir: string;
  before(useCpu);
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-budget-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('does not start an epoch that the last one says would overrun the budget', async () => {
    const c = clocked();
    const store = await openCheckpointStore(dir, { keepLast: 2, keepBest: false });
    // 1,200 ms: two 500 ms epochs fit, a third would end at 1,500.
    const events = await lastValueFrom(
      train({ ...c.opts, epochs: 5, maxTrainingMs: 1200, checkpoints: { store, everyEpochs: 0, everySteps: 0 } }).pipe(toArray()),
    );
    assert.equal(ofKind(events, 'EpochEnd').length, 2);
    assert.equal(c.steps(), 10);
    const end = events[events.length - 1];
    assert.equal(end.kind === 'TrainEnd' && end.reason, 'time-limit');
    assert.equal(ofKind(events, 'CheckpointSaved').length, 1, 'a checkpoint at the stop, so the run can be continued');
  });

  it('stops mid-epoch at the budget when the first epoch alone would overrun it; a resume continues that epoch', async () => {
    const c = clocked();
    const store = await openCheckpointStore(dir, { keepLast: 2, keepBest: false });
    const checkpoints = { store, everyEpochs: 1, everySteps: 0 };
    // BatchEnd every 2nd batch: the third's is held back when the budget stops the run.
    const events = await lastValueFrom(train({ ...c.opts, epochs: 3, maxTrainingMs: 250, checkpoints, batchEvents: { perSec: 1e6, everyBatches: 2 } }).pipe(toArray()));
    // Checked before each step: 0, 100, 200 are under 250 → three steps, then stop at 300.
    assert.equal(c.steps(), 3);
    assert.equal(ofKind(events, 'EpochEnd').length, 0);
    const end = events[events.length - 1];
    assert.equal(end.kind === 'TrainEnd' && end.reason, 'time-limit');
    assert.deepEqual(
      events.flatMap((e) => (e.kind === 'BatchEnd' ? [`batch ${e.batch}@${e.step}`] : e.kind === 'CheckpointSaved' ? [`checkpoint@${e.step}`] : [])),
      ['batch 1@2', 'batch 2@3', 'checkpoint@3'],
      "the last trained batch's BatchEnd goes out before the stop's checkpoint",
    );

    const more = clocked();
    const resumed = await lastValueFrom(train({ ...more.opts, epochs: 1, maxTrainingMs: 600, checkpoints }).pipe(toArray()));
    assert.deepEqual(
      ofKind(resumed, 'EpochBegin').map((e) => [e.epoch, e.startBatch]),
      [[0, 3]],
      'the resumed epoch says where it continues',
    );
    assert.equal(more.steps(), 2);
    assert.equal(ofKind(resumed, 'EpochEnd')[0]?.durationMs, 500, 'the time before the stop counts toward the epoch');
  });

  it('validates an epoch that skipped samples once its data runs out, though it ran short of its planned batches as the budget ran out', async () => {
    // 5 batches planned, skips leave 3: the budget is spent just as the epoch's data runs out.
    const c = clocked({ batches: 3 });
    const store = await openCheckpointStore(dir, { keepLast: 2, keepBest: false });
    const events = await lastValueFrom(train({ ...c.opts, epochs: 3, maxTrainingMs: 300, checkpoints: { store, everyEpochs: 1, everySteps: 0 } }).pipe(toArray()));
    assert.equal(c.steps(), 3);
    assert.deepEqual(ofKind(events, 'EpochEnd').map((e) => [e.epoch, e.durationMs]), [[0, 300]]);
    assert.ok(ofKind(events, 'CheckpointSaved').every((e) => /-e0001-b000000/.test(path.basename(e.path))), 'the checkpoint is the finished epoch\'s, not one to resume mid-epoch');
    const end = events[events.length - 1];
    assert.equal(end.kind === 'TrainEnd' && end.reason, 'time-limit');
  });

  it('counts the time spent before a resume, and a larger budget continues the run', async () => {
    const first = clocked();
    const store = await openCheckpointStore(dir, { keepLast: 2, keepBest: false });
    const checkpoints = { store, everyEpochs: 1, everySteps: 0 };
    await lastValueFrom(train({ ...first.opts, epochs: 5, maxTrainingMs: 1200, checkpoints }).pipe(toArray()));
    assert.equal(first.steps(), 10);

    // Same budget again: the 1,000 ms already trained (from the checkpoint's history) plus a
    // 500 ms epoch do not fit, so nothing runs and nothing new is written.
    const again = clocked();
    const before = fs.readdirSync(dir).sort();
    const stopped = await lastValueFrom(train({ ...again.opts, epochs: 5, maxTrainingMs: 1200, checkpoints }).pipe(toArray()));
    assert.equal(again.steps(), 0);
    assert.equal(ofKind(stopped, 'CheckpointSaved').length, 0);
    assert.deepEqual(fs.readdirSync(dir).sort(), before);
    const end = stopped[stopped.length - 1];
    assert.equal(end.kind === 'TrainEnd' && end.reason, 'time-limit');

    const more = clocked();
    const events = await lastValueFrom(train({ ...more.opts, epochs: 5, maxTrainingMs: 2000, checkpoints }).pipe(toArray()));
    assert.deepEqual(
      ofKind(events, 'EpochEnd').map((e) => e.epoch),
      [2, 3],
    );
    assert.equal(more.steps(), 10);
  });

  it('without a budget, trains all epochs', async () => {
    const c = clocked();
    const events = await lastValueFrom(train({ ...c.opts, epochs: 2, maxTrainingMs: null }).pipe(toArray()));
    const end = events[events.length - 1];
    assert.equal(end.kind === 'TrainEnd' && end.reason, 'completed');
    assert.equal(c.steps(), 10);
  });
});

describe('train: CosineAnnealingLR over the time budget', () => {
  before(useCpu);

  it('anneals with the budget, which ends the run before the epochs do', async () => {
    const c = clocked();
    // 500 ms epochs, 2,000 ms budget: four epochs fit of the 10 configured, so time decides
    // the curve: after epoch e the progress is e × 500 / 2000 (the epochs say only e / 10).
    const events = await lastValueFrom(
      train({ ...c.opts, epochs: 10, maxTrainingMs: 2000, scheduler: { name: 'CosineAnnealingLR', etaMin: 0, horizon: 'budget' } }).pipe(toArray()),
    );
    const lr0 = c.opts.lr;
    const cosine = (p: number): number => (lr0 * (1 + Math.cos(Math.PI * p))) / 2;
    const begins = ofKind(events, 'EpochBegin').map((e) => e.lr);
    assert.equal(begins.length, 4);
    begins.forEach((lr, e) => assert.ok(Math.abs(lr - cosine(e / 4)) < 1e-12, `epoch ${e}: lr ${lr}, expected ${cosine(e / 4)}`));
    assert.deepEqual(
      ofKind(events, 'LrChanged').map((e) => e.epoch),
      [0, 1, 2, 3],
      'one LrChanged after each epoch',
    );
    const end = events[events.length - 1];
    assert.equal(end.kind === 'TrainEnd' && end.reason, 'time-limit');
  });

  it('continues its curve after a resume, and refuses another scheduler\'s checkpoint', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-cosine-'));
    try {
      const scheduler = { name: 'CosineAnnealingLR', etaMin: 0, horizon: 'budget' } as const;
      const store = await openCheckpointStore(dir, { keepLast: 2, keepBest: false });
      const checkpoints = { store, everyEpochs: 1, everySteps: 0 };
      const first = clocked();
      await lastValueFrom(train({ ...first.opts, epochs: 10, maxTrainingMs: 1200, scheduler, checkpoints }).pipe(toArray()));
      const more = clocked();
      const events = await lastValueFrom(train({ ...more.opts, epochs: 10, maxTrainingMs: 2000, scheduler, checkpoints }).pipe(toArray()));
      const lr0 = first.opts.lr;
      // Before the resume the curve was at 1000/1200; the larger budget puts it at 1000/2000,
      // lower on the curve's progress: it stays where it was instead of climbing back.
      const reached = (lr0 * (1 + Math.cos((Math.PI * 1000) / 1200))) / 2;
      assert.deepEqual(
        ofKind(events, 'EpochBegin').map((e) => e.epoch),
        [2, 3],
      );
      assert.ok(Math.abs((ofKind(events, 'EpochBegin')[0]?.lr ?? NaN) - reached) < 1e-12);

      const plateau = clocked();
      await assert.rejects(
        lastValueFrom(train({ ...plateau.opts, epochs: 10, scheduler: { name: 'ReduceLROnPlateau' }, checkpoints }).pipe(toArray())),
        /its scheduler state is not ReduceLROnPlateau's/,
      );
      assert.equal(plateau.steps(), 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with horizon epochs, ignores the budget', async () => {
    const c = clocked();
    const events = await lastValueFrom(
      train({ ...c.opts, epochs: 10, maxTrainingMs: 2000, scheduler: { name: 'CosineAnnealingLR', etaMin: 0, horizon: 'epochs' } }).pipe(toArray()),
    );
    const lr0 = c.opts.lr;
    ofKind(events, 'EpochBegin').forEach((e, i) => assert.ok(Math.abs(e.lr - (lr0 * (1 + Math.cos((Math.PI * i) / 10))) / 2) < 1e-12));
  });
});
