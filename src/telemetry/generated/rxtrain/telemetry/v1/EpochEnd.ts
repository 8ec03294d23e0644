// Original file: proto/telemetry.proto


export interface EpochEnd {
  'trainLoss'?: (number | string);
  'trainAccuracy'?: (number | string);
  /**
   * Absent when the epoch ran no validation.
   */
  'valLoss'?: (number | string);
  'valAccuracy'?: (number | string);
  'lr'?: (number | string);
  'durationMs'?: (number | string);
  '_valLoss'?: "valLoss";
  '_valAccuracy'?: "valAccuracy";
}

export interface EpochEnd__Output {
  'trainLoss': (number);
  'trainAccuracy': (number);
  /**
   * Absent when the epoch ran no validation.
   */
  'valLoss'?: (number);
  'valAccuracy'?: (number);
  'lr': (number);
  'durationMs': (number);
  '_valLoss'?: "valLoss";
  '_valAccuracy'?: "valAccuracy";
}
