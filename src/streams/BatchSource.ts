import type * as tf from '@tensorflow/tfjs-core';
import type { Skip } from './Skip';

/**
 * A batch ready for the model. The receiver owns `xs` and `ys` and must dispose them
 * (the training loop does so after the step).
 *
 * @example
 * ```ts
 * const b: Batch = { kind: 'batch', xs: tf.zeros([2, 8, 8, 3]), ys: tf.tensor1d([0, 1], 'int32'), paths: ['a', 'b'] };
 * b.xs.dispose(); b.ys.dispose();
 * ```
 */
export interface Batch {
  readonly kind: 'batch';
  /** NHWC float32 images. */
  readonly xs: tf.Tensor4D;
  /** int32 class indices, one per image. */
  readonly ys: tf.Tensor1D;
  readonly paths: readonly string[];
}

/**
 * What a pull yields: a batch, or a sample that was skipped while preparing it.
 *
 * @example
 * ```ts
 * for await (const item of source.epoch(0)) if (item.kind === 'skip') console.warn(item.reason);
 * ```
 */
export type BatchItem = Batch | Skip;

/**
 * The contract between the data pipeline and the training loop: the consumer pulls, and at
 * most `prefetch` batches are prepared ahead of it, whatever the dataset size or consumer
 * speed. Epoch order is a pure function of (seed, epoch), so a resumed run can start at
 * `startBatch` and see exactly the batches the uninterrupted run would have.
 *
 * @example
 * ```ts
 * for await (const item of source.epoch(3, 0)) {
 *   if (item.kind === 'batch') { await step(item.xs, item.ys); item.xs.dispose(); item.ys.dispose(); }
 * }
 * ```
 */
export interface BatchSource {
  /** Number of samples (before skips) in one epoch. */
  readonly size: number;
  /** Number of batches in one epoch. */
  readonly stepsPerEpoch: number;
  readonly batchSize: number;
  /** Shape of one image in the batches, [height, width, channels]. */
  readonly imageShape: readonly [number, number, number];
  /** Pulls the batches of `epoch`, starting at batch index `startBatch` (default 0). */
  epoch(epoch: number, startBatch?: number): AsyncIterableIterator<BatchItem>;
  /** Releases workers and file handles. */
  close(): Promise<void>;
}
