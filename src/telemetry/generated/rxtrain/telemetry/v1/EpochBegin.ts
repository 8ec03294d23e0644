// Original file: proto/telemetry.proto


export interface EpochBegin {
  'lr'?: (number | string);
  'steps'?: (number);
}

export interface EpochBegin__Output {
  'lr': (number);
  'steps': (number);
}
