/**
 * Replicas per core beyond which `rxtrain train` refuses to start without
 * `--allow-many-replicas`. Past the core count replicas only take turns on the cores (the start
 * warns from there on); up to four per core still resumes, bit for bit, a run made with one
 * replica per core on a machine with four times the cores.
 *
 * @example
 * ```ts
 * const most = REPLICAS_PER_CORE * machineCores(); // 8 on 2 cores
 * ```
 */
export const REPLICAS_PER_CORE = 4;

/**
 * Why `rxtrain train` refuses a replica count, said before anything starts: more than
 * {@link REPLICAS_PER_CORE} per core, which trains no faster than one per core and starts a
 * worker thread with a model, a backend and a wasm heap of its own for each (from `dist/`, small
 * model, wasm, on 2 busy vCPUs, 2026-12-07: 8 replicas in 3.8 s against 0.7 s for one, 75 MB
 * more each before the first step, whose heaps then grow), so that a mistyped `--replicas 64`
 * took minutes and gigabytes to reach a warning. Undefined when the count is
 * allowed; `0` is `auto`, at most one per core.
 *
 * @example
 * ```ts
 * tooManyReplicas(64, 2);
 * // 'replicas 64 on 2 cores: more than 8 (4 per core) take turns on the cores, …'
 * tooManyReplicas(8, 2); // undefined (the start then warns: 8 replicas on 2 cores)
 * ```
 */
export function tooManyReplicas(replicas: number, cores: number): string | undefined {
  const most = REPLICAS_PER_CORE * Math.max(1, cores);
  if (replicas <= most) return undefined;
  return (
    `replicas ${replicas} on ${cores} core${cores === 1 ? '' : 's'}: more than ${most} (${REPLICAS_PER_CORE} per core) take turns on the cores, ` +
    'training no faster, and each starts a model, a backend and a wasm heap of its own (about half a second and 75 MB or more each before the first step); ' +
    `use at most ${cores} (or --replicas auto), or pass --allow-many-replicas (config "allowManyReplicas": true) to start them anyway`
  );
}
