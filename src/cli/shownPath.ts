import * as path from 'node:path';

/**
 * A path as a command shows it: an absolute path inside the working directory relative to it
 * (shorter, still openable from here); anything else as it is.
 *
 * @example
 * ```ts
 * shownPath(path.join(process.cwd(), 'data', 'x.png')); // 'data/x.png'
 * shownPath('/elsewhere/x.png');                        // '/elsewhere/x.png'
 * shownPath(process.cwd());                              // '.'
 * ```
 */
export function shownPath(p: string): string {
  if (!path.isAbsolute(p)) return p;
  const rel = path.relative(process.cwd(), p);
  // The working directory itself is '.', not an empty name; '..x' is a name inside it, not a way out.
  if (rel === '') return '.';
  return rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel) ? p : rel;
}
