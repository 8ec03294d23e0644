import type { Image } from './Image';
import { assertImage, sameTypeBuffer, type AnyImage } from './assertImage';
import { mapSameImage, type MonoImageOperator } from './mapImage';

/**
 * A rectangle in pixels: top-left corner `(x, y)` and its size.
 *
 * @example
 * ```ts
 * const r: Rect = { x: 14, y: 14, width: 227, height: 227 };
 * ```
 */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Throws a `RangeError` naming `who` unless `rect` has integer coordinates, a positive size
 * and lies inside a `width`×`height` image.
 *
 * @example
 * ```ts
 * assertRectInside({ x: 0, y: 0, width: 2, height: 2 }, 4, 4, 'crop'); // ok
 * ```
 */
export function assertRectInside(rect: Rect, width: number, height: number, who: string): void {
  if (rect === null || typeof rect !== 'object') {
    throw new RangeError(`${who}: rect must be { x, y, width, height }, got ${String(rect)}`);
  }
  const { x, y, width: w, height: h } = rect;
  if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0) {
    throw new RangeError(`${who}: rect origin must be non-negative integers, got (${x}, ${y})`);
  }
  if (!Number.isInteger(w) || !Number.isInteger(h) || w <= 0 || h <= 0) {
    throw new RangeError(`${who}: rect size must be positive integers, got ${w}x${h}`);
  }
  if (x + w > width || y + h > height) {
    throw new RangeError(
      `${who}: rect ${w}x${h} at (${x}, ${y}) does not fit inside the ${width}x${height} image`,
    );
  }
}

/**
 * Copies the pixels inside `rect` into a new image (same element type and channels).
 *
 * @throws RangeError if the rectangle is not integral or does not fit inside the image.
 * @example
 * ```ts
 * const patch = cropImage(img, { x: 10, y: 20, width: 64, height: 64 });
 * ```
 */
export function cropImage<D extends Uint8Array | Float32Array>(img: Image<D>, rect: Rect): Image<D> {
  assertImage(img as AnyImage, 'cropImage');
  assertRectInside(rect, img.width, img.height, 'cropImage');
  const { x, y, width, height } = rect;
  const c = img.channels;
  const rowLen = width * c;
  const out = sameTypeBuffer(img.data, height * rowLen);
  for (let r = 0; r < height; r++) {
    const start = ((y + r) * img.width + x) * c;
    out.set(img.data.subarray(start, start + rowLen), r * rowLen);
  }
  return { data: out, width, height, channels: c };
}

/**
 * Operator form of {@link cropImage}: crops every image in the stream to `rect`. An image
 * the rectangle does not fit errors the stream with a `RangeError`.
 *
 * @throws RangeError (at call time) for a fractional, negative or empty rectangle.
 *
 * @example
 * ```ts
 * samples$.pipe(crop({ x: 0, y: 0, width: 224, height: 224 }));
 * ```
 */
export function crop(rect: Rect): MonoImageOperator {
  // Shape mistakes fail now; whether the rect fits can only be known per image.
  assertRectInside(rect, Infinity, Infinity, 'crop');
  return mapSameImage((img: AnyImage) => cropImage(img as Image<Uint8Array | Float32Array>, rect) as AnyImage);
}
