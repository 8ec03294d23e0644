// Original file: proto/telemetry.proto


/**
 * Training progress, throttled (rxtrain train: progress.batchEventsPerSec, default 10 a second,
 * or every progress.everyBatches batches), after an epoch's last batch and before a stop's
 * checkpoint; the metrics cover every batch since the previous BatchEnd.
 */
export interface BatchEnd {
  /**
   * 0-based batch index within the epoch.
   */
  'batch'?: (number);
  /**
   * Images in this batch.
   */
  'batchSize'?: (number);
  /**
   * Mean training loss since the previous BatchEnd; NaN if training diverged.
   */
  'loss'?: (number | string);
  /**
   * Training accuracy since the previous BatchEnd, a fraction in [0, 1].
   */
  'accuracy'?: (number | string);
  /**
   * Training throughput since the previous BatchEnd.
   */
  'imagesPerSec'?: (number | string);
  /**
   * True on the epoch's last BatchEnd: its training data ran out after `batch`, which comes
   * before EpochBegin.steps when skipped samples shortened the epoch (the next files take
   * their places); validation and EpochEnd follow. False on the others, and from servers
   * before this field.
   */
  'lastOfEpoch'?: (boolean);
}

/**
 * Training progress, throttled (rxtrain train: progress.batchEventsPerSec, default 10 a second,
 * or every progress.everyBatches batches), after an epoch's last batch and before a stop's
 * checkpoint; the metrics cover every batch since the previous BatchEnd.
 */
export interface BatchEnd__Output {
  /**
   * 0-based batch index within the epoch.
   */
  'batch': (number);
  /**
   * Images in this batch.
   */
  'batchSize': (number);
  /**
   * Mean training loss since the previous BatchEnd; NaN if training diverged.
   */
  'loss': (number);
  /**
   * Training accuracy since the previous BatchEnd, a fraction in [0, 1].
   */
  'accuracy': (number);
  /**
   * Training throughput since the previous BatchEnd.
   */
  'imagesPerSec': (number);
  /**
   * True on the epoch's last BatchEnd: its training data ran out after `batch`, which comes
   * before EpochBegin.steps when skipped samples shortened the epoch (the next files take
   * their places); validation and EpochEnd follow. False on the others, and from servers
   * before this field.
   */
  'lastOfEpoch': (boolean);
}
