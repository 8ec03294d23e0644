// Original file: proto/telemetry.proto

import type { TrainBegin as _rxtrain_telemetry_v1_TrainBegin, TrainBegin__Output as _rxtrain_telemetry_v1_TrainBegin__Output } from '../../../rxtrain/telemetry/v1/TrainBegin';
import type { EpochBegin as _rxtrain_telemetry_v1_EpochBegin, EpochBegin__Output as _rxtrain_telemetry_v1_EpochBegin__Output } from '../../../rxtrain/telemetry/v1/EpochBegin';
import type { BatchEnd as _rxtrain_telemetry_v1_BatchEnd, BatchEnd__Output as _rxtrain_telemetry_v1_BatchEnd__Output } from '../../../rxtrain/telemetry/v1/BatchEnd';
import type { EpochEnd as _rxtrain_telemetry_v1_EpochEnd, EpochEnd__Output as _rxtrain_telemetry_v1_EpochEnd__Output } from '../../../rxtrain/telemetry/v1/EpochEnd';
import type { LrChanged as _rxtrain_telemetry_v1_LrChanged, LrChanged__Output as _rxtrain_telemetry_v1_LrChanged__Output } from '../../../rxtrain/telemetry/v1/LrChanged';
import type { CheckpointSaved as _rxtrain_telemetry_v1_CheckpointSaved, CheckpointSaved__Output as _rxtrain_telemetry_v1_CheckpointSaved__Output } from '../../../rxtrain/telemetry/v1/CheckpointSaved';
import type { SampleSkipped as _rxtrain_telemetry_v1_SampleSkipped, SampleSkipped__Output as _rxtrain_telemetry_v1_SampleSkipped__Output } from '../../../rxtrain/telemetry/v1/SampleSkipped';
import type { EarlyStop as _rxtrain_telemetry_v1_EarlyStop, EarlyStop__Output as _rxtrain_telemetry_v1_EarlyStop__Output } from '../../../rxtrain/telemetry/v1/EarlyStop';
import type { TrainEnd as _rxtrain_telemetry_v1_TrainEnd, TrainEnd__Output as _rxtrain_telemetry_v1_TrainEnd__Output } from '../../../rxtrain/telemetry/v1/TrainEnd';
import type { TrainError as _rxtrain_telemetry_v1_TrainError, TrainError__Output as _rxtrain_telemetry_v1_TrainError__Output } from '../../../rxtrain/telemetry/v1/TrainError';
import type { ValidationProgress as _rxtrain_telemetry_v1_ValidationProgress, ValidationProgress__Output as _rxtrain_telemetry_v1_ValidationProgress__Output } from '../../../rxtrain/telemetry/v1/ValidationProgress';
import type { Long } from '@grpc/proto-loader';

/**
 * One training event. `sequence` is gap-free over the run: 1, 2, 3, ...
 */
export interface Event {
  /**
   * The run's name (rxtrain train: its run directory's base name); the same across resumes.
   */
  'runId'?: (string);
  /**
   * Gap-free from 1 in each training process: a resumed run starts again at 1 (with a new stream_id).
   */
  'sequence'?: (number | string | Long);
  /**
   * Wall-clock time the event was emitted, microseconds since the Unix epoch.
   */
  'timeUnixMicros'?: (number | string | Long);
  /**
   * 0-based epoch the event belongs to.
   */
  'epoch'?: (number);
  /**
   * Global optimisation step (batches trained since the run began, across resumes).
   */
  'step'?: (number | string | Long);
  /**
   * Identifies this training process's event stream (random, new in every process): the
   * sequence numbers of two events compare only when their stream_id is the same.
   */
  'streamId'?: (string);
  'trainBegin'?: (_rxtrain_telemetry_v1_TrainBegin | null);
  'epochBegin'?: (_rxtrain_telemetry_v1_EpochBegin | null);
  'batchEnd'?: (_rxtrain_telemetry_v1_BatchEnd | null);
  'epochEnd'?: (_rxtrain_telemetry_v1_EpochEnd | null);
  'lrChanged'?: (_rxtrain_telemetry_v1_LrChanged | null);
  'checkpointSaved'?: (_rxtrain_telemetry_v1_CheckpointSaved | null);
  'sampleSkipped'?: (_rxtrain_telemetry_v1_SampleSkipped | null);
  'earlyStop'?: (_rxtrain_telemetry_v1_EarlyStop | null);
  'trainEnd'?: (_rxtrain_telemetry_v1_TrainEnd | null);
  'error'?: (_rxtrain_telemetry_v1_TrainError | null);
  /**
   * Servers before it send none; to clients before it, an unknown member: skip the Event.
   */
  'validationProgress'?: (_rxtrain_telemetry_v1_ValidationProgress | null);
  'event'?: "trainBegin"|"epochBegin"|"batchEnd"|"epochEnd"|"lrChanged"|"checkpointSaved"|"sampleSkipped"|"earlyStop"|"trainEnd"|"error"|"validationProgress";
}

/**
 * One training event. `sequence` is gap-free over the run: 1, 2, 3, ...
 */
export interface Event__Output {
  /**
   * The run's name (rxtrain train: its run directory's base name); the same across resumes.
   */
  'runId': (string);
  /**
   * Gap-free from 1 in each training process: a resumed run starts again at 1 (with a new stream_id).
   */
  'sequence': (number);
  /**
   * Wall-clock time the event was emitted, microseconds since the Unix epoch.
   */
  'timeUnixMicros': (number);
  /**
   * 0-based epoch the event belongs to.
   */
  'epoch': (number);
  /**
   * Global optimisation step (batches trained since the run began, across resumes).
   */
  'step': (number);
  /**
   * Identifies this training process's event stream (random, new in every process): the
   * sequence numbers of two events compare only when their stream_id is the same.
   */
  'streamId': (string);
  'trainBegin'?: (_rxtrain_telemetry_v1_TrainBegin__Output | null);
  'epochBegin'?: (_rxtrain_telemetry_v1_EpochBegin__Output | null);
  'batchEnd'?: (_rxtrain_telemetry_v1_BatchEnd__Output | null);
  'epochEnd'?: (_rxtrain_telemetry_v1_EpochEnd__Output | null);
  'lrChanged'?: (_rxtrain_telemetry_v1_LrChanged__Output | null);
  'checkpointSaved'?: (_rxtrain_telemetry_v1_CheckpointSaved__Output | null);
  'sampleSkipped'?: (_rxtrain_telemetry_v1_SampleSkipped__Output | null);
  'earlyStop'?: (_rxtrain_telemetry_v1_EarlyStop__Output | null);
  'trainEnd'?: (_rxtrain_telemetry_v1_TrainEnd__Output | null);
  'error'?: (_rxtrain_telemetry_v1_TrainError__Output | null);
  /**
   * Servers before it send none; to clients before it, an unknown member: skip the Event.
   */
  'validationProgress'?: (_rxtrain_telemetry_v1_ValidationProgress__Output | null);
  'event'?: "trainBegin"|"epochBegin"|"batchEnd"|"epochEnd"|"lrChanged"|"checkpointSaved"|"sampleSkipped"|"earlyStop"|"trainEnd"|"error"|"validationProgress";
}
