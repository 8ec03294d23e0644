import { printablePath } from '../streams/printablePath';
import type { InitialisedFrom } from './TrainEvent';

/**
 * The one line `rxtrain monitor` shows for a run started from another run's weights: where
 * they came from and how much of the model they set (the log's TrainBegin line also lists the
 * tensors left fresh; over gRPC they are in `TrainBegin.initialised_from.fresh`).
 *
 * @example
 * ```ts
 * initialisedNote({ path: 'runs/pre/checkpoints/best.rxckpt', step: 938, weights: 'ema', taken: 14, total: 16, fresh: [] });
 * // 'initialised from runs/pre/checkpoints/best.rxckpt (step 938, ema weights; 14 of 16 tensors)'
 * ```
 */
export function initialisedNote(i: InitialisedFrom): string {
  return `initialised from ${printablePath(i.path)} (step ${i.step}, ${i.weights} weights; ${i.taken} of ${i.total} tensors)`;
}
