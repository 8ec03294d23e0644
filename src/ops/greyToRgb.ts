import type { Image } from './Image';
import { assertImage, sameTypeBuffer, type AnyImage } from './assertImage';
import { mapSameImage, type MonoImageOperator } from './mapImage';

/**
 * Makes a grey image three-channel by copying the grey value into R, G and B; an RGB image
 * is returned unchanged, so `greyToRgb()` can sit in any pipeline that mixes the two (e.g.
 * Caltech256, which has a few grey JPEGs).
 *
 * @throws RangeError for a 4-channel image (drop or composite alpha first, e.g. {@link dropAlphaImage}).
 * @example
 * ```ts
 * const rgb = greyToRgbImage(makeImage(new Uint8Array([7]), 1, 1, 1)); // data [7, 7, 7]
 * ```
 */
export function greyToRgbImage<D extends Uint8Array | Float32Array>(img: Image<D>): Image<D> {
  assertImage(img as AnyImage, 'greyToRgbImage');
  if (img.channels === 3) return img;
  if (img.channels === 4) {
    throw new RangeError('greyToRgbImage: got a 4-channel (RGBA) image; use dropAlpha() first');
  }
  const src = img.data;
  const out = sameTypeBuffer(src, src.length * 3);
  for (let i = 0, o = 0; i < src.length; i++, o += 3) {
    const v = src[i];
    out[o] = v;
    out[o + 1] = v;
    out[o + 2] = v;
  }
  return { data: out, width: img.width, height: img.height, channels: 3 };
}

/**
 * Operator form of {@link greyToRgbImage}.
 *
 * @example
 * ```ts
 * decoded$.pipe(greyToRgb(), resize(256));
 * ```
 */
export function greyToRgb(): MonoImageOperator {
  return mapSameImage((img: AnyImage) => greyToRgbImage(img as Image<Uint8Array | Float32Array>) as AnyImage);
}
