// Original file: proto/telemetry.proto


export interface EpochBegin {
  'lr'?: (number | string);
  'steps'?: (number);
  /**
   * The epoch's first batch: 0, or where a resumed run continues a half-done epoch.
   */
  'startBatch'?: (number);
}

export interface EpochBegin__Output {
  'lr': (number);
  'steps': (number);
  /**
   * The epoch's first batch: 0, or where a resumed run continues a half-done epoch.
   */
  'startBatch': (number);
}
