import type { SkipReason } from '../streams/Skip';
import type { EpochRecord } from './EpochRecord';
import type { InitialisedFrom, TrainEnd, TrainEvent } from './TrainEvent';
import type { InitialisedFrom__Output } from './generated/rxtrain/telemetry/v1/InitialisedFrom';
import type { Event__Output } from './generated/rxtrain/telemetry/v1/Event';
import type { TrainEndReason } from './generated/rxtrain/telemetry/v1/TrainEndReason';

/**
 * A {@link TrainEvent} as received from a server, with the run id and sequence number
 * the server stamped on it.
 *
 * @example
 * ```ts
 * const e: SequencedEvent = { kind: 'EarlyStop', time: 0, epoch: 3, step: 90, reason: 'plateau', runId: 'r', sequence: 17, streamId: '' };
 * ```
 */
export type SequencedEvent = TrainEvent & { readonly runId: string; readonly sequence: number; readonly streamId: string };

// Typed by the generated enum, so that a renamed or added value fails to compile here
// instead of every TrainEnd silently decoding as 'stopped'.
const END_REASON: Readonly<Record<Exclude<Extract<TrainEndReason, string>, 'TRAIN_END_REASON_UNSPECIFIED'>, TrainEnd['reason']>> = {
  TRAIN_END_REASON_COMPLETED: 'completed',
  TRAIN_END_REASON_EARLY_STOPPED: 'early-stop',
  TRAIN_END_REASON_STOPPED: 'stopped',
  TRAIN_END_REASON_TIME_LIMIT: 'time-limit',
};

/**
 * Maps a wire `Event` back to a {@link TrainEvent} (plus run id and sequence). Returns
 * undefined for an event whose oneof is unset or unknown (a newer server), so a client
 * can skip it instead of crashing.
 *
 * @example
 * ```ts
 * const e = fromProtoEvent(msg);
 * if (e?.kind === 'BatchEnd') console.log(e.sequence, e.loss);
 * ```
 */
export function fromProtoEvent(m: Event__Output): SequencedEvent | undefined {
  const base = { runId: m.runId, sequence: m.sequence, streamId: m.streamId, time: m.timeUnixMicros / 1000, epoch: m.epoch, step: m.step };
  switch (m.event) {
    case 'trainBegin': {
      const b = m.trainBegin;
      if (!b) return undefined;
      let config: unknown = null;
      try {
        config = JSON.parse(b.configJson === '' ? 'null' : b.configJson);
      } catch {
        config = b.configJson;
      }
      return {
        ...base,
        kind: 'TrainBegin',
        backend: b.backend,
        threads: b.threads,
        replicas: b.replicas,
        epochs: b.epochs,
        stepsPerEpoch: b.stepsPerEpoch,
        config,
        ...(b.resumedFrom !== '' ? { resumedFrom: b.resumedFrom } : {}),
        // Empty is also what a server before this field sends: leave it out, "not known".
        ...(b.history.length > 0
          ? {
              history: b.history.map((r) => ({ epoch: r.epoch, ...epochFigures(r) })),
            }
          : {}),
        // Absent from a server before this field, and for a run that did not start from other weights.
        ...(b.initialisedFrom ? { initialisedFrom: initialisedFrom(b.initialisedFrom) } : {}),
      };
    }
    case 'epochBegin':
      return m.epochBegin ? { ...base, kind: 'EpochBegin', lr: m.epochBegin.lr, steps: m.epochBegin.steps, startBatch: m.epochBegin.startBatch } : undefined;
    case 'batchEnd': {
      const b = m.batchEnd;
      return b
        ? {
            ...base,
            kind: 'BatchEnd',
            batch: b.batch,
            batchSize: b.batchSize,
            loss: b.loss,
            accuracy: b.accuracy,
            imagesPerSec: b.imagesPerSec,
            // False is also what a server before the field sends: absent, as in-process.
            ...(b.lastOfEpoch ? { lastOfEpoch: true } : {}),
          }
        : undefined;
    }
    case 'validationProgress': {
      const v = m.validationProgress;
      // An unset `batches` (not known) stays absent, not 0.
      return v
        ? { ...base, kind: 'ValidationProgress', batchesDone: v.batchesDone, images: v.images, ...(v.batches !== undefined && v.batches !== null ? { batches: v.batches } : {}) }
        : undefined;
    }
    case 'epochEnd': {
      const b = m.epochEnd;
      if (!b) return undefined;
      return {
        ...base,
        kind: 'EpochEnd',
        ...epochFigures(b),
      };
    }
    case 'lrChanged':
      return m.lrChanged ? { ...base, kind: 'LrChanged', from: m.lrChanged.fromLr, to: m.lrChanged.toLr } : undefined;
    case 'checkpointSaved':
      return m.checkpointSaved ? { ...base, kind: 'CheckpointSaved', path: m.checkpointSaved.path, best: m.checkpointSaved.best } : undefined;
    case 'sampleSkipped': {
      const s = m.sampleSkipped;
      // The reason is a free string on the wire so that new reasons do not break old clients.
      return s ? { ...base, kind: 'SampleSkipped', path: s.path, reason: s.reason as SkipReason, message: s.message } : undefined;
    }
    case 'earlyStop':
      return m.earlyStop ? { ...base, kind: 'EarlyStop', reason: m.earlyStop.reason } : undefined;
    case 'trainEnd': {
      const t = m.trainEnd;
      if (!t) return undefined;
      const reason = END_REASON[t.reason as keyof typeof END_REASON] ?? 'stopped';
      return { ...base, kind: 'TrainEnd', reason, durationMs: t.durationMs };
    }
    case 'error':
      return m.error ? { ...base, kind: 'Error', message: m.error.message, fatal: m.error.fatal } : undefined;
    default:
      return undefined;
  }
}

// The kind is a string on the wire: any other value (a newer server's kind) or none is not known
// here, and says so rather than passing for one it is not.
function initialisedFrom(i: InitialisedFrom__Output): InitialisedFrom {
  const weights = i.weights === 'ema' || i.weights === 'trained' ? i.weights : 'unknown';
  // 0 is also what a server before fresh_more sends, whose list is complete.
  return { path: i.path, step: i.step, weights, taken: i.taken, total: i.total, fresh: [...i.fresh], ...(i.freshMore > 0 ? { freshMore: i.freshMore } : {}) };
}

/** An epoch's figures as EpochEnd and TrainBegin.history's EpochSummary both carry them. */
interface ProtoEpochFigures {
  trainLoss: number;
  trainAccuracy: number;
  valLoss?: number | null;
  valAccuracy?: number | null;
  valTop5Accuracy?: number | null;
  lr: number;
  durationMs: number;
  imagesPerSec?: number | null;
}

// One mapping for both messages: an optional figure a server did not send (a run without
// validation, 5 classes or fewer for top-5, an epoch's img/s that a resumed process trained none
// of, a server from before the field) stays absent, not 0.
function epochFigures(r: ProtoEpochFigures): Omit<EpochRecord, 'epoch'> {
  return {
    trainLoss: r.trainLoss,
    trainAccuracy: r.trainAccuracy,
    ...(r.valLoss !== undefined && r.valLoss !== null ? { valLoss: r.valLoss } : {}),
    ...(r.valAccuracy !== undefined && r.valAccuracy !== null ? { valAccuracy: r.valAccuracy } : {}),
    ...(r.valTop5Accuracy !== undefined && r.valTop5Accuracy !== null ? { valTop5Accuracy: r.valTop5Accuracy } : {}),
    lr: r.lr,
    durationMs: r.durationMs,
    ...(r.imagesPerSec !== undefined && r.imagesPerSec !== null ? { imagesPerSec: r.imagesPerSec } : {}),
  };
}
