// Original file: proto/telemetry.proto

export const RunStatus = {
  RUN_STATUS_UNSPECIFIED: 'RUN_STATUS_UNSPECIFIED',
  /**
   * Serving, no TrainBegin seen yet.
   */
  STARTING: 'STARTING',
  RUNNING: 'RUNNING',
  /**
   * TrainEnd with reason completed.
   */
  FINISHED: 'FINISHED',
  /**
   * TrainEnd after early stopping.
   */
  EARLY_STOPPED_RUN: 'EARLY_STOPPED_RUN',
  /**
   * TrainEnd with reason stopped (e.g. Ctrl-C).
   */
  STOPPED_RUN: 'STOPPED_RUN',
  /**
   * A fatal Error event, or the event stream errored.
   */
  FAILED: 'FAILED',
  /**
   * TrainEnd because the training-time budget (--max-time) was spent.
   */
  TIME_LIMIT_RUN: 'TIME_LIMIT_RUN',
} as const;

export type RunStatus =
  | 'RUN_STATUS_UNSPECIFIED'
  | 0
  /**
   * Serving, no TrainBegin seen yet.
   */
  | 'STARTING'
  | 1
  | 'RUNNING'
  | 2
  /**
   * TrainEnd with reason completed.
   */
  | 'FINISHED'
  | 3
  /**
   * TrainEnd after early stopping.
   */
  | 'EARLY_STOPPED_RUN'
  | 4
  /**
   * TrainEnd with reason stopped (e.g. Ctrl-C).
   */
  | 'STOPPED_RUN'
  | 5
  /**
   * A fatal Error event, or the event stream errored.
   */
  | 'FAILED'
  | 6
  /**
   * TrainEnd because the training-time budget (--max-time) was spent.
   */
  | 'TIME_LIMIT_RUN'
  | 7

export type RunStatus__Output = typeof RunStatus[keyof typeof RunStatus]
