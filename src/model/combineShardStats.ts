/**
 * One shard's BatchNorm statistics: per layer the number of values each channel's mean and
 * variance were taken over, and the statistics packed as [mean₁…, var₁…, mean₂…, var₂…, …].
 *
 * @example
 * ```ts
 * const s: ShardStats = { counts: [32 * 15 * 15], stats: new Float32Array(2 * 96) };
 * ```
 */
export interface ShardStats {
  readonly counts: readonly number[];
  readonly stats: ArrayLike<number>;
}

/**
 * The whole batch's BatchNorm mean and biased variance from its shards' (law of total
 * variance), summed in float64 in shard order and rounded once, so every data-parallel
 * replica that runs it on the same shards gets the same bits. `layerChannels` is the channel
 * count of each BatchNorm layer, in packing order.
 *
 * @example
 * ```ts
 * const { counts, stats } = combineShardStats([a, b], [96, 256]);
 * ```
 */
export function combineShardStats(shards: readonly ShardStats[], layerChannels: readonly number[]): { counts: number[]; stats: Float32Array } {
  if (shards.length === 0) throw new RangeError('combineShardStats needs at least one shard');
  const counts = layerChannels.map((_, l) => shards.reduce((s, r) => s + r.counts[l], 0));
  const stats = new Float32Array(2 * layerChannels.reduce((a, b) => a + b, 0));
  let o = 0;
  layerChannels.forEach((len, l) => {
    for (let ch = 0; ch < len; ch++) {
      let mean = 0;
      for (const r of shards) mean += (r.counts[l] / counts[l]) * r.stats[o + ch];
      let v = 0;
      for (const r of shards) {
        const d = r.stats[o + ch] - mean;
        v += (r.counts[l] / counts[l]) * (r.stats[o + len + ch] + d * d);
      }
      stats[o + ch] = mean;
      stats[o + len + ch] = v;
    }
    o += 2 * len;
  });
  return { counts, stats };
}
