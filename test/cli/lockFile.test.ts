import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { lockFile } from '../../src/cli/lockFile';

// The mechanics (stale takeover, races, full disk, no hard links) are tested through lockRunDir.
describe('lockFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-lockfile-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('says who holds a live lock, for the caller to word, and whether it is on another host', () => {
    const file = path.join(dir, 'x.lock');
    const a = lockFile(file);
    assert.ok(E.isRight(a));
    const b = lockFile(file);
    assert.ok(E.isLeft(b) && b.left.kind === 'held');
    assert.deepEqual({ pid: b.left.holder.pid, host: b.left.holder.host, elsewhere: b.left.elsewhere }, { pid: process.pid, host: os.hostname(), elsewhere: false });
    a.right.release();
    fs.writeFileSync(file, JSON.stringify({ pid: 1, host: 'gpu-box-7', since: 'x' }));
    assert.deepEqual(lockFile(file), E.left({ kind: 'held', holder: { pid: 1, host: 'gpu-box-7', since: 'x' }, elsewhere: true }));
  });
});
