// Original file: proto/telemetry.proto


/**
 * Early stopping ends training before the configured epochs; a TrainEnd follows.
 */
export interface EarlyStop {
  /**
   * Why, in words (monitored metric, patience).
   */
  'reason'?: (string);
}

/**
 * Early stopping ends training before the configured epochs; a TrainEnd follows.
 */
export interface EarlyStop__Output {
  /**
   * Why, in words (monitored metric, patience).
   */
  'reason': (string);
}
