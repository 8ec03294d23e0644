import assert from 'node:assert/strict';
import { nextStepHint } from '../../src/cli/nextStepHint';

describe('nextStepHint', () => {
  it('tells a stopped run that the same command resumes it, and where', () => {
    assert.equal(nextStepHint({ reason: 'stopped', step: 67 }, 'runs/sample'), 'stopped at step 67: the same command resumes it from there (run directory runs/sample)');
  });

  it('names the commands that use a finished run, on its run directory', () => {
    for (const reason of ['completed', 'early-stop'] as const) {
      assert.equal(nextStepHint({ reason, step: 256 }, 'runs/sample'), 'next: rxtrain evaluate runs/sample (accuracy per class), rxtrain predict runs/sample IMAGE…, rxtrain export runs/sample OUT_DIR');
    }
  });

  it('tells a run out of its time budget that a longer --max-time trains on', () => {
    assert.match(nextStepHint({ reason: 'time-limit', step: 90 }, 'runs/a'), /^the time budget is spent at step 90: the same command with a longer --max-time trains on; next: rxtrain evaluate runs\/a /);
  });

  it('quotes a run directory a shell would split or expand, so the command can be pasted', () => {
    assert.match(nextStepHint({ reason: 'completed', step: 1 }, '/home/me/my runs/it\'s'), /rxtrain evaluate '\/home\/me\/my runs\/it'\\''s' /);
    assert.match(nextStepHint({ reason: 'completed', step: 1 }, '/tmp/rxtrain-cli-x/run_2.b'), /rxtrain evaluate \/tmp\/rxtrain-cli-x\/run_2\.b /);
  });
});
