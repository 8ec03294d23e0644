import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import * as os from 'node:os';
import { liveLockHolder, lockFile, type FileLock, type LockRefusal } from '../model/lockFile';
import { CHECKPOINT_FOLDER_LOCK_FILE } from '../model/lockCheckpointFolder';
import { checkpointFolderRefusal } from './checkpointFolderRefusal';

/**
 * A held lock on a run directory (see {@link FileLock}).
 *
 * @example
 * ```ts
 * const lock: RunDirLock = { file: 'runs/a/.rxtrain.lock', tookOver: undefined, release: () => undefined };
 * ```
 */
export type RunDirLock = FileLock;

/**
 * Name of the lock file inside a run directory.
 *
 * @example
 * ```ts
 * fs.existsSync(path.join('runs/sample', RUN_DIR_LOCK_FILE)); // true while a training holds the run (or after one was killed)
 * ```
 */
export const RUN_DIR_LOCK_FILE = '.rxtrain.lock';

/**
 * Takes the run directory `dir` for one training process, so that two runs cannot write the
 * same checkpoints and log at once (each would resume from, and prune, the other's files):
 * {@link lockFile} on `dir/.rxtrain.lock`, a stale lock (its process gone) taken over. A live
 * holder, or one on another host (whose pid cannot be checked), is a `Left` with a readable
 * message saying what to do; so is a checkpoint folder `dir/checkpoints` that another process
 * has open for writing from code (`openCheckpointStore`, which takes that folder's own lock),
 * said here rather than as a failure to open the store once the data is loaded.
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
  const taken = E.mapLeft((r: LockRefusal) => {
    switch (r.kind) {
      case 'failed':
        return `cannot lock run directory ${dir}: ${r.message}`;
      case 'changing':
        return `cannot lock run directory ${dir}: ${file} keeps changing (another process is taking it over; if none is, delete ${file} and ${file}.takeover-*)`;
      case 'held': {
        const held = r.holder;
        return r.elsewhere
          ? `run directory ${dir} is in use by a training on host ${held.host} (pid ${held.pid}, since ${held.since}); `
            + `use another --run-dir, or delete ${file} if that run is over`
          : `run directory ${dir} is in use by another training (pid ${held.pid}, since ${held.since}); `
            + `wait for it or stop it, or use another --run-dir (if no training runs there, pid ${held.pid} is some other process now: delete ${file})`;
      }
    }
  })(lockFile(file));
  if (E.isLeft(taken)) return taken;
  // Only a cheap early word: openCheckpointStore takes that lock, and settles a race.
  const store = liveLockHolder(path.join(dir, 'checkpoints', CHECKPOINT_FOLDER_LOCK_FILE));
  if (store === undefined || (store.holder.pid === process.pid && store.holder.host === os.hostname())) return taken;
  taken.right.release();
  return E.left(checkpointFolderRefusal(dir, store.holder, store.elsewhere));
}
