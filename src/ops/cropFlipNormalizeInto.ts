import type { Image } from './Image';
import { assertImage } from './assertImage';
import { assertRectInside } from './crop';

/**
 * The training input hot path in one pass: crops `width`×`height` at `(x, y)`, mirrors it
 * left-right if `flip`, normalises `(pixel - mean[c]) / std[c]` and writes the HWC floats
 * straight into `out` starting at `offset` (e.g. `i * width * height * channels` for the
 * `i`-th image of a batch buffer). Bit-for-bit equal to
 * `normalizeImage(flip ? flipHorizontalImage(cropImage(img, rect)) : cropImage(img, rect), mean, std)`
 * but with no intermediate images: tight typed-array loops, `1/std` precomputed, no
 * allocation. `mean`/`std` are in pixel units with 1 or `channels` entries; pass `undefined`
 * for `std` to only subtract the mean. Draw the rectangle and flip with
 * {@link randomCropRect} and {@link drawFlip} to reproduce {@link randomCrop} +
 * {@link randomFlip} exactly.
 *
 * @throws RangeError if the rectangle does not fit, mean/std are malformed, or `out` is too
 *   short for `offset + width * height * channels` values.
 * @example
 * ```ts
 * const batch = new Float32Array(64 * 227 * 227 * 3);
 * for (let i = 0; i < 64; i++) {
 *   const { x, y } = randomCropRect(256, 256, 227, rng);
 *   cropFlipNormalizeInto(images[i], x, y, 227, 227, drawFlip(rng), mean, undefined, batch, i * 227 * 227 * 3);
 * }
 * ```
 */
export function cropFlipNormalizeInto(
  img: Image,
  x: number,
  y: number,
  width: number,
  height: number,
  flip: boolean,
  mean: ArrayLike<number>,
  std: ArrayLike<number> | undefined,
  out: Float32Array,
  offset: number,
): void {
  const who = 'cropFlipNormalizeInto';
  assertImage(img, who);
  assertRectInside({ x, y, width, height }, img.width, img.height, who);
  const c = img.channels;
  if (!(out instanceof Float32Array)) throw new TypeError(`${who}: out must be a Float32Array`);
  if (!Number.isInteger(offset) || offset < 0 || offset + width * height * c > out.length) {
    throw new RangeError(
      `${who}: out has ${out.length} values, cannot write ${width}x${height}x${c} = ${width * height * c} at offset ${offset}`,
    );
  }
  // Scalars rather than arrays keep the inner loops allocation-free and monomorphic.
  const ml = mean.length;
  const sl = std === undefined ? 0 : std.length;
  if (ml !== c && ml !== 1) throw new RangeError(`${who}: mean has ${ml} entries for a ${c}-channel image (need ${c === 1 ? '1' : `${c} or 1`})`);
  if (std !== undefined && sl !== c && sl !== 1) throw new RangeError(`${who}: std has ${sl} entries for a ${c}-channel image (need ${c === 1 ? '1' : `${c} or 1`})`);
  const m0 = +mean[0], m1 = +mean[ml > 1 ? 1 : 0], m2 = +mean[ml > 2 ? 2 : 0], m3 = +mean[ml > 3 ? 3 : 0];
  const s0 = std === undefined ? 1 : +std[0];
  const s1 = std === undefined ? 1 : +std[sl > 1 ? 1 : 0];
  const s2 = std === undefined ? 1 : +std[sl > 2 ? 2 : 0];
  const s3 = std === undefined ? 1 : +std[sl > 3 ? 3 : 0];
  for (let k = 0; k < c; k++) {
    const m = k === 0 ? m0 : k === 1 ? m1 : k === 2 ? m2 : m3;
    const s = k === 0 ? s0 : k === 1 ? s1 : k === 2 ? s2 : s3;
    if (!Number.isFinite(m)) throw new RangeError(`${who}: mean[${k}] must be a finite number, got ${m}`);
    if (!Number.isFinite(s) || !(s > 0)) throw new RangeError(`${who}: std[${k}] must be a positive finite number, got ${s}`);
  }
  const i0 = 1 / s0, i1 = 1 / s1, i2 = 1 / s2, i3 = 1 / s3;
  const src = img.data;
  const srcStride = img.width * c;
  const rowLen = width * c;
  // Walk the source row forwards always; a flip only changes where each pixel lands.
  const step = flip ? -c : c;
  for (let r = 0; r < height; r++) {
    let s = (y + r) * srcStride + x * c;
    const end = s + rowLen;
    let d = offset + r * rowLen + (flip ? rowLen - c : 0);
    if (c === 3) {
      for (; s < end; s += 3, d += step) {
        out[d] = (src[s] - m0) * i0;
        out[d + 1] = (src[s + 1] - m1) * i1;
        out[d + 2] = (src[s + 2] - m2) * i2;
      }
    } else if (c === 1) {
      for (; s < end; s++, d += step) out[d] = (src[s] - m0) * i0;
    } else {
      for (; s < end; s += 4, d += step) {
        out[d] = (src[s] - m0) * i0;
        out[d + 1] = (src[s + 1] - m1) * i1;
        out[d + 2] = (src[s + 2] - m2) * i2;
        out[d + 3] = (src[s + 3] - m3) * i3;
      }
    }
  }
}
