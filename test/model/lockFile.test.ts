import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { liveLockHolder, lockFile } from '../../src/model/lockFile';

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

  it('liveLockHolder says who holds a live lock without taking it, and nothing for a stale, unreadable or missing one', () => {
    const file = path.join(dir, 'x.lock');
    assert.equal(liveLockHolder(file), undefined);
    const a = lockFile(file);
    assert.ok(E.isRight(a));
    const held = liveLockHolder(file);
    assert.deepEqual(held && { pid: held.holder.pid, host: held.holder.host, elsewhere: held.elsewhere }, { pid: process.pid, host: os.hostname(), elsewhere: false });
    assert.ok(fs.existsSync(file), 'still held');
    a.right.release();
    fs.writeFileSync(file, JSON.stringify({ pid: 1, host: 'gpu-box-7', since: 'x' }));
    assert.deepEqual(liveLockHolder(file), { holder: { pid: 1, host: 'gpu-box-7', since: 'x' }, elsewhere: true });
    // A pid that ran and ended: stale, for lockFile to take over.
    const ended = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    fs.writeFileSync(file, JSON.stringify({ pid: ended, host: os.hostname(), since: 'x' }));
    assert.equal(liveLockHolder(file), undefined);
    fs.writeFileSync(file, '{half');
    assert.equal(liveLockHolder(file), undefined);
    const taken = lockFile(file);
    assert.ok(E.isRight(taken), 'lockFile agrees: it takes that one over');
    taken.right.release();
  });

  it('releases every lock at exit through one listener, however many it holds', () => {
    const before = process.listenerCount('exit');
    const locks = Array.from({ length: 12 }, (_, i) => lockFile(path.join(dir, `${i}.lock`)));
    // Node warns of a leak past 10 listeners: a program writing checkpoints to many folders got that warning.
    assert.ok(process.listenerCount('exit') <= before + 1, `${process.listenerCount('exit') - before} exit listeners added`);
    for (const l of locks) if (E.isRight(l)) l.right.release();
    assert.deepEqual(fs.readdirSync(dir), []);
  });
});
