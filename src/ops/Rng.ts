/**
 * Serialisable state of an {@link Rng}: four 32-bit words (xoshiro128**). Stored in
 * checkpoints so that a resumed run draws exactly the numbers the uninterrupted run would.
 *
 * @example
 * ```ts
 * const saved: RngState = createRng(7).state();
 * ```
 */
export type RngState = readonly [number, number, number, number];

/**
 * A seedable pseudo-random generator. Operators take one injected rather than calling
 * `Math.random`, so the same seed always gives the same pixels and marble tests are exact.
 *
 * @example
 * ```ts
 * const rng = createRng(42);
 * const coin = rng.next() < 0.5;
 * const x = rng.int(29); // 0..28
 * ```
 */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal sample (Box–Muller). */
  normal(): number;
  /** A copy of the current state; {@link restoreRng} continues from it. */
  state(): RngState;
  /** An independent generator derived from this one (advances this one by one draw). */
  fork(): Rng;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * Creates a generator from an integer seed.
 *
 * @example
 * ```ts
 * createRng(1).next() === createRng(1).next(); // true
 * ```
 */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`rng seed must be a finite number, got ${seed}`);
  const sm = splitmix32(Math.floor(seed));
  return restoreRng([sm(), sm(), sm(), sm()]);
}

/**
 * Checks that `rng` is a generator (an {@link Rng}, such as `createRng(seed)` gives) and throws
 * a `TypeError` naming `who` otherwise. The random operators call it when they are created, so a
 * forgotten generator, or `Math.random` passed in its place, fails at once with this message
 * instead of with `Cannot read properties of undefined (reading 'int')` at the first image. Call
 * it in your own random operators too.
 *
 * @throws TypeError unless `rng` has `next()`, `int()` and `normal()` methods.
 * @example
 * ```ts
 * function cutout(size: number, rng: Rng): MonoImageOperator<Image> {
 *   assertRng(rng, 'cutout'); // cutout(16) or cutout(16, Math.random) throws here
 *   return mapSameImage((img: Image) => cutoutImage(img, size, rng));
 * }
 * ```
 */
export function assertRng(rng: unknown, who: string): asserts rng is Rng {
  const r = rng as Partial<Record<keyof Rng, unknown>> | null | undefined;
  if (r !== null && typeof r === 'object' && typeof r.next === 'function' && typeof r.int === 'function' && typeof r.normal === 'function') return;
  const got = typeof rng === 'function'
    ? 'a function (pass a generator, not Math.random)'
    : rng === null || typeof rng !== 'object' ? String(rng) : 'an object without next(), int() and normal()';
  throw new TypeError(`${who}: rng must be a seeded generator such as createRng(seed), got ${got}`);
}

/**
 * Recreates a generator from a saved {@link RngState}.
 *
 * @example
 * ```ts
 * const a = createRng(3); a.next();
 * const b = restoreRng(a.state());
 * a.next() === b.next(); // true
 * ```
 */
export function restoreRng(init: RngState): Rng {
  if (init.length !== 4 || init.every((w) => (w >>> 0) === 0)) {
    throw new RangeError('rng state must be four 32-bit words, not all zero');
  }
  const s = new Uint32Array(init.map((w) => w >>> 0));
  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  };
  const rng: Rng = {
    next: () => nextU32() / 4294967296,
    int: (n: number) => {
      if (!Number.isInteger(n) || n <= 0) throw new RangeError(`rng.int needs a positive integer, got ${n}`);
      return Math.floor((nextU32() / 4294967296) * n);
    },
    normal: () => {
      // 1 - u keeps the log argument in (0, 1].
      const u = 1 - nextU32() / 4294967296;
      const v = nextU32() / 4294967296;
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    state: () => [s[0], s[1], s[2], s[3]],
    fork: () => createRng(nextU32()),
  };
  return rng;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
