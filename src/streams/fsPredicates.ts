import * as fs from 'node:fs';

/*
 * What a path is, asked without throwing: anything that keeps it from being checked (it does
 * not exist, a dangling symlink, a folder on the way that cannot be searched) answers false, and
 * the caller's own read then says what is wrong. Symlinks are followed. One set for the CLI, the
 * model setup and the readers, which each had a copy.
 */

/**
 * Whether `p` is a directory (or a symlink to one).
 *
 * @example
 * ```ts
 * isDirectory('runs/pre'); // true
 * isDirectory('runs/pre/checkpoints/best.rxckpt'); // false
 * ```
 */
export function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Whether `p` is a regular file (or a symlink to one).
 *
 * @example
 * ```ts
 * isFile('data/train.rec'); // true
 * isFile('data'); // false
 * ```
 */
export function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Whether `p` exists, of any kind (a dangling symlink does not).
 *
 * @example
 * ```ts
 * pathExists('data/prep/train.csv'); // true
 * ```
 */
export function pathExists(p: string): boolean {
  try {
    fs.accessSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether this process may read `p`.
 *
 * @example
 * ```ts
 * isReadable('data/train.rec'); // false for a file of mode 000 (when not root)
 * ```
 */
export function isReadable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * {@link pathExists}, without blocking the event loop.
 *
 * @example
 * ```ts
 * await pathExistsAsync('data/train.rec'); // true
 * ```
 */
export async function pathExistsAsync(p: string): Promise<boolean> {
  return fs.promises.stat(p).then(
    () => true,
    () => false,
  );
}

/**
 * {@link isDirectory}, without blocking the event loop (a folder listing asks it of each symlink).
 *
 * @example
 * ```ts
 * await isDirectoryAsync('data/train/001.cat'); // true
 * ```
 */
export async function isDirectoryAsync(p: string): Promise<boolean> {
  return fs.promises.stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/**
 * {@link isFile}, without blocking the event loop.
 *
 * @example
 * ```ts
 * await isFileAsync('data/prep/train.rec'); // true
 * ```
 */
export async function isFileAsync(p: string): Promise<boolean> {
  return fs.promises.stat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}
