/**
 * A class name as a folder spells it: lower-cased, runs of characters other than letters,
 * digits and `-` replaced by `_` (what `rxtrain import-idx` names class folders after).
 *
 * @example
 * ```ts
 * classSlug('T-shirt/top'); // 't-shirt_top'
 * ```
 */
export function classSlug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9-]+/g, '_').replace(/^_+|_+$/g, '') || 'class';
}

/**
 * Whether two lists name the same classes in the same order, as far as a folder name can tell:
 * a record file keeps a dataset's own names (`T-shirt/top`) where the PNG tree written from the
 * same IDX files has folders (`001.t-shirt_top`), and the two must be interchangeable.
 *
 * @example
 * ```ts
 * sameClasses(['T-shirt/top', 'Ankle boot'], ['t-shirt_top', 'ankle_boot']); // true
 * sameClasses(['cat', 'dog'], ['dog', 'cat']);                                // false: the order is the label
 * ```
 */
export function sameClasses(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((n, i) => classSlug(n) === classSlug(b[i]));
}
