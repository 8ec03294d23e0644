// Original file: proto/telemetry.proto


/**
 * An epoch finished. Accuracies are fractions in [0, 1].
 */
export interface EpochEnd {
  /**
   * Mean training loss and accuracy over the epoch.
   */
  'trainLoss'?: (number | string);
  'trainAccuracy'?: (number | string);
  /**
   * Validation metrics; absent when the epoch ran no validation.
   */
  'valLoss'?: (number | string);
  'valAccuracy'?: (number | string);
  /**
   * Learning rate at the end of the epoch.
   */
  'lr'?: (number | string);
  /**
   * Wall-clock time of the epoch, validation included.
   */
  'durationMs'?: (number | string);
  '_valLoss'?: "valLoss";
  '_valAccuracy'?: "valAccuracy";
}

/**
 * An epoch finished. Accuracies are fractions in [0, 1].
 */
export interface EpochEnd__Output {
  /**
   * Mean training loss and accuracy over the epoch.
   */
  'trainLoss': (number);
  'trainAccuracy': (number);
  /**
   * Validation metrics; absent when the epoch ran no validation.
   */
  'valLoss'?: (number);
  'valAccuracy'?: (number);
  /**
   * Learning rate at the end of the epoch.
   */
  'lr': (number);
  /**
   * Wall-clock time of the epoch, validation included.
   */
  'durationMs': (number);
  '_valLoss'?: "valLoss";
  '_valAccuracy'?: "valAccuracy";
}
