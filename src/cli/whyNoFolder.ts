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
  const problem = folderWriteProblem(ancestor);
  return problem === undefined ? e.message : `cannot create it: ${problem}`;
}

/**
 * Why this process may not create files in the existing folder `dir`, or `undefined` when it
 * may (or when the check itself fails otherwise: the write then reports its own error):
 * `no permission to write in DIR` or `DIR is on a read-only file system`, the folder shown by
 * `show`.
 *
 * @example
 * ```ts
 * folderWriteProblem('/mnt/cdrom'); // '/mnt/cdrom is on a read-only file system'
 * ```
 */
export function folderWriteProblem(dir: string, show: (p: string) => string = (p) => p): string | undefined {
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
    return undefined;
  } catch (a) {
    const code = (a as NodeJS.ErrnoException).code;
    if (code === 'EROFS') return `${show(dir)} is on a read-only file system`;
    if (code === 'EACCES' || code === 'EPERM') return `no permission to write in ${show(dir)}`;
    return undefined;
  }
}
