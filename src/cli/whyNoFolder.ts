import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Why folder `dir` could not be created, as the end of a one-line message. Node's recursive
 * mkdir fails with ENOENT, "no such file or directory", for the very folder it was asked to
 * create when the real cause is a read-only file system or a missing write permission higher
 * up: the nearest existing folder says what is really wrong. Otherwise `e`'s own message.
 *
 * @example
 * ```ts
 * try { fs.mkdirSync(dir, { recursive: true }); } catch (e) { console.error(`${dir}: ${whyNoFolder(dir, e as Error)}`); }
 * // /mnt/cdrom/runs: cannot create it: /mnt/cdrom is on a read-only file system
 * ```
 */
export function whyNoFolder(dir: string, e: Error): string {
  let ancestor = path.dirname(path.resolve(dir));
  while (!fs.existsSync(ancestor) && path.dirname(ancestor) !== ancestor) ancestor = path.dirname(ancestor);
  try {
    fs.accessSync(ancestor, fs.constants.W_OK | fs.constants.X_OK);
  } catch (a) {
    const code = (a as NodeJS.ErrnoException).code;
    if (code === 'EROFS') return `cannot create it: ${ancestor} is on a read-only file system`;
    if (code === 'EACCES' || code === 'EPERM') return `cannot create it: no permission to write in ${ancestor}`;
  }
  return e.message;
}
