import type { EpochEnd } from './TrainEvent';

/**
 * Metrics of one finished epoch: kept in checkpoints so that charts and monitors see the whole
 * run after a resume, sent as `TrainBegin.history`, and shown as a row of the monitor's epoch
 * table. The fields are those of the `EpochEnd` event, so the two cannot drift apart.
 *
 * @example
 * ```ts
 * const r: EpochRecord = { epoch: 0, trainLoss: 2.1, trainAccuracy: 0.3, lr: 0.01, durationMs: 900 };
 * ```
 */
export type EpochRecord = Pick<EpochEnd, 'epoch' | 'trainLoss' | 'trainAccuracy' | 'valLoss' | 'valAccuracy' | 'valTop5Accuracy' | 'lr' | 'durationMs' | 'imagesPerSec'>;

/**
 * The {@link EpochRecord} fields of `e` and nothing else (an `EpochEnd` also carries its kind,
 * time and step): what a checkpoint's history, the gRPC mapping and the monitor keep of an epoch.
 * An absent validation figure stays absent rather than becoming `undefined`.
 *
 * @example
 * ```ts
 * epochRecord({ kind: 'EpochEnd', time: 0, step: 32, epoch: 0, trainLoss: 2.1, trainAccuracy: 0.3, lr: 0.01, durationMs: 900 });
 * // { epoch: 0, trainLoss: 2.1, trainAccuracy: 0.3, lr: 0.01, durationMs: 900 }
 * ```
 */
export function epochRecord(e: EpochRecord): EpochRecord {
  return {
    epoch: e.epoch,
    trainLoss: e.trainLoss,
    trainAccuracy: e.trainAccuracy,
    ...(e.valLoss !== undefined ? { valLoss: e.valLoss } : {}),
    ...(e.valAccuracy !== undefined ? { valAccuracy: e.valAccuracy } : {}),
    ...(e.valTop5Accuracy !== undefined ? { valTop5Accuracy: e.valTop5Accuracy } : {}),
    lr: e.lr,
    durationMs: e.durationMs,
    ...(e.imagesPerSec !== undefined ? { imagesPerSec: e.imagesPerSec } : {}),
  };
}
