import { classSlug } from './sameClasses';

/**
 * How one list of class names differs from another, compared as {@link sameClasses} compares
 * them (as folders spell the names): the classes `expected` has and `got` lacks, those `got`
 * has beyond them, or, when both hold the same classes, the first label where their order
 * differs. Only the difference: of two lists of 257 Caltech classes that differ in two, the
 * two, not 514 names to compare by eye.
 *
 * @example
 * ```ts
 * classesDifference(['cat', 'bird'], ['cat', 'dog']);      // 'missing: dog; extra: bird'
 * classesDifference(['dog', 'cat'], ['cat', 'dog']);       // 'the same classes in another order: label 0 is dog, in the training data cat'
 * ```
 */
export function classesDifference(got: readonly string[], expected: readonly string[]): string {
  const slugs = (list: readonly string[]): Set<string> => new Set(list.map(classSlug));
  const gotSlugs = slugs(got);
  const expectedSlugs = slugs(expected);
  const missing = expected.filter((c) => !gotSlugs.has(classSlug(c)));
  const extra = got.filter((c) => !expectedSlugs.has(classSlug(c)));
  if (missing.length > 0 || extra.length > 0) return `missing: ${missing.join(', ') || 'none'}; extra: ${extra.join(', ') || 'none'}`;
  const at = expected.findIndex((c, i) => i >= got.length || classSlug(c) !== classSlug(got[i]));
  if (at < 0) return got.length === expected.length ? 'none' : `${got.length} classes, the training data ${expected.length}`;
  return `the same classes in another order: label ${at} is ${got[at]}, in the training data ${expected[at]}`;
}
