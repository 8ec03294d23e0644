import type { TrainEventKind } from './TrainEvent';
import type { EventKind } from './generated/rxtrain/telemetry/v1/EventKind';

/**
 * The wire names of the event kinds (`EventKind` in the proto), without UNSPECIFIED.
 *
 * @example
 * ```ts
 * const k: ProtoEventKind = 'EVENT_KIND_EPOCH_END';
 * ```
 */
export type ProtoEventKind = Exclude<Extract<EventKind, string>, 'EVENT_KIND_UNSPECIFIED'>;

/**
 * TrainEvent `kind` tag → proto `EventKind` name.
 *
 * @example
 * ```ts
 * PROTO_EVENT_KIND.BatchEnd; // 'EVENT_KIND_BATCH_END'
 * ```
 */
export const PROTO_EVENT_KIND: Readonly<Record<TrainEventKind, ProtoEventKind>> = {
  TrainBegin: 'EVENT_KIND_TRAIN_BEGIN',
  EpochBegin: 'EVENT_KIND_EPOCH_BEGIN',
  BatchEnd: 'EVENT_KIND_BATCH_END',
  ValidationProgress: 'EVENT_KIND_VALIDATION_PROGRESS',
  EpochEnd: 'EVENT_KIND_EPOCH_END',
  LrChanged: 'EVENT_KIND_LR_CHANGED',
  CheckpointSaved: 'EVENT_KIND_CHECKPOINT_SAVED',
  SampleSkipped: 'EVENT_KIND_SAMPLE_SKIPPED',
  EarlyStop: 'EVENT_KIND_EARLY_STOP',
  TrainEnd: 'EVENT_KIND_TRAIN_END',
  Error: 'EVENT_KIND_ERROR',
};

const BY_PROTO = new Map<string, TrainEventKind>(
  Object.entries(PROTO_EVENT_KIND).map(([k, p]) => [p, k as TrainEventKind]),
);

/**
 * Reads a kind as a user or a peer wrote it: the TrainEvent tag (`BatchEnd`), the proto
 * name (`EVENT_KIND_BATCH_END`, or `BATCH_END` as before 0.1.0) or a case-insensitive
 * spelling of any of them (`batchend`, `batch_end`, `event_kind_batch_end`).
 * Returns undefined for anything else, including `EVENT_KIND_UNSPECIFIED` and unknown enum
 * numbers, so callers can answer INVALID_ARGUMENT.
 *
 * @example
 * ```ts
 * parseEventKind('EVENT_KIND_BATCH_END'); // 'BatchEnd'
 * parseEventKind('BATCH_END'); // 'BatchEnd'
 * parseEventKind('epochend');  // 'EpochEnd'
 * parseEventKind(42);          // undefined
 * ```
 */
export function parseEventKind(raw: unknown): TrainEventKind | undefined {
  if (typeof raw !== 'string') return undefined;
  const exact = BY_PROTO.get(raw);
  if (exact !== undefined) return exact;
  // The prefix is optional: people type `BATCH_END`, the proto's name before 0.1.0.
  const norm = raw.replace(/^event_kind_/i, '').replace(/[_-]/g, '').toLowerCase();
  for (const kind of BY_PROTO.values()) {
    if (kind.toLowerCase() === norm) return kind;
  }
  return undefined;
}
