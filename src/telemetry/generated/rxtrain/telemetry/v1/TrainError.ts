// Original file: proto/telemetry.proto


export interface TrainError {
  'message'?: (string);
  /**
   * A fatal error is the last event before the stream ends.
   */
  'fatal'?: (boolean);
}

export interface TrainError__Output {
  'message': (string);
  /**
   * A fatal error is the last event before the stream ends.
   */
  'fatal': (boolean);
}
