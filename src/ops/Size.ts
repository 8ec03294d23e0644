/**
 * A width and height in pixels.
 *
 * @example
 * ```ts
 * const s: Size = { width: 227, height: 227 };
 * ```
 */
export interface Size {
  readonly width: number;
  readonly height: number;
}

/**
 * A size given either as one number (a square) or as `{ width, height }`.
 *
 * @example
 * ```ts
 * const a: SizeLike = 227;
 * const b: SizeLike = { width: 320, height: 240 };
 * ```
 */
export type SizeLike = number | Size;

/**
 * Normalises a {@link SizeLike} to a {@link Size}, throwing a `RangeError` naming `who`
 * unless both sides are positive integers.
 *
 * @example
 * ```ts
 * toSize(32, 'pad'); // { width: 32, height: 32 }
 * ```
 */
export function toSize(size: SizeLike, who: string): Size {
  const s = typeof size === 'number' ? { width: size, height: size } : size;
  if (s === null || typeof s !== 'object') {
    throw new RangeError(`${who}: size must be a number or { width, height }, got ${String(size)}`);
  }
  const { width, height } = s;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`${who}: size must be positive integers, got ${width}x${height}`);
  }
  return { width, height };
}
