// Original file: proto/telemetry.proto


export interface EarlyStop {
  'reason'?: (string);
}

export interface EarlyStop__Output {
  'reason': (string);
}
