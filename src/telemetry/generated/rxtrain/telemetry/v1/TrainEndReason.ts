// Original file: proto/telemetry.proto

export const TrainEndReason = {
  TRAIN_END_REASON_UNSPECIFIED: 'TRAIN_END_REASON_UNSPECIFIED',
  /**
   * Every epoch ran.
   */
  TRAIN_END_REASON_COMPLETED: 'TRAIN_END_REASON_COMPLETED',
  /**
   * Early stopping (an EarlyStop event came first).
   */
  TRAIN_END_REASON_EARLY_STOPPED: 'TRAIN_END_REASON_EARLY_STOPPED',
  /**
   * Stopped on request (Ctrl-C, SIGTERM) after a checkpoint.
   */
  TRAIN_END_REASON_STOPPED: 'TRAIN_END_REASON_STOPPED',
  /**
   * The training-time budget (--max-time) was spent.
   */
  TRAIN_END_REASON_TIME_LIMIT: 'TRAIN_END_REASON_TIME_LIMIT',
} as const;

export type TrainEndReason =
  | 'TRAIN_END_REASON_UNSPECIFIED'
  | 0
  /**
   * Every epoch ran.
   */
  | 'TRAIN_END_REASON_COMPLETED'
  | 1
  /**
   * Early stopping (an EarlyStop event came first).
   */
  | 'TRAIN_END_REASON_EARLY_STOPPED'
  | 2
  /**
   * Stopped on request (Ctrl-C, SIGTERM) after a checkpoint.
   */
  | 'TRAIN_END_REASON_STOPPED'
  | 3
  /**
   * The training-time budget (--max-time) was spent.
   */
  | 'TRAIN_END_REASON_TIME_LIMIT'
  | 4

export type TrainEndReason__Output = typeof TrainEndReason[keyof typeof TrainEndReason]
