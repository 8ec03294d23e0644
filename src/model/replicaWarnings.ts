/**
 * What a user should hear about a replica count that cannot pay off: more replicas than a batch
 * has shards of at least two images (the surplus sits every step out, yet each holds a model, a
 * backend and a wasm heap), and more replicas than cores (they take turns on the cores, and
 * every step waits for the slowest at the barrier). One line each; none when the count is sound.
 *
 * @example
 * ```ts
 * replicaWarnings({ replicas: 5, batchSize: 4, cores: 2 });
 * // ['5 replicas, but a batch of 4 images splits into at most 2 shards of ≥ 2 images: 3 replicas sit every step out (use fewer replicas or a larger batch)',
 * //  '5 replicas on 2 cores: they take turns on the cores and every step waits for the slowest (use at most 2)']
 * ```
 */
export function replicaWarnings(o: { readonly replicas: number; readonly batchSize: number; readonly cores: number }): string[] {
  const out: string[] = [];
  if (o.replicas <= 1) return out;
  // DataParallelTrainer's rule: shards of at least 2 images (BatchNorm), surplus replicas idle.
  const used = Math.max(1, Math.floor(o.batchSize / 2));
  if (o.replicas > used) {
    const idle = o.replicas - used;
    out.push(`${o.replicas} replicas, but a batch of ${o.batchSize} images splits into at most ${used} shard${used === 1 ? '' : 's'} of ≥ 2 images: ${idle} replica${idle === 1 ? '' : 's'} sit${idle === 1 ? 's' : ''} every step out (use fewer replicas or a larger batch)`);
  }
  if (o.replicas > o.cores) {
    out.push(`${o.replicas} replicas on ${o.cores} core${o.cores === 1 ? '' : 's'}: they take turns on the cores and every step waits for the slowest (use at most ${o.cores})`);
  }
  return out;
}
