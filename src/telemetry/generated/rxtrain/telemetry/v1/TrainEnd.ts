// Original file: proto/telemetry.proto

import type { TrainEndReason as _rxtrain_telemetry_v1_TrainEndReason, TrainEndReason__Output as _rxtrain_telemetry_v1_TrainEndReason__Output } from '../../../rxtrain/telemetry/v1/TrainEndReason';

/**
 * Training ended: the last event of a run that did not fail.
 */
export interface TrainEnd {
  'reason'?: (_rxtrain_telemetry_v1_TrainEndReason);
  /**
   * Training time of this process.
   */
  'durationMs'?: (number | string);
}

/**
 * Training ended: the last event of a run that did not fail.
 */
export interface TrainEnd__Output {
  'reason': (_rxtrain_telemetry_v1_TrainEndReason__Output);
  /**
   * Training time of this process.
   */
  'durationMs': (number);
}
