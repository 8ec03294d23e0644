import * as tf from '@tensorflow/tfjs-core';
import type { EvalResult, Trainer } from './Trainer';

/**
 * 10-crop evaluation of one batch, as in the AlexNet paper: the four corner crops and the
 * centre crop of side `cropSize`, each also flipped horizontally, go through
 * `trainer.predict`; the ten log-probability vectors are averaged and scored against `ys`.
 * Returns sums like `trainer.evaluate`, so uneven batches average correctly. The caller
 * keeps ownership of `xs` and `ys`; every intermediate tensor is disposed.
 *
 * @example
 * ```ts
 * const r = await tenCropEvaluate(trainer, batch.xs, batch.ys, 227); // xs are 256² images
 * const loss = r.lossSum / r.count;
 * ```
 */
export async function tenCropEvaluate(trainer: Trainer, xs: tf.Tensor4D, ys: tf.Tensor1D, cropSize: number): Promise<EvalResult> {
  const mean = await tenCropLogProbs(trainer, xs, cropSize);
  try {
    const [lossSum, correct] = tf.tidy(() => {
      const classes = mean.shape[1] as number;
      const picked = tf.sum(tf.mul(mean, tf.oneHot(tf.cast(ys, 'int32'), classes)), 1);
      const hit = tf.equal(tf.argMax(mean, 1), tf.cast(ys, 'int32'));
      return [tf.neg(tf.sum(picked)), tf.sum(tf.cast(hit, 'float32'))];
    });
    try {
      const [l, k] = await Promise.all([lossSum.data(), correct.data()]);
      return { lossSum: l[0], correct: k[0], count: xs.shape[0] };
    } finally {
      lossSum.dispose();
      correct.dispose();
    }
  } finally {
    mean.dispose();
  }
}

/**
 * The ten views' averaged log-probabilities [batch, classes] that {@link tenCropEvaluate}
 * scores (the caller owns the result; `xs` stays the caller's).
 *
 * @example
 * ```ts
 * const logp = await tenCropLogProbs(trainer, batch.xs, 227);
 * const predicted = tf.argMax(logp, 1);
 * ```
 */
export async function tenCropLogProbs(trainer: Trainer, xs: tf.Tensor4D, cropSize: number): Promise<tf.Tensor2D> {
  const [n, h, w] = xs.shape;
  if (cropSize > h || cropSize > w) throw new RangeError(`10-crop: crop ${cropSize} is larger than the images (${h}×${w})`);
  const c = cropSize;
  const offsets: ReadonlyArray<readonly [number, number]> = [
    [0, 0],
    [0, w - c],
    [h - c, 0],
    [h - c, w - c],
    [Math.floor((h - c) / 2), Math.floor((w - c) / 2)],
  ];
  let sum: tf.Tensor2D | undefined;
  try {
    for (const [y, x] of offsets) {
      for (const flip of [false, true]) {
        const crop = tf.tidy(() => {
          const cut = tf.slice(xs, [0, y, x, 0], [n, c, c, xs.shape[3]]);
          return flip ? tf.image.flipLeftRight(cut) : cut;
        });
        let logp: tf.Tensor2D;
        try {
          logp = await trainer.predict(crop);
        } finally {
          crop.dispose();
        }
        const next: tf.Tensor2D = sum === undefined ? logp : tf.tidy(() => tf.add(sum as tf.Tensor2D, logp));
        if (sum !== undefined) {
          sum.dispose();
          logp.dispose();
        }
        sum = next;
      }
    }
    const total = sum as tf.Tensor2D;
    return tf.tidy(() => tf.div<tf.Tensor2D>(total, 10));
  } finally {
    sum?.dispose();
  }
}
