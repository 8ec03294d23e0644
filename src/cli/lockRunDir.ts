import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';

/** What a run directory's lock file holds. */
interface LockInfo {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

/**
 * A held lock on a run directory. `release()` removes the lock file (idempotent); it also runs
 * by itself when the process exits, so that `process.exit` after a second Ctrl-C leaves no lock.
 *
 * @example
 * ```ts
 * const lock: RunDirLock = { file: 'runs/a/.rxtrain.lock', tookOver: undefined, release: () => undefined };
 * ```
 */
export interface RunDirLock {
  readonly file: string;
  /** Set when a stale lock (its process gone) was replaced: who held it. */
  readonly tookOver: string | undefined;
  release(): void;
}

/**
 * Name of the lock file inside a run directory.
 *
 * @example
 * ```ts
 * fs.existsSync(path.join('runs/sample', RUN_DIR_LOCK_FILE)); // true while a training holds the run (or after one was killed)
 * ```
 */
export const RUN_DIR_LOCK_FILE = '.rxtrain.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(file: string): LockInfo | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockInfo>;
    return typeof v.pid === 'number' && typeof v.host === 'string' ? { pid: v.pid, host: v.host, since: String(v.since ?? '?') } : undefined;
  } catch {
    return undefined; // unreadable or half-written: treated as stale
  }
}

/**
 * Takes the run directory `dir` for one training process, so that two runs cannot write the
 * same checkpoints and log at once (each would resume from, and prune, the other's files).
 * The lock is a file created exclusively (`O_EXCL`) holding the pid, host and start time. A
 * lock left by a process that is gone (same host, pid not running; or an unreadable file) is
 * stale and taken over. A live holder, or one on another host (whose pid cannot be checked),
 * is a `Left` with a readable message saying what to do.
 *
 * @example
 * ```ts
 * const lock = lockRunDir('runs/sample');
 * if (E.isLeft(lock)) throw new Error(lock.left);
 * try { await runTraining(); } finally { lock.right.release(); }
 * ```
 */
export function lockRunDir(dir: string): E.Either<string, RunDirLock> {
  const file = path.join(dir, RUN_DIR_LOCK_FILE);
  const me: LockInfo = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  let tookOver: string | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, `${JSON.stringify(me)}\n`, { flag: 'wx' });
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        process.off('exit', release);
        // Only our own lock: a stale-lock takeover by someone else must not be undone.
        if (readLock(file)?.pid === me.pid) fs.rmSync(file, { force: true });
      };
      process.on('exit', release);
      return E.right({ file, tookOver, release });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return E.left(`cannot lock run directory ${dir}: ${(e as Error).message}`);
    }
    const held = readLock(file);
    if (held !== undefined && held.host !== me.host) {
      return E.left(`run directory ${dir} is in use by a training on host ${held.host} (pid ${held.pid}, since ${held.since}); `
        + `use another --run-dir, or delete ${file} if that run is over`);
    }
    if (held !== undefined && alive(held.pid)) {
      return E.left(`run directory ${dir} is in use by another training (pid ${held.pid}, since ${held.since}); `
        + `wait for it or stop it, or use another --run-dir (if no training runs there, pid ${held.pid} is some other process now: delete ${file})`);
    }
    tookOver = held === undefined ? 'an unreadable lock file' : `pid ${held.pid} (since ${held.since}), no longer running`;
    fs.rmSync(file, { force: true });
  }
  return E.left(`cannot lock run directory ${dir}: ${file} keeps reappearing`);
}
