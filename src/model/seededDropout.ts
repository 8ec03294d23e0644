import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../ops/Rng';

/** Mixes step seed, layer and sample index into one 32-bit seed (murmur3 finaliser). */
function mix(seed: number, layer: number, sample: number): number {
  let h = (Math.floor(seed) ^ Math.imul(layer + 1, 0x9e3779b1) ^ Math.imul(sample + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The inverted-dropout mask of a batch as plain numbers: each element is 0 with probability
 * `rate`, else 1 / (1 − rate) (PyTorch's scaling). Sample `i` of the batch draws from its own
 * generator seeded by (seed, layer, sampleOffset + i), so a batch split across data-parallel
 * replicas gets exactly the masks the whole batch would get in one replica.
 *
 * @example
 * ```ts
 * const m = dropoutMask([4, 10], 0.5, 17, 0, 0); // 40 values, each 0 or 2
 * ```
 */
export function dropoutMask(shape: readonly number[], rate: number, seed: number, layer: number, sampleOffset: number): Float32Array {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`dropout rate must be in [0, 1), got ${rate}`);
  const batch = shape[0];
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  const mask = new Float32Array(batch * per);
  const keep = 1 / (1 - rate);
  for (let b = 0; b < batch; b++) {
    const rng = createRng(mix(seed, layer, sampleOffset + b));
    const base = b * per;
    for (let j = 0; j < per; j++) mask[base + j] = rng.next() < rate ? 0 : keep;
  }
  return mask;
}

/**
 * Training-mode dropout whose mask is a pure function of (seed, layer, sample index), so
 * the same weights, batch and seed give the same update: the basis of exact resume.
 * Gradients flow through the multiplication by the (constant) mask.
 *
 * @example
 * ```ts
 * const y = seededDropout(x, 0.5, stepSeed, 3); // layer 3 of the network
 * ```
 */
export function seededDropout<T extends tf.Tensor>(x: T, rate: number, seed: number, layer: number, sampleOffset = 0): T {
  if (rate === 0) return x;
  return tf.tidy(() => tf.mul(x, tf.tensor(dropoutMask(x.shape, rate, seed, layer, sampleOffset), x.shape, 'float32')));
}
