// Original file: proto/telemetry.proto


/**
 * An input sample was left out; training goes on. Sent once per file per training process.
 */
export interface SampleSkipped {
  /**
   * The file, on the training machine.
   */
  'path'?: (string);
  /**
   * The SkipReason tag, e.g. "truncated", "not-an-image", "bad-label".
   */
  'reason'?: (string);
  /**
   * What was wrong, one line.
   */
  'message'?: (string);
}

/**
 * An input sample was left out; training goes on. Sent once per file per training process.
 */
export interface SampleSkipped__Output {
  /**
   * The file, on the training machine.
   */
  'path': (string);
  /**
   * The SkipReason tag, e.g. "truncated", "not-an-image", "bad-label".
   */
  'reason': (string);
  /**
   * What was wrong, one line.
   */
  'message': (string);
}
