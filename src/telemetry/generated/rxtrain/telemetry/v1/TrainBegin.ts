// Original file: proto/telemetry.proto

import type { EpochSummary as _rxtrain_telemetry_v1_EpochSummary, EpochSummary__Output as _rxtrain_telemetry_v1_EpochSummary__Output } from '../../../rxtrain/telemetry/v1/EpochSummary';
import type { InitialisedFrom as _rxtrain_telemetry_v1_InitialisedFrom, InitialisedFrom__Output as _rxtrain_telemetry_v1_InitialisedFrom__Output } from '../../../rxtrain/telemetry/v1/InitialisedFrom';

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
   * Data-parallel replicas (1 = one trainer on the main thread; N > 1 = N worker threads in the one process).
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
  /**
   * A resumed run's finished epochs, oldest first, as its checkpoint recorded them: a monitor
   * that started after the restart shows them without the earlier process's events. Empty for
   * a fresh run, and from servers before this field (an unknown field to clients before it).
   * At most the latest 1000 epochs (60-80 kB): an earlier epoch of a longer run is not in it.
   */
  'history'?: (_rxtrain_telemetry_v1_EpochSummary)[];
  /**
   * A new run started from another run's weights (rxtrain train --init-from): what it took.
   * Absent otherwise, also when such a run resumes (its own checkpoint holds the weights then),
   * and from servers before this field (an unknown field to clients before it).
   */
  'initialisedFrom'?: (_rxtrain_telemetry_v1_InitialisedFrom | null);
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
   * Data-parallel replicas (1 = one trainer on the main thread; N > 1 = N worker threads in the one process).
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
  /**
   * A resumed run's finished epochs, oldest first, as its checkpoint recorded them: a monitor
   * that started after the restart shows them without the earlier process's events. Empty for
   * a fresh run, and from servers before this field (an unknown field to clients before it).
   * At most the latest 1000 epochs (60-80 kB): an earlier epoch of a longer run is not in it.
   */
  'history': (_rxtrain_telemetry_v1_EpochSummary__Output)[];
  /**
   * A new run started from another run's weights (rxtrain train --init-from): what it took.
   * Absent otherwise, also when such a run resumes (its own checkpoint holds the weights then),
   * and from servers before this field (an unknown field to clients before it).
   */
  'initialisedFrom': (_rxtrain_telemetry_v1_InitialisedFrom__Output | null);
}
