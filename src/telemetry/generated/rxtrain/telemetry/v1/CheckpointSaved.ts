// Original file: proto/telemetry.proto


export interface CheckpointSaved {
  'path'?: (string);
  /**
   * True when this checkpoint is the best so far by the monitored metric.
   */
  'best'?: (boolean);
}

export interface CheckpointSaved__Output {
  'path': (string);
  /**
   * True when this checkpoint is the best so far by the monitored metric.
   */
  'best': (boolean);
}
