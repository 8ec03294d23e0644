import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { liveLockHolder, lockFile } from '../../src/model/lockFile';

const LOCK_FILE_MODULE = path.join(__dirname, '../../src/model/lockFile');

/**
 * A process that calls lockFile(file) and, once it has written the temporary file that `file`
 * (or, with `marker`, a takeover marker of it) is linked from, is killed (-9) before it links it:
 * a kill -9, an OOM kill or a power cut at that moment. Its pid is returned. `host`: as if it ran
 * on the host of that name (a shared disk).
 */
function killedWritingTemp(file: string, opts: { readonly marker?: boolean; readonly host?: string } = {}): number {
  const script = `const fs = require('node:fs');
    ${opts.host === undefined ? '' : `require('node:os').hostname = () => ${JSON.stringify(opts.host)};`}
    const link = fs.linkSync;
    fs.linkSync = (from, to) => {
      if (String(to).includes('.takeover-') === ${opts.marker === true}) process.kill(process.pid, 'SIGKILL');
      link(from, to);
    };
    require(${JSON.stringify(LOCK_FILE_MODULE)}).lockFile(${JSON.stringify(file)});`;
  const p = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { encoding: 'utf8' });
  assert.equal(p.signal, 'SIGKILL', `the process was to be killed before it linked: ${p.stderr}`);
  return p.pid ?? assert.fail('no pid');
}

/** A process paused, alive, between writing the temporary file of lock `file` and linking it. */
async function pausedWritingTemp(file: string): Promise<ChildProcess> {
  const script = `const fs = require('node:fs');
    fs.linkSync = () => {
      process.stdout.write('paused\\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    };
    require(${JSON.stringify(LOCK_FILE_MODULE)}).lockFile(${JSON.stringify(file)});`;
  const p = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    let err = '';
    p.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('paused')) resolve();
    });
    p.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code) => reject(new Error(`the process exited (${code}) before it paused: ${err}`)));
  });
  return p;
}

function tempFilesOf(dir: string, pid: number): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.tmp') && f.includes(`.${pid}.`));
}

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

  it('takes over the lock of a killed process whose pid now runs another program, which liveLockHolder does not call its holder', () => {
    const file = path.join(dir, 'x.lock');
    const script = `require(${JSON.stringify(LOCK_FILE_MODULE)}).lockFile(${JSON.stringify(file)}); process.kill(process.pid, 'SIGKILL');`;
    const killed = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { encoding: 'utf8' });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    const left = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid: number; since: string; start?: string };
    assert.equal(left.pid, killed.pid);
    assert.equal(typeof left.start, 'string', 'the lock says when its process started');
    // Its pid given since to another program (after a reboot, say): this test's process, which started at another time.
    fs.writeFileSync(file, JSON.stringify({ ...left, pid: process.pid }));
    assert.equal(liveLockHolder(file), undefined);
    const taken = lockFile(file);
    assert.ok(E.isRight(taken), JSON.stringify(taken));
    assert.deepEqual(taken.right.takeover?.holder, { pid: process.pid, host: os.hostname(), since: left.since });
    // The same process, of course, still holds its own lock.
    const again = lockFile(file);
    assert.ok(E.isLeft(again) && again.left.kind === 'held');
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

  it('release never throws: a lock it cannot remove (its folder made read-only) stays, and the next taker takes it over as stale', () => {
    const file = path.join(dir, 'x.lock');
    // As root, chmod 0555 stops no unlink: the refusal is made by hand, as a read-only folder gives it.
    const script = `const fs = require('node:fs');
      const lock = require(${JSON.stringify(LOCK_FILE_MODULE)}).lockFile(${JSON.stringify(file)});
      const rm = fs.rmSync;
      fs.rmSync = (f, o) => {
        if (f === ${JSON.stringify(file)}) throw Object.assign(new Error('EACCES: permission denied, unlink'), { code: 'EACCES' });
        rm(f, o);
      };
      let threw = null;
      try { lock.right.release(); } catch (e) { threw = e.message; }
      console.log(JSON.stringify({ threw }));`;
    const p = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr);
    assert.deepEqual(JSON.parse(p.stdout), { threw: null });
    assert.equal(fs.existsSync(file), true, 'the lock stays');
    const next = lockFile(file);
    assert.ok(E.isRight(next), 'taken over');
    assert.equal(next.right.takeover?.holder?.pid, p.pid);
    next.right.release();
  });

  it('removes, once it holds the lock, the temporary files of processes of this host killed writing the lock or a takeover marker', () => {
    const file = path.join(dir, 'x.lock');
    const a = killedWritingTemp(file);
    fs.writeFileSync(file, JSON.stringify({ pid: a, host: os.hostname(), since: 'x' }));
    const b = killedWritingTemp(file, { marker: true });
    assert.equal(tempFilesOf(dir, a).length, 1, fs.readdirSync(dir).join());
    assert.equal(tempFilesOf(dir, b).length, 1, fs.readdirSync(dir).join());
    const taken = lockFile(file);
    assert.ok(E.isRight(taken));
    assert.deepEqual(fs.readdirSync(dir), ['x.lock']);
    taken.right.release();
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('leaves alone the temporary file of a live process (its attempt at the lock) and one of another host, whose process cannot be checked', async function () {
    this.timeout(60_000);
    const file = path.join(dir, 'x.lock');
    const live = await pausedWritingTemp(file);
    try {
      const elsewhere = killedWritingTemp(file, { host: 'gpu-box-7' });
      const left = [...tempFilesOf(dir, live.pid ?? 0), ...tempFilesOf(dir, elsewhere)].sort();
      assert.equal(left.length, 2, fs.readdirSync(dir).join());
      const first = lockFile(file);
      assert.ok(E.isRight(first));
      first.right.release();
      assert.deepEqual(fs.readdirSync(dir).sort(), left);
      live.kill('SIGKILL');
      await new Promise((resolve) => (live.exitCode === null && live.signalCode === null ? live.on('exit', resolve) : resolve(undefined)));
      // Gone now: the next to take the lock removes its file; the other host's stays.
      const next = lockFile(file);
      assert.ok(E.isRight(next));
      next.right.release();
      assert.deepEqual(fs.readdirSync(dir), tempFilesOf(dir, elsewhere));
      assert.equal(fs.readdirSync(dir).length, 1);
    } finally {
      live.kill('SIGKILL');
    }
  });
});
