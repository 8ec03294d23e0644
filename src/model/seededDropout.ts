import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../ops/Rng';
import { tensorCopiesInput, tensorFrom } from './hostArrays';

/**
 * The seed of the generator that draws sample `sample`'s dropout mask in layer `layer` at
 * step seed `seed`: the three mixed into one 32-bit value (murmur3 finaliser). The mask
 * element j of that sample is 0 exactly when the generator's j-th `next()` is below the rate.
 *
 * @example
 * ```ts
 * const rng = createRng(dropoutSeed(17, 0, 3)); // sample 3's generator in layer 0, step seed 17
 * const firstDropped = rng.next() < 0.5;
 * ```
 */
export function dropoutSeed(seed: number, layer: number, sample: number): number {
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
 * `out`, when given, receives the mask (its length must be the shape's size) and is returned:
 * a reused buffer saves a fresh multi-megabyte array per conv layer and step.
 *
 * @example
 * ```ts
 * const m = dropoutMask([4, 10], 0.5, 17, 0, 0); // 40 values, each 0 or 2
 * dropoutMask([4, 10], 0.5, 17, 0, 0, scratch.subarray(0, 40)); // the same values, in place
 * ```
 */
export function dropoutMask(shape: readonly number[], rate: number, seed: number, layer: number, sampleOffset: number, out?: Float32Array): Float32Array {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`dropout rate must be in [0, 1), got ${rate}`);
  const batch = shape[0];
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  if (out !== undefined && out.length !== batch * per) throw new RangeError(`dropoutMask: out has ${out.length} elements, the shape ${batch * per}`);
  const mask = out ?? new Float32Array(batch * per);
  const keep = 1 / (1 - rate);
  // rng.next() < rate, in integers: next() is u / 2^32 for a u32 u, so it is u < ceil(rate·2^32),
  // compared as int32 with the sign bit flipped (the same order as unsigned), so that the loop
  // stays in int32 arithmetic.
  const limit = Math.ceil(rate * 4294967296);
  // A rate within 2^-32 of 1 drops everything (every next() is below it); the mask is zeros.
  if (limit > 0xffffffff) return mask.fill(0);
  const bound = (limit ^ 0x80000000) | 0;
  for (let b = 0; b < batch; b++) {
    // createRng's xoshiro128** stream, stepped here on local variables: the same numbers as
    // calling rng.next() per element (tested), without a call and four typed-array loads and
    // stores each. A conv layer's mask has millions of elements per step, and it is built on
    // the training thread while no kernel runs: through rng.next() it took ≈ 15–30 ns per
    // element, ≈ 35–70 ms per step of the small model at 32² and batch 64.
    const [a0, a1, a2, a3] = createRng(dropoutSeed(seed, layer, sampleOffset + b)).state();
    let s0 = a0 | 0;
    let s1 = a1 | 0;
    let s2 = a2 | 0;
    let s3 = a3 | 0;
    const end = (b + 1) * per;
    for (let j = b * per; j < end; j++) {
      const r1 = Math.imul(s1, 5);
      const u = Math.imul((r1 << 7) | (r1 >>> 25), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      mask[j] = ((u ^ 0x80000000) | 0) < bound ? 0 : keep;
    }
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
  // Where tensors copy their input (wasm), the mask is built in one reused buffer. A fresh
  // array per layer and step (4 MB a step for the small model at 32², batch 32) was garbage
  // for V8's helper threads to collect: with two replicas they used 46–59 ms of CPU per step
  // before, 29–33 after (bench/RESULTS.md).
  if (!tensorCopiesInput()) return tf.tidy(() => tf.mul(x, tf.tensor(dropoutMask(x.shape, rate, seed, layer, sampleOffset), x.shape, 'float32')));
  if (maskScratch.length < x.size) maskScratch = new Float32Array(x.size);
  const mask = dropoutMask(x.shape, rate, seed, layer, sampleOffset, maskScratch.subarray(0, x.size));
  return tf.tidy(() => tf.mul(x, tensorFrom(mask, x.shape)));
}

let maskScratch = new Float32Array(0);
