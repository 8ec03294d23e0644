import { createRng } from '../ops/Rng';
import { deriveSeed } from './deriveSeed';

// Keeps the split's draws apart from any other use of the same user seed.
const SPLIT_SALT = 0x5b17;

/**
 * Splits labelled items into train and val, stratified: every class gives
 * `round(n × valRatio)` of its `n` items to val (at least one when `valRatio > 0` and the class
 * has two or more items, and never all of them). Which items go to val is a pure function of
 * (`seed`, label, the class's items in input order), so reruns give identical splits and
 * adding a class does not reshuffle the others. Both outputs keep input order.
 *
 * @example
 * ```ts
 * const { train, val } = preprocessSplit(items, 0.2, 0); // items: { label: number }[]
 * ```
 */
export function preprocessSplit<T extends { readonly label: number }>(
  items: readonly T[],
  valRatio: number,
  seed: number,
): { train: T[]; val: T[] } {
  if (!(valRatio >= 0 && valRatio < 1)) throw new RangeError(`val ratio must be in [0, 1), got ${valRatio}`);
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  const byLabel = new Map<number, number[]>();
  items.forEach((item, i) => {
    const list = byLabel.get(item.label);
    if (list) list.push(i);
    else byLabel.set(item.label, [i]);
  });
  const isVal = new Uint8Array(items.length);
  for (const [label, idx] of byLabel) {
    const n = idx.length;
    let nVal = Math.round(n * valRatio);
    if (valRatio > 0 && n >= 2) nVal = Math.min(Math.max(nVal, 1), n - 1);
    else nVal = Math.min(nVal, n - 1);
    if (nVal <= 0) continue;
    const rng = createRng(deriveSeed(SPLIT_SALT, seed, label));
    const order = idx.slice();
    // Partial Fisher-Yates: the first nVal positions become a uniform random subset.
    for (let k = 0; k < nVal; k++) {
      const j = k + rng.int(n - k);
      [order[k], order[j]] = [order[j], order[k]];
      isVal[order[k]] = 1;
    }
  }
  const train: T[] = [];
  const val: T[] = [];
  items.forEach((item, i) => (isVal[i] ? val : train).push(item));
  return { train, val };
}
