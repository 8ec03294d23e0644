import type { Image } from './Image';

/**
 * Any image rxtrain's kernels accept: 8-bit pixels from the decoder or floats after
 * normalisation.
 *
 * @example
 * ```ts
 * const f = (img: AnyImage): number => img.width * img.height;
 * ```
 */
export type AnyImage = Image<Uint8Array> | Image<Float32Array>;

/**
 * Checks that `img` is a well-formed image (typed buffer, positive integer size, 1/3/4
 * channels, buffer length matching the shape) and throws a `TypeError`/`RangeError` naming
 * `who` otherwise. Kernels call it first so a malformed value fails with a readable message
 * instead of producing garbage pixels; use it in your own kernels too.
 *
 * @example
 * ```ts
 * function invertImage(img: Image): Image {
 *   assertImage(img, 'invertImage');
 *   return makeImage(img.data.map((v) => 255 - v), img.width, img.height, img.channels);
 * }
 * ```
 */
export function assertImage(img: AnyImage, who: string): void {
  if (img === null || typeof img !== 'object') {
    throw new TypeError(`${who}: expected an image, got ${img === null ? 'null' : typeof img}`);
  }
  const { data, width, height, channels } = img;
  if (!(data instanceof Uint8Array) && !(data instanceof Float32Array)) {
    throw new TypeError(`${who}: image data must be a Uint8Array or Float32Array`);
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`${who}: image size must be positive integers, got ${width}x${height}`);
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new RangeError(`${who}: image channels must be 1, 3 or 4, got ${channels}`);
  }
  if (data.length !== width * height * channels) {
    throw new RangeError(
      `${who}: image buffer has ${data.length} values, expected ${width}x${height}x${channels} = ${width * height * channels}`,
    );
  }
}

/**
 * Like {@link assertImage}, and additionally requires 8-bit pixels (kernels whose maths is
 * defined in 0..255 pixel units, such as colour jitter).
 *
 * @example
 * ```ts
 * assertByteImage(img, 'myKernel'); // throws TypeError for a Float32 image
 * ```
 */
export function assertByteImage(img: AnyImage, who: string): asserts img is Image<Uint8Array> {
  assertImage(img, who);
  if (!(img.data instanceof Uint8Array)) {
    throw new TypeError(`${who}: needs 8-bit (Uint8Array) pixels; apply it before normalize()`);
  }
}

/**
 * Allocates a zeroed buffer of the same element type as `like`, so geometric kernels return
 * 8-bit images for 8-bit input and float images for float input.
 *
 * @example
 * ```ts
 * const out = sameTypeBuffer(img.data, w * h * img.channels);
 * ```
 */
export function sameTypeBuffer<D extends Uint8Array | Float32Array>(like: D, length: number): D {
  return (like instanceof Uint8Array ? new Uint8Array(length) : new Float32Array(length)) as D;
}
