import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDirectory } from '../streams/fsPredicates';
import { checkpointFolderOf } from './checkpointFolderOf';

/**
 * The one spelling a run identity records for an `--init-from` source, found without reading
 * the (large) checkpoint, so that a resume can compute it again cheaply: a run directory names
 * the best.rxckpt it resolves to (RUN_DIR/checkpoints/best.rxckpt, or DIR/best.rxckpt), and
 * every path is made absolute with symlinks resolved. `runs/pre`, `runs/pre/checkpoints/best.rxckpt`
 * and the same through a symlinked folder are then one source. A directory without a
 * best.rxckpt stays its checkpoint folder (which of its checkpoints is newest takes reading them); a
 * path that no longer exists (the source may be gone by a resume) is only made absolute.
 *
 * @example
 * ```ts
 * canonicalInitSource('runs/pre'); // '/home/me/project/runs/pre/checkpoints/best.rxckpt'
 * ```
 */
export function canonicalInitSource(given: string): string {
  let real: string;
  try {
    real = fs.realpathSync(given);
  } catch {
    return path.resolve(given);
  }
  if (!isDirectory(real)) return real;
  const dir = checkpointFolderOf(real);
  const best = path.join(dir, 'best.rxckpt');
  try {
    return fs.realpathSync(best);
  } catch {
    return dir;
  }
}
