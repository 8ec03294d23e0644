// Original file: proto/telemetry.proto


/**
 * Latest known metrics; a field is absent until the run has reported it (in this training
 * process). Accuracies are fractions in [0, 1].
 */
export interface Metrics {
  /**
   * From the latest BatchEnd.
   */
  'loss'?: (number | string);
  'accuracy'?: (number | string);
  /**
   * The current learning rate (EpochBegin, EpochEnd, LrChanged).
   */
  'lr'?: (number | string);
  /**
   * From the latest BatchEnd.
   */
  'imagesPerSec'?: (number | string);
  /**
   * From the latest EpochEnd.
   */
  'trainLoss'?: (number | string);
  'trainAccuracy'?: (number | string);
  'valLoss'?: (number | string);
  'valAccuracy'?: (number | string);
  /**
   * Best val_accuracy over this process's epochs.
   */
  'bestValAccuracy'?: (number | string);
  /**
   * From the latest EpochEnd that had it (more than 5 classes), as EpochEnd.val_top5_accuracy.
   */
  'valTop5Accuracy'?: (number | string);
  '_loss'?: "loss";
  '_accuracy'?: "accuracy";
  '_lr'?: "lr";
  '_imagesPerSec'?: "imagesPerSec";
  '_trainLoss'?: "trainLoss";
  '_trainAccuracy'?: "trainAccuracy";
  '_valLoss'?: "valLoss";
  '_valAccuracy'?: "valAccuracy";
  '_bestValAccuracy'?: "bestValAccuracy";
  '_valTop5Accuracy'?: "valTop5Accuracy";
}

/**
 * Latest known metrics; a field is absent until the run has reported it (in this training
 * process). Accuracies are fractions in [0, 1].
 */
export interface Metrics__Output {
  /**
   * From the latest BatchEnd.
   */
  'loss'?: (number);
  'accuracy'?: (number);
  /**
   * The current learning rate (EpochBegin, EpochEnd, LrChanged).
   */
  'lr'?: (number);
  /**
   * From the latest BatchEnd.
   */
  'imagesPerSec'?: (number);
  /**
   * From the latest EpochEnd.
   */
  'trainLoss'?: (number);
  'trainAccuracy'?: (number);
  'valLoss'?: (number);
  'valAccuracy'?: (number);
  /**
   * Best val_accuracy over this process's epochs.
   */
  'bestValAccuracy'?: (number);
  /**
   * From the latest EpochEnd that had it (more than 5 classes), as EpochEnd.val_top5_accuracy.
   */
  'valTop5Accuracy'?: (number);
  '_loss'?: "loss";
  '_accuracy'?: "accuracy";
  '_lr'?: "lr";
  '_imagesPerSec'?: "imagesPerSec";
  '_trainLoss'?: "trainLoss";
  '_trainAccuracy'?: "trainAccuracy";
  '_valLoss'?: "valLoss";
  '_valAccuracy'?: "valAccuracy";
  '_bestValAccuracy'?: "bestValAccuracy";
  '_valTop5Accuracy'?: "valTop5Accuracy";
}
