import assert from 'node:assert/strict';
import { followStopProgress } from '../../src/cli/followStopProgress';
import type { StopProgress } from '../../src/cli/stopNotice';
import type { TrainEvent } from '../../src/telemetry/TrainEvent';

const base = { time: 0, epoch: 0 };
const start: StopProgress = { step: 0, stepSeconds: undefined, checkpointStep: undefined, validating: false };
const begin: TrainEvent = { kind: 'TrainBegin', ...base, step: 0, runId: 'r', backend: 'cpu', threads: 1, replicas: 1, epochs: 2, stepsPerEpoch: 4, config: null };
const epochBegin: TrainEvent = { kind: 'EpochBegin', ...base, step: 0, lr: 0.1, steps: 4, startBatch: 0 };
const batch = (b: number, last = false): TrainEvent => ({ kind: 'BatchEnd', ...base, step: b + 1, batch: b, batchSize: 10, loss: 1, accuracy: 0.5, imagesPerSec: 5, ...(last ? { lastOfEpoch: true } : {}) });
const val: TrainEvent = { kind: 'ValidationProgress', ...base, step: 3, batchesDone: 0, batches: 2, images: 0 };

/** `validating` after each event. */
const validating = (events: readonly TrainEvent[]): boolean[] => {
  let p = start;
  return events.map((e) => (p = followStopProgress(p, e)).validating);
};

describe('followStopProgress', () => {
  it('validates from the pass\'s first ValidationProgress to its EpochEnd, also in an epoch that skipped samples (3 of 4 batches)', () => {
    const end: TrainEvent = { kind: 'EpochEnd', ...base, step: 3, trainLoss: 1, trainAccuracy: 0.5, lr: 0.1, durationMs: 5 };
    assert.deepEqual(validating([begin, epochBegin, batch(0), batch(1), batch(2, true), val, { ...val, batchesDone: 1, images: 10 }, end, { ...epochBegin, epoch: 1, step: 3 }]), [false, false, false, false, false, true, true, false, false]);
  });

  it('is not validating after the planned last batch until the pass starts: a stop there ends the epoch without validating', () => {
    assert.deepEqual(validating([begin, epochBegin, batch(0), batch(1), batch(2), batch(3, true)]), [false, false, false, false, false, false]);
  });

  it('follows the step, the step time from the latest BatchEnd and the latest checkpoint', () => {
    let p = start;
    for (const e of [{ ...begin, step: 8, resumedFrom: 'ckpt' }, epochBegin, { ...batch(9), step: 10 }, { kind: 'CheckpointSaved', ...base, step: 10, path: 'c', best: false } as TrainEvent, val]) p = followStopProgress(p, e);
    assert.deepEqual(p, { step: 10, stepSeconds: 2, checkpointStep: 10, validating: true, savingEpoch: false });
  });

  it("saves the epoch's checkpoint from EpochEnd to the next EpochBegin, not while a step or the validation runs", () => {
    const end: TrainEvent = { kind: 'EpochEnd', ...base, step: 4, trainLoss: 1, trainAccuracy: 0.5, lr: 0.1, durationMs: 5 };
    const saved: TrainEvent = { kind: 'CheckpointSaved', ...base, step: 4, path: 'c', best: false };
    let p = start;
    const saving = [begin, epochBegin, batch(3, true), val, end, saved, { ...epochBegin, epoch: 1, step: 4 }, batch(4)].map((e) => (p = followStopProgress(p, e)).savingEpoch === true);
    assert.deepEqual(saving, [false, false, false, false, true, true, false, false]);
  });
});
