import * as fs from 'node:fs';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { checkpointEncoding, CorruptCheckpointError, decodeCheckpoint, type Checkpoint, type CheckpointHeader } from './Checkpoint';
import { readCheckpointHeader } from './readCheckpointHeader';
import { CHECKPOINT_FOLDER_LOCK_FILE, lockCheckpointFolder } from './lockCheckpointFolder';
import type { LockTakeover } from './lockFile';

/**
 * A checkpoint read back from disk, with the file it came from.
 *
 * @example
 * ```ts
 * const { latest } = await store.scan();
 * if (latest) console.log(latest.path, latest.checkpoint.step);
 * ```
 */
export interface LoadedCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly path: string;
}

/**
 * Result of looking for the newest usable checkpoint: it (if any) and the newer files that
 * had to be passed over because they were truncated or damaged.
 *
 * @example
 * ```ts
 * const { latest, problems } = await store.scan();
 * for (const p of problems) console.warn(p);
 * ```
 */
export interface CheckpointScan {
  readonly latest?: LoadedCheckpoint;
  readonly problems: readonly string[];
}

/**
 * A temp file that {@link openCheckpointStore} removed: a write that a crash (kill -9, power
 * loss) cut off. `of` says what was being written when its name tells: the checkpoint at that
 * step, epoch and batch, or the best.rxckpt link or copy of a checkpoint already saved.
 *
 * @example
 * ```ts
 * const cut: RemovedTempFile = { path: 'runs/a/checkpoints/.ckpt-s0000000015-e0003-b000000.rxckpt.4711.tmp', bytes: 2048, of: { step: 15, epoch: 3, batch: 0 } };
 * ```
 */
export interface RemovedTempFile {
  readonly path: string;
  /** How much of it had been written. */
  readonly bytes: number;
  readonly of?: { readonly step: number; readonly epoch: number; readonly batch: number } | 'best' | undefined;
}

/**
 * Options of {@link openCheckpointStore}.
 *
 * @example
 * ```ts
 * const opts: CheckpointStoreOptions = { keepLast: 3, keepBest: true };
 * ```
 */
export interface CheckpointStoreOptions {
  /** Recent checkpoints kept; older ones are deleted after each successful save. */
  readonly keepLast: number;
  /** Also write best.rxckpt whenever a save is marked best. */
  readonly keepBest: boolean;
  /**
   * Whether the store takes the folder for this process while it is open (default true): another
   * process opening it for writing meanwhile is refused ({@link CheckpointFolderInUseError}).
   * `false` when something else sees to it that one process writes there at a time (a scheduler
   * that never runs two jobs on one folder, but restarts one on a host of another name, whose old
   * lock would be refused until deleted).
   */
  readonly lock?: boolean | undefined;
}

/**
 * The checkpoints of one run directory (`<runDir>/checkpoints`). Every write is atomic:
 * temp file, fsync, rename, fsync of the directory, so a crash at any moment leaves either
 * the old set of checkpoints or the new one, never a half-written file under a real name.
 *
 * @example
 * ```ts
 * const store = await openCheckpointStore('runs/a/checkpoints', { keepLast: 3, keepBest: true });
 * await store.save(ck, { best: true });
 * ```
 */
export interface CheckpointStore {
  readonly dir: string;
  /** The newest checkpoint that decodes and verifies, skipping (and reporting) broken newer ones. */
  scan(): Promise<CheckpointScan>;
  /**
   * Writes `ck` atomically, prunes old ones; returns the path written. The file is written in
   * pieces without holding the event loop (signals, telemetry and timers go on meanwhile), from
   * `ck`'s own tensor arrays, not copies: they must not change until the promise settles (a
   * trainer's `getState` returns copies). Saves are written one at a time, in call order: one
   * called while another is being written waits for it.
   */
  save(ck: Checkpoint, opts: { readonly best: boolean }): Promise<string>;
  /**
   * The cursor of the checkpoint a `save` is writing now (undefined between saves), for a stop
   * requested meanwhile to say that it waits for that write. Optional, as `ensureBest` is.
   */
  readonly writing?: { readonly step: number; readonly epoch: number; readonly batch: number } | undefined;
  /**
   * Makes best.rxckpt the checkpoint `loaded` (a file of this store) unless it already holds
   * it; true when it had to. Repairs a save whose best link a crash cut off (keepBest only).
   * Optional, so that stores written against earlier versions still type-check.
   */
  ensureBest?(loaded: LoadedCheckpoint): Promise<boolean>;
  /**
   * The temp files that opening the store removed, so that a resume can say why it starts
   * before the step the previous run was saving. Optional, as `ensureBest` is.
   */
  readonly removedTempFiles?: readonly RemovedTempFile[] | undefined;
  /**
   * The stale lock (left by a killed process) that opening the store took over, so that a
   * caller can say so; undefined when there was none, or the folder was opened unlocked.
   * Optional, as `ensureBest` is.
   */
  readonly lockTakeover?: LockTakeover | undefined;
  /**
   * Ends writing: `save` is refused from now on (as is one still waiting for its turn), and the
   * folder's lock (see {@link openCheckpointStore}) is given back, at once, or, while a save is
   * being written, once that file is in place: a run unsubscribed in the middle of a save (which
   * nothing can await) finishes it, and no other process may take the folder over meanwhile.
   * Idempotent; the process's exit does it too. Optional, as `ensureBest` is.
   */
  close?(): void;
}

const NAME = /^ckpt-s(\d+)-e(\d+)-b(\d+)\.rxckpt$/;
// `.${name}.${pid}.tmp`, as writeAtomic and linkAtomic name them.
const TEMP_OF_CHECKPOINT = /^\.ckpt-s(\d+)-e(\d+)-b(\d+)\.rxckpt\.\d+\.tmp$/;
const TEMP_OF_BEST = /^\.best\.rxckpt\.\d+\.tmp$/;

function removedTempFile(dir: string, name: string, bytes: number): RemovedTempFile {
  const file = path.join(dir, name);
  const m = TEMP_OF_CHECKPOINT.exec(name);
  if (m !== null) return { path: file, bytes, of: { step: Number(m[1]), epoch: Number(m[2]), batch: Number(m[3]) } };
  return TEMP_OF_BEST.test(name) ? { path: file, bytes, of: 'best' } : { path: file, bytes };
}

/**
 * File name of a checkpoint: ordered by global step, then epoch and batch of the cursor.
 *
 * @example
 * ```ts
 * checkpointFileName(120, 3, 0); // 'ckpt-s0000000120-e0003-b000000.rxckpt'
 * ```
 */
export function checkpointFileName(step: number, epoch: number, batch: number): string {
  return `ckpt-s${String(step).padStart(10, '0')}-e${String(epoch).padStart(4, '0')}-b${String(batch).padStart(6, '0')}.rxckpt`;
}

async function fsyncDir(dir: string): Promise<void> {
  // Makes the rename durable. Some file systems refuse fsync on a directory; nothing to do then.
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch {
    /* not supported here */
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

let savesInProcess = 0;

// The temp files this process is writing now (resolved paths). Stores of one process share the
// folder's lock, so opening the folder again (to resume after an unsubscribe, say) is allowed
// while a save is still being written: its temp file is no crash's leftover, and removing it
// failed that save at its rename.
const tempFilesBeingWritten = new Set<string>();

// Test hook: lets a test SIGKILL a child process while a checkpoint is half written.
async function maybePauseForTest(handle: fs.promises.FileHandle): Promise<void> {
  const at = process.env.RXTRAIN_TEST_CHECKPOINT_PAUSE_AT;
  const marker = process.env.RXTRAIN_TEST_CHECKPOINT_PAUSE_MARKER;
  if (at === undefined || marker === undefined || savesInProcess !== Number(at)) return;
  await handle.sync();
  await fs.promises.writeFile(marker, 'paused');
  await new Promise((resolve) => setTimeout(resolve, 10 * 60_000));
}

/**
 * Bytes per write (and per piece of the digest, computed in between): an AlexNet checkpoint,
 * 470 MB, written in one synchronous go held the event loop for seconds, so that a Ctrl-C was
 * seen, and said, only once it was written, gRPC telemetry stalled and the progress bar froze.
 */
const WRITE_CHUNK_BYTES = 8 * 1024 * 1024;

/** What {@link writeAtomic} writes: the file's length, and its bytes in order. */
interface FileContent {
  readonly bytes: number;
  chunks(): Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
}

// write(2) may write less than asked without an error (a full disk, a file size limit): only
// the next call reports why. A short count taken for success would rename a truncated file
// into place as a checkpoint, and pruning would then delete the good ones.
async function writeAll(handle: fs.promises.FileHandle, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length; ) {
    const { bytesWritten: n } = await handle.write(bytes, at, bytes.length - at);
    if (n <= 0) throw new Error(`write returned ${n} with ${bytes.length - at} bytes left`);
    at += n;
  }
}

/** Another name of a file of this store, as a copy: where hard links are not to be had. */
async function copyOf(file: string): Promise<FileContent> {
  const { size } = await fs.promises.stat(file);
  return {
    bytes: size,
    async *chunks() {
      const handle = await fs.promises.open(file, 'r');
      try {
        for (let at = 0; at < size; ) {
          const piece = Buffer.alloc(Math.min(WRITE_CHUNK_BYTES, size - at));
          const { bytesRead } = await handle.read(piece, 0, piece.length, at);
          if (bytesRead <= 0) throw new Error(`${file} ended at ${at} of its ${size} bytes`);
          yield piece.subarray(0, bytesRead);
          at += bytesRead;
        }
      } finally {
        await handle.close();
      }
    },
  };
}

async function writeAtomic(dir: string, name: string, content: FileContent | Promise<FileContent>): Promise<void> {
  const tmp = path.join(dir, `.${name}.${process.pid}.tmp`);
  // A second Ctrl-C ends the process (process.exit) in the middle of this write: the half-written
  // file, as large as a checkpoint (470 MB for AlexNet), would stay until the next start.
  const dropTmp = (): void => {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // the process is ending; the next start removes temp files anyway
    }
  };
  process.on('exit', dropTmp);
  tempFilesBeingWritten.add(path.resolve(tmp));
  try {
    const file = await content;
    const handle = await fs.promises.open(tmp, 'w');
    try {
      // Split at the middle for the test hook, so that a kill finds the file half written.
      const half = Math.floor(file.bytes / 2);
      let written = 0;
      for await (const chunk of file.chunks()) {
        if (written < half && written + chunk.length >= half) {
          await writeAll(handle, chunk.subarray(0, half - written));
          await maybePauseForTest(handle);
          await writeAll(handle, chunk.subarray(half - written));
        } else {
          await writeAll(handle, chunk);
        }
        written += chunk.length;
      }
      if (written !== file.bytes) throw new Error(`${written} bytes written of ${file.bytes}`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(tmp, path.join(dir, name));
  } catch (e) {
    // A partial temp file on a full disk would keep it full for the log and everything else.
    try {
      await fs.promises.rm(tmp, { force: true });
    } catch {
      // the write's error is the one to report; the next start removes temp files anyway
    }
    // With the folder gone there are no checkpoints on disk to be intact: saying so misled.
    const folderGone = (e as NodeJS.ErrnoException).code === 'ENOENT' && !fs.existsSync(dir);
    const after = folderGone ? `: the folder ${dir} is gone (deleted or moved during the run), and with it this run's checkpoints` : ' (the checkpoints already on disk are intact)';
    throw new Error(`cannot write checkpoint ${path.join(dir, name)}: ${(e as Error).message}${after}`, { cause: e });
  } finally {
    process.off('exit', dropTmp);
    tempFilesBeingWritten.delete(path.resolve(tmp));
  }
  await fsyncDir(dir);
}

/**
 * Makes `name` a second name of the checkpoint file `from`, atomically: a best checkpoint of
 * AlexNet is 470 MB, and a copy doubles that on disk for nothing. Files are never changed in
 * place (every save is a new file renamed into place), so sharing one is safe; pruning `from`
 * later leaves `name` intact. Where the file system has no hard links, it writes a copy.
 */
async function linkAtomic(dir: string, from: string, name: string): Promise<void> {
  const tmp = path.join(dir, `.${name}.${process.pid}.tmp`);
  tempFilesBeingWritten.add(path.resolve(tmp));
  try {
    await fs.promises.rm(tmp, { force: true });
    await fs.promises.link(path.join(dir, from), tmp);
    await fs.promises.rename(tmp, path.join(dir, name));
    await fsyncDir(dir);
  } catch {
    await fs.promises.rm(tmp, { force: true });
    tempFilesBeingWritten.delete(path.resolve(tmp));
    await writeAtomic(dir, name, copyOf(path.join(dir, from)));
  } finally {
    tempFilesBeingWritten.delete(path.resolve(tmp));
  }
}

const BEST = 'best.rxckpt';

/** Whether best.rxckpt in `dir` is the checkpoint `loaded`: the same file, or a copy of it. */
async function bestIs(dir: string, loaded: LoadedCheckpoint): Promise<boolean> {
  const best = path.join(dir, BEST);
  try {
    const [a, b] = await Promise.all([fs.promises.stat(best), fs.promises.stat(loaded.path)]);
    if (a.ino === b.ino && a.dev === b.dev) return true;
    // A file system without hard links holds a copy.
    const ck = decodeCheckpoint(await fs.promises.readFile(best));
    return ck.step === loaded.checkpoint.step && ck.epoch === loaded.checkpoint.epoch && ck.batch === loaded.checkpoint.batch;
  } catch {
    return false; // missing or damaged
  }
}

async function listNewestFirst(dir: string): Promise<string[]> {
  return (await fs.promises.readdir(dir))
    .filter((f) => NAME.test(f))
    .sort()
    .reverse();
}

/**
 * The newest checkpoint in `dir` that decodes and verifies, and the newer ones passed over,
 * without changing anything in the folder: unlike {@link openCheckpointStore}, which a
 * training opens, it neither creates the folder nor removes temp files, so it is safe to run
 * while a training writes there (`rxtrain evaluate` on a live run).
 *
 * @example
 * ```ts
 * const { latest, problems } = await scanCheckpoints('runs/sample/checkpoints');
 * ```
 */
export async function scanCheckpoints(dir: string): Promise<CheckpointScan> {
  const problems: string[] = [];
  const files = await listNewestFirst(dir);
  for (const [i, f] of files.entries()) {
    const p = path.join(dir, f);
    try {
      return { latest: { checkpoint: decodeCheckpoint(await fs.promises.readFile(p)), path: p }, problems };
    } catch (e) {
      if (!(e instanceof CorruptCheckpointError) && (e as NodeJS.ErrnoException).code === undefined) throw e;
      problems.push(`checkpoint ${p} is unusable (${(e as Error).message})${i + 1 < files.length ? '; falling back to the previous one' : '; it is the oldest one'}`);
    }
  }
  return { problems };
}

/**
 * The header of the checkpoint a resume in `dir` starts from, with its file, read without the
 * tensors ({@link readCheckpointHeader}): the newest checkpoint whose header reads, passing
 * over newer ones as {@link scanCheckpoints} does (undefined when there is none, or no folder).
 * Only the header is checked: should that file's tensors be damaged, the resume falls back on
 * an older checkpoint than this one.
 *
 * @example
 * ```ts
 * const latest = await latestCheckpointHeader('runs/sample/checkpoints');
 * if (latest) console.log(`would resume ${latest.path} at step ${latest.header.step}`);
 * ```
 */
export async function latestCheckpointHeader(dir: string): Promise<{ readonly header: CheckpointHeader; readonly path: string } | undefined> {
  let files: string[];
  try {
    files = await listNewestFirst(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  for (const f of files) {
    const p = path.join(dir, f);
    try {
      return { header: await readCheckpointHeader(p), path: p };
    } catch (e) {
      // Passed over as the resume passes over it, which says why.
      if (!(e instanceof CorruptCheckpointError) && (e as NodeJS.ErrnoException).code === undefined) throw e;
    }
  }
  return undefined;
}

/**
 * Opens (creating if needed) the checkpoint directory for writing, and takes it for this
 * process until `close()` or the process's exit: a second process writing there would
 * interleave its checkpoints with these, prune them (keepLast counts both runs' files) and
 * leave a folder whose resume mixes two runs, so opening a folder that another live process
 * has open is refused with a {@link CheckpointFolderInUseError} naming it (pid, host, since
 * when). A lock left by a killed process is taken over (said in `lockTakeover`). Stores of one process share the lock
 * (reopening the folder to resume is fine). Then removes the temp files that a crash mid-write
 * left behind (the lock makes this store the only writer), listing them in `removedTempFiles`.
 * Reading needs none of this: {@link scanCheckpoints} and {@link latestCheckpointHeader} (and
 * evaluate, predict, export) neither take the lock nor wait for it. `lock: false` opts out.
 *
 * @example
 * ```ts
 * const store = await openCheckpointStore(path.join(runDir, 'checkpoints'), { keepLast: 3, keepBest: true });
 * try {
 *   const { latest } = await store.scan();
 * } finally {
 *   store.close?.();
 * }
 * ```
 */
export async function openCheckpointStore(dir: string, options: CheckpointStoreOptions): Promise<CheckpointStore> {
  if (!(Number.isInteger(options.keepLast) && options.keepLast > 0)) {
    throw new RangeError(`keepLast must be a positive integer, got ${options.keepLast}`);
  }
  await fs.promises.mkdir(dir, { recursive: true });
  let release = (): void => undefined;
  let lockTakeover: LockTakeover | undefined;
  if (options.lock !== false) {
    const taken = lockCheckpointFolder(dir);
    if (E.isLeft(taken)) throw taken.left;
    release = taken.right.release;
    lockTakeover = taken.right.takeover;
  }
  let closed = false;
  const refuseIfClosed = (): void => {
    if (closed) throw new Error(`checkpoint store ${dir} is closed: open it again to write there`);
  };
  let queue: Promise<unknown> = Promise.resolve();
  // Saves called and not yet settled: close() gives the lock back only once they have.
  let unsettled = 0;
  let writing: CheckpointStore['writing'];
  const removedTempFiles: RemovedTempFile[] = [];
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch (e) {
    release();
    throw e;
  }
  for (const f of names) {
    if (!(f.startsWith('.') && f.endsWith('.tmp'))) continue;
    // Another process's attempt at the lock, under way: removing it would fail that attempt
    // with ENOENT rather than the refusal that names this process.
    if (f.startsWith(`${CHECKPOINT_FOLDER_LOCK_FILE}.`)) continue;
    const file = path.join(dir, f);
    if (tempFilesBeingWritten.has(path.resolve(file))) continue;
    let bytes = 0;
    try {
      bytes = (await fs.promises.stat(file)).size;
    } catch {
      // gone already: its size only makes the report more precise
    }
    await fs.promises.rm(file, { force: true });
    removedTempFiles.push(removedTempFile(dir, f, bytes));
  }

  return {
    dir,
    removedTempFiles,
    lockTakeover,
    scan: () => scanCheckpoints(dir),
    get writing() {
      return writing;
    },
    async save(ck, { best }) {
      refuseIfClosed();
      // The header (cursor, history, scheduler) as it is now: `ck` may hold the loop's own
      // arrays, which go on changing once the caller moves on.
      const file = checkpointEncoding(ck);
      const name = checkpointFileName(ck.step, ck.epoch, ck.batch);
      // One at a time: two writes at once would prune each other's files by keepLast, and
      // double the disk traffic that each of them waits for.
      unsettled += 1;
      const turn = queue.then(async () => {
        try {
          refuseIfClosed();
          savesInProcess += 1;
          writing = { step: ck.step, epoch: ck.epoch, batch: ck.batch };
          await writeAtomic(dir, name, { bytes: file.bytes, chunks: () => file.chunks(WRITE_CHUNK_BYTES) });
          if (best && options.keepBest) await linkAtomic(dir, name, BEST);
          // Names sort by step, so the ones after this one's are checkpoints the resume passed over
          // as unusable (damaged, unreadable). Counted as kept, they made retention delete the ones
          // this run writes (with keepLast 1 this very one); deleted, what may still be recovered
          // from them would be lost. So retention counts, and removes, only up to this checkpoint.
          const upToThis = (await listNewestFirst(dir)).filter((f) => f <= name);
          for (const old of upToThis.slice(options.keepLast)) {
            await fs.promises.rm(path.join(dir, old), { force: true });
          }
          return path.join(dir, name);
        } finally {
          writing = undefined;
          unsettled -= 1;
          // Given back before the save settles, so that whoever awaits it may open the folder.
          if (closed && unsettled === 0) release();
        }
      });
      queue = turn.catch(() => undefined);
      return turn;
    },
    async ensureBest(loaded) {
      refuseIfClosed();
      if (!options.keepBest || (await bestIs(dir, loaded))) return false;
      await linkAtomic(dir, path.basename(loaded.path), BEST);
      return true;
    },
    close() {
      closed = true;
      // The save being written goes on to its rename (those waiting their turn are refused):
      // with the lock given back now, another process could open the folder, remove its temp
      // file as a crash's leftover, and write checkpoints of its own beside it.
      if (unsettled === 0) release();
    },
  };
}
