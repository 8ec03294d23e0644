// Original file: proto/telemetry.proto

import type { RunStatus as _rxtrain_telemetry_v1_RunStatus, RunStatus__Output as _rxtrain_telemetry_v1_RunStatus__Output } from '../../../rxtrain/telemetry/v1/RunStatus';
import type { Metrics as _rxtrain_telemetry_v1_Metrics, Metrics__Output as _rxtrain_telemetry_v1_Metrics__Output } from '../../../rxtrain/telemetry/v1/Metrics';
import type { Long } from '@grpc/proto-loader';

/**
 * The run as the server has seen it: TrainBegin's fields, plus what the events since tell.
 */
export interface Run {
  'runId'?: (string);
  'status'?: (_rxtrain_telemetry_v1_RunStatus);
  /**
   * As in TrainBegin; empty or 0 while RUN_STATUS_STARTING.
   */
  'backend'?: (string);
  'threads'?: (number);
  'replicas'?: (number);
  'configJson'?: (string);
  'epochs'?: (number);
  'stepsPerEpoch'?: (number);
  /**
   * Epoch and step of the latest event.
   */
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
  /**
   * CheckpointSaved events in this training process, and the latest one's path.
   */
  'checkpoints'?: (number);
  'lastCheckpoint'?: (string);
  /**
   * SampleSkipped events in this training process.
   */
  'samplesSkipped'?: (number | string | Long);
  /**
   * Subscribe streams open now.
   */
  'subscribers'?: (number);
  /**
   * As in TrainBegin.
   */
  'resumedFrom'?: (string);
  /**
   * Message of the fatal error when status is RUN_STATUS_FAILED.
   */
  'error'?: (string);
  /**
   * As Event.stream_id: this training process's event stream.
   */
  'streamId'?: (string);
}

/**
 * The run as the server has seen it: TrainBegin's fields, plus what the events since tell.
 */
export interface Run__Output {
  'runId': (string);
  'status': (_rxtrain_telemetry_v1_RunStatus__Output);
  /**
   * As in TrainBegin; empty or 0 while RUN_STATUS_STARTING.
   */
  'backend': (string);
  'threads': (number);
  'replicas': (number);
  'configJson': (string);
  'epochs': (number);
  'stepsPerEpoch': (number);
  /**
   * Epoch and step of the latest event.
   */
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
  /**
   * CheckpointSaved events in this training process, and the latest one's path.
   */
  'checkpoints': (number);
  'lastCheckpoint': (string);
  /**
   * SampleSkipped events in this training process.
   */
  'samplesSkipped': (number);
  /**
   * Subscribe streams open now.
   */
  'subscribers': (number);
  /**
   * As in TrainBegin.
   */
  'resumedFrom': (string);
  /**
   * Message of the fatal error when status is RUN_STATUS_FAILED.
   */
  'error': (string);
  /**
   * As Event.stream_id: this training process's event stream.
   */
  'streamId': (string);
}
