import * as os from 'node:os';

/**
 * The cores this process may use: `os.availableParallelism()`, which honours the process's CPU
 * affinity where `os.cpus().length` counts every core of the host. The one place rxtrain
 * asks, so that replica counts, backend threads and the CLI's checks agree; Node ≥ 20.19 (the engines field) always has it, so there is no `os.cpus()` fallback.
 *
 * @example
 * ```ts
 * const replicas = machineCores(); // e.g. 2 on a 2-vCPU machine
 * ```
 */
export function machineCores(): number {
  return os.availableParallelism();
}
