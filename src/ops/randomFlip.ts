import type { Image } from './Image';
import { assertRng, type Rng } from './Rng';
import { assertImage, type AnyImage } from './assertImage';
import { flipHorizontalImage } from './flipHorizontal';
import { mapSameImage, type MonoImageOperator } from './mapImage';

function checkP(p: number, who: string): void {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
    throw new RangeError(`${who}: probability p must be in [0, 1], got ${p}`);
  }
}

/**
 * Decides one random flip: `rng.next() < p` (exactly one draw, whatever `p`, so changing
 * `p` does not shift the rest of the random sequence). Exported so a fused hot path draws
 * exactly what {@link randomFlipImage} would.
 *
 * @example
 * ```ts
 * const flip = drawFlip(rng); // true half of the time
 * ```
 */
export function drawFlip(rng: Rng, p = 0.5): boolean {
  checkP(p, 'randomFlip');
  assertRng(rng, 'randomFlip');
  return rng.next() < p;
}

/**
 * Mirrors the image left-right with probability `p` (default 0.5), deciding with
 * {@link drawFlip}. When not flipped, the input image itself is returned (images are
 * immutable).
 *
 * @throws RangeError if `p` is outside [0, 1].
 * @example
 * ```ts
 * const maybeMirrored = randomFlipImage(img, createRng(3));
 * ```
 */
export function randomFlipImage<D extends Uint8Array | Float32Array>(img: Image<D>, rng: Rng, p = 0.5): Image<D> {
  assertImage(img as AnyImage, 'randomFlipImage');
  return drawFlip(rng, p) ? flipHorizontalImage(img) : img;
}

/**
 * Operator form of {@link randomFlipImage}: one draw from `rng` per image, in stream order.
 *
 * @throws RangeError (at call time) if `p` is outside [0, 1]; TypeError if `rng` is not a
 *   generator ({@link assertRng}).
 * @example
 * ```ts
 * samples$.pipe(randomFlip(createRng(1)));      // p = 0.5
 * samples$.pipe(randomFlip(createRng(1), 0.2)); // flip 20 % of images
 * ```
 */
export function randomFlip(rng: Rng, p = 0.5): MonoImageOperator {
  checkP(p, 'randomFlip');
  assertRng(rng, 'randomFlip');
  return mapSameImage((img: AnyImage) => randomFlipImage(img as Image<Uint8Array | Float32Array>, rng, p) as AnyImage);
}
