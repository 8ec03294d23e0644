// A stand-in Rng that returns scripted draws, for hand-computed expectations of random kernels.
import type { Rng } from '../../src/ops/Rng';

export function scriptedRng(draws: { next?: number[]; normal?: number[] }): Rng {
  const nexts = [...(draws.next ?? [])];
  const normals = [...(draws.normal ?? [])];
  const take = (q: number[], what: string): number => {
    const v = q.shift();
    if (v === undefined) throw new Error(`scriptedRng: no ${what} draw left`);
    return v;
  };
  return {
    next: () => take(nexts, 'next'),
    int: (n) => Math.floor(take(nexts, 'next') * n),
    normal: () => take(normals, 'normal'),
    state: () => [1, 2, 3, 4],
    fork: () => scriptedRng({}),
  };
}
