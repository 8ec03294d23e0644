import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { assertCategories, categoryFromDirName, type Category } from './Category';
import { isDirectoryAsync } from './fsPredicates';
import { isHiddenName } from './isHiddenName';

/**
 * A class folder and the {@link Category} it defines.
 *
 * @example
 * ```ts
 * const d: CategoryDir = { dir: '/data/001.ak47', dirName: '001.ak47', category: { id: 1, name: 'ak47', label: 0 } };
 * ```
 */
export interface CategoryDir {
  readonly dir: string;
  readonly dirName: string;
  readonly category: Category;
}

/**
 * Compares strings by UTF-16 code units: the same order on every machine, whatever the
 * locale (`localeCompare` is not), which keeps labels and file order reproducible.
 *
 * @example
 * ```ts
 * ['b', 'B', 'a'].sort(byCodeUnit); // ['B', 'a', 'b']
 * ```
 */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The class folders directly under `root` (hidden ones excluded), in sorted order, with their
 * categories. Rejects with a readable error if `root` is not a readable directory or two
 * folders claim the same id.
 *
 * @example
 * ```ts
 * const dirs = await listCategoryDirs('/data/caltech256');
 * dirs[0].dirName; // '001.ak47'
 * ```
 */
export async function listCategoryDirs(root: string): Promise<CategoryDir[]> {
  let entries;
  try {
    entries = await fsp.readdir(root, { withFileTypes: true });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new Error(`dataset folder ${root} does not exist`);
    if (err.code === 'ENOTDIR') throw new Error(`dataset folder ${root} is not a directory`);
    throw new Error(`cannot read dataset folder ${root}: ${err.message}`);
  }
  const names: string[] = [];
  for (const e of entries) {
    if (isHiddenName(e.name)) continue;
    const full = path.join(root, e.name);
    if (e.isDirectory() || (e.isSymbolicLink() && (await isDirectoryAsync(full)))) names.push(e.name);
  }
  names.sort(byCodeUnit);
  const dirs = names.map((dirName, i) => ({ dir: path.join(root, dirName), dirName, category: categoryFromDirName(dirName, i) }));
  assertCategories(
    dirs.map((d) => d.category),
    root,
  );
  return dirs;
}

/**
 * The categories of a folder-per-class dataset: one per (non-hidden) sub-folder of `root`, in
 * sorted order. Caltech256-style names give their own id (`001.ak47` → id 1, name `ak47`);
 * plain names get their 1-based position (`cats` → id = position). `label` is the 0-based
 * position.
 *
 * @example
 * ```ts
 * const cats = await listCategories('/data/caltech256');
 * console.log(cats.length, cats[0]); // 257 { id: 1, name: 'ak47', label: 0 }
 * ```
 */
export async function listCategories(root: string): Promise<Category[]> {
  return (await listCategoryDirs(root)).map((d) => d.category);
}
