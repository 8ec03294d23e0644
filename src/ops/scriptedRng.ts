import type { Rng } from './Rng';

/**
 * The draws a {@link scriptedRng} hands out, in order. Both lists are optional; a kernel that
 * asks for a kind of draw whose list is used up (or was never given) throws.
 *
 * @example
 * ```ts
 * const draws: ScriptedDraws = { next: [0.75, 0, 0.5], normal: [-1.2] };
 * ```
 */
export interface ScriptedDraws {
  /**
   * What `next()` returns, each in [0, 1) as a real generator's draws are. `int(n)` takes its
   * draw from this list too and gives `floor(draw * n)`, as {@link createRng}'s does: to make
   * `rng.int(4)` give 3, script `0.75`.
   */
  readonly next?: readonly number[] | undefined;
  /** What `normal()` returns (any finite numbers). */
  readonly normal?: readonly number[] | undefined;
}

/**
 * A {@link Rng} that hands out scripted draws, and tells how many it has left.
 *
 * @example
 * ```ts
 * const rng: ScriptedRng = scriptedRng({ next: [0.5] });
 * rng.next(); // 0.5
 * rng.remaining(); // { next: 0, normal: 0 }
 * ```
 */
export interface ScriptedRng extends Rng {
  /** The draws not yet taken: `{ next: 0, normal: 0 }` when the kernel took every one it was given. */
  remaining(): { readonly next: number; readonly normal: number };
}

const ORDINAL = (n: number): string => {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
  return `${n}${suffix}`;
};

function checkDraws(list: readonly number[] | undefined, kind: 'next' | 'normal'): number[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new TypeError(`scriptedRng: ${kind} must be an array of numbers, got ${typeof list}`);
  list.forEach((v: unknown, i) => {
    const ok = typeof v === 'number' && (kind === 'next' ? v >= 0 && v < 1 : Number.isFinite(v));
    if (!ok) {
      const range = kind === 'next' ? 'numbers in [0, 1), as a real generator draws' : 'finite numbers';
      throw new RangeError(`scriptedRng: ${kind} draws must be ${range}, got ${String(v)} at ${kind}[${i}]`);
    }
  });
  return [...list];
}

/**
 * A stand-in generator for testing a random kernel's arithmetic: it returns the draws you
 * script instead of pseudo-random ones, so the expected pixels can be worked out by hand (a
 * brightness factor of exactly 1.2, a cutout at exactly x = 3) rather than by calling the
 * kernel under test with {@link createRng} a second time, which checks the plumbing but not
 * the maths. It passes {@link assertRng}, so operators built on it accept it.
 *
 * `int(n)` takes a `next` draw (`floor(draw * n)`); `fork()` returns a generator that takes
 * from the same script; `state()` throws, since there is no seed state to save. A draw past
 * the end of its list throws (`scriptedRng: a 4th next draw was asked for (by next() or
 * int()), but only 3 were scripted`), and `remaining()` tells whether the kernel took fewer than scripted,
 * so a test can pin how many draws a kernel makes (what keeps a seeded stream reproducible).
 *
 * @throws RangeError for a `next` draw outside [0, 1) or a `normal` draw that is not finite.
 * @example
 * ```ts
 * const rng = scriptedRng({ next: [0.75, 0, 0.5] });
 * const out = colorJitterImage(testImage(1, 1, 1, [100]), rng, { brightness: 0.4 }); // factor 0.6 + 0.8 * 0.75 = 1.2
 * // out.data: [120]; rng.remaining(): { next: 0, normal: 0 } (colorJitterImage draws three)
 * ```
 */
export function scriptedRng(draws: ScriptedDraws): ScriptedRng {
  const nexts = checkDraws(draws.next, 'next');
  const normals = checkDraws(draws.normal, 'normal');
  const scripted = { next: nexts.length, normal: normals.length };
  const taken = { next: 0, normal: 0 };
  const take = (kind: 'next' | 'normal', queue: number[]): number => {
    const v = queue.shift();
    taken[kind]++;
    if (v === undefined) {
      const by = kind === 'next' ? ' (by next() or int())' : '';
      throw new Error(`scriptedRng: a ${ORDINAL(taken[kind])} ${kind} draw was asked for${by}, but only ${scripted[kind]} ${scripted[kind] === 1 ? 'was' : 'were'} scripted`);
    }
    return v;
  };
  const rng: ScriptedRng = {
    next: () => take('next', nexts),
    int: (n: number) => {
      if (!Number.isInteger(n) || n <= 0) throw new RangeError(`rng.int needs a positive integer, got ${n}`);
      return Math.floor(take('next', nexts) * n);
    },
    normal: () => take('normal', normals),
    state: () => {
      throw new Error('scriptedRng: state() has nothing to save (a scripted generator has no seed state); use createRng(seed) where a state is saved');
    },
    fork: () => rng,
    remaining: () => ({ next: nexts.length, normal: normals.length }),
  };
  return rng;
}
