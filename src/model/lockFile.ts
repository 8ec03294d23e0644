import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import * as E from 'fp-ts/Either';
import { processAlive as alive } from './processAlive';
import { processStart } from './processStart';

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
 * A stale lock that {@link lockFile} replaced: its file, and who held it (undefined when the
 * file could not be read: damaged, or written by hand). Its process was gone (same host).
 *
 * @example
 * ```ts
 * const t: LockTakeover = { file: 'runs/a/checkpoints/.rxtrain-checkpoints.lock', holder: { pid: 4242, host: 'gpu-box', since: '2026-12-07T13:44:44.000Z' } };
 * ```
 */
export interface LockTakeover {
  readonly file: string;
  readonly holder: LockHolder | undefined;
}

/**
 * A held lock file. `release()` removes it (idempotent, and it never throws: a lock it cannot
 * remove, in a folder made read-only, stays for the next taker to take over as stale); it also
 * runs by itself when the process exits, so that `process.exit` after a second Ctrl-C leaves no lock.
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
  /** The same takeover, typed (optional, so that locks made by hand still type-check). */
  readonly takeover?: LockTakeover | undefined;
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

/** What a lock file (or takeover marker) holds, and which file that was: one snapshot of one inode. */
interface LockSnapshot {
  readonly raw: string;
  readonly ino: number;
  readonly mtimeMs: number;
  readonly info: LockHolder | undefined;
  /** When its writer started, as {@link processStart} says it (where that could be read). */
  readonly start: string | undefined;
}

function readLock(file: string): LockSnapshot | undefined {
  let raw: string;
  let st: fs.Stats;
  try {
    // Through one descriptor, so that the inode and the content are of the same file: a stat and
    // a read by name could pair one lock's inode with the next one's content.
    const fd = fs.openSync(file, 'r');
    try {
      st = fs.fstatSync(fd);
      raw = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined; // gone since: the caller tries to create it again
  }
  let info: LockHolder | undefined;
  let start: string | undefined;
  try {
    const v = JSON.parse(raw) as Partial<LockHolder> & { start?: unknown };
    info = typeof v.pid === 'number' && typeof v.host === 'string' ? { pid: v.pid, host: v.host, since: String(v.since ?? '?') } : undefined;
    start = typeof v.start === 'string' ? v.start : undefined;
  } catch {
    info = undefined; // unreadable (damaged, or written by hand): treated as stale
  }
  return { raw, ino: st.ino, mtimeMs: st.mtimeMs, info, start };
}

/**
 * Whether the process of this host with `pid` that wrote a file saying it started at `start`
 * still runs. A pid given since to another program is not it, where both start times can be
 * read (Linux); elsewhere, or for a file that does not say, that program counts as the writer.
 */
function writerRuns(pid: number, start: string | undefined): boolean {
  if (!alive(pid)) return false;
  if (start === undefined) return true;
  const now = processStart(pid);
  return now === undefined || now === start;
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
  const lock = readLock(file);
  const held = lock?.info;
  if (lock === undefined || held === undefined) return undefined;
  if (held.host !== os.hostname()) return { holder: held, elsewhere: true };
  return writerRuns(held.pid, lock.start) ? { holder: held, elsewhere: false } : undefined;
}

/**
 * This host as the names of temporary files say it: a hash, since a host name may hold characters
 * that a file name cannot (and some are long).
 */
function hostTag(host: string): string {
  return createHash('sha256').update(host).digest('hex').slice(0, 12);
}

/**
 * Creates `target` holding `content`, or fails with EEXIST. Written to a private file first and
 * linked into place, so the lock never exists half-written: a reader racing a plain `wx` write
 * saw an empty file, judged it stale and took a live lock over. That file's name says which
 * process on which host writes it, so that one left by a process killed meanwhile can be told
 * from an attempt under way: see {@link removeLitter}.
 */
function createWith(target: string, content: string, host: string): boolean {
  const tmp = `${target}.${hostTag(host)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
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

/**
 * The locks this process holds, released when it exits. One 'exit' listener for them all: a
 * program holding a lock per checkpoint folder it writes (never closing the stores) would
 * otherwise pass Node's limit of listeners and be warned of a leak.
 */
const releaseAtExit = new Set<() => void>();

let listening = false;

function atExit(release: () => void): void {
  if (!listening) process.on('exit', releaseAll);
  listening = true;
  releaseAtExit.add(release);
}

function releaseAll(): void {
  for (const release of [...releaseAtExit]) {
    try {
      release();
    } catch {
      // the process is ending: the next taker finds a stale lock and takes it over
    }
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/*
 * Taking a stale lock over, and why no process can remove a lock other than the stale one it judged.
 *
 * A lock file's content (pid, host, start time) is written once by one process and never again, so
 * a stale lock, once gone, never comes back (only a hand-made copy could). Its takeover markers are
 * numbered, FILE.takeover-INO-HASH-K (inode and content of that lock), each created exclusively:
 * whoever creates one owns it. A marker is removed only by its owner, or by a holder of the lock
 * (so once that stale lock is gone). A taker that finds marker K made by a dead process (or left
 * half-written) leaves it and tries K+1. Removing it by name instead, to make it again, let a taker
 * paused between judging it dead and removing it remove a live taker's new marker of that name:
 * two then owned it, and both removed "the stale lock" by name, the second removing the lock the
 * first had just made. Now at most one live process owns a marker of a stale lock at a time: an
 * owner of K+1 got there past a dead owner of K (no process has its pid, or, on Linux, the one
 * that has it started at another time than the marker says), whose marker nobody removes while
 * the lock is there, so nobody can own K again meanwhile, and a live owner of K is waited for.
 *
 * The owner removes the lock only if, read again, it is the same inode and content: a process
 * paused since it judged the lock stale may wake to find a marker free (the lock taken over,
 * released, the markers cleared) and the lock someone else's; it then removes nothing. Between that
 * check and the removal nobody else removes the stale lock (only a marker's owner would, and that is
 * this process; its holder is dead) and nobody creates one while it is there, so the removal hits
 * the file checked. A holder clears every marker: each was made for a lock that was there before
 * this holder's, so gone for good, and an owner of one finds another lock when it checks.
 */

/**
 * A half-written marker (a file system without hard links, whose exclusive write is not atomic)
 * is a taker still writing it until this old, then one killed while writing it.
 */
const UNREADABLE_MARKER_AGE_MS = 2_000;

/** What follows `FILE.` in the name of a takeover marker of FILE, as {@link markerName} makes it. */
const MARKER_SUFFIX = /^takeover-\d+-[0-9a-f]{16}-\d+$/;

/** What follows `FILE.` in the name of a temporary file of FILE or of its marker, as {@link createWith} makes it: host tag, pid. */
const TEMP_SUFFIX = /^(?:takeover-\d+-[0-9a-f]{16}-\d+\.)?([0-9a-f]{12})\.(\d+)\.[0-9a-z]*\.tmp$/;

function markerName(file: string, lock: LockSnapshot, k: number): string {
  return `${file}.takeover-${lock.ino}-${createHash('sha256').update(lock.raw).digest('hex').slice(0, 16)}-${k}`;
}

/** Whether the taker that made `marker` may still act on it; undefined if the marker is gone. */
function markerOwnerLive(marker: string, host: string): boolean | undefined {
  const m = readLock(marker);
  if (m === undefined) return undefined;
  if (m.info === undefined) return Date.now() - m.mtimeMs <= UNREADABLE_MARKER_AGE_MS;
  // A taker on another host cannot be checked: it is waited for. One whose pid now runs another
  // program is dead: waited for, it made every taker give up ('keeps changing') until that
  // program ended.
  return m.info.host !== host || writerRuns(m.info.pid, m.start);
}

/**
 * One attempt at removing the stale lock `lock` from `file` as its takeover's marker owner:
 * `removed`, `wait` (another live taker owns the marker), or `changed` (the lock is no longer
 * that one, or a marker went meanwhile: read the lock again).
 */
function takeOver(file: string, lock: LockSnapshot, mine: string, host: string): 'removed' | 'wait' | 'changed' {
  for (let k = 0; ; k++) {
    const marker = markerName(file, lock, k);
    if (!createWith(marker, mine, host)) {
      const live = markerOwnerLive(marker, host);
      if (live === false) continue;
      return live === undefined ? 'changed' : 'wait';
    }
    try {
      const now = readLock(file);
      if (now === undefined || now.ino !== lock.ino || now.raw !== lock.raw) return 'changed';
      fs.rmSync(file, { force: true });
      return 'removed';
    } finally {
      fs.rmSync(marker, { force: true });
    }
  }
}

/**
 * Called holding the lock. Every marker there is litter of a takeover of a lock that is gone (see
 * above). A temporary file (the lock's or a marker's) is litter once its process is gone: one
 * killed (-9, out of memory, a power cut) between writing and linking it, which nothing else
 * would ever remove. Only this host's: another host's process cannot be checked. A live
 * process's is its attempt at the lock or a marker under way, which removing it would fail
 * (ENOENT); a pid given since to another program keeps its file too, until that one ends.
 */
function removeLitter(file: string, host: string): void {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.`;
  const here = hostTag(host);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    const temp = TEMP_SUFFIX.exec(rest);
    // A process given that pid after the check names its files with another random part: the
    // file removed is the dead one's.
    const litter = MARKER_SUFFIX.test(rest) || (temp !== null && temp[1] === here && !alive(Number(temp[2])));
    if (!litter) continue;
    try {
      fs.rmSync(path.join(dir, name), { force: true });
    } catch {
      // litter that stays: it is in nobody's way
    }
  }
}

/**
 * Takes `file` as a lock for this process, so that two processes cannot do the same work at once
 * (two trainings in one run directory, two exports into one OUT_DIR). The lock is a file holding
 * the pid, host and start time, written aside and linked into place (so it exists complete or not
 * at all, and only one creator wins). A lock left by a process that is gone (same host, pid not
 * running, or on Linux running another program, started at another time than the lock says; or
 * an unreadable file) is stale and taken over, by the one live process that owns a takeover
 * marker of that very lock (`FILE.takeover-…`, beside it, gone once the lock is held), which
 * removes the lock only if it is still that one: processes racing for the same stale lock, or
 * waking late, never remove a lock one of them has made. A live holder, or one on another host
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
  // With when this process started, where that can be read: a pid alone is given to another
  // program once this one is gone, and a marker or lock of this one's then looked live.
  const mine = `${JSON.stringify({ ...me, start: processStart(process.pid) })}\n`;
  let tookOver: string | undefined;
  let takeover: LockTakeover | undefined;
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
      if (createWith(file, mine, me.host)) {
        let released = false;
        const release = (): void => {
          if (released) return;
          released = true;
          releaseAtExit.delete(release);
          // Only our own lock: a stale-lock takeover by someone else must not be undone.
          try {
            if (readLock(file)?.info?.pid === me.pid) fs.rmSync(file, { force: true });
          } catch {
            // A folder made read-only (chmod, a file system remounted read-only after an I/O
            // error): the lock stays, naming a process that is about to end, and the next taker
            // takes it over as stale. Thrown, it replaced the outcome of the work it guarded
            // (`rxtrain train` ended with a bare `EACCES … unlink` instead of its own error).
          }
        };
        atExit(release);
        removeLitter(file, me.host);
        return E.right({ file, tookOver, takeover, release });
      }
    } catch (e) {
      return E.left({ kind: 'failed', message: (e as Error).message });
    }
    const lock = readLock(file);
    if (lock === undefined) continue;
    const held = lock.info;
    if (held !== undefined && held.host !== me.host) return E.left({ kind: 'held', holder: held, elsewhere: true });
    // A pid that now runs another program (after a reboot, say) holds nothing, where that shows.
    if (held !== undefined && writerRuns(held.pid, lock.start)) return E.left({ kind: 'held', holder: held, elsewhere: false });
    // Stale. Several processes may judge the same stale lock at once; removing it by name would let
    // a late one remove the lock the first one just made: see takeOver.
    let taken: 'removed' | 'wait' | 'changed';
    try {
      taken = takeOver(file, lock, mine, me.host);
    } catch (e) {
      return E.left({ kind: 'failed', message: (e as Error).message });
    }
    if (taken === 'wait') sleepMs(10);
    if (taken !== 'removed') continue;
    tookOver = describeTakeover({ file, holder: held });
    takeover = { file, holder: held };
    tookOverJustNow = true;
  }
}

/**
 * Who a stale lock that was taken over belonged to, as a log line says it after "taken over from".
 *
 * @example
 * ```ts
 * describeTakeover({ file: 'runs/a/.rxtrain.lock', holder: { pid: 4242, host: 'gpu-box', since: '2026-12-07T13:44:44.000Z' } });
 * // 'pid 4242 (since 2026-12-07T13:44:44.000Z), no longer running'
 * ```
 */
export function describeTakeover(t: LockTakeover): string {
  return t.holder === undefined ? 'an unreadable lock file' : `pid ${t.holder.pid} (since ${t.holder.since}), no longer running`;
}
