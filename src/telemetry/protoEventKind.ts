import type { TrainEventKind } from './TrainEvent';
import type { EventKind } from './generated/rxtrain/telemetry/v1/EventKind';

/**
 * The wire names of the event kinds (`EventKind` in the proto), without UNSPECIFIED.
 *
 * @example
 * ```ts
 * const k: ProtoEventKind = 'EPOCH_END';
 * ```
 */
export type ProtoEventKind = Exclude<Extract<EventKind, string>, 'EVENT_KIND_UNSPECIFIED'>;

/**
 * TrainEvent `kind` tag → proto `EventKind` name.
 *
 * @example
 * ```ts
 * PROTO_EVENT_KIND.BatchEnd; // 'BATCH_END'
 * ```
 */
export const PROTO_EVENT_KIND: Readonly<Record<TrainEventKind, ProtoEventKind>> = {
  TrainBegin: 'TRAIN_BEGIN',
  EpochBegin: 'EPOCH_BEGIN',
  BatchEnd: 'BATCH_END',
  EpochEnd: 'EPOCH_END',
  LrChanged: 'LR_CHANGED',
  CheckpointSaved: 'CHECKPOINT_SAVED',
  SampleSkipped: 'SAMPLE_SKIPPED',
  EarlyStop: 'EARLY_STOP',
  TrainEnd: 'TRAIN_END',
  Error: 'ERROR',
};

const BY_PROTO = new Map<string, TrainEventKind>(
  Object.entries(PROTO_EVENT_KIND).map(([k, p]) => [p, k as TrainEventKind]),
);

/**
 * Reads a kind as a user or a peer wrote it: the TrainEvent tag (`BatchEnd`), the proto
 * name (`BATCH_END`) or a case-insensitive spelling of either (`batchend`, `batch_end`).
 * Returns undefined for anything else, including `EVENT_KIND_UNSPECIFIED` and unknown enum
 * numbers, so callers can answer INVALID_ARGUMENT.
 *
 * @example
 * ```ts
 * parseEventKind('BATCH_END'); // 'BatchEnd'
 * parseEventKind('epochend');  // 'EpochEnd'
 * parseEventKind(42);          // undefined
 * ```
 */
export function parseEventKind(raw: unknown): TrainEventKind | undefined {
  if (typeof raw !== 'string') return undefined;
  const exact = BY_PROTO.get(raw);
  if (exact !== undefined) return exact;
  const norm = raw.replace(/[_-]/g, '').toLowerCase();
  for (const kind of BY_PROTO.values()) {
    if (kind.toLowerCase() === norm) return kind;
  }
  return undefined;
}
