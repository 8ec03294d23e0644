import { machineCores } from './machineCores';
import { nativeKernelState } from './wasm/nativeKernels';

/**
 * The replica count {@link createTrainer} runs for `requested` on the backend `backend` (the one
 * tfjs runs on, after `initBackend`): the number itself, 1 when absent, and for `'auto'` 1 when
 * the kernels use every core themselves (native TensorFlow, wasm with rxtrain's native addon),
 * else one per core. Exported so that a caller can record the count a run trains on (a run's
 * identity) before the trainer exists. Not validated: `createTrainer` refuses a bad count.
 *
 * @example
 * ```ts
 * const info = await initBackend({ prefer: 'cpu' });
 * resolveReplicas('auto', info.name); // machineCores(), e.g. 2
 * resolveReplicas(3, info.name); // 3
 * ```
 */
export function resolveReplicas(requested: number | 'auto' | undefined, backend: string): number {
  if (requested !== 'auto') return requested ?? 1;
  const threadedKernels = backend === 'tensorflow' || (backend === 'wasm' && nativeKernelState().active);
  return threadedKernels ? 1 : machineCores();
}
