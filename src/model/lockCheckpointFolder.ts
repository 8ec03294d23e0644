import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { CheckpointFolderInUseError } from './CheckpointFolderInUseError';
import { liveLockHolder, lockFile, type FileLock, type LockTakeover } from './lockFile';

/**
 * Name of the lock file that {@link openCheckpointStore} keeps in a checkpoint folder while a
 * store is open for writing there.
 *
 * @example
 * ```ts
 * fs.existsSync(path.join('runs/sample/checkpoints', CHECKPOINT_FOLDER_LOCK_FILE)); // true while a store writes there (or after its process was killed)
 * ```
 */
export const CHECKPOINT_FOLDER_LOCK_FILE = '.rxtrain-checkpoints.lock';

/** This process's lock of each checkpoint folder (by resolved path), and how many open stores share it. */
const held = new Map<string, { readonly lock: FileLock; users: number }>();

/**
 * Takes the checkpoint folder `dir` (which must exist) for writing by this process:
 * {@link lockFile} on `dir/.rxtrain-checkpoints.lock`, a stale lock (its process gone) taken
 * over. The stores of one process share its lock (a resume reopens the folder; train(…) itself
 * refuses two runs on one folder at once): the returned release gives up this one's share, and
 * the last one removes the file; the process's exit releases whatever is left. `takeover` says
 * which stale lock this call replaced (undefined when it shares this process's lock, or found
 * none). Another live process holding it, or one on another host, is a `Left`
 * {@link CheckpointFolderInUseError};
 * an error creating the file (a read-only folder) is a `Left` Error.
 *
 * @example
 * ```ts
 * const taken = lockCheckpointFolder('runs/mine/checkpoints');
 * if (E.isLeft(taken)) throw taken.left;
 * try { await writeCheckpoints(); } finally { taken.right.release(); }
 * ```
 */
export function lockCheckpointFolder(dir: string): E.Either<Error, { readonly release: () => void; readonly takeover: LockTakeover | undefined }> {
  const key = path.resolve(dir);
  const file = path.join(key, CHECKPOINT_FOLDER_LOCK_FILE);
  let mine = held.get(key);
  let takeover: LockTakeover | undefined;
  // Still ours? The folder may have been deleted and made again (a test's temp folder) or the
  // lock file removed by hand meanwhile: a share of a lock that is no longer there protects nothing.
  const holder = mine === undefined ? undefined : liveLockHolder(file)?.holder;
  if (mine !== undefined && holder?.pid !== process.pid) {
    held.delete(key);
    mine = undefined;
  }
  if (mine === undefined) {
    const taken = lockFile(file);
    if (E.isLeft(taken)) {
      const r = taken.left;
      switch (r.kind) {
        case 'failed':
          return E.left(new Error(`cannot lock checkpoint folder ${dir}: ${r.message}`));
        case 'changing':
          return E.left(new CheckpointFolderInUseError(dir, file, undefined, false));
        case 'held':
          return E.left(new CheckpointFolderInUseError(dir, file, r.holder, r.elsewhere));
      }
    }
    mine = { lock: taken.right, users: 0 };
    takeover = taken.right.takeover;
    held.set(key, mine);
  }
  const share = mine;
  share.users += 1;
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    share.users -= 1;
    if (share.users > 0) return;
    share.lock.release();
    if (held.get(key) === share) held.delete(key);
  };
  return E.right({ release, takeover });
}
