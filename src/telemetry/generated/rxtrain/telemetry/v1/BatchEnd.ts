// Original file: proto/telemetry.proto


export interface BatchEnd {
  /**
   * 0-based batch index within the epoch.
   */
  'batch'?: (number);
  'batchSize'?: (number);
  'loss'?: (number | string);
  'accuracy'?: (number | string);
  'imagesPerSec'?: (number | string);
}

export interface BatchEnd__Output {
  /**
   * 0-based batch index within the epoch.
   */
  'batch': (number);
  'batchSize': (number);
  'loss': (number);
  'accuracy': (number);
  'imagesPerSec': (number);
}
