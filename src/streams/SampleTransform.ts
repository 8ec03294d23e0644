import { assertImage, type AnyImage } from '../ops/assertImage';
import type { Image } from '../ops/Image';
import type { Rng } from '../ops/Rng';
import { oneLine, skip, type Skip } from './Skip';

/**
 * What a {@link SampleTransform} is told about the sample it transforms.
 *
 * @example
 * ```ts
 * const ctx: SampleTransformContext = { epoch: 3, index: 17, path: 'cats/17.jpg', label: 2 };
 * ```
 */
export interface SampleTransformContext {
  /** The epoch being prepared (0-based). */
  readonly epoch: number;
  /** The sample's index in the store: the same every epoch, whatever the shuffled order. */
  readonly index: number;
  readonly path: string;
  readonly label: number;
}

/**
 * Your own per-sample augmentation in a dataset (`createImageDataset({ transform })`): an image
 * kernel that gets each decoded 8-bit image before the built-in pad/crop/flip/normalise, and
 * returns the image to use instead, or `skipSample(reason)` to leave the sample out. The same
 * kernel lifted with `mapImage` is the push-style operator; {@link transformFromOperator} turns
 * such an operator back into a transform.
 *
 * - **Randomness** comes only from `rng`: a generator of its own per (seed, epoch, sample index),
 *   apart from the crop/flip draws, so adding a transform does not move the crops, and a
 *   resumed epoch gets exactly the images it would have had. It must be a pure function of its
 *   arguments: no `Math.random`, no state carried from one call to the next.
 * - **Ownership.** `image` is the transform's own copy (never a buffer the store reuses), so it
 *   may be changed in place and returned, or a new image returned.
 * - **Skipping.** A {@link skipSample} result becomes a `transform` skip of the sample, reported
 *   like any other; a throw errors the epoch instead (a bug must not skip every image).
 * - It runs synchronously on the main thread, also with `workers` (they then crop the result).
 *
 * @example
 * ```ts
 * const darken: SampleTransform = (img, rng) => {
 *   const k = 0.5 + rng.next() / 2;
 *   return makeImage(img.data.map((v) => v * k), img.width, img.height, img.channels);
 * };
 * const dropBlank: SampleTransform = (img) => (img.data.every((v) => v === img.data[0]) ? skipSample('blank image') : img);
 * ```
 */
export type SampleTransform = (image: Image, rng: Rng, ctx: SampleTransformContext) => Image | Skip;

/**
 * How errors name a transform: by its function name when it has a telling one.
 *
 * @example
 * ```ts
 * transformLabel(function cutout(img) { return img; }); // 'transform cutout'
 * ```
 */
export function transformLabel(transform: SampleTransform): string {
  const name = transform.name;
  return name !== '' && name !== 'transform' ? `transform ${name}` : 'the transform';
}

/**
 * Runs `transform` on a copy of `image` and checks what it returns. A throw or a result that is
 * not an 8-bit image becomes one-line `Error` naming the transform and the file: a bug in the
 * transform stops the epoch instead of quietly turning every sample into a skip. A
 * {@link skipSample} result becomes the sample's {@link Skip}: its path, and a one-line
 * message naming the transform and its reason.
 *
 * @example
 * ```ts
 * const out = applySampleTransform(darken, sample.image, createRng(1), { epoch: 0, index: 4, path: sample.path, label: sample.label });
 * if (out.kind === 'skip') console.warn(out.message); // e.g. 'transform dropDark: too dark'
 * ```
 */
export function applySampleTransform(transform: SampleTransform, image: Image, rng: Rng, ctx: SampleTransformContext): Image | Skip {
  const who = `${transformLabel(transform)} on ${ctx.path}`;
  // A copy (never shared memory): a store may read the next sample into the loaded buffer.
  const own: Image = { data: new Uint8Array(image.data), width: image.width, height: image.height, channels: image.channels };
  let out: unknown;
  try {
    out = transform(own, rng, ctx);
  } catch (e) {
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    throw new Error(oneLine(`createImageDataset: ${who} threw ${message}`), { cause: e });
  }
  if (out !== null && typeof out === 'object' && typeof (out as { then?: unknown }).then === 'function') {
    throw new TypeError(`createImageDataset: ${who} returned a Promise; a transform must be synchronous and return the image`);
  }
  if (out !== null && typeof out === 'object' && (out as { kind?: unknown }).kind === 'skip') {
    const { reason, message } = out as Partial<Skip>;
    if (typeof reason !== 'string' || typeof message !== 'string') {
      throw new TypeError(`createImageDataset: ${who} returned a skip without a reason and message; return skipSample('why') to leave a sample out`);
    }
    const why = oneLine(message);
    // The sample's own path: the transform's skip does not know it (skipSample leaves it empty).
    return skip(ctx.path, reason as Skip['reason'], why === '' ? `${transformLabel(transform)} skipped it` : `${transformLabel(transform)}: ${why}`);
  }
  if (out === null || typeof out !== 'object' || !('data' in out)) {
    const got = out === null ? 'null' : typeof out === 'object' ? `an object with keys [${Object.keys(out).slice(0, 5).join(', ')}]` : typeof out;
    throw new TypeError(`createImageDataset: ${who} returned ${got}, not an image ({ data: Uint8Array, width, height, channels })`);
  }
  try {
    assertImage(out as AnyImage, 'image');
  } catch (e) {
    throw new TypeError(`createImageDataset: ${who} returned a malformed image: ${(e as Error).message}`);
  }
  if (!((out as AnyImage).data instanceof Uint8Array)) {
    throw new TypeError(`createImageDataset: ${who} returned float pixels; return 8-bit ones (0..255): the dataset normalises afterwards (augment.mean/std)`);
  }
  return out as Image;
}
