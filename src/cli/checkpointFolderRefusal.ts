import * as path from 'node:path';
import { CHECKPOINT_FOLDER_LOCK_FILE } from '../model/lockCheckpointFolder';
import type { LockHolder } from '../model/lockFile';

/**
 * Why `rxtrain train` cannot use the run directory `dir`: another process has its checkpoint
 * folder `dir/checkpoints` open for writing (`holder`, on another host when `elsewhere`; undefined
 * when the folder's lock kept changing hands). Worded in the command's terms (`--run-dir`), not
 * the store's ("write this run's checkpoints to another folder", which the command has no flag
 * for), whether {@link lockRunDir}'s early look found it or opening the store did.
 *
 * @example
 * ```ts
 * checkpointFolderRefusal('runs/sample', { pid: 4711, host: 'gpu-box', since: '2026-12-07T13:44:44.000Z' }, false);
 * // 'run directory runs/sample is in use: its checkpoint folder runs/sample/checkpoints is open for writing by another process (pid 4711, …); wait for it or stop it, or use another --run-dir (…)'
 * ```
 */
export function checkpointFolderRefusal(dir: string, holder: LockHolder | undefined, elsewhere: boolean): string {
  const checkpoints = path.join(dir, 'checkpoints');
  const storeLock = path.join(checkpoints, CHECKPOINT_FOLDER_LOCK_FILE);
  if (holder === undefined) {
    return `run directory ${dir} is in use: its checkpoint folder ${checkpoints} is being taken by other processes (${storeLock} keeps changing); `
      + `use another --run-dir, or if none is, delete ${storeLock} and ${storeLock}.takeover-*`;
  }
  return elsewhere
    ? `run directory ${dir} is in use: its checkpoint folder ${checkpoints} is open for writing on host ${holder.host} (pid ${holder.pid}, since ${holder.since}); `
      + `use another --run-dir, or delete ${storeLock} if that run is over`
    : `run directory ${dir} is in use: its checkpoint folder ${checkpoints} is open for writing by another process (pid ${holder.pid}, since ${holder.since}); `
      + `wait for it or stop it, or use another --run-dir (if nothing writes there, pid ${holder.pid} is some other process now: delete ${storeLock})`;
}
