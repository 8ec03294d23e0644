/**
 * A class of the dataset, as named by its folder.
 *
 * - `id` is the class's stable number: parsed from a Caltech256-style folder name
 *   (`001.ak47` → 1), or the folder's 1-based position in sorted order for plain names
 *   (`cats`). It is what manifests (`train.csv`, `val.csv`) and `categories.csv` store.
 * - `label` is the 0-based index in sorted order: what the model is trained on.
 *
 * @example
 * ```ts
 * const c: Category = { id: 1, name: 'ak47', label: 0 };
 * ```
 */
export interface Category {
  readonly id: number;
  readonly name: string;
  readonly label: number;
}

const CALTECH = /^(\d+)\.(.+)$/;

/**
 * Builds the {@link Category} of a class folder from its name and its 0-based position in the
 * sorted list of class folders.
 *
 * @example
 * ```ts
 * categoryFromDirName('001.ak47', 0); // { id: 1, name: 'ak47', label: 0 }
 * categoryFromDirName('cats', 2);     // { id: 3, name: 'cats', label: 2 }
 * ```
 */
export function categoryFromDirName(dirName: string, index: number): Category {
  const m = CALTECH.exec(dirName);
  if (m) return { id: Number.parseInt(m[1], 10), name: m[2], label: index };
  return { id: index + 1, name: dirName, label: index };
}

/**
 * Checks that category ids are unique and labels are 0..n-1 in order; throws a readable error
 * otherwise (e.g. `001.cat` next to a plain folder that sorts first and also gets id 1).
 *
 * @example
 * ```ts
 * assertCategories([{ id: 1, name: 'a', label: 0 }, { id: 2, name: 'b', label: 1 }], 'data/');
 * ```
 */
export function assertCategories(categories: readonly Category[], where: string): void {
  const seen = new Map<number, string>();
  categories.forEach((c, i) => {
    if (!Number.isInteger(c.id) || c.id < 0) throw new Error(`${where}: category "${c.name}" has invalid id ${c.id}`);
    if (c.label !== i) throw new Error(`${where}: category "${c.name}" has label ${c.label}, expected ${i}`);
    const other = seen.get(c.id);
    if (other !== undefined) {
      throw new Error(`${where}: categories "${other}" and "${c.name}" both have id ${c.id}; rename one folder`);
    }
    seen.set(c.id, c.name);
  });
}
