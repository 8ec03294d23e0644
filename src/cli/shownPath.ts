import * as path from 'node:path';

/**
 * A path as a command shows it: an absolute path inside the working directory relative to it
 * (shorter, still openable from here); anything else as it is.
 *
 * @example
 * ```ts
 * shownPath(path.join(process.cwd(), 'data', 'x.png')); // 'data/x.png'
 * shownPath('/elsewhere/x.png');                        // '/elsewhere/x.png'
 * ```
 */
export function shownPath(p: string): string {
  if (!path.isAbsolute(p)) return p;
  const rel = path.relative(process.cwd(), p);
  return rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}
