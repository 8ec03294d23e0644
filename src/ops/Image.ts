/**
 * An image value as it flows through rxtrain's pure operators: interleaved (HWC) pixels.
 *
 * Pixels are `Uint8Array` straight out of the decoder; normalisation turns them into
 * `Float32Array`. Values are treated as immutable: every kernel returns a new image.
 *
 * @example
 * ```ts
 * const img: Image = { data: new Uint8Array(2 * 2 * 3), width: 2, height: 2, channels: 3 };
 * ```
 */
export interface Image<D extends Uint8Array | Float32Array = Uint8Array> {
  /** Interleaved pixels, row-major: index = (y * width + x) * channels + c. */
  readonly data: D;
  readonly width: number;
  readonly height: number;
  /** 1 (grey), 3 (RGB) or 4 (RGBA). */
  readonly channels: number;
}

/**
 * A float image, e.g. after {@link normalize}.
 *
 * @example
 * ```ts
 * const f: FloatImage = { data: new Float32Array(3), width: 1, height: 1, channels: 3 };
 * ```
 */
export type FloatImage = Image<Float32Array>;

/**
 * Builds an image and checks that the buffer length matches its shape, so a wrong shape
 * fails here rather than as garbage pixels later.
 *
 * @example
 * ```ts
 * const img = makeImage(new Uint8Array(12), 2, 2, 3);
 * ```
 */
export function makeImage<D extends Uint8Array | Float32Array>(
  data: D,
  width: number,
  height: number,
  channels: number,
): Image<D> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`image size must be positive integers, got ${width}x${height}`);
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new RangeError(`image channels must be 1, 3 or 4, got ${channels}`);
  }
  if (data.length !== width * height * channels) {
    throw new RangeError(
      `image buffer has ${data.length} values, expected ${width}x${height}x${channels} = ${width * height * channels}`,
    );
  }
  return { data, width, height, channels };
}
