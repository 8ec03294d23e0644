// Original file: proto/telemetry.proto


/**
 * One finished epoch of TrainBegin.history, as its EpochEnd said it. Accuracies are fractions in [0, 1].
 */
export interface EpochSummary {
  /**
   * 0-based epoch.
   */
  'epoch'?: (number);
  'trainLoss'?: (number | string);
  'trainAccuracy'?: (number | string);
  /**
   * Absent when the epoch ran no validation.
   */
  'valLoss'?: (number | string);
  'valAccuracy'?: (number | string);
  /**
   * Learning rate at the end of the epoch.
   */
  'lr'?: (number | string);
  'durationMs'?: (number | string);
  /**
   * As EpochEnd.val_top5_accuracy.
   */
  'valTop5Accuracy'?: (number | string);
  /**
   * As EpochEnd.images_per_sec (absent from checkpoints written before the field).
   */
  'imagesPerSec'?: (number | string);
  '_valLoss'?: "valLoss";
  '_valAccuracy'?: "valAccuracy";
  '_valTop5Accuracy'?: "valTop5Accuracy";
  '_imagesPerSec'?: "imagesPerSec";
}

/**
 * One finished epoch of TrainBegin.history, as its EpochEnd said it. Accuracies are fractions in [0, 1].
 */
export interface EpochSummary__Output {
  /**
   * 0-based epoch.
   */
  'epoch': (number);
  'trainLoss': (number);
  'trainAccuracy': (number);
  /**
   * Absent when the epoch ran no validation.
   */
  'valLoss'?: (number);
  'valAccuracy'?: (number);
  /**
   * Learning rate at the end of the epoch.
   */
  'lr': (number);
  'durationMs': (number);
  /**
   * As EpochEnd.val_top5_accuracy.
   */
  'valTop5Accuracy'?: (number);
  /**
   * As EpochEnd.images_per_sec (absent from checkpoints written before the field).
   */
  'imagesPerSec'?: (number);
  '_valLoss'?: "valLoss";
  '_valAccuracy'?: "valAccuracy";
  '_valTop5Accuracy'?: "valTop5Accuracy";
  '_imagesPerSec'?: "imagesPerSec";
}
