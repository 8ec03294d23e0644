// Original file: proto/telemetry.proto

import type { RunStatus as _rxtrain_telemetry_v1_RunStatus, RunStatus__Output as _rxtrain_telemetry_v1_RunStatus__Output } from '../../../rxtrain/telemetry/v1/RunStatus';
import type { Metrics as _rxtrain_telemetry_v1_Metrics, Metrics__Output as _rxtrain_telemetry_v1_Metrics__Output } from '../../../rxtrain/telemetry/v1/Metrics';
import type { Long } from '@grpc/proto-loader';

export interface Run {
  'runId'?: (string);
  'status'?: (_rxtrain_telemetry_v1_RunStatus);
  'backend'?: (string);
  'threads'?: (number);
  'replicas'?: (number);
  'configJson'?: (string);
  'epochs'?: (number);
  'stepsPerEpoch'?: (number);
  'epoch'?: (number);
  'step'?: (number | string | Long);
  'metrics'?: (_rxtrain_telemetry_v1_Metrics | null);
  /**
   * Sequence of the latest event (0 before the first).
   */
  'lastSequence'?: (number | string | Long);
  /**
   * Oldest sequence a Subscribe can still replay from (0 when nothing is buffered).
   */
  'oldestSequence'?: (number | string | Long);
  'checkpoints'?: (number);
  'lastCheckpoint'?: (string);
  'samplesSkipped'?: (number | string | Long);
  'subscribers'?: (number);
  'resumedFrom'?: (string);
  /**
   * Message of the fatal error when status is FAILED.
   */
  'error'?: (string);
}

export interface Run__Output {
  'runId': (string);
  'status': (_rxtrain_telemetry_v1_RunStatus__Output);
  'backend': (string);
  'threads': (number);
  'replicas': (number);
  'configJson': (string);
  'epochs': (number);
  'stepsPerEpoch': (number);
  'epoch': (number);
  'step': (number);
  'metrics': (_rxtrain_telemetry_v1_Metrics__Output | null);
  /**
   * Sequence of the latest event (0 before the first).
   */
  'lastSequence': (number);
  /**
   * Oldest sequence a Subscribe can still replay from (0 when nothing is buffered).
   */
  'oldestSequence': (number);
  'checkpoints': (number);
  'lastCheckpoint': (string);
  'samplesSkipped': (number);
  'subscribers': (number);
  'resumedFrom': (string);
  /**
   * Message of the fatal error when status is FAILED.
   */
  'error': (string);
}
