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
  /**
   * Share of validation images whose true class is among the 5 most probable (ties ranked as
   * for val_accuracy: the lower class index first), from the same validation pass. Absent when
   * the epoch ran no validation, when the model has 5 classes or fewer (where it is always 1),
   * and from servers before this field.
   */
  'valTop5Accuracy'?: (number | string);
  /**
   * Training throughput over the epoch: images trained over the time they took, validation
   * left out. A resumed run's first epoch counts only what the resumed process trained. Absent
   * when that process trained none of the epoch's images, and from servers before this field.
   */
  'imagesPerSec'?: (number | string);
  '_valLoss'?: "valLoss";
  '_valAccuracy'?: "valAccuracy";
  '_valTop5Accuracy'?: "valTop5Accuracy";
  '_imagesPerSec'?: "imagesPerSec";
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
  /**
   * Share of validation images whose true class is among the 5 most probable (ties ranked as
   * for val_accuracy: the lower class index first), from the same validation pass. Absent when
   * the epoch ran no validation, when the model has 5 classes or fewer (where it is always 1),
   * and from servers before this field.
   */
  'valTop5Accuracy'?: (number);
  /**
   * Training throughput over the epoch: images trained over the time they took, validation
   * left out. A resumed run's first epoch counts only what the resumed process trained. Absent
   * when that process trained none of the epoch's images, and from servers before this field.
   */
  'imagesPerSec'?: (number);
  '_valLoss'?: "valLoss";
  '_valAccuracy'?: "valAccuracy";
  '_valTop5Accuracy'?: "valTop5Accuracy";
  '_imagesPerSec'?: "imagesPerSec";
}
