/**
 * A class name as a folder spells it: NFC-normalised, lower-cased, runs of characters other
 * than letters (of any script, with their accents), digits and `-` replaced by `_` (what
 * `rxtrain import-idx` names class folders after).
 *
 * @example
 * ```ts
 * classSlug('T-shirt/top');  // 't-shirt_top'
 * classSlug('Crème brûlée'); // 'crème_brûlée'
 * classSlug('日本の寿司');      // '日本の寿司'
 * ```
 */
export function classSlug(name: string): string {
  // Letters of every script are kept: with only a-z, every Japanese or Cyrillic name became
  // 'class', so two different classes compared equal. NFC: a folder copied from macOS spells
  // 'é' as e + combining accent, the same name.
  return name.normalize('NFC').toLowerCase().replace(/[^\p{L}\p{M}\p{N}-]+/gu, '_').replace(/^_+|_+$/g, '') || 'class';
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
