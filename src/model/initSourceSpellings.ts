import * as fs from 'node:fs';
import * as path from 'node:path';
import { canonicalInitSource } from './canonicalInitSource';

/**
 * Every spelling {@link canonicalInitSource} could have given an `--init-from` when its run
 * started, whatever its source looks like now: the path itself and, for a run directory or a
 * checkpoint folder, its checkpoints folder and the best.rxckpt in it, each as given (made
 * absolute) and with the symlinks of the part that still exists resolved. A source run that went
 * on since (a best.rxckpt where there was none), or that is gone, still names what it named then;
 * a resume compares the spelling recorded at the start with these (`runIdentity`), not with
 * what the path resolves to now. Another file or folder is not among them.
 *
 * @example
 * ```ts
 * initSourceSpellings('runs/pre'); // ['/home/me/project/runs/pre/checkpoints/best.rxckpt', '/home/me/project/runs/pre', …]
 * ```
 */
export function initSourceSpellings(given: string): readonly string[] {
  const out = new Set([canonicalInitSource(given)]);
  for (const base of new Set([path.resolve(given), realOfExisting(given)])) {
    for (const p of [base, path.join(base, 'best.rxckpt'), path.join(base, 'checkpoints'), path.join(base, 'checkpoints', 'best.rxckpt')]) {
      out.add(p);
      out.add(realOfExisting(p));
    }
  }
  return [...out];
}

/** The path absolute, with the symlinks of its deepest part that exists resolved. */
function realOfExisting(p: string): string {
  const rest: string[] = [];
  let head = path.resolve(p);
  for (;;) {
    try {
      return path.join(fs.realpathSync(head), ...rest);
    } catch {
      const parent = path.dirname(head);
      if (parent === head) return path.resolve(p);
      rest.unshift(path.basename(head));
      head = parent;
    }
  }
}
