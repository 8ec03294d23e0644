import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { processStart } from '../../src/model/processStart';

describe('processStart', () => {
  it('tells a process from another one given the same pid: the same for one process, another for another, none for a pid that is gone', async () => {
    const mine = processStart(process.pid);
    assert.match(mine ?? '', /^[0-9a-f-]+:\d+$/);
    assert.equal(processStart(process.pid), mine);
    // A child started a while after this process: other ticks.
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => undefined, 60_000)']);
    try {
      const its = processStart(child.pid ?? 0);
      assert.ok(its !== undefined && its !== mine, `${its} vs ${mine}`);
      assert.equal(its.split(':')[0], mine?.split(':')[0], 'the same boot');
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.on('exit', resolve));
    }
    const ended = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    assert.equal(processStart(Number(ended.stdout)), undefined);
    assert.equal(processStart(-1), undefined);
  });
});
