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
});
