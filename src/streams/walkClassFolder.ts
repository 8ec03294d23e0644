import { promises as fsp, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { ioErrorReason } from './ioErrorReason';
import { isHiddenName } from './isHiddenName';
import { byCodeUnit, type CategoryDir } from './listCategories';
import type { SkipReason } from './Skip';

/**
 * One entry under a class folder, as found by {@link walkClassFolder}. `path` is relative to
 * the class folder and `/`-separated (`sub/a.jpg`); `type` is what the entry is once symlinks
 * are followed, or `'skip'` for a symlink (or folder) that was deliberately not followed.
 *
 * @example
 * ```ts
 * const e: ClassFolderEntry = { path: 'loop', name: 'loop', type: 'skip', reason: 'symlink-loop', message: 'a cycle' };
 * ```
 */
export type ClassFolderEntry =
  | {
      readonly path: string;
      readonly name: string;
      readonly type: 'file' | 'directory' | 'other';
      /** A file's real path (links resolved): two entries with one real path are one file; hard links have two, which folderSource tells apart by device and inode. */
      readonly real?: string;
      /** The entry itself is a symlink (to a file). */
      readonly link?: boolean;
    }
  | { readonly path: string; readonly name: string; readonly type: 'skip'; readonly reason: SkipReason; readonly message: string };

/**
 * State shared by the walks of one dataset's class folders, so that no directory is listed
 * twice, even when reached from two classes. Create it with {@link startDatasetWalk}.
 *
 * @example
 * ```ts
 * const walk: DatasetWalk = { classDirs: [['/data/cats', 'cat']], listed: new Map() };
 * ```
 */
export interface DatasetWalk {
  /** Real path and folder name of every class folder. */
  readonly classDirs: ReadonlyArray<readonly [real: string, name: string]>;
  /** Real path of every directory listed so far → folder name of the class that listed it. */
  readonly listed: Map<string, string>;
}

/**
 * Resolves the real paths of a dataset's class folders (top-level symlinks included) into a
 * fresh {@link DatasetWalk}. A folder that cannot be resolved is left out here; its own walk
 * then fails and is reported by the caller.
 *
 * @example
 * ```ts
 * const walk = await startDatasetWalk(await listCategoryDirs('/data/train'));
 * ```
 */
export async function startDatasetWalk(dirs: readonly CategoryDir[]): Promise<DatasetWalk> {
  const classDirs: Array<[string, string]> = [];
  for (const d of dirs) {
    const real = await fsp.realpath(d.dir).catch(() => undefined);
    if (real !== undefined) classDirs.push([real, d.dirName]);
  }
  return { classDirs, listed: new Map() };
}

/** True if `inner` is `outer` or lies below it (both real paths). */
function within(outer: string, inner: string): boolean {
  return inner === outer || inner.startsWith(outer.endsWith(path.sep) ? outer : outer + path.sep);
}

function linkError(err: unknown): { reason: SkipReason; message: string } {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return { reason: 'dangling-link', message: 'symbolic link whose target does not exist' };
  if (e.code === 'ELOOP') return { reason: 'symlink-loop', message: 'symbolic link that points to itself (or a chain of links that loops)' };
  return { reason: 'unreadable', message: ioErrorReason(e) };
}

interface PendingLink {
  readonly path: string;
  readonly name: string;
  readonly full: string;
  readonly parentReal: string;
}

/**
 * Lists everything below the class folder `dir` (named `className` at the dataset's top level),
 * following symlinks, for `folderSource`. Hidden folders (`.git`, `__MACOSX`) are listed
 * but not entered. Symlinked files are taken as they are: linking one image into a class is a
 * deliberate labelling. A directory symlink is entered only if that cannot list an image twice
 * or under the wrong class; otherwise it becomes a `'skip'` entry:
 * - `symlink-loop`: it leads to a folder that contains it (a cycle such as `loop -> ..`), to a
 *   folder this class already lists, or it points to itself (ELOOP);
 * - `cross-class-link`: it leads into another class folder of the dataset, or to a folder
 *   another class already listed (its images would get that class's label as well).
 *
 * Identity is the directory's real path, never depth, and every real directory is entered at
 * most once per {@link DatasetWalk}, so the walk is bounded by the real tree's size whatever
 * the links. Real folders are entered before linked ones, so a link never hides the real copy.
 * Rejects only if `dir` itself cannot be read. Order is unspecified: callers sort by `path`.
 *
 * @example
 * ```ts
 * const walk = await startDatasetWalk(dirs);
 * for (const d of dirs) console.log(await walkClassFolder(d.dir, d.dirName, walk));
 * ```
 */
export async function walkClassFolder(dir: string, className: string, walk: DatasetWalk): Promise<ClassFolderEntry[]> {
  const rootReal = await fsp.realpath(dir);
  const out: ClassFolderEntry[] = [];
  const owner = walk.listed.get(rootReal);
  if (owner !== undefined) {
    // Two top-level class folders are the same folder: the first one keeps the images.
    out.push({ path: '', name: className, type: 'skip', reason: 'cross-class-link', message: `same folder as class folder "${owner}" (${rootReal}); listed there only` });
    return out;
  }
  walk.listed.set(rootReal, className);

  // The class whose folder is the nearest real ancestor of `real`; ties go to this class.
  const classOf = (real: string): string | undefined => {
    let best: readonly [string, string] | undefined;
    for (const c of walk.classDirs) {
      if (!within(c[0], real)) continue;
      if (best === undefined || c[0].length > best[0].length || (c[0].length === best[0].length && c[1] === className)) best = c;
    }
    return best?.[1];
  };
  const refusal = (real: string, parentReal: string, viaLink: boolean): { reason: SkipReason; message: string } | undefined => {
    if (viaLink && within(real, parentReal)) {
      return { reason: 'symlink-loop', message: `directory symlink leads back to ${real}, a folder that contains it (a cycle); not followed` };
    }
    const cls = classOf(real);
    if (cls !== undefined && cls !== className) {
      return { reason: 'cross-class-link', message: `leads into class folder "${cls}" (${real}): its images would be labelled "${className}"; not followed` };
    }
    const by = walk.listed.get(real);
    if (by === className) return { reason: 'symlink-loop', message: `leads to ${real}, which this class folder already lists; not listed twice` };
    if (by !== undefined) {
      return { reason: 'cross-class-link', message: `leads to ${real}, already listed under class folder "${by}": its images would get two labels; not followed` };
    }
    if (viaLink && within(rootReal, real) && path.relative(rootReal, real).split(path.sep).some(isHiddenName)) {
      return { reason: 'hidden', message: `leads to a hidden folder inside this class folder (${real}); not followed` };
    }
    return undefined;
  };

  const links: PendingLink[] = [];
  const readDir = async (rel: string, real: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await fsp.readdir(real, { withFileTypes: true });
    } catch (e) {
      if (rel === '') throw e;
      out.push({ path: rel, name: path.basename(rel), type: 'skip', reason: 'unreadable', message: `cannot list folder: ${ioErrorReason(e)}` });
      return;
    }
    entries.sort((a, b) => byCodeUnit(a.name, b.name));
    for (const e of entries) {
      const p = rel === '' ? e.name : `${rel}/${e.name}`;
      const full = path.join(real, e.name);
      if (e.isSymbolicLink()) {
        let st;
        try {
          st = await fsp.stat(full);
        } catch (err) {
          out.push({ path: p, name: e.name, type: 'skip', ...linkError(err) });
          continue;
        }
        if (st.isFile()) {
          // Resolved only for links: a plain file's real path is its folder's plus its name.
          const real = await fsp.realpath(full).catch(() => full);
          out.push({ path: p, name: e.name, type: 'file', real, link: true });
        } else if (!st.isDirectory()) out.push({ path: p, name: e.name, type: 'other' });
        else if (isHiddenName(e.name)) out.push({ path: p, name: e.name, type: 'directory' }); // reported as hidden, never entered
        else links.push({ path: p, name: e.name, full, parentReal: real }); // decided once all real folders are listed
      } else if (e.isDirectory()) {
        const no = isHiddenName(e.name) ? undefined : refusal(full, real, false);
        if (no) {
          out.push({ path: p, name: e.name, type: 'skip', ...no });
          continue;
        }
        out.push({ path: p, name: e.name, type: 'directory' });
        if (isHiddenName(e.name)) continue; // never data: reported once, as the folder
        walk.listed.set(full, className);
        await readDir(p, full);
      } else if (e.isFile()) out.push({ path: p, name: e.name, type: 'file', real: full });
      else out.push({ path: p, name: e.name, type: 'other' });
    }
  };

  await readDir('', rootReal);
  while (links.length > 0) {
    const round = links.splice(0).sort((a, b) => byCodeUnit(a.path, b.path));
    for (const l of round) {
      let real: string;
      try {
        real = await fsp.realpath(l.full);
      } catch (err) {
        out.push({ path: l.path, name: l.name, type: 'skip', ...linkError(err) });
        continue;
      }
      const no = refusal(real, l.parentReal, true);
      if (no) {
        out.push({ path: l.path, name: l.name, type: 'skip', ...no });
        continue;
      }
      out.push({ path: l.path, name: l.name, type: 'directory' });
      walk.listed.set(real, className);
      await readDir(l.path, real);
    }
  }
  return out;
}
