import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's CommonJS build registers no gradient functions; @tensorflow/tfjs registers them
// (globally), and its ESM-only tfjs-core/dist/register_all_gradients fails under plain node.
import '@tensorflow/tfjs';
import type { BatchStats } from './batchNormTrain';
import { BN_MOMENTUM, type Network } from './Network';
import type { Sgd } from './sgd';

/**
 * Mean NLL loss and number of correct argmax predictions of log-probabilities `logProbs`
 * against int32 labels `ys`. Both results are new scalars owned by the caller.
 *
 * With `labelSmoothing` ε > 0 the loss is PyTorch's `CrossEntropyLoss(label_smoothing=ε)`:
 * the cross-entropy against the target (1 − ε)·onehot + ε/K over the K classes, i.e.
 * (1 − ε)·NLL + ε·mean over classes of −log p. The accuracy is unaffected.
 *
 * @example
 * ```ts
 * const { loss, correct } = tf.tidy(() => nllAndCorrect(net.forwardEval(xs), ys));
 * const smoothed = tf.tidy(() => nllAndCorrect(logProbs, ys, 0.1).loss);
 * ```
 */
export function nllAndCorrect(logProbs: tf.Tensor2D, ys: tf.Tensor1D, labelSmoothing = 0): { loss: tf.Scalar; correct: tf.Scalar } {
  checkLabelSmoothing(labelSmoothing);
  return tf.tidy(() => {
    const labels = tf.cast(ys, 'int32');
    const picked = tf.sum(tf.mul(tf.oneHot(labels, logProbs.shape[1]), logProbs), 1);
    const nll = tf.neg(tf.mean(picked)) as tf.Scalar;
    // Not a oneHot with on/off values (1 − ε + ε/K, ε/K): tfjs-backend-wasm 4.22's OneHot
    // truncates them to integers, which made the target all zeros. The mean of −log p over
    // all elements is the batch mean of the per-sample mean over classes.
    const loss = labelSmoothing === 0
      ? nll
      : tf.add(tf.mul(nll, 1 - labelSmoothing), tf.mul(tf.neg(tf.mean(logProbs)), labelSmoothing)) as tf.Scalar;
    const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logProbs, 1), labels), 'float32')) as tf.Scalar;
    return { loss, correct };
  });
}

/**
 * Throws a RangeError unless `e` is a label-smoothing factor in [0, 1).
 *
 * @example
 * ```ts
 * checkLabelSmoothing(0.1); // fine
 * checkLabelSmoothing(1); // RangeError
 * ```
 */
export function checkLabelSmoothing(e: number): void {
  if (!(Number.isFinite(e) && e >= 0 && e < 1)) throw new RangeError(`labelSmoothing must be a number in [0, 1), got ${e}`);
}

/**
 * Gradients of one (shard of a) batch, before any update: mean loss, correct count,
 * gradients in the order of `net.trainable`, and the BatchNorm batch statistics. All
 * returned tensors belong to the caller. `sampleOffset` is the index of `xs[0]` within the
 * whole batch, so dropout masks do not depend on how the batch was split. The loss is the
 * label-smoothed one when `labelSmoothing` > 0 (see {@link nllAndCorrect}).
 *
 * @example
 * ```ts
 * const g = computeGradients(net, xs, ys, seed);
 * applyUpdate(net, sgd, g.grads, g.stats);
 * disposeGradients(g);
 * ```
 */
export function computeGradients(
  net: Network,
  xs: tf.Tensor4D,
  ys: tf.Tensor1D,
  seed: number,
  sampleOffset = 0,
  labelSmoothing = 0,
): { loss: tf.Scalar; correct: tf.Scalar; grads: tf.Tensor[]; stats: BatchStats[] } {
  let stats: BatchStats[] = [];
  let correct: tf.Scalar | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const r = net.forwardTrain(xs, seed, sampleOffset);
    stats = r.stats;
    const m = nllAndCorrect(r.logProbs, ys, labelSmoothing);
    correct = tf.keep(m.correct);
    return m.loss;
  }, net.trainable.map((v) => v.variable));
  if (correct === undefined) throw new Error('computeGradients: forward pass did not run');
  const ordered = net.trainable.map((v) => {
    const g = grads[v.variable.name];
    if (g === undefined) throw new Error(`computeGradients: no gradient for ${v.name}`);
    return g;
  });
  return { loss: value, correct, grads: ordered, stats };
}

/**
 * Disposes everything {@link computeGradients} returned.
 *
 * @example
 * ```ts
 * disposeGradients(computeGradients(net, xs, ys, 1));
 * ```
 */
export function disposeGradients(g: { loss: tf.Tensor; correct: tf.Tensor; grads: readonly tf.Tensor[]; stats: readonly BatchStats[] }): void {
  g.loss.dispose();
  g.correct.dispose();
  for (const t of g.grads) t.dispose();
  for (const s of g.stats) {
    s.mean.dispose();
    s.variance.dispose();
  }
}

/**
 * Applies one optimizer update with `grads` and folds the batch statistics into the
 * BatchNorm moving statistics like PyTorch: moving ← (1 − 0.1)·moving + 0.1·batch, with the
 * unbiased batch variance. Does not dispose its arguments.
 *
 * @example
 * ```ts
 * applyUpdate(net, sgd, g.grads, g.stats);
 * ```
 */
export function applyUpdate(net: Network, sgd: Sgd, grads: readonly tf.Tensor[], stats: readonly BatchStats[]): void {
  if (stats.length !== net.moving.length) throw new Error(`applyUpdate: got ${stats.length} BatchNorm statistics for ${net.moving.length} layers`);
  sgd.apply(grads);
  tf.tidy(() => {
    const keep = tf.scalar(1 - BN_MOMENTUM);
    const take = tf.scalar(BN_MOMENTUM);
    net.moving.forEach((mv, i) => {
      const s = stats[i];
      const unbias = s.count > 1 ? s.count / (s.count - 1) : 1;
      mv.mean.assign(tf.add(tf.mul(mv.mean, keep), tf.mul(s.mean, take)));
      mv.variance.assign(tf.add(tf.mul(mv.variance, keep), tf.mul(tf.mul(s.variance, unbias), take)));
    });
  });
}
