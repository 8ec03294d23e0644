// Original file: proto/telemetry.proto

export const TrainEndReason = {
  TRAIN_END_REASON_UNSPECIFIED: 'TRAIN_END_REASON_UNSPECIFIED',
  /**
   * Every epoch ran.
   */
  COMPLETED: 'COMPLETED',
  /**
   * Early stopping (an EarlyStop event came first).
   */
  EARLY_STOPPED: 'EARLY_STOPPED',
  /**
   * Stopped on request (Ctrl-C, SIGTERM) after a checkpoint.
   */
  STOPPED: 'STOPPED',
  /**
   * The training-time budget (--max-time) was spent.
   */
  TIME_LIMIT: 'TIME_LIMIT',
} as const;

export type TrainEndReason =
  | 'TRAIN_END_REASON_UNSPECIFIED'
  | 0
  /**
   * Every epoch ran.
   */
  | 'COMPLETED'
  | 1
  /**
   * Early stopping (an EarlyStop event came first).
   */
  | 'EARLY_STOPPED'
  | 2
  /**
   * Stopped on request (Ctrl-C, SIGTERM) after a checkpoint.
   */
  | 'STOPPED'
  | 3
  /**
   * The training-time budget (--max-time) was spent.
   */
  | 'TIME_LIMIT'
  | 4

export type TrainEndReason__Output = typeof TrainEndReason[keyof typeof TrainEndReason]
