// Original file: proto/telemetry.proto


/**
 * An epoch starts.
 */
export interface EpochBegin {
  /**
   * Learning rate the epoch starts with.
   */
  'lr'?: (number | string);
  /**
   * Steps (batches) in this epoch.
   */
  'steps'?: (number);
  /**
   * The epoch's first batch: 0, or where a resumed run continues a half-done epoch.
   */
  'startBatch'?: (number);
}

/**
 * An epoch starts.
 */
export interface EpochBegin__Output {
  /**
   * Learning rate the epoch starts with.
   */
  'lr': (number);
  /**
   * Steps (batches) in this epoch.
   */
  'steps': (number);
  /**
   * The epoch's first batch: 0, or where a resumed run continues a half-done epoch.
   */
  'startBatch': (number);
}
