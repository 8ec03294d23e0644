import { createRng } from '../ops/Rng';
import { deriveSeed } from './deriveSeed';

// Keeps the order's random stream apart from the per-sample augmentation streams.
const ORDER_SALT = 0x0dde5;

/**
 * The visiting order of `size` samples in `epoch`: a permutation of 0..size-1 that is a pure
 * function of (seed, epoch) (Fisher–Yates driven by {@link createRng}), or the identity when
 * `shuffle` is false. A resumed run recomputes exactly the order the interrupted run used.
 *
 * @example
 * ```ts
 * epochOrder(5, 42, 0); // e.g. Uint32Array [3, 0, 4, 1, 2], always the same for (42, 0)
 * ```
 */
export function epochOrder(size: number, seed: number, epoch: number, shuffle = true): Uint32Array {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`epochOrder: size must be a non-negative integer, got ${size}`);
  if (!Number.isInteger(epoch) || epoch < 0) throw new RangeError(`epochOrder: epoch must be a non-negative integer, got ${epoch}`);
  const order = new Uint32Array(size);
  for (let i = 0; i < size; i++) order[i] = i;
  if (!shuffle) return order;
  const rng = createRng(deriveSeed(seed, epoch, ORDER_SALT));
  for (let i = size - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}
