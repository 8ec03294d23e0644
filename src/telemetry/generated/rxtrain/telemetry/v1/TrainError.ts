// Original file: proto/telemetry.proto


/**
 * Something went wrong.
 */
export interface TrainError {
  'message'?: (string);
  /**
   * A fatal error is the last event before the stream ends.
   */
  'fatal'?: (boolean);
}

/**
 * Something went wrong.
 */
export interface TrainError__Output {
  'message': (string);
  /**
   * A fatal error is the last event before the stream ends.
   */
  'fatal': (boolean);
}
