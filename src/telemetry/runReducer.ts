import type { TrainEnd, TrainEvent } from './TrainEvent';
import type { RunStatus } from './generated/rxtrain/telemetry/v1/RunStatus';
import type { Metrics__Output } from './generated/rxtrain/telemetry/v1/Metrics';
import type { Run__Output } from './generated/rxtrain/telemetry/v1/Run';

/**
 * What `GetRun` answers, minus the fields only the server knows (subscribers, replay window).
 *
 * @example
 * ```ts
 * const run: RunSnapshot = initialRun('r');
 * ```
 */
export type RunSnapshot = Omit<Run__Output, 'subscribers' | 'oldestSequence'>;

const END_STATUS: Readonly<Record<TrainEnd['reason'], Extract<RunStatus, string>>> = {
  completed: 'RUN_STATUS_FINISHED',
  'early-stop': 'RUN_STATUS_EARLY_STOPPED',
  stopped: 'RUN_STATUS_STOPPED',
  'time-limit': 'RUN_STATUS_TIME_LIMIT',
};

/**
 * The run before any event: status RUN_STATUS_STARTING.
 *
 * @example
 * ```ts
 * initialRun('run-1').status; // 'RUN_STATUS_STARTING'
 * ```
 */
export function initialRun(runId: string, streamId = ''): RunSnapshot {
  return {
    runId,
    streamId,
    status: 'RUN_STATUS_STARTING',
    backend: '',
    threads: 0,
    replicas: 0,
    configJson: '',
    epochs: 0,
    stepsPerEpoch: 0,
    epoch: 0,
    step: 0,
    metrics: {},
    lastSequence: 0,
    checkpoints: 0,
    lastCheckpoint: '',
    samplesSkipped: 0,
    resumedFrom: '',
    error: '',
  };
}

function withMetrics(run: RunSnapshot, m: Partial<Metrics__Output>): Metrics__Output {
  return { ...(run.metrics ?? {}), ...m };
}

/**
 * Folds one event into the run snapshot, so `GetRun` answers in O(1) without replaying
 * the event history (which the bounded replay buffer may no longer hold).
 *
 * @example
 * ```ts
 * const run = reduceRun(initialRun('r'), { kind: 'LrChanged', time: 0, epoch: 2, step: 80, from: 0.01, to: 0.001 }, 1);
 * run.metrics?.lr; // 0.001
 * ```
 */
export function reduceRun(run: RunSnapshot, e: TrainEvent, sequence: number): RunSnapshot {
  const next: RunSnapshot = { ...run, epoch: e.epoch, step: e.step, lastSequence: sequence };
  switch (e.kind) {
    case 'TrainBegin': {
      let configJson: string;
      try {
        configJson = JSON.stringify(e.config ?? null) ?? 'null';
      } catch {
        configJson = 'null';
      }
      return {
        ...next,
        status: 'RUN_STATUS_RUNNING',
        runId: e.runId !== '' ? e.runId : run.runId,
        backend: e.backend,
        threads: e.threads,
        replicas: e.replicas,
        epochs: e.epochs,
        stepsPerEpoch: e.stepsPerEpoch,
        configJson,
        resumedFrom: e.resumedFrom ?? '',
      };
    }
    case 'EpochBegin':
      return { ...next, metrics: withMetrics(run, { lr: e.lr }) };
    case 'BatchEnd':
      return { ...next, metrics: withMetrics(run, { loss: e.loss, accuracy: e.accuracy, imagesPerSec: e.imagesPerSec }) };
    case 'EpochEnd': {
      const best = run.metrics?.bestValAccuracy;
      const m: Partial<Metrics__Output> = { trainLoss: e.trainLoss, trainAccuracy: e.trainAccuracy, lr: e.lr };
      if (e.valLoss !== undefined) m.valLoss = e.valLoss;
      if (e.valAccuracy !== undefined) {
        m.valAccuracy = e.valAccuracy;
        m.bestValAccuracy = best === undefined || best === null ? e.valAccuracy : Math.max(best, e.valAccuracy);
      }
      if (e.valTop5Accuracy !== undefined) m.valTop5Accuracy = e.valTop5Accuracy;
      return { ...next, metrics: withMetrics(run, m) };
    }
    case 'LrChanged':
      return { ...next, metrics: withMetrics(run, { lr: e.to }) };
    case 'CheckpointSaved':
      return { ...next, checkpoints: run.checkpoints + 1, lastCheckpoint: e.path };
    case 'SampleSkipped':
      return { ...next, samplesSkipped: run.samplesSkipped + 1 };
    case 'ValidationProgress':
    case 'EarlyStop':
      return next;
    case 'TrainEnd':
      return {
        ...next,
        status: END_STATUS[e.reason],
      };
    case 'Error':
      return e.fatal ? { ...next, status: 'RUN_STATUS_FAILED', error: e.message } : next;
  }
}
