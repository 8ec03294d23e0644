// Original file: proto/telemetry.proto

export const RunStatus = {
  RUN_STATUS_UNSPECIFIED: 'RUN_STATUS_UNSPECIFIED',
  /**
   * Serving, no TrainBegin seen yet.
   */
  RUN_STATUS_STARTING: 'RUN_STATUS_STARTING',
  RUN_STATUS_RUNNING: 'RUN_STATUS_RUNNING',
  /**
   * TrainEnd with reason completed.
   */
  RUN_STATUS_FINISHED: 'RUN_STATUS_FINISHED',
  /**
   * TrainEnd after early stopping.
   */
  RUN_STATUS_EARLY_STOPPED: 'RUN_STATUS_EARLY_STOPPED',
  /**
   * TrainEnd with reason stopped (e.g. Ctrl-C).
   */
  RUN_STATUS_STOPPED: 'RUN_STATUS_STOPPED',
  /**
   * A fatal Error event, or the event stream errored.
   */
  RUN_STATUS_FAILED: 'RUN_STATUS_FAILED',
  /**
   * TrainEnd because the training-time budget (--max-time) was spent.
   */
  RUN_STATUS_TIME_LIMIT: 'RUN_STATUS_TIME_LIMIT',
} as const;

export type RunStatus =
  | 'RUN_STATUS_UNSPECIFIED'
  | 0
  /**
   * Serving, no TrainBegin seen yet.
   */
  | 'RUN_STATUS_STARTING'
  | 1
  | 'RUN_STATUS_RUNNING'
  | 2
  /**
   * TrainEnd with reason completed.
   */
  | 'RUN_STATUS_FINISHED'
  | 3
  /**
   * TrainEnd after early stopping.
   */
  | 'RUN_STATUS_EARLY_STOPPED'
  | 4
  /**
   * TrainEnd with reason stopped (e.g. Ctrl-C).
   */
  | 'RUN_STATUS_STOPPED'
  | 5
  /**
   * A fatal Error event, or the event stream errored.
   */
  | 'RUN_STATUS_FAILED'
  | 6
  /**
   * TrainEnd because the training-time budget (--max-time) was spent.
   */
  | 'RUN_STATUS_TIME_LIMIT'
  | 7

export type RunStatus__Output = typeof RunStatus[keyof typeof RunStatus]
