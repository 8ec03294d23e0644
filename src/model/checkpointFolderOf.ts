import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The folder whose checkpoints a directory given as a checkpoint source means: a run directory's
 * `checkpoints/` when it has one, else the directory itself (a checkpoints folder given as is).
 * One rule for `rxtrain evaluate`, `predict`, `export` and `--init-from`, so that a run
 * directory names the same file everywhere.
 *
 * @example
 * ```ts
 * checkpointFolderOf('runs/sample'); // 'runs/sample/checkpoints'
 * checkpointFolderOf('runs/sample/checkpoints'); // 'runs/sample/checkpoints'
 * ```
 */
export function checkpointFolderOf(dir: string): string {
  const inner = path.join(dir, 'checkpoints');
  return fs.existsSync(inner) ? inner : dir;
}
