// Original file: proto/telemetry.proto


export interface TrainBegin {
  'backend'?: (string);
  'threads'?: (number);
  'replicas'?: (number);
  'epochs'?: (number);
  'stepsPerEpoch'?: (number);
  /**
   * The decoded training config as JSON.
   */
  'configJson'?: (string);
  /**
   * Checkpoint the run resumed from; empty for a fresh run.
   */
  'resumedFrom'?: (string);
}

export interface TrainBegin__Output {
  'backend': (string);
  'threads': (number);
  'replicas': (number);
  'epochs': (number);
  'stepsPerEpoch': (number);
  /**
   * The decoded training config as JSON.
   */
  'configJson': (string);
  /**
   * Checkpoint the run resumed from; empty for a fresh run.
   */
  'resumedFrom': (string);
}
