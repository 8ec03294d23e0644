import type { BackendInfo } from './backend';

/**
 * The backend name shown to people (TrainBegin, logs, `rxtrain monitor`): the tfjs backend's
 * name, plus `+native` when rxtrain's native GEMM addon runs the wasm backend's heavy kernels.
 * Only for display: backend selection always uses `info.name`, so a replica or a resumed run
 * never asks tfjs for a backend called `wasm+native`.
 *
 * @example
 * ```ts
 * const info = await initBackend({ prefer: 'auto' });
 * console.log(`training on ${backendLabel(info)}`); // e.g. "training on wasm+native"
 * ```
 */
export function backendLabel(info: Pick<BackendInfo, 'name' | 'native'>): string {
  return info.native?.active === true ? `${info.name}+native` : info.name;
}
