import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import * as E from 'fp-ts/Either';
import { processAlive as alive } from './processAlive';

/**
 * Who holds a lock file: what the file says.
 *
 * @example
 * ```ts
 * const holder: LockHolder = { pid: 4242, host: 'gpu-box', since: '2026-12-07T13:44:44.000Z' };
 * ```
 */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}


/**
 * A held lock file. `release()` removes it (idempotent); it also runs by itself when the process
 * exits, so that `process.exit` after a second Ctrl-C leaves no lock.
 *
 * @example
 * ```ts
 * const lock: FileLock = { file: 'runs/a/.rxtrain.lock', tookOver: undefined, release: () => undefined };
 * ```
 */
export interface FileLock {
  readonly file: string;
  /** Set when a stale lock (its process gone) was replaced: who held it. */
  readonly tookOver: string | undefined;
  release(): void;
}

/**
 * Why {@link lockFile} did not take the lock: a live holder (`elsewhere`: on another host, whose
 * process cannot be checked), an error creating it, or a lock that kept changing (other
 * processes taking it over) until the deadline.
 *
 * @example
 * ```ts
 * const r: LockRefusal = { kind: 'held', holder: { pid: 4242, host: 'gpu-box', since: 'x' }, elsewhere: false };
 * ```
 */
export type LockRefusal =
  | { readonly kind: 'held'; readonly holder: LockHolder; readonly elsewhere: boolean }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'changing' };

function readLock(file: string): { readonly raw: string; readonly ino: number; readonly info: LockHolder | undefined } | undefined {
  let raw: string;
  let ino: number;
  try {
    ino = fs.statSync(file).ino;
    raw = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // gone since: the caller tries to create it again
  }
  try {
    const v = JSON.parse(raw) as Partial<LockHolder>;
    const info = typeof v.pid === 'number' && typeof v.host === 'string' ? { pid: v.pid, host: v.host, since: String(v.since ?? '?') } : undefined;
    return { raw, ino, info };
  } catch {
    return { raw, ino, info: undefined }; // unreadable (damaged, or written by hand): treated as stale
  }
}

/**
 * Who holds `file` as {@link lockFile} would judge it, without taking it: a live holder (or
 * one on another host, whose process cannot be checked: `elsewhere`), else undefined (no lock,
 * or a stale one that taking the lock would take over). For a cheap refusal before slow work;
 * only taking the lock settles a race.
 *
 * @example
 * ```ts
 * const held = liveLockHolder('exports/sample/.rxtrain-export.lock');
 * if (held !== undefined) console.error(`busy: PID ${held.holder.pid} on ${held.holder.host}`);
 * ```
 */
export function liveLockHolder(file: string): { readonly holder: LockHolder; readonly elsewhere: boolean } | undefined {
  const held = readLock(file)?.info;
  if (held === undefined) return undefined;
  if (held.host !== os.hostname()) return { holder: held, elsewhere: true };
  return alive(held.pid) ? { holder: held, elsewhere: false } : undefined;
}

/**
 * Creates `target` holding `content`, or fails with EEXIST. Written to a private file first and
 * linked into place, so the lock never exists half-written: a reader racing a plain `wx` write
 * saw an empty file, judged it stale and took a live lock over.
 */
function createWith(target: string, content: string): boolean {
  const tmp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    // Inside the try: on a full disk the file is created and its write then fails (ENOSPC),
    // and each failed start would leave one more empty .tmp file beside the lock.
    fs.writeFileSync(tmp, content, { flag: 'wx' });
    fs.linkSync(tmp, target);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // File systems without hard links (exFAT, some network shares): an exclusive write, whose
    // half-written window is the price of running there at all.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') return createExclusively(target, content);
    throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function createExclusively(target: string, content: string): boolean {
  try {
    fs.writeFileSync(target, content, { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Takeover markers older than this are litter from a takeover that lost the race to create the lock. */
const MARKER_MAX_AGE_MS = 60_000;

/** A takeover whose process died between marking and removing the stale lock would block the lock for good. */
function removeDeadMarker(marker: string, host: string): void {
  const m = readLock(marker);
  if (m?.info === undefined || m.info.host !== host || alive(m.info.pid)) return;
  try {
    if (Date.now() - fs.statSync(marker).mtimeMs > DEAD_MARKER_AGE_MS) fs.rmSync(marker, { force: true });
  } catch {
    // removed by another process meanwhile
  }
}

/** A dead taker's marker is removed only once this old, so that two waiting processes cannot both remove and re-create it. */
const DEAD_MARKER_AGE_MS = 2_000;

function removeOldMarkers(file: string, keep: string | undefined): void {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.takeover-`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const marker = path.join(dir, name);
    if (!name.startsWith(prefix) || marker === keep) continue;
    try {
      if (Date.now() - fs.statSync(marker).mtimeMs > MARKER_MAX_AGE_MS) fs.rmSync(marker, { force: true });
    } catch {
      // removed by another process meanwhile
    }
  }
}

/**
 * Takes `file` as a lock for this process, so that two processes cannot do the same work at once
 * (two trainings in one run directory, two exports into one OUT_DIR). The lock is a file holding
 * the pid, host and start time, written aside and linked into place (so it exists complete or not
 * at all, and only one creator wins). A lock left by a process that is gone (same host, pid not
 * running; or an unreadable file) is stale and taken over, by whichever process first creates that
 * lock's takeover marker (`FILE.takeover-…`, beside it), so processes racing for the same stale
 * lock never remove the lock one of them has just made. A live holder, or one on another host
 * (whose pid cannot be checked), is a `Left` saying who; the caller words it.
 *
 * @example
 * ```ts
 * const lock = lockFile('exports/sample/.rxtrain-export.lock');
 * if (E.isLeft(lock)) throw new Error(lock.left.kind);
 * try { await writeExport(); } finally { lock.right.release(); }
 * ```
 */
export function lockFile(file: string): E.Either<LockRefusal, FileLock> {
  const me: LockHolder = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  const mine = `${JSON.stringify(me)}\n`;
  let tookOver: string | undefined;
  let marker: string | undefined;
  // Long enough to outwait other processes in the middle of taking the same stale lock over.
  const deadline = Date.now() + 5_000;
  // Set once this process has removed a stale lock as its takeover's winner: it then tries to
  // create the lock once more whatever the clock says. A loaded machine can pause it past the
  // deadline between the two; giving up there left no lock at all while every other process,
  // waiting on its marker, gave up too, so nobody got in.
  let tookOverJustNow = false;
  for (;;) {
    if (!tookOverJustNow && Date.now() >= deadline) return E.left({ kind: 'changing' });
    tookOverJustNow = false;
    try {
      if (createWith(file, mine)) {
        const held = marker;
        let released = false;
        const release = (): void => {
          if (released) return;
          released = true;
          process.off('exit', release);
          // Only our own lock: a stale-lock takeover by someone else must not be undone.
          if (readLock(file)?.info?.pid === me.pid) fs.rmSync(file, { force: true });
          if (held !== undefined) fs.rmSync(held, { force: true });
        };
        process.on('exit', release);
        removeOldMarkers(file, held);
        return E.right({ file, tookOver, release });
      }
    } catch (e) {
      return E.left({ kind: 'failed', message: (e as Error).message });
    }
    const lock = readLock(file);
    if (lock === undefined) continue;
    const held = lock.info;
    if (held !== undefined && held.host !== me.host) return E.left({ kind: 'held', holder: held, elsewhere: true });
    if (held !== undefined && alive(held.pid)) return E.left({ kind: 'held', holder: held, elsewhere: false });
    // Stale. Several processes may judge the same stale lock at once; removing it by name would let
    // a late one remove the lock the first one just created. A marker named after this very lock
    // (inode and content) is created exclusively: only its creator removes the lock, and the others
    // wait for the lock to change.
    const name = `${file}.takeover-${lock.ino}-${createHash('sha256').update(lock.raw).digest('hex').slice(0, 16)}`;
    let won: boolean;
    try {
      won = createWith(name, mine);
    } catch (e) {
      return E.left({ kind: 'failed', message: (e as Error).message });
    }
    if (!won) {
      removeDeadMarker(name, me.host);
      sleepMs(10);
      continue;
    }
    if (marker !== undefined) fs.rmSync(marker, { force: true });
    marker = name;
    tookOver = held === undefined ? 'an unreadable lock file' : `pid ${held.pid} (since ${held.since}), no longer running`;
    fs.rmSync(file, { force: true });
    tookOverJustNow = true;
  }
}
