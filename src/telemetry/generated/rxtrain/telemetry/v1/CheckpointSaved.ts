// Original file: proto/telemetry.proto


/**
 * A checkpoint was written (atomically).
 */
export interface CheckpointSaved {
  /**
   * Its path on the training machine.
   */
  'path'?: (string);
  /**
   * True when this checkpoint is the best so far by the monitored metric.
   */
  'best'?: (boolean);
}

/**
 * A checkpoint was written (atomically).
 */
export interface CheckpointSaved__Output {
  /**
   * Its path on the training machine.
   */
  'path': (string);
  /**
   * True when this checkpoint is the best so far by the monitored metric.
   */
  'best': (boolean);
}
