import type { InitialisedFrom, TrainEnd, TrainEvent } from './TrainEvent';
import { epochRecord } from './EpochRecord';
import type { Event } from './generated/rxtrain/telemetry/v1/Event';
import type { InitialisedFrom__Output } from './generated/rxtrain/telemetry/v1/InitialisedFrom';
import type { TrainEndReason } from './generated/rxtrain/telemetry/v1/TrainEndReason';

const END_REASON: Readonly<Record<TrainEnd['reason'], Extract<TrainEndReason, string>>> = {
  completed: 'TRAIN_END_REASON_COMPLETED',
  'early-stop': 'TRAIN_END_REASON_EARLY_STOPPED',
  stopped: 'TRAIN_END_REASON_STOPPED',
  'time-limit': 'TRAIN_END_REASON_TIME_LIMIT',
};

/**
 * The most epochs of a resumed run's history a TrainBegin carries (the latest ones): about
 * 60-80 bytes each on the wire, so at most ~80 kB however long the run, well within gRPC's 4 MB
 * message limit and kept once in the replay buffer.
 *
 * @example
 * ```ts
 * history.slice(-TRAIN_BEGIN_HISTORY_MAX);
 * ```
 */
export const TRAIN_BEGIN_HISTORY_MAX = 1000;

/**
 * The most labels of the tensors a fine-tuned run left fresh that a TrainBegin carries (the
 * first ones; `fresh_more` counts the rest): a new last layer is two, but a model of thousands
 * of tensors taken from another architecture's checkpoint may leave thousands, at ~40 bytes
 * each, in a message kept in the replay buffer and sent to every subscriber.
 *
 * @example
 * ```ts
 * fresh.slice(0, INITIALISED_FRESH_MAX);
 * ```
 */
export const INITIALISED_FRESH_MAX = 100;

/** What a fine-tuned run took, its list of fresh tensors capped (the count of the rest beside it). */
function initialisedFrom(i: InitialisedFrom): InitialisedFrom__Output {
  const more = Math.max(0, i.fresh.length - INITIALISED_FRESH_MAX) + (i.freshMore ?? 0);
  return { path: i.path, step: i.step, weights: i.weights, taken: i.taken, total: i.total, fresh: i.fresh.slice(0, INITIALISED_FRESH_MAX), freshMore: more };
}

/**
 * Serialises a config for the wire. A config that cannot be JSON-encoded (cycles, BigInt)
 * must not break telemetry, so it becomes a JSON string describing the problem.
 */
function configJson(config: unknown): string {
  try {
    return JSON.stringify(config ?? null) ?? 'null';
  } catch (err) {
    return JSON.stringify({ unserialisable: err instanceof Error ? err.message : String(err) });
  }
}

/**
 * Maps a {@link TrainEvent} to the wire `Event`, stamping the run id and the sequence the
 * server assigned. Times go out as integer microseconds, so sub-millisecond emit times
 * (used to measure latency) survive.
 *
 * @example
 * ```ts
 * const msg = toProtoEvent({ kind: 'EarlyStop', time: Date.now(), epoch: 3, step: 900, reason: 'plateau' }, 'run-1', 42);
 * msg.earlyStop?.reason; // 'plateau'
 * ```
 */
export function toProtoEvent(e: TrainEvent, runId: string, sequence: number, streamId = ''): Event {
  const base: Event = {
    runId,
    sequence,
    streamId,
    timeUnixMicros: Math.round(e.time * 1000),
    epoch: e.epoch,
    step: e.step,
  };
  switch (e.kind) {
    case 'TrainBegin':
      return {
        ...base,
        trainBegin: {
          backend: e.backend,
          threads: e.threads,
          replicas: e.replicas,
          epochs: e.epochs,
          stepsPerEpoch: e.stepsPerEpoch,
          configJson: configJson(e.config),
          resumedFrom: e.resumedFrom ?? '',
          history: (e.history ?? []).slice(-TRAIN_BEGIN_HISTORY_MAX).map(epochRecord),
          ...(e.initialisedFrom === undefined ? {} : { initialisedFrom: initialisedFrom(e.initialisedFrom) }),
        },
      };
    case 'EpochBegin':
      return { ...base, epochBegin: { lr: e.lr, steps: e.steps, startBatch: e.startBatch } };
    case 'BatchEnd':
      return {
        ...base,
        batchEnd: { batch: e.batch, batchSize: e.batchSize, loss: e.loss, accuracy: e.accuracy, imagesPerSec: e.imagesPerSec, lastOfEpoch: e.lastOfEpoch === true },
      };
    case 'ValidationProgress':
      return { ...base, validationProgress: { batchesDone: e.batchesDone, images: e.images, ...(e.batches === undefined ? {} : { batches: e.batches }) } };
    case 'EpochEnd': {
      // The epoch travels in the event's envelope (`base`), not in the EpochEnd message.
      const { epoch: _epoch, ...figures } = epochRecord(e);
      return { ...base, epochEnd: figures };
    }
    case 'LrChanged':
      return { ...base, lrChanged: { fromLr: e.from, toLr: e.to } };
    case 'CheckpointSaved':
      return { ...base, checkpointSaved: { path: e.path, best: e.best } };
    case 'SampleSkipped':
      return { ...base, sampleSkipped: { path: e.path, reason: e.reason, message: e.message } };
    case 'EarlyStop':
      return { ...base, earlyStop: { reason: e.reason } };
    case 'TrainEnd':
      return { ...base, trainEnd: { reason: END_REASON[e.reason], durationMs: e.durationMs } };
    case 'Error':
      return { ...base, error: { message: e.message, fatal: e.fatal } };
  }
}
