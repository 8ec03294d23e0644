import type { Image } from './Image';
import { assertImage, sameTypeBuffer, type AnyImage } from './assertImage';
import { mapSameImage, type MonoImageOperator } from './mapImage';

/**
 * Border widths in pixels: one number for all four sides, or each side.
 *
 * @example
 * ```ts
 * const p: Padding = { top: 2, right: 2, bottom: 2, left: 2 };
 * ```
 */
export type Padding = number | { readonly top: number; readonly right: number; readonly bottom: number; readonly left: number };

/**
 * Fill value: one number for every channel, or one per channel.
 *
 * @example
 * ```ts
 * const black: PadValue = 0;
 * const grey: PadValue = [124, 116, 104];
 * ```
 */
export type PadValue = number | readonly number[];

function toPadding(pad: Padding): { top: number; right: number; bottom: number; left: number } {
  const p = typeof pad === 'number' ? { top: pad, right: pad, bottom: pad, left: pad } : pad;
  if (p === null || typeof p !== 'object') throw new RangeError(`padImage: pad must be a number or { top, right, bottom, left }`);
  for (const side of ['top', 'right', 'bottom', 'left'] as const) {
    const v = p[side];
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`padImage: ${side} padding must be a non-negative integer, got ${v}`);
  }
  return { top: p.top, right: p.right, bottom: p.bottom, left: p.left };
}

function toFill(value: PadValue, channels: number, isByte: boolean): number[] {
  const vals = typeof value === 'number' ? new Array<number>(channels).fill(value) : [...value];
  if (vals.length !== channels) {
    throw new RangeError(`padImage: fill value has ${vals.length} entries for a ${channels}-channel image`);
  }
  for (const v of vals) {
    if (!Number.isFinite(v) || (isByte && (v < 0 || v > 255))) {
      throw new RangeError(`padImage: fill value ${v} is not ${isByte ? 'in 0..255' : 'finite'}`);
    }
  }
  return vals;
}

/**
 * Adds a constant border (default 0, black) around the image, e.g. 2 px on each side to
 * take Fashion-MNIST's 28×28 to 32×32 before a random 28 or 32 crop.
 *
 * @throws RangeError for negative or fractional padding, or a fill value of the wrong length
 *   or out of 0..255 for 8-bit images.
 * @example
 * ```ts
 * const padded = padImage(img28, 2);                     // 32x32, black border
 * const framed = padImage(img, { top: 0, right: 4, bottom: 0, left: 4 }, [255, 255, 255]);
 * ```
 */
export function padImage<D extends Uint8Array | Float32Array>(img: Image<D>, pad: Padding, value: PadValue = 0): Image<D> {
  assertImage(img as AnyImage, 'padImage');
  const p = toPadding(pad);
  const c = img.channels;
  const fill = toFill(value, c, img.data instanceof Uint8Array);
  const width = img.width + p.left + p.right;
  const height = img.height + p.top + p.bottom;
  const out = sameTypeBuffer(img.data, width * height * c);
  if (fill.some((v) => v !== 0)) {
    for (let i = 0; i < out.length; i += c) for (let k = 0; k < c; k++) out[i + k] = fill[k];
  }
  const rowLen = img.width * c;
  for (let y = 0; y < img.height; y++) {
    out.set(img.data.subarray(y * rowLen, (y + 1) * rowLen), ((y + p.top) * width + p.left) * c);
  }
  return { data: out, width, height, channels: c };
}

/**
 * Operator form of {@link padImage}. Arguments are checked when the operator is created.
 *
 * @example
 * ```ts
 * fashion$.pipe(pad(2), randomCrop(28, rng));
 * ```
 */
export function pad(padding: Padding, value: PadValue = 0): MonoImageOperator {
  toPadding(padding);
  return mapSameImage((img: AnyImage) => padImage(img as Image<Uint8Array | Float32Array>, padding, value) as AnyImage);
}
