import type { Image } from './Image';
import { assertImage, sameTypeBuffer, type AnyImage } from './assertImage';
import type { Rect } from './crop';

/**
 * EXIF orientation (TIFF tag 0x0112): how the stored pixels must be turned for display.
 * 1 as stored, 2 mirrored, 3 rotated 180°, 4 flipped vertically, 5 transposed, 6 rotated 90°
 * clockwise, 7 transversed, 8 rotated 90° counter-clockwise.
 *
 * @example
 * ```ts
 * const o: ExifOrientation = 6; // a phone photo taken in portrait
 * ```
 */
export type ExifOrientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

/**
 * Throws a RangeError naming `who` unless `o` is an EXIF orientation 1..8.
 *
 * @example
 * ```ts
 * checkOrientation(6, 'orient'); // ok
 * ```
 */
export function checkOrientation(o: number, who: string): asserts o is ExifOrientation {
  if (!Number.isInteger(o) || o < 1 || o > 8) throw new RangeError(`${who}: EXIF orientation must be an integer 1..8, got ${o}`);
}

/**
 * Whether `orientation` swaps width and height (5–8).
 *
 * @example
 * ```ts
 * swapsAxes(6); // true
 * ```
 */
export function swapsAxes(orientation: ExifOrientation): boolean {
  return orientation >= 5;
}

/**
 * Source pixel of display pixel (x, y): `[sx, sy]` for a stored `width`×`height` image.
 * The one definition both {@link orientImage} and {@link unorientRect} use.
 */
function sourceOf(o: ExifOrientation, x: number, y: number, width: number, height: number): [number, number] {
  switch (o) {
    case 1:
      return [x, y];
    case 2:
      return [width - 1 - x, y];
    case 3:
      return [width - 1 - x, height - 1 - y];
    case 4:
      return [x, height - 1 - y];
    case 5:
      return [y, x];
    case 6:
      return [y, height - 1 - x];
    case 7:
      return [width - 1 - y, height - 1 - x];
    case 8:
      return [width - 1 - y, x];
  }
}

/**
 * Maps a rectangle given in display coordinates (after `orientation` is applied to a stored
 * `width`×`height` image) back to the stored image's coordinates, so a crop can be taken
 * before rotating: `orientImage(cropImage(img, unorientRect(r, …)), o)` equals
 * `cropImage(orientImage(img, o), r)`.
 *
 * @throws RangeError for an orientation outside 1..8.
 * @example
 * ```ts
 * unorientRect({ x: 0, y: 0, width: 2, height: 1 }, 4, 3, 6); // { x: 0, y: 1, width: 1, height: 2 }
 * ```
 */
export function unorientRect(rect: Rect, width: number, height: number, orientation: ExifOrientation): Rect {
  checkOrientation(orientation, 'unorientRect');
  const [ax, ay] = sourceOf(orientation, rect.x, rect.y, width, height);
  const [bx, by] = sourceOf(orientation, rect.x + rect.width - 1, rect.y + rect.height - 1, width, height);
  return { x: Math.min(ax, bx), y: Math.min(ay, by), width: Math.abs(bx - ax) + 1, height: Math.abs(by - ay) + 1 };
}

/**
 * Turns stored pixels into display orientation (what sharp's `rotate()` does with the EXIF
 * tag): the result is `height`×`width` for orientations 5–8. Orientation 1 returns the input.
 *
 * @throws RangeError for a malformed image or an orientation outside 1..8.
 * @example
 * ```ts
 * const upright = orientImage(decoded, 6); // 640x480 stored -> 480x640 shown
 * ```
 */
export function orientImage<D extends Uint8Array | Float32Array>(img: Image<D>, orientation: ExifOrientation): Image<D> {
  assertImage(img as AnyImage, 'orientImage');
  checkOrientation(orientation, 'orientImage');
  if (orientation === 1) return img;
  const { width, height, channels: c } = img;
  const [ow, oh] = swapsAxes(orientation) ? [height, width] : [width, height];
  const src = img.data;
  const out = sameTypeBuffer(src, src.length);
  // Per output row the source walks a straight line: start and per-x step in elements.
  let o = 0;
  for (let y = 0; y < oh; y++) {
    const [sx0, sy0] = sourceOf(orientation, 0, y, width, height);
    const [sx1, sy1] = ow > 1 ? sourceOf(orientation, 1, y, width, height) : [sx0, sy0];
    const step = ((sy1 - sy0) * width + (sx1 - sx0)) * c;
    let i = (sy0 * width + sx0) * c;
    for (let x = 0; x < ow; x++, i += step) for (let k = 0; k < c; k++) out[o++] = src[i + k];
  }
  return { data: out, width: ow, height: oh, channels: c };
}
