/** Event builders shared by the telemetry tests. */
import type { CheckpointSaved, EpochEnd, TrainBegin, TrainEnd } from '../../src/telemetry/TrainEvent';

export const STEPS = 10;

export function trainBegin(epoch: number, resumedFrom?: string): TrainBegin {
  return {
    kind: 'TrainBegin', time: 1_700_000_000_000, epoch, step: epoch * STEPS, runId: 'run-1', backend: 'wasm',
    threads: 2, replicas: 1, epochs: 5, stepsPerEpoch: STEPS, config: {}, resumedFrom,
  };
}

export function epochEnd(epoch: number, val = true): EpochEnd {
  return {
    kind: 'EpochEnd', time: 1_700_000_000_000 + 1000 * (epoch + 1), epoch, step: (epoch + 1) * STEPS,
    trainLoss: 2 / (epoch + 1), trainAccuracy: 0.1 * (epoch + 1),
    valLoss: val ? 2.5 / (epoch + 1) : undefined, valAccuracy: val ? 0.09 * (epoch + 1) : undefined,
    lr: epoch < 3 ? 0.01 : 0.001, durationMs: 61_500,
  };
}

export function checkpoint(epoch: number): CheckpointSaved {
  return { kind: 'CheckpointSaved', time: 1_700_000_000_000 + 1000 * (epoch + 1) + 10, epoch, step: (epoch + 1) * STEPS, path: `ckpt/epoch-${epoch}`, best: epoch === 1 };
}

export function trainEnd(epoch: number): TrainEnd {
  return { kind: 'TrainEnd', time: 1_700_000_100_000, epoch, step: (epoch + 1) * STEPS, reason: 'completed', durationMs: 3_723_000 };
}
