import assert from 'node:assert/strict';
import { SLOW_STEP_SECONDS, stopNotice } from '../../src/cli/stopNotice';

describe('stopNotice', () => {
  const fast = { step: 39, stepSeconds: 0.2, checkpointStep: 32, validating: false };

  it('names the signal and how to quit at once', () => {
    assert.equal(stopNotice('SIGINT', fast), 'stopping after the current step and saving a checkpoint (Ctrl-C again to quit at once)');
    assert.equal(stopNotice('SIGTERM', fast), 'SIGTERM: stopping after the current step and saving a checkpoint (another SIGTERM or Ctrl-C quits at once)');
    assert.equal(stopNotice('SIGHUP', fast), 'SIGHUP (the terminal hung up): stopping after the current step and saving a checkpoint (a Ctrl-C or SIGTERM quits at once)');
  });

  it('with a slow step, says how long the wait is and which steps quitting at once loses', () => {
    const slow = { ...fast, stepSeconds: SLOW_STEP_SECONDS * 7.1 };
    assert.equal(
      stopNotice('SIGINT', slow),
      'stopping after the current step (≈ 14.2s a step) and saving a checkpoint (Ctrl-C again to quit at once, losing the 7 steps since the last checkpoint, step 32)',
    );
    assert.match(stopNotice('SIGINT', { ...slow, checkpointStep: undefined }), /losing all 39 steps of this run: it has no checkpoint yet\)$/);
    assert.match(stopNotice('SIGINT', { ...slow, step: 1, checkpointStep: undefined }), /losing the one step of this run: it has no checkpoint yet\)$/);
    assert.match(stopNotice('SIGINT', { ...slow, checkpointStep: 39 }), /losing only this step: the last checkpoint is of step 39\)$/);
    assert.match(stopNotice('SIGINT', { ...slow, step: 33 }), /losing the 1 step since/);
  });

  it('during a first step, which has no timing yet, says how long it has run', () => {
    const first = { step: 0, stepSeconds: undefined, checkpointStep: undefined, validating: false };
    assert.equal(
      stopNotice('SIGINT', { ...first, runningSeconds: 25.3 }),
      'stopping after the current step (this one has run for 25.3s) and saving a checkpoint (Ctrl-C again to quit at once, losing only this step: none is complete yet)',
    );
    assert.equal(stopNotice('SIGINT', { ...first, runningSeconds: 0.5 }), 'stopping after the current step and saving a checkpoint (Ctrl-C again to quit at once)');
    assert.match(stopNotice('SIGINT', { ...fast, stepSeconds: 12, runningSeconds: 30 }), /\(≈ 12\.0s a step, this one has run for 30\.0s\)/);
  });

  it('during validation, says the stop waits for it', () => {
    assert.equal(stopNotice('SIGINT', { ...fast, stepSeconds: 30, validating: true }), "stopping after this epoch's validation and saving a checkpoint (Ctrl-C again to quit at once)");
  });

  it("while an ended epoch's checkpoint is written, says the stop waits for that, not for a step that has run since the last one", () => {
    // The time since the last step's report is the validation's: no "this one has run for 2m36s".
    const saving = { ...fast, stepSeconds: 8, runningSeconds: 156, savingEpoch: true };
    assert.equal(stopNotice('SIGINT', saving), "stopping after saving this epoch's checkpoint (Ctrl-C again to quit at once)");
    assert.equal(stopNotice('SIGTERM', saving), "SIGTERM: stopping after saving this epoch's checkpoint (another SIGTERM or Ctrl-C quits at once)");
    assert.match(stopNotice('SIGINT', { ...saving, savingEpoch: false }), /^stopping after the current step \(≈ 8\.0s a step, this one has run for 2m36s\)/);
  });

  it("while a step's checkpoint is written (checkpoint.everySteps), says the stop waits for that write, not for a step", () => {
    const saving = { ...fast, step: 40, stepSeconds: 8, runningSeconds: 3, checkpointStep: 32, savingStep: 40 };
    assert.equal(stopNotice('SIGINT', saving), 'stopping after the checkpoint being saved (step 40) is written (Ctrl-C again to quit at once)');
    assert.equal(stopNotice('SIGTERM', saving), 'SIGTERM: stopping after the checkpoint being saved (step 40) is written (another SIGTERM or Ctrl-C quits at once)');
    assert.match(stopNotice('SIGINT', { ...saving, savingStep: undefined }), /^stopping after the current step \(≈ 8\.0s a step, this one has run for 3\.0s\)/);
    // An epoch's end save says so, as before.
    assert.equal(stopNotice('SIGINT', { ...saving, savingEpoch: true }), "stopping after saving this epoch's checkpoint (Ctrl-C again to quit at once)");
  });
});
