// Original file: proto/telemetry.proto


/**
 * The learning-rate scheduler changed the rate.
 */
export interface LrChanged {
  /**
   * The rate before the change.
   */
  'fromLr'?: (number | string);
  /**
   * The rate from now on.
   */
  'toLr'?: (number | string);
}

/**
 * The learning-rate scheduler changed the rate.
 */
export interface LrChanged__Output {
  /**
   * The rate before the change.
   */
  'fromLr': (number);
  /**
   * The rate from now on.
   */
  'toLr': (number);
}
