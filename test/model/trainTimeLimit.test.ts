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

function clocked(): { opts: Pick<TrainOptions, 'setup' | 'seed' | 'lr' | 'scheduler' | 'identity' | 'batchEvents' | 'now'>; steps: () => number } {
  const base = resumeSetup();
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
    const events = await lastValueFrom(train({ ...c.opts, epochs: 3, maxTrainingMs: 250, checkpoints }).pipe(toArray()));
    // Checked before each step: 0, 100, 200 are under 250 → three steps, then stop at 300.
    assert.equal(c.steps(), 3);
    assert.equal(ofKind(events, 'EpochEnd').length, 0);
    const end = events[events.length - 1];
    assert.equal(end.kind === 'TrainEnd' && end.reason, 'time-limit');

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
