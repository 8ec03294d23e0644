import type * as tf from '@tensorflow/tfjs-core';
import type { DataParallelTimings } from './DataParallelTrainer';

/**
 * Metrics of one training step, read back from the backend.
 *
 * @example
 * ```ts
 * const { loss, accuracy } = await trainer.step(xs, ys, 17);
 * ```
 */
export interface StepResult {
  /** Mean NLL loss over the batch. */
  readonly loss: number;
  /** Fraction of the batch classified correctly (argmax). */
  readonly accuracy: number;
}

/**
 * Summed metrics of an evaluation batch, so that uneven last batches average correctly.
 *
 * @example
 * ```ts
 * const { lossSum, correct, count } = await trainer.evaluate(xs, ys);
 * ```
 */
export interface EvalResult {
  readonly lossSum: number;
  readonly correct: number;
  readonly count: number;
}

/**
 * Everything needed to continue training exactly: weights (including BatchNorm moving
 * statistics) and optimizer slots, by name, as plain arrays that serialise to a checkpoint.
 *
 * @example
 * ```ts
 * const state = await trainer.getState();
 * await other.setState(state);
 * ```
 */
export interface TrainerState {
  readonly weights: ReadonlyArray<{ readonly name: string; readonly shape: readonly number[]; readonly data: Float32Array }>;
  readonly optimizer: ReadonlyArray<{ readonly name: string; readonly shape: readonly number[]; readonly data: Float32Array }>;
}

/**
 * A model plus its optimizer, on one device or as data-parallel replicas. The caller keeps
 * ownership of the tensors it passes in; the trainer never disposes them.
 *
 * @example
 * ```ts
 * const r = await trainer.step(batch.xs, batch.ys, seed);
 * batch.xs.dispose(); batch.ys.dispose();
 * ```
 */
export interface Trainer {
  /** Backend name the trainer runs on. */
  readonly backend: string;
  /** Number of data-parallel replicas (1 = in this thread). */
  readonly replicas: number;
  /** Compute threads of each replica's backend (reported in TrainBegin). */
  readonly threads: number;
  /**
   * One SGD step on the batch. `seed` drives dropout masks, so the same weights, batch and
   * seed give the same update (exact resume).
   */
  step(xs: tf.Tensor4D, ys: tf.Tensor1D, seed: number): Promise<StepResult>;
  /** Inference-mode loss and accuracy (no dropout, BatchNorm moving statistics). */
  evaluate(xs: tf.Tensor4D, ys: tf.Tensor1D): Promise<EvalResult>;
  /** Log-probabilities [batch, classes] in inference mode (e.g. for 10-crop averaging). */
  predict(xs: tf.Tensor4D): Promise<tf.Tensor2D>;
  setLearningRate(lr: number): void;
  getState(): Promise<TrainerState>;
  /**
   * Just the weights of {@link getState} (BatchNorm moving statistics included), without the
   * optimizer slots: half the copying, for readers that only need the model (the weight EMA).
   */
  getWeights(): Promise<TrainerState['weights']>;
  setState(state: TrainerState): Promise<void>;
  dispose(): Promise<void>;
  /**
   * Data-parallel trainers only (replicas or `worker: true`): the per-step time breakdown since
   * the previous call (then starts over). Absent on a trainer that runs in this thread, which is
   * what `createTrainer({ replicas: 'auto' })` may choose, so call it as `trainer.timings?.()`.
   */
  timings?(): DataParallelTimings;
}
