import type { Image } from './Image';
import { assertRng, type Rng } from './Rng';
import { assertImage, type AnyImage } from './assertImage';
import { cropImage, type Rect } from './crop';
import { mapSameImage, type MonoImageOperator } from './mapImage';
import { toSize, type SizeLike } from './Size';

/**
 * Draws the rectangle of a random crop: `x` uniform in `0..width-size.width`, then `y`
 * uniform in `0..height-size.height` (exactly two `rng.int` draws, in that order). Exported
 * so a fused hot path (see {@link cropFlipNormalizeInto}) draws exactly what
 * {@link randomCropImage} would.
 *
 * @throws RangeError if `size` is invalid or larger than the image.
 * @example
 * ```ts
 * const { x, y } = randomCropRect(256, 256, 227, createRng(1));
 * ```
 */
export function randomCropRect(width: number, height: number, size: SizeLike, rng: Rng): Rect {
  const s = toSize(size, 'randomCrop');
  assertRng(rng, 'randomCrop');
  if (s.width > width || s.height > height) {
    throw new RangeError(`randomCrop: cannot take ${s.width}x${s.height} from a ${width}x${height} image`);
  }
  const x = rng.int(width - s.width + 1);
  const y = rng.int(height - s.height + 1);
  return { x, y, width: s.width, height: s.height };
}

/**
 * Crops a `size` patch at a random position drawn from `rng` (see {@link randomCropRect}):
 * the same seed gives the same crops.
 *
 * @throws RangeError if `size` is invalid or larger than the image.
 * @example
 * ```ts
 * const rng = createRng(42);
 * const patch = randomCropImage(img256, 227, rng);
 * ```
 */
export function randomCropImage<D extends Uint8Array | Float32Array>(img: Image<D>, size: SizeLike, rng: Rng): Image<D> {
  assertImage(img as AnyImage, 'randomCropImage');
  return cropImage(img, randomCropRect(img.width, img.height, size, rng));
}

/**
 * Operator form of {@link randomCropImage}. Draws from `rng` once per image, in stream
 * order, so a pipeline with a seeded generator is reproducible; the generator is shared by
 * every subscription of the returned operator (re-subscribing continues the sequence).
 *
 * @throws RangeError (at call time) for a bad `size`; TypeError if `rng` is not a generator
 *   ({@link assertRng}).
 * @example
 * ```ts
 * samples$.pipe(randomCrop(227, createRng(7)), randomFlip(createRng(8)));
 * ```
 */
export function randomCrop(size: SizeLike, rng: Rng): MonoImageOperator {
  toSize(size, 'randomCrop');
  assertRng(rng, 'randomCrop');
  return mapSameImage((img: AnyImage) => randomCropImage(img as Image<Uint8Array | Float32Array>, size, rng) as AnyImage);
}
