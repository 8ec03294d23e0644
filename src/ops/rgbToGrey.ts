import type { Image } from './Image';
import { assertImage, sameTypeBuffer, type AnyImage } from './assertImage';
import { mapSameImage, type MonoImageOperator } from './mapImage';

/**
 * ITU-R BT.601 luma weights (R, G, B), as used by PIL's `convert('L')`, OpenCV's
 * `COLOR_RGB2GRAY` and torchvision's `rgb_to_grayscale`.
 *
 * @example
 * ```ts
 * const y = LUMA_601[0] * r + LUMA_601[1] * g + LUMA_601[2] * b;
 * ```
 */
export const LUMA_601: readonly [number, number, number] = [0.299, 0.587, 0.114];

/**
 * Converts to one channel with ITU-R 601 luma `0.299 R + 0.587 G + 0.114 B` (rounded for
 * 8-bit images). Alpha is ignored; a grey image is returned unchanged.
 *
 * @example
 * ```ts
 * rgbToGreyImage(makeImage(new Uint8Array([255, 0, 0]), 1, 1, 3)).data; // [76]
 * ```
 */
export function rgbToGreyImage<D extends Uint8Array | Float32Array>(img: Image<D>): Image<D> {
  assertImage(img as AnyImage, 'rgbToGreyImage');
  if (img.channels === 1) return img;
  const c = img.channels;
  const src = img.data;
  const n = img.width * img.height;
  const out = sameTypeBuffer(src, n);
  const round = src instanceof Uint8Array;
  const [wr, wg, wb] = LUMA_601;
  for (let i = 0, s = 0; i < n; i++, s += c) {
    const y = wr * src[s] + wg * src[s + 1] + wb * src[s + 2];
    out[i] = round ? Math.floor(y + 0.5) : y;
  }
  return { data: out, width: img.width, height: img.height, channels: 1 };
}

/**
 * Operator form of {@link rgbToGreyImage}.
 *
 * @example
 * ```ts
 * mnistLike$.pipe(rgbToGrey(), resize(28, 'area'));
 * ```
 */
export function rgbToGrey(): MonoImageOperator {
  return mapSameImage((img: AnyImage) => rgbToGreyImage(img as Image<Uint8Array | Float32Array>) as AnyImage);
}
