// Original file: proto/telemetry.proto

/**
 * The kinds of event: EVENT_KIND_ and TrainEvent['kind'] in UPPER_SNAKE.
 */
export const EventKind = {
  EVENT_KIND_UNSPECIFIED: 'EVENT_KIND_UNSPECIFIED',
  EVENT_KIND_TRAIN_BEGIN: 'EVENT_KIND_TRAIN_BEGIN',
  EVENT_KIND_EPOCH_BEGIN: 'EVENT_KIND_EPOCH_BEGIN',
  EVENT_KIND_BATCH_END: 'EVENT_KIND_BATCH_END',
  EVENT_KIND_EPOCH_END: 'EVENT_KIND_EPOCH_END',
  EVENT_KIND_LR_CHANGED: 'EVENT_KIND_LR_CHANGED',
  EVENT_KIND_CHECKPOINT_SAVED: 'EVENT_KIND_CHECKPOINT_SAVED',
  EVENT_KIND_SAMPLE_SKIPPED: 'EVENT_KIND_SAMPLE_SKIPPED',
  EVENT_KIND_EARLY_STOP: 'EVENT_KIND_EARLY_STOP',
  EVENT_KIND_TRAIN_END: 'EVENT_KIND_TRAIN_END',
  EVENT_KIND_ERROR: 'EVENT_KIND_ERROR',
  /**
   * Servers before ValidationProgress answer a Subscribe that asks for it with INVALID_ARGUMENT.
   */
  EVENT_KIND_VALIDATION_PROGRESS: 'EVENT_KIND_VALIDATION_PROGRESS',
} as const;

/**
 * The kinds of event: EVENT_KIND_ and TrainEvent['kind'] in UPPER_SNAKE.
 */
export type EventKind =
  | 'EVENT_KIND_UNSPECIFIED'
  | 0
  | 'EVENT_KIND_TRAIN_BEGIN'
  | 1
  | 'EVENT_KIND_EPOCH_BEGIN'
  | 2
  | 'EVENT_KIND_BATCH_END'
  | 3
  | 'EVENT_KIND_EPOCH_END'
  | 4
  | 'EVENT_KIND_LR_CHANGED'
  | 5
  | 'EVENT_KIND_CHECKPOINT_SAVED'
  | 6
  | 'EVENT_KIND_SAMPLE_SKIPPED'
  | 7
  | 'EVENT_KIND_EARLY_STOP'
  | 8
  | 'EVENT_KIND_TRAIN_END'
  | 9
  | 'EVENT_KIND_ERROR'
  | 10
  /**
   * Servers before ValidationProgress answer a Subscribe that asks for it with INVALID_ARGUMENT.
   */
  | 'EVENT_KIND_VALIDATION_PROGRESS'
  | 11

/**
 * The kinds of event: EVENT_KIND_ and TrainEvent['kind'] in UPPER_SNAKE.
 */
export type EventKind__Output = typeof EventKind[keyof typeof EventKind]
