import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The paths a command is about to create, recorded before it does, so that a start that fails
 * can remove exactly what it made and nothing that was there before. See {@link newPaths}.
 *
 * @example
 * ```ts
 * const made: NewPaths = newPaths(['runs/a/train.log']);
 * made.paths; // ['/abs/runs/a/train.log'] when it did not exist yet
 * ```
 */
export interface NewPaths {
  /**
   * What did not exist when recorded: each path, or its outermost missing folder (absolute);
   * and what has appeared since in the `entriesOf` folders that existed.
   */
  readonly paths: readonly string[];
  /**
   * Removes each of {@link NewPaths.paths} with what is under it, except those in `keep`
   * (absolute: one another process has since taken); one that cannot go is left.
   */
  remove(keep?: readonly string[]): void;
}

/** The outermost folder of `p` (or `p` itself) that does not exist, or undefined when `p` does. */
function outermostMissing(p: string): string | undefined {
  let missing: string | undefined;
  let cur = path.resolve(p);
  while (!fs.existsSync(cur)) {
    missing = cur;
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  return missing;
}

/**
 * Records which of `paths` do not exist yet (for a path in a missing folder: the outermost such
 * folder, which creating the path creates too), and the entries of the `entriesOf` folders,
 * whose later entries count as new. What existed is never recorded, so
 * `remove()` cannot touch it; call it only while nothing else can have written there (a
 * training holding its run directory's lock).
 *
 * @example
 * ```ts
 * const made = newPaths([path.join(runDir, 'train.log'), path.join(runDir, 'checkpoints')]);
 * try { await start(); } catch (e) { made.remove(); throw e; }
 * ```
 */
export function newPaths(paths: readonly string[], opts: { readonly entriesOf?: readonly string[] } = {}): NewPaths {
  const recorded = new Set(paths.map(outermostMissing).filter((p): p is string => p !== undefined));
  // A folder that exists already (a resumed run's tensorboard/) gets new files of unknown
  // names: they are what appears in it from now on.
  const before = new Map<string, Set<string>>();
  for (const dir of opts.entriesOf ?? []) {
    try {
      before.set(path.resolve(dir), new Set(fs.readdirSync(dir)));
    } catch {
      // missing (then recorded whole, if among `paths`) or unreadable (nothing of ours can be there)
    }
  }
  const current = (): string[] => {
    const added = [...before].flatMap(([dir, had]) => {
      try {
        return fs.readdirSync(dir).filter((n) => !had.has(n)).map((n) => path.join(dir, n));
      } catch {
        return [];
      }
    });
    return [...recorded, ...added];
  };
  return {
    get paths() {
      return current();
    },
    remove: (keep = []) => {
      for (const p of current()) {
        if (keep.includes(p)) continue;
        try {
          fs.rmSync(p, { recursive: true, force: true });
        } catch {
          // left for the user: the start's own error is the one to report
        }
      }
    },
  };
}
