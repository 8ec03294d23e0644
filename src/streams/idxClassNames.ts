import { classSlug } from './sameClasses';
/**
 * Fashion-MNIST class names by label, as the dataset's documentation lists them
 * (zalandoresearch/fashion-mnist README, "Labels").
 *
 * @example
 * ```ts
 * FASHION_MNIST_CLASSES[9]; // 'Ankle boot'
 * ```
 */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

/**
 * MNIST class names by label: the digits.
 *
 * @example
 * ```ts
 * MNIST_CLASSES[7]; // '7'
 * ```
 */
export const MNIST_CLASSES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/**
 * Resolves a `--names` value: `fashion-mnist`, `mnist`, or a comma-separated list of names
 * (label 0 first).
 *
 * @example
 * ```ts
 * idxClassNames('cat, dog'); // ['cat', 'dog']
 * ```
 */
export function idxClassNames(spec: string): string[] {
  if (spec === 'fashion-mnist') return [...FASHION_MNIST_CLASSES];
  if (spec === 'mnist') return [...MNIST_CLASSES];
  const names = spec.split(',').map((s) => s.trim());
  if (names.length < 2 || names.some((n) => n === '')) {
    throw new Error(`class names: expected 'fashion-mnist', 'mnist' or a comma-separated list of at least 2 non-empty names, got '${spec}'`);
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new Error(`class names: '${dup}' appears twice in '${spec}'`);
  return names;
}

/**
 * The Caltech256-style folder name of a class, which `folderSource` parses back into the same
 * id and name: 1-based id, zero-padded to at least 3 digits, a dot, the name lower-cased with
 * runs of characters other than letters, digits and `-` replaced by `_`.
 *
 * @example
 * ```ts
 * classDirName(0, 'T-shirt/top');  // '001.t-shirt_top'
 * classDirName(9, 'Ankle boot');   // '010.ankle_boot'
 * ```
 */
export function classDirName(label: number, name: string, numClasses = 10): string {
  const width = Math.max(3, String(numClasses).length);
  return `${String(label + 1).padStart(width, '0')}.${classSlug(name)}`;
}
