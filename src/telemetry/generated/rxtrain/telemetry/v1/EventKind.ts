// Original file: proto/telemetry.proto

/**
 * The kinds of event; same names as TrainEvent['kind'].
 */
export const EventKind = {
  EVENT_KIND_UNSPECIFIED: 'EVENT_KIND_UNSPECIFIED',
  TRAIN_BEGIN: 'TRAIN_BEGIN',
  EPOCH_BEGIN: 'EPOCH_BEGIN',
  BATCH_END: 'BATCH_END',
  EPOCH_END: 'EPOCH_END',
  LR_CHANGED: 'LR_CHANGED',
  CHECKPOINT_SAVED: 'CHECKPOINT_SAVED',
  SAMPLE_SKIPPED: 'SAMPLE_SKIPPED',
  EARLY_STOP: 'EARLY_STOP',
  TRAIN_END: 'TRAIN_END',
  ERROR: 'ERROR',
} as const;

/**
 * The kinds of event; same names as TrainEvent['kind'].
 */
export type EventKind =
  | 'EVENT_KIND_UNSPECIFIED'
  | 0
  | 'TRAIN_BEGIN'
  | 1
  | 'EPOCH_BEGIN'
  | 2
  | 'BATCH_END'
  | 3
  | 'EPOCH_END'
  | 4
  | 'LR_CHANGED'
  | 5
  | 'CHECKPOINT_SAVED'
  | 6
  | 'SAMPLE_SKIPPED'
  | 7
  | 'EARLY_STOP'
  | 8
  | 'TRAIN_END'
  | 9
  | 'ERROR'
  | 10

/**
 * The kinds of event; same names as TrainEvent['kind'].
 */
export type EventKind__Output = typeof EventKind[keyof typeof EventKind]
