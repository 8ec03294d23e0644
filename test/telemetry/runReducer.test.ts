import assert from 'node:assert/strict';
import { initialRun, reduceRun } from '../../src/telemetry/runReducer';

describe('runReducer', () => {
  it('maps every way a run ends to its GetRun status', () => {
    const status = (reason: 'completed' | 'early-stop' | 'stopped' | 'time-limit'): string =>
      reduceRun(initialRun('r'), { kind: 'TrainEnd', time: 0, epoch: 2, step: 80, reason, durationMs: 5 }, 1).status;
    assert.deepEqual(
      (['completed', 'early-stop', 'stopped', 'time-limit'] as const).map(status),
      ['RUN_STATUS_FINISHED', 'RUN_STATUS_EARLY_STOPPED', 'RUN_STATUS_STOPPED', 'RUN_STATUS_TIME_LIMIT'],
    );
  });

  it('keeps the latest lr and the status RUN_STATUS_FAILED after a fatal error', () => {
    let run = reduceRun(initialRun('r'), { kind: 'LrChanged', time: 0, epoch: 2, step: 80, from: 0.01, to: 0.001 }, 1);
    assert.equal(run.metrics?.lr, 0.001);
    run = reduceRun(run, { kind: 'Error', time: 0, epoch: 2, step: 81, message: 'disk full', fatal: true }, 2);
    assert.equal(run.status, 'RUN_STATUS_FAILED');
    assert.equal(run.error, 'disk full');
  });

  it("keeps the latest validation top-5 accuracy for GetRun's metrics, through an epoch without validation", () => {
    const end = (epoch: number, val: object): Parameters<typeof reduceRun>[1] => ({ kind: 'EpochEnd', time: 0, epoch, step: 10 * (epoch + 1), trainLoss: 1, trainAccuracy: 0.5, lr: 0.01, durationMs: 5, ...val });
    let run = reduceRun(initialRun('r'), end(0, { valLoss: 1, valAccuracy: 0.5, valTop5Accuracy: 0.75 }), 1);
    assert.equal(run.metrics?.valTop5Accuracy, 0.75);
    run = reduceRun(run, end(1, {}), 2);
    assert.equal(run.metrics?.valTop5Accuracy, 0.75, 'an epoch without validation leaves the latest figure');
    run = reduceRun(run, end(2, { valLoss: 1, valAccuracy: 0.6, valTop5Accuracy: 0.8 }), 3);
    assert.equal(run.metrics?.valTop5Accuracy, 0.8);
  });
});
