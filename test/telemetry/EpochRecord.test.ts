import assert from 'node:assert/strict';
import { epochRecord } from '../../src/telemetry/EpochRecord';
import type { EpochEnd } from '../../src/telemetry/TrainEvent';

describe('epochRecord', () => {
  it("keeps an EpochEnd's figures and drops its kind, time and step", () => {
    const e: EpochEnd = { kind: 'EpochEnd', time: 5, step: 32, epoch: 2, trainLoss: 1.5, trainAccuracy: 0.4, valLoss: 1.2, valAccuracy: 0.5, lr: 0.01, durationMs: 900 };
    assert.deepEqual(epochRecord(e), { epoch: 2, trainLoss: 1.5, trainAccuracy: 0.4, valLoss: 1.2, valAccuracy: 0.5, lr: 0.01, durationMs: 900 });
  });

  it('keeps the validation top-5 accuracy, which a checkpoint\'s history and TrainBegin.history then carry', () => {
    const e: EpochEnd = { kind: 'EpochEnd', time: 5, step: 32, epoch: 2, trainLoss: 1.5, trainAccuracy: 0.4, valLoss: 1.2, valAccuracy: 0.5, valTop5Accuracy: 0.8, lr: 0.01, durationMs: 900 };
    assert.deepEqual(epochRecord(e), { epoch: 2, trainLoss: 1.5, trainAccuracy: 0.4, valLoss: 1.2, valAccuracy: 0.5, valTop5Accuracy: 0.8, lr: 0.01, durationMs: 900 });
  });

  it("keeps the epoch's img/s, which a checkpoint's history and TrainBegin.history then carry", () => {
    const e: EpochEnd = { kind: 'EpochEnd', time: 5, step: 32, epoch: 2, trainLoss: 1.5, trainAccuracy: 0.4, lr: 0.01, durationMs: 900, imagesPerSec: 101.5 };
    assert.deepEqual(epochRecord(e), { epoch: 2, trainLoss: 1.5, trainAccuracy: 0.4, lr: 0.01, durationMs: 900, imagesPerSec: 101.5 });
  });

  it('leaves absent validation figures absent, not undefined (deepEqual and JSON alike)', () => {
    const r = epochRecord({ epoch: 0, trainLoss: 2, trainAccuracy: 0.1, lr: 0.1, durationMs: 10 });
    assert.deepEqual(Object.keys(r), ['epoch', 'trainLoss', 'trainAccuracy', 'lr', 'durationMs']);
  });
});
