import type * as tf from '@tensorflow/tfjs-core';
import { LabelOutOfRangeError } from './LabelOutOfRangeError';
import type { NetworkSpec } from './NetworkSpec';

/**
 * Validates a batch against a model before any work: NHWC shape equal to the model input,
 * one label per image, labels integers in [0, numClasses), and (for training) at least two
 * images, since BatchNorm on one image has no variance (PyTorch refuses it too). Throws a
 * RangeError saying what is wrong (a {@link LabelOutOfRangeError} for a label). Reads `ys` back (a few bytes).
 *
 * @example
 * ```ts
 * checkBatch(spec, xs, ys, true);
 * ```
 */
export function checkBatch(spec: NetworkSpec, xs: tf.Tensor, ys: tf.Tensor | undefined, training: boolean): void {
  const [h, w, c] = spec.inputShape;
  if (xs.rank !== 4 || xs.shape[1] !== h || xs.shape[2] !== w || xs.shape[3] !== c) {
    throw new RangeError(`${spec.name} expects images [batch, ${h}, ${w}, ${c}] (NHWC), got [${xs.shape.join(', ')}]${shapeHint(spec, xs.shape)}`);
  }
  if (xs.dtype !== 'float32') throw new RangeError(`images must be float32, got ${xs.dtype}`);
  const batch = xs.shape[0];
  if (training && batch < 2) throw new RangeError(`a training batch needs at least 2 images (BatchNorm), got ${batch}`);
  if (ys === undefined) return;
  if (ys.rank !== 1 || ys.shape[0] !== batch) throw new RangeError(`labels must be a 1-D tensor of ${batch} class indices, got shape [${ys.shape.join(', ')}]`);
  const labels = ys.dataSync();
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= spec.numClasses) {
      throw new LabelOutOfRangeError(y, i, spec.numClasses);
    }
  }
}

/**
 * What to change when a batch of images fits the model but for its channels or its side: the
 * model and the batches are built apart (createTrainer's inputShape, the dataset's crop and
 * channels), and grey images decode to RGB unless asked otherwise, so a grey model meets RGB
 * batches first time. Empty for other shapes.
 */
function shapeHint(spec: NetworkSpec, shape: readonly number[]): string {
  const [h, w, c] = spec.inputShape;
  if (shape.length !== 4) return '';
  const [, bh, bw, bc] = shape;
  if (bh === h && bw === w) {
    return `: the batches have ${bc} channels and the model ${c}; give the model inputShape [${h}, ${w}, ${bc}], `
      + `or the batches ${c} (createImageDataset's channels: ${c}, with images decoded to ${c}: the channels option of fileStore and decode)`;
  }
  if (bc === c && bh === bw && h === w) {
    return `: the batches are ${bh}x${bw} and the model takes ${h}x${w}; give the model inputShape [${bh}, ${bw}, ${c}], or the dataset augment.crop ${h}`;
  }
  return '';
}
