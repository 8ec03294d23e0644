import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
// The module object itself (the namespace import is a read-only view), to stub linkSync.
import nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { lockRunDir, RUN_DIR_LOCK_FILE, type RunDirLock } from '../../src/cli/lockRunDir';

function right(r: E.Either<string, RunDirLock>): RunDirLock {
  if (E.isLeft(r)) assert.fail(r.left);
  return r.right;
}

/** The pid of a process that has already exited. */
function deadPid(): number {
  const p = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(p.stdout);
}

/** Whether `p` names a stale lock's takeover marker (not the temporary file one is written to first). */
function isMarker(p: fs.PathLike | fs.PathOrFileDescriptor): boolean {
  const name = path.basename(String(p));
  return name.startsWith(`${RUN_DIR_LOCK_FILE}.takeover-`) && !name.endsWith('.tmp');
}

/**
 * Starts taking `dir`'s stale lock over in another process, which is killed (-9) as soon as it
 * has marked the lock; `halfWritten`: on a file system without hard links, killed halfway
 * through writing its marker. Backdates the markers, as if that was a while ago.
 */
function killedTaker(dir: string, halfWritten = false): void {
  const script = `const fs = require('node:fs');
    const link = fs.linkSync;
    const write = fs.writeFileSync;
    const isMarker = (p) => String(p).includes('.takeover-') && !String(p).endsWith('.tmp');
    fs.linkSync = (from, to) => {
      if (${halfWritten}) throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
      link(from, to);
      if (isMarker(to)) process.kill(process.pid, 'SIGKILL');
    };
    fs.writeFileSync = (file, data, opts) => {
      if (!isMarker(file)) return write(file, data, opts);
      write(file, String(data).slice(0, 9), opts);
      process.kill(process.pid, 'SIGKILL');
    };
    require(${JSON.stringify(path.join(__dirname, '../../src/cli/lockRunDir'))}).lockRunDir(${JSON.stringify(dir)});`;
  const p = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { encoding: 'utf8' });
  assert.equal(p.signal, 'SIGKILL', `the taker was to be killed after marking: ${p.stderr}`);
  const past = new Date(Date.now() - 10_000);
  const marked = fs.readdirSync(dir).filter((f) => isMarker(f));
  assert.equal(marked.length, 1, fs.readdirSync(dir).join());
  for (const f of marked) fs.utimesSync(path.join(dir, f), past, past);
}

describe('lockRunDir', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-lock-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lets one training in, refuses a second with who holds it, and lets the next in after release', () => {
    const a = right(lockRunDir(dir));
    assert.equal(a.tookOver, undefined);
    const b = lockRunDir(dir);
    assert.ok(E.isLeft(b));
    assert.match(b.left, new RegExp(`run directory .* is in use by another training \\(pid ${process.pid}, since \\d{4}-.*\\); wait for it or stop it, or use another --run-dir`));
    a.release();
    assert.equal(fs.existsSync(path.join(dir, RUN_DIR_LOCK_FILE)), false);
    right(lockRunDir(dir)).release();
  });

  it('takes over a lock whose process is gone, and an unreadable one, saying from whom', () => {
    const pid = deadPid();
    fs.writeFileSync(path.join(dir, RUN_DIR_LOCK_FILE), JSON.stringify({ pid, host: os.hostname(), since: '2026-01-01T00:00:00.000Z' }));
    const a = right(lockRunDir(dir));
    assert.equal(a.tookOver, `pid ${pid} (since 2026-01-01T00:00:00.000Z), no longer running`);
    a.release();
    fs.writeFileSync(path.join(dir, RUN_DIR_LOCK_FILE), '{"pid": 12');
    const b = right(lockRunDir(dir));
    assert.equal(b.tookOver, 'an unreadable lock file');
    b.release();
  });

  it('takes a stale lock over even when the machine paused it past its deadline right after it removed that lock', () => {
    const file = path.join(dir, RUN_DIR_LOCK_FILE);
    fs.writeFileSync(file, JSON.stringify({ pid: deadPid(), host: os.hostname(), since: 'x' }));
    const rm = nodeFs.rmSync;
    const now = Date.now;
    // The pause of a loaded machine, between removing the stale lock and creating its own: the
    // other processes waiting on this takeover's marker have given up by then.
    nodeFs.rmSync = ((p: fs.PathLike, opts?: fs.RmOptions) => {
      rm(p, opts);
      if (String(p) === file) Date.now = () => now() + 60_000;
    }) as typeof nodeFs.rmSync;
    try {
      const a = right(lockRunDir(dir));
      assert.match(a.tookOver ?? '', /no longer running/);
      assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).pid, process.pid);
      a.release();
    } finally {
      nodeFs.rmSync = rm;
      Date.now = now;
    }
  });

  // The races below are played in this one process: a "process" paused at one of its file
  // operations is a lockRunDir call whose stubbed operation runs the others' calls to the end
  // before it goes on. All of them have this process's pid, which is alive, as theirs would be.

  it('lets one in when a taker, paused between finding a killed taker\'s marker and removing it, wakes after another took the lock over', () => {
    const file = path.join(dir, RUN_DIR_LOCK_FILE);
    fs.writeFileSync(file, JSON.stringify({ pid: deadPid(), host: os.hostname(), since: 'x' }));
    killedTaker(dir);
    const link = nodeFs.linkSync;
    const rm = nodeFs.rmSync;
    let step = 0;
    let c: E.Either<string, RunDirLock> | undefined;
    let t: E.Either<string, RunDirLock> | undefined;
    // A finds the lock stale and pauses before it marks it; C pauses before the first marker it
    // removes (when dead takers' markers were removed by name: the killed taker's, judged dead);
    // meanwhile T takes the lock over; then C goes on, then A.
    nodeFs.linkSync = ((from: fs.PathLike, to: fs.PathLike) => {
      if (step === 0 && isMarker(to)) {
        step = 1;
        c = lockRunDir(dir);
      }
      link(from, to);
    }) as typeof nodeFs.linkSync;
    nodeFs.rmSync = ((p: fs.PathLike, opts?: fs.RmOptions) => {
      if (step === 1 && isMarker(p)) {
        step = 2;
        t = lockRunDir(dir);
      }
      rm(p, opts);
    }) as typeof nodeFs.rmSync;
    let a: E.Either<string, RunDirLock>;
    try {
      a = lockRunDir(dir);
    } finally {
      nodeFs.linkSync = link;
      nodeFs.rmSync = rm;
    }
    assert.equal(step, 2, 'every pause was played');
    const holders = { a, c, t };
    const holding = Object.entries(holders).filter(([, r]) => r !== undefined && E.isRight(r)).map(([k]) => k);
    for (const r of Object.values(holders)) if (r !== undefined && E.isRight(r)) r.right.release();
    assert.deepEqual(holding, ['t'], 'exactly one holds the lock: T, which took it over');
  });

  it('lets one in when a taker, paused since it found the lock stale, wakes after another took it over, trained, released it and a third took it', () => {
    const file = path.join(dir, RUN_DIR_LOCK_FILE);
    fs.writeFileSync(file, JSON.stringify({ pid: deadPid(), host: os.hostname(), since: 'x' }));
    const link = nodeFs.linkSync;
    let w: E.Either<string, RunDirLock> | undefined;
    let n: E.Either<string, RunDirLock> | undefined;
    let paused = false;
    // LATE finds the lock stale and pauses before it marks it; meanwhile W takes the lock over,
    // trains and releases it, and N takes it; then LATE goes on.
    nodeFs.linkSync = ((from: fs.PathLike, to: fs.PathLike) => {
      if (!paused && isMarker(to)) {
        paused = true;
        w = lockRunDir(dir);
        if (E.isRight(w)) w.right.release();
        n = lockRunDir(dir);
      }
      link(from, to);
    }) as typeof nodeFs.linkSync;
    let late: E.Either<string, RunDirLock>;
    try {
      late = lockRunDir(dir);
    } finally {
      nodeFs.linkSync = link;
    }
    assert.ok(w !== undefined && E.isRight(w) && /no longer running/.test(w.right.tookOver ?? ''), 'W took the stale lock over');
    const holding = Object.entries({ n, late }).filter(([, r]) => r !== undefined && E.isRight(r)).map(([k]) => k);
    for (const r of [n, late]) if (r !== undefined && E.isRight(r)) r.right.release();
    assert.deepEqual(holding, ['n'], 'exactly one holds the lock: N, which took it after W');
  });

  it('takes a stale lock over when a killed taker left its marker half-written (a file system without hard links)', () => {
    const pid = deadPid();
    fs.writeFileSync(path.join(dir, RUN_DIR_LOCK_FILE), JSON.stringify({ pid, host: os.hostname(), since: 'x' }));
    killedTaker(dir, true);
    const a = right(lockRunDir(dir));
    assert.equal(a.tookOver, `pid ${pid} (since x), no longer running`);
    a.release();
    assert.deepEqual(fs.readdirSync(dir), [], 'the half-written marker and the temporary file the killed taker wrote it from went with the takeover');
  });

  it('steps past the marker of a killed taker whose pid now runs another program', () => {
    const pid = deadPid();
    fs.writeFileSync(path.join(dir, RUN_DIR_LOCK_FILE), JSON.stringify({ pid, host: os.hostname(), since: 'x' }));
    killedTaker(dir);
    const marker = path.join(dir, fs.readdirSync(dir).filter((f) => isMarker(f))[0] ?? assert.fail('no marker'));
    const said = JSON.parse(fs.readFileSync(marker, 'utf8')) as { pid: number; start?: string };
    assert.equal(typeof said.start, 'string', 'the marker says when its taker started');
    // Its pid given since to another program: this test's process, which started at another time.
    fs.writeFileSync(marker, JSON.stringify({ ...said, pid: process.pid }));
    const a = right(lockRunDir(dir));
    assert.equal(a.tookOver, `pid ${pid} (since x), no longer running`);
    a.release();
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('refuses a lock held on another host, whose process cannot be checked', () => {
    fs.writeFileSync(path.join(dir, RUN_DIR_LOCK_FILE), JSON.stringify({ pid: 1, host: 'gpu-box-7', since: 'x' }));
    const r = lockRunDir(dir);
    assert.ok(E.isLeft(r));
    assert.match(r.left, /in use by a training on host gpu-box-7 \(pid 1, since x\); use another --run-dir, or delete .*\.rxtrain\.lock if that run is over/);
  });

  it('release() leaves alone a lock that is no longer its own', () => {
    const a = right(lockRunDir(dir));
    fs.writeFileSync(path.join(dir, RUN_DIR_LOCK_FILE), JSON.stringify({ pid: process.pid + 1, host: os.hostname(), since: 'y' }));
    a.release();
    assert.equal(fs.existsSync(path.join(dir, RUN_DIR_LOCK_FILE)), true);
  });

  it('is released when the process exits, also through process.exit()', () => {
    const script = `const { lockRunDir } = require(${JSON.stringify(path.join(__dirname, '../../src/cli/lockRunDir'))});
      const r = lockRunDir(${JSON.stringify(dir)}); if (r._tag !== 'Right') process.exit(3); process.exit(130);`;
    const p = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { encoding: 'utf8' });
    assert.equal(p.status, 130, p.stderr);
    assert.equal(fs.existsSync(path.join(dir, RUN_DIR_LOCK_FILE)), false);
  });

  it('lets exactly one of several trainings started at the same instant in, with and without a stale lock', async function () {
    this.timeout(120_000);
    // A race, so several rounds: before locks were linked into place complete and stale takeovers
    // were marked, two of six processes got the lock in about a third of the rounds.
    const racers = 6;
    const race = async (runDir: string, at: number): Promise<number> => {
      // The winner holds the lock until every racer has answered (its stdin closes then): a
      // release on a timer let a racer that a loaded machine started late take the lock after
      // it, which is a second training in turn, not in the race.
      const script = `const { lockRunDir } = require(${JSON.stringify(path.join(__dirname, '../../src/cli/lockRunDir'))});
        while (Date.now() < ${at});
        const r = lockRunDir(${JSON.stringify(runDir)}); process.stdout.write(r._tag);
        if (r._tag === 'Right') { process.stdin.on('end', () => r.right.release()); process.stdin.resume(); }`;
      const racing = Array.from({ length: racers }, () => {
        const p = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        const answered = new Promise<string>((resolve, reject) => {
          p.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            if (out === 'Left' || out === 'Right') resolve(out);
          });
          p.stderr.on('data', (d: Buffer) => (err += d.toString()));
          p.on('error', reject);
          p.on('close', (code) => reject(new Error(`racer exited ${code} having said ${JSON.stringify(out)}: ${err}`)));
        });
        const closed = new Promise<void>((resolve, reject) =>
          p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`racer exited ${code}: ${err}`)))));
        // Awaited below; this only keeps a racer that failed to answer from also being an unhandled rejection.
        closed.catch(() => undefined);
        return { p, answered, closed };
      });
      const outs = await Promise.all(racing.map((r) => r.answered));
      for (const r of racing) r.p.stdin.end();
      await Promise.all(racing.map((r) => r.closed));
      assert.ok(outs.every((o) => o === 'Left' || o === 'Right'), outs.join());
      return outs.filter((o) => o === 'Right').length;
    };
    for (let round = 0; round < 3; round++) {
      const fresh = path.join(dir, `fresh${round}`);
      const stale = path.join(dir, `stale${round}`);
      fs.mkdirSync(fresh);
      fs.mkdirSync(stale);
      fs.writeFileSync(path.join(stale, RUN_DIR_LOCK_FILE), JSON.stringify({ pid: deadPid(), host: os.hostname(), since: 'x' }));
      // Far enough ahead for every racer to have loaded, so they really start together.
      const at = Date.now() + 3000;
      const [a, b] = await Promise.all([race(fresh, at), race(stale, at)]);
      assert.deepEqual({ round, fresh: a, stale: b }, { round, fresh: 1, stale: 1 });
      assert.deepEqual(fs.readdirSync(fresh), [], 'the lock and its temporary files are gone after release');
      assert.deepEqual(fs.readdirSync(stale), [], 'the lock, its temporary files and the takeover markers are gone after release');
    }
  });

  it('fails with a message on a full disk, leaving no file behind', () => {
    const write = nodeFs.writeFileSync;
    // What a full disk does: the file is created, its content cannot be written.
    nodeFs.writeFileSync = ((file: fs.PathOrFileDescriptor, data: string, opts: fs.WriteFileOptions) => {
      write(file, '', opts);
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }) as typeof nodeFs.writeFileSync;
    try {
      const r = lockRunDir(dir);
      assert.ok(E.isLeft(r) && r.left === `cannot lock run directory ${dir}: ENOSPC: no space left on device, write`, JSON.stringify(r));
    } finally {
      nodeFs.writeFileSync = write;
    }
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('still locks on a file system without hard links (exFAT, some network shares)', () => {
    const link = nodeFs.linkSync;
    let calls = 0;
    nodeFs.linkSync = () => {
      calls++;
      throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
    };
    try {
      const a = right(lockRunDir(dir));
      assert.ok(calls > 0, 'the link was tried');
      const b = lockRunDir(dir);
      assert.ok(E.isLeft(b) && /in use by another training/.test(b.left));
      a.release();
      assert.deepEqual(fs.readdirSync(dir), []);
    } finally {
      nodeFs.linkSync = link;
    }
  });

  it('refuses a run directory whose checkpoint folder another process has open from code, and keeps no lock of its own there', async function () {
    this.timeout(60_000);
    const holder = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, '../model/fixtures/storeHolder.ts'), path.join(dir, 'checkpoints')], {
      cwd: path.join(__dirname, '../..'),
    });
    try {
      const said = await new Promise<string>((resolve, reject) => {
        let out = '';
        holder.stdout.on('data', (c: Buffer) => {
          out += c.toString('utf8');
          if (out.includes('\n')) resolve(out.trim());
        });
        holder.on('exit', (code) => reject(new Error(`the holder exited (${code}) saying ${JSON.stringify(out)}`)));
      });
      assert.equal(said, 'open');
      const r = lockRunDir(dir);
      assert.ok(E.isLeft(r), 'refused');
      assert.match(r.left, new RegExp(`^run directory .* is in use: its checkpoint folder .*checkpoints is open for writing by another process \\(pid ${holder.pid}, since \\d{4}-[^)]+\\); wait for it or stop it, or use another --run-dir`));
      assert.equal(fs.existsSync(path.join(dir, RUN_DIR_LOCK_FILE)), false);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => (holder.exitCode === null && holder.signalCode === null ? holder.on('exit', resolve) : resolve(undefined)));
    }
    // Its lock is stale now: the run directory is free.
    right(lockRunDir(dir)).release();
  });
});
