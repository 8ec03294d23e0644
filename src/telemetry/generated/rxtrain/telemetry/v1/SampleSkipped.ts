// Original file: proto/telemetry.proto


export interface SampleSkipped {
  'path'?: (string);
  /**
   * The SkipReason tag, e.g. "truncated", "not-an-image", "bad-label".
   */
  'reason'?: (string);
  'message'?: (string);
}

export interface SampleSkipped__Output {
  'path': (string);
  /**
   * The SkipReason tag, e.g. "truncated", "not-an-image", "bad-label".
   */
  'reason': (string);
  'message': (string);
}
