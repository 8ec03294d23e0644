import * as tf from '@tensorflow/tfjs-core';

/**
 * Why `who` cannot make tensors yet, as one line, or `undefined` when it can. The one case is a
 * program that never set a backend up while the best registered one is tfjs's wasm backend
 * (loading rxtrain registers it): tfjs would start that backend by itself at the first tensor,
 * but it initialises asynchronously, so that tensor throws tfjs's "has not yet been
 * initialized" anyway, and the start has by then installed the wasm glue's rethrowing process
 * handlers (an unhandled error later prints 55 KB of minified glue and exits with code 7).
 * Asked before any tensor exists, nothing is started. A synchronous best backend (cpu,
 * tfjs-node's `tensorflow`) starts at the first tensor as tfjs does it, so it is no problem.
 *
 * @example
 * ```ts
 * const problem = tensorBackendProblem('batch');
 * if (problem !== undefined) throw new Error(problem);
 * // batch: no tfjs backend is set up to hold the tensors; await initBackend() before the first batch …
 * ```
 */
export function tensorBackendProblem(who: string): string | undefined {
  // getBackend() is only set by setBackend/ready (or a successful lazy start): reading it starts nothing.
  if (tf.getBackend() != null) return undefined;
  const factories = tf.engine().registryFactory;
  // tfjs' own choice: the highest priority, the first registered among equals (a stable sort).
  const best = Object.keys(factories).sort((a, b) => factories[b].priority - factories[a].priority)[0];
  if (best !== 'wasm') return undefined;
  return `${who}: no tfjs backend is set up to hold the tensors; await initBackend() before the first batch ` +
    `(or tf.setBackend(name) and await tf.ready()): tfjs cannot start its wasm backend by itself at the first tensor`;
}
