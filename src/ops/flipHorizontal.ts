import type { Image } from './Image';
import { assertImage, sameTypeBuffer, type AnyImage } from './assertImage';
import { mapSameImage, type MonoImageOperator } from './mapImage';

/**
 * Mirrors the image left-right (pixel `x` moves to `width - 1 - x`; channels stay in order).
 *
 * @example
 * ```ts
 * const mirrored = flipHorizontalImage(img);
 * ```
 */
export function flipHorizontalImage<D extends Uint8Array | Float32Array>(img: Image<D>): Image<D> {
  assertImage(img as AnyImage, 'flipHorizontalImage');
  const { width, height, channels: c, data } = img;
  const out = sameTypeBuffer(data, data.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * c;
    for (let x = 0; x < width; x++) {
      const s = row + x * c;
      const d = row + (width - 1 - x) * c;
      for (let k = 0; k < c; k++) out[d + k] = data[s + k];
    }
  }
  return { data: out, width, height, channels: c };
}

/**
 * Operator form of {@link flipHorizontalImage}: mirrors every image.
 *
 * @example
 * ```ts
 * samples$.pipe(flipHorizontal());
 * ```
 */
export function flipHorizontal(): MonoImageOperator {
  return mapSameImage((img: AnyImage) => flipHorizontalImage(img as Image<Uint8Array | Float32Array>) as AnyImage);
}
