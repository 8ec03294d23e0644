// Original file: proto/telemetry.proto


/**
 * Training is starting, or resuming (then `resumed_from` is set).
 */
export interface TrainBegin {
  /**
   * Resolved TensorFlow.js backend, e.g. "wasm", "wasm+native", "tensorflow", "cpu".
   */
  'backend'?: (string);
  /**
   * Threads per replica the backend uses.
   */
  'threads'?: (number);
  /**
   * Data-parallel replicas (1 = single process).
   */
  'replicas'?: (number);
  /**
   * Epochs in total, counting those done before a resume.
   */
  'epochs'?: (number);
  /**
   * Optimisation steps (batches) per epoch.
   */
  'stepsPerEpoch'?: (number);
  /**
   * The decoded training config as JSON (a telemetry token shows as "(set)").
   */
  'configJson'?: (string);
  /**
   * Path (on the training machine) of the checkpoint the run resumed from; empty for a fresh run.
   */
  'resumedFrom'?: (string);
}

/**
 * Training is starting, or resuming (then `resumed_from` is set).
 */
export interface TrainBegin__Output {
  /**
   * Resolved TensorFlow.js backend, e.g. "wasm", "wasm+native", "tensorflow", "cpu".
   */
  'backend': (string);
  /**
   * Threads per replica the backend uses.
   */
  'threads': (number);
  /**
   * Data-parallel replicas (1 = single process).
   */
  'replicas': (number);
  /**
   * Epochs in total, counting those done before a resume.
   */
  'epochs': (number);
  /**
   * Optimisation steps (batches) per epoch.
   */
  'stepsPerEpoch': (number);
  /**
   * The decoded training config as JSON (a telemetry token shows as "(set)").
   */
  'configJson': (string);
  /**
   * Path (on the training machine) of the checkpoint the run resumed from; empty for a fresh run.
   */
  'resumedFrom': (string);
}
