function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Hashes a tuple of integers (e.g. seed, epoch, sample index) into one 32-bit seed for
 * {@link createRng}. Pure: the same tuple gives the same seed on every machine, which is
 * what makes epoch order and per-sample augmentation reproducible on resume. Neighbouring
 * tuples give unrelated seeds (murmur3 finaliser per part).
 *
 * @example
 * ```ts
 * const rng = createRng(deriveSeed(seed, epoch, sampleIndex));
 * ```
 */
export function deriveSeed(...parts: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    if (!Number.isFinite(p)) throw new RangeError(`deriveSeed: parts must be finite numbers, got ${p}`);
    const v = Math.floor(p);
    const lo = v >>> 0;
    const hi = Math.floor(v / 4294967296) >>> 0;
    h = fmix32((h ^ lo) + 0x6a09e667);
    h = fmix32((h ^ hi) + 0xbb67ae85);
  }
  return h;
}
