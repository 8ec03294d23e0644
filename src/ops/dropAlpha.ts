import type { Image } from './Image';
import { assertImage, sameTypeBuffer, type AnyImage } from './assertImage';
import { mapSameImage, type MonoImageOperator } from './mapImage';

/**
 * Discards the alpha channel of an RGBA image (no compositing: transparent pixels keep
 * whatever colour they store). 1- and 3-channel images are returned unchanged.
 *
 * @example
 * ```ts
 * dropAlphaImage(makeImage(new Uint8Array([1, 2, 3, 4]), 1, 1, 4)).data; // [1, 2, 3]
 * ```
 */
export function dropAlphaImage<D extends Uint8Array | Float32Array>(img: Image<D>): Image<D> {
  assertImage(img as AnyImage, 'dropAlphaImage');
  if (img.channels !== 4) return img;
  const src = img.data;
  const n = img.width * img.height;
  const out = sameTypeBuffer(src, n * 3);
  for (let i = 0, s = 0, o = 0; i < n; i++, s += 4, o += 3) {
    out[o] = src[s];
    out[o + 1] = src[s + 1];
    out[o + 2] = src[s + 2];
  }
  return { data: out, width: img.width, height: img.height, channels: 3 };
}

/**
 * Operator form of {@link dropAlphaImage}.
 *
 * @example
 * ```ts
 * decoded$.pipe(dropAlpha(), greyToRgb());
 * ```
 */
export function dropAlpha(): MonoImageOperator {
  return mapSameImage((img: AnyImage) => dropAlphaImage(img as Image<Uint8Array | Float32Array>) as AnyImage);
}
