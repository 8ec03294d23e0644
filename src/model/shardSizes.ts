/**
 * Splits a batch of `batch` images into one shard per replica, sized in proportion to each
 * replica's measured speed (images per millisecond), at least 2 images each (BatchNorm needs
 * two). Rounding goes to the largest remainders, ties to the lower index, so equal speeds
 * give the even split (the first `batch % n` shards one larger). A speed that is missing,
 * zero or not finite makes the whole split even: there is nothing to go by yet.
 *
 * @example
 * ```ts
 * shardSizes(128, [0.16, 0.13]); // [71, 57]: the first replica is 1.23× as fast
 * shardSizes(10, [1, 1, 1]);     // [4, 3, 3]
 * ```
 */
export function shardSizes(batch: number, speeds: readonly number[]): number[] {
  const n = speeds.length;
  if (!(Number.isInteger(batch) && n >= 1 && batch >= 2 * n)) {
    throw new RangeError(`cannot split ${batch} images into ${n} shards of at least 2`);
  }
  const even = speeds.every((s) => Number.isFinite(s) && s > 0) ? speeds : speeds.map(() => 1);
  const total = even.reduce((a, b) => a + b, 0);
  const ideal = even.map((s) => (batch * s) / total);
  const sizes = ideal.map((x) => Math.max(2, Math.floor(x)));
  let sum = sizes.reduce((a, b) => a + b, 0);
  // Hand out what rounding down left over, largest shortfall first (ties: lower index); take
  // back what the minimum of 2 added, from the shards furthest above their ideal size (ties:
  // higher index), so that the earlier shards stay the larger ones.
  while (sum < batch) {
    let best = 0;
    for (let i = 1; i < n; i++) if (ideal[i] - sizes[i] > ideal[best] - sizes[best]) best = i;
    sizes[best] += 1;
    sum += 1;
  }
  while (sum > batch) {
    let best = -1;
    for (let i = 0; i < n; i++) if (sizes[i] > 2 && (best < 0 || sizes[i] - ideal[i] >= sizes[best] - ideal[best])) best = i;
    sizes[best] -= 1;
    sum -= 1;
  }
  return sizes;
}
