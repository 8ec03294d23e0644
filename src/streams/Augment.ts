import { centerCropRect } from '../ops/centerCrop';
import { cropFlipNormalizeInto } from '../ops/cropFlipNormalizeInto';
import type { Image } from '../ops/Image';
import { padImage } from '../ops/pad';
import { randomCropRect } from '../ops/randomCrop';
import { drawFlip } from '../ops/randomFlip';
import type { Rng } from '../ops/Rng';

/**
 * Training augmentation: optional zero padding, a random `crop`×`crop` window, an optional
 * random left-right flip, then `(pixel - mean) / std` (pixel units, 0..255).
 *
 * @example
 * ```ts
 * const a: TrainAugment = { kind: 'train', crop: 227, flip: true, mean: [124, 116, 104] };
 * ```
 */
export interface TrainAugment {
  readonly kind: 'train';
  readonly crop: number;
  /** Border (pixels, each side) added before cropping, e.g. 4 for CIFAR-style 32 → 40 → 32. */
  readonly pad?: number | undefined;
  readonly flip: boolean;
  /** Per-channel mean (1 or `channels` values) subtracted from every pixel. */
  readonly mean: readonly number[];
  /** Per-channel divisor; omitted = 1 (mean subtraction only, as AlexNet does). */
  readonly std?: readonly number[] | undefined;
}

/**
 * Evaluation transform: the centre `crop`×`crop` window, normalised like {@link TrainAugment}.
 *
 * @example
 * ```ts
 * const a: EvalAugment = { kind: 'eval', crop: 227, mean: [124, 116, 104] };
 * ```
 */
export interface EvalAugment {
  readonly kind: 'eval';
  readonly crop: number;
  readonly mean: readonly number[];
  readonly std?: readonly number[] | undefined;
}

/**
 * What a dataset does to each decoded image on its way into a batch.
 *
 * @example
 * ```ts
 * const aug: Augment = training ? { kind: 'train', crop: 227, flip: true, mean } : { kind: 'eval', crop: 227, mean };
 * ```
 */
export type Augment = TrainAugment | EvalAugment;

/**
 * Checks an {@link Augment} once, up front, with readable errors.
 *
 * @example
 * ```ts
 * assertAugment({ kind: 'eval', crop: 227, mean: [0] }, 3);
 * ```
 */
export function assertAugment(aug: Augment, channels: number): void {
  if (aug.kind !== 'train' && aug.kind !== 'eval') throw new RangeError(`augment.kind must be 'train' or 'eval'`);
  if (!Number.isInteger(aug.crop) || aug.crop < 1) throw new RangeError(`augment.crop must be a positive integer, got ${aug.crop}`);
  if (aug.kind === 'train' && aug.pad !== undefined && (!Number.isInteger(aug.pad) || aug.pad < 0)) {
    throw new RangeError(`augment.pad must be a non-negative integer, got ${aug.pad}`);
  }
  for (const [name, v] of [['mean', aug.mean], ['std', aug.std]] as const) {
    if (v === undefined) continue;
    if (v.length !== 1 && v.length !== channels) throw new RangeError(`augment.${name} needs ${channels === 1 ? '1 value' : `1 or ${channels} values`}, got ${v.length}`);
    if (v.some((x) => !Number.isFinite(x) || (name === 'std' && !(x > 0)))) {
      throw new RangeError(`augment.${name} must be ${name === 'std' ? 'positive ' : ''}finite numbers, got [${v.join(', ')}]`);
    }
  }
}

/**
 * Why `img` cannot go through `aug` into a batch of `channels`-channel images, or undefined
 * if it can. Used to turn such images into skips instead of errors mid-epoch. `resizeHint`
 * ends the message for a too-small image: what to change so that images are big enough;
 * `channelsHint`, when given, ends the message for an image of another channel count (given that count).
 *
 * @example
 * ```ts
 * augmentProblem(img, { kind: 'eval', crop: 227, mean: [0] }, 3); // 'image 200x180 is smaller than the 227 crop …'
 * ```
 */
export function augmentProblem(
  img: Image,
  aug: Augment,
  channels: number,
  resizeHint = 'resize when decoding (rxtrain train --resize N, config augmentation.resize; in code the resize option of decode or fileStore) or preprocess',
  channelsHint?: (imageChannels: number) => string,
): string | undefined {
  if (img.channels !== channels) {
    return `image has ${img.channels} channel${img.channels === 1 ? '' : 's'}, the batches have ${channels}${channelsHint === undefined ? '' : `; ${channelsHint(img.channels)}`}`;
  }
  const pad = aug.kind === 'train' ? (aug.pad ?? 0) : 0;
  if (img.width + 2 * pad < aug.crop || img.height + 2 * pad < aug.crop) {
    return `image ${img.width}x${img.height}${pad ? ` (+${pad} padding)` : ''} is smaller than the ${aug.crop}x${aug.crop} crop; ${resizeHint}`;
  }
  return undefined;
}

/**
 * Writes one augmented image into a batch buffer at `offset` with the fused
 * {@link cropFlipNormalizeInto} kernel: no intermediate images unless padding is asked for.
 * Draws crop position then flip from `rng` (the order {@link randomCrop} then
 * {@link randomFlip} use), so the result equals that operator pipeline.
 *
 * @example
 * ```ts
 * augmentInto(sample.image, aug, createRng(deriveSeed(seed, epoch, index)), batchBuffer, slot * 227 * 227 * 3);
 * ```
 */
export function augmentInto(img: Image, aug: Augment, rng: Rng, out: Float32Array, offset: number): void {
  const std = aug.std;
  if (aug.kind === 'eval') {
    const r = centerCropRect(img.width, img.height, aug.crop);
    cropFlipNormalizeInto(img, r.x, r.y, aug.crop, aug.crop, false, aug.mean, std, out, offset);
    return;
  }
  const src = aug.pad ? padImage(img, aug.pad) : img;
  const r = randomCropRect(src.width, src.height, aug.crop, rng);
  const flip = aug.flip ? drawFlip(rng) : false;
  cropFlipNormalizeInto(src, r.x, r.y, aug.crop, aug.crop, flip, aug.mean, std, out, offset);
}
