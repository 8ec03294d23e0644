import type { Image } from './Image';
import { assertImage, type AnyImage } from './assertImage';
import { cropImage, type Rect } from './crop';
import { mapSameImage, type MonoImageOperator } from './mapImage';
import { toSize, type SizeLike } from './Size';

/**
 * The rectangle {@link centerCropImage} takes: `size` centred in a `width`×`height` image
 * (offsets rounded down, as PIL/torchvision and the seed's preprocessing do), or the
 * largest centred square when `size` is omitted.
 *
 * @throws RangeError if `size` is larger than the image.
 * @example
 * ```ts
 * centerCropRect(300, 200); // { x: 50, y: 0, width: 200, height: 200 }
 * ```
 */
export function centerCropRect(width: number, height: number, size?: SizeLike): Rect {
  const s = size === undefined ? { width: Math.min(width, height), height: Math.min(width, height) } : toSize(size, 'centerCrop');
  if (s.width > width || s.height > height) {
    throw new RangeError(`centerCrop: cannot take ${s.width}x${s.height} from a ${width}x${height} image`);
  }
  return { x: Math.floor((width - s.width) / 2), y: Math.floor((height - s.height) / 2), width: s.width, height: s.height };
}

/**
 * Crops the centre of the image: `size` (a number for a square, or `{ width, height }`), or
 * the largest centred square when `size` is omitted (the seed's "centre crop, then resize to
 * 256²" preprocessing).
 *
 * @throws RangeError if `size` is invalid or larger than the image.
 * @example
 * ```ts
 * const square = centerCropImage(img);       // 640x480 -> 480x480
 * const patch = centerCropImage(img, 227);   // 227x227 from the middle
 * ```
 */
export function centerCropImage<D extends Uint8Array | Float32Array>(img: Image<D>, size?: SizeLike): Image<D> {
  assertImage(img as AnyImage, 'centerCropImage');
  return cropImage(img, centerCropRect(img.width, img.height, size));
}

/**
 * Operator form of {@link centerCropImage}. An image smaller than `size` errors the stream.
 *
 * @example
 * ```ts
 * decoded$.pipe(centerCrop(), resize(256));
 * ```
 */
export function centerCrop(size?: SizeLike): MonoImageOperator {
  if (size !== undefined) toSize(size, 'centerCrop');
  return mapSameImage((img: AnyImage) => centerCropImage(img as Image<Uint8Array | Float32Array>, size) as AnyImage);
}
