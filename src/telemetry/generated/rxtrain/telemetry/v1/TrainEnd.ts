// Original file: proto/telemetry.proto

import type { TrainEndReason as _rxtrain_telemetry_v1_TrainEndReason, TrainEndReason__Output as _rxtrain_telemetry_v1_TrainEndReason__Output } from '../../../rxtrain/telemetry/v1/TrainEndReason';

export interface TrainEnd {
  'reason'?: (_rxtrain_telemetry_v1_TrainEndReason);
  'durationMs'?: (number | string);
}

export interface TrainEnd__Output {
  'reason': (_rxtrain_telemetry_v1_TrainEndReason__Output);
  'durationMs': (number);
}
