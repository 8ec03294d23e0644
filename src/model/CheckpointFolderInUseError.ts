import type { LockHolder } from './lockFile';

/**
 * Why {@link openCheckpointStore} refused a checkpoint folder: another process holds it open for
 * writing (its lock file, `lockFile`, names it). Two writers in one folder interleave their
 * checkpoints, prune each other's (keepLast counts both runs' files) and leave a folder whose
 * resume mixes two runs. `holder` is who holds it: pid, host and since when; `elsewhere` when
 * that is another host, whose process cannot be checked from here (so its lock cannot be judged
 * stale either). `holder` is undefined when the lock kept changing hands until the deadline.
 *
 * @example
 * ```ts
 * try {
 *   await openCheckpointStore('runs/mine/checkpoints', { keepLast: 3, keepBest: true });
 * } catch (e) {
 *   if (e instanceof CheckpointFolderInUseError) console.error(`busy: pid ${e.holder?.pid} on ${e.holder?.host} since ${e.holder?.since}`);
 *   else throw e;
 * }
 * ```
 */
export class CheckpointFolderInUseError extends Error {
  override readonly name = 'CheckpointFolderInUseError';

  constructor(
    readonly dir: string,
    readonly lockFile: string,
    readonly holder: LockHolder | undefined,
    readonly elsewhere: boolean,
  ) {
    super(
      holder === undefined
        ? `checkpoint folder ${dir} is being taken by other processes (${lockFile} keeps changing); if none is, delete ${lockFile} and ${lockFile}.takeover-*`
        : elsewhere
          ? `checkpoint folder ${dir} is open for writing on host ${holder.host} (pid ${holder.pid}, since ${holder.since}); `
            + `write this run's checkpoints to another folder, or delete ${lockFile} if that run is over`
          : `checkpoint folder ${dir} is open for writing by another process (pid ${holder.pid}, since ${holder.since}); `
            + `wait for it or stop it, or write this run's checkpoints to another folder (if no training runs there, pid ${holder.pid} is some other process now: delete ${lockFile})`,
    );
  }
}
