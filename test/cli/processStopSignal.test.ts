import assert from 'node:assert/strict';
import { processStopSignal, SAME_STOP_MS, type StopSignal } from '../../src/cli/processStopSignal';

describe('processStopSignal', () => {
  it('passes SIGINT, SIGTERM and SIGHUP on, and one stop delivered twice (terminal and npm) once', () => {
    let t = 1000;
    const seen: StopSignal[] = [];
    const unhook = processStopSignal((s) => seen.push(s), { now: () => t });
    try {
      // The terminal's Ctrl-C, and npm passing on the one it got a few milliseconds later.
      process.emit('SIGINT');
      t += 3;
      process.emit('SIGINT');
      assert.deepEqual(seen, ['SIGINT']);
      // A person's second press.
      t += SAME_STOP_MS + 200;
      process.emit('SIGINT');
      t += SAME_STOP_MS + 200;
      process.emit('SIGTERM');
      t += SAME_STOP_MS + 200;
      process.emit('SIGHUP');
      assert.deepEqual(seen, ['SIGINT', 'SIGINT', 'SIGTERM', 'SIGHUP']);
    } finally {
      unhook();
    }
    assert.equal(process.listenerCount('SIGHUP'), 0, 'unhooked');
    process.emit('SIGTERM');
    assert.equal(seen.length, 4);
  });
});
