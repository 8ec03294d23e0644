// Original file: proto/telemetry.proto

export const TrainEndReason = {
  TRAIN_END_REASON_UNSPECIFIED: 'TRAIN_END_REASON_UNSPECIFIED',
  COMPLETED: 'COMPLETED',
  EARLY_STOPPED: 'EARLY_STOPPED',
  STOPPED: 'STOPPED',
  /**
   * The training-time budget (--max-time) was spent.
   */
  TIME_LIMIT: 'TIME_LIMIT',
} as const;

export type TrainEndReason =
  | 'TRAIN_END_REASON_UNSPECIFIED'
  | 0
  | 'COMPLETED'
  | 1
  | 'EARLY_STOPPED'
  | 2
  | 'STOPPED'
  | 3
  /**
   * The training-time budget (--max-time) was spent.
   */
  | 'TIME_LIMIT'
  | 4

export type TrainEndReason__Output = typeof TrainEndReason[keyof typeof TrainEndReason]
