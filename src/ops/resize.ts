import type { Image } from './Image';
import { assertImage, sameTypeBuffer, type AnyImage } from './assertImage';
import { mapSameImage, type MonoImageOperator } from './mapImage';
import { toSize, type SizeLike } from './Size';

/**
 * Interpolation for {@link resizeImage}:
 * - `'bilinear'`: 2×2 taps at half-pixel centres (source coordinate `(d + 0.5) * scale - 0.5`,
 *   clamped at the borders), the convention of OpenCV's `INTER_LINEAR`. Like OpenCV it does
 *   not low-pass filter, so shrinking by more than 2× aliases: use `'area'` there.
 * - `'area'`: each output pixel is the exact area-weighted mean of the source pixels its
 *   footprint covers (a box filter with fractional edge weights), like OpenCV's
 *   `INTER_AREA`; the right choice for shrinking. When enlarging it blends only where an
 *   output pixel straddles a source pixel boundary (again like `INTER_AREA`).
 *
 * @example
 * ```ts
 * const m: ResizeMethod = 'area';
 * ```
 */
export type ResizeMethod = 'bilinear' | 'area';

/**
 * Resizes to `size` (a number for a square, or `{ width, height }`). 8-bit results are
 * rounded to the nearest integer (halves up); float images stay unrounded. Returns the input
 * unchanged when the size already matches.
 *
 * Numerically this follows OpenCV (`cv2.resize` with `INTER_LINEAR` / `INTER_AREA`) to within
 * ±1 on 8-bit pixels; OpenCV uses fixed-point weights and round-half-even, rxtrain exact
 * weights. One documented difference: for a mixed resize (shrink one axis, enlarge the other)
 * OpenCV's `INTER_AREA` falls back to 2-tap weights on both axes; rxtrain box-filters the
 * shrinking axis properly.
 *
 * @throws RangeError for a non-positive or fractional size or an unknown method.
 * @example
 * ```ts
 * const thumb = resizeImage(photo, { width: 256, height: 256 }, 'area');
 * const big = resizeImage(icon, 64); // bilinear
 * ```
 */
export function resizeImage<D extends Uint8Array | Float32Array>(
  img: Image<D>,
  size: SizeLike,
  method: ResizeMethod = 'bilinear',
): Image<D> {
  assertImage(img as AnyImage, 'resizeImage');
  const { width, height } = toSize(size, 'resizeImage');
  checkMethod(method, 'resizeImage');
  if (width === img.width && height === img.height) return img;
  return method === 'bilinear' ? bilinear(img, width, height) : area(img, width, height);
}

function checkMethod(method: string, who: string): void {
  if (method !== 'bilinear' && method !== 'area') {
    throw new RangeError(`${who}: method must be 'bilinear' or 'area', got ${JSON.stringify(method)}`);
  }
}

/** Per output index: left source index, right source index and right weight. */
function linearTaps(src: number, dst: number): { i0: Int32Array; i1: Int32Array; w: Float64Array } {
  const scale = src / dst;
  const i0 = new Int32Array(dst);
  const i1 = new Int32Array(dst);
  const w = new Float64Array(dst);
  for (let d = 0; d < dst; d++) {
    const f = Math.max(0, (d + 0.5) * scale - 0.5);
    const s = Math.floor(f);
    if (s >= src - 1) {
      i0[d] = src - 1;
      i1[d] = src - 1;
      w[d] = 0;
    } else {
      i0[d] = s;
      i1[d] = s + 1;
      w[d] = f - s;
    }
  }
  return { i0, i1, w };
}

function bilinear<D extends Uint8Array | Float32Array>(img: Image<D>, width: number, height: number): Image<D> {
  const c = img.channels;
  const src = img.data;
  const out = sameTypeBuffer(src, width * height * c);
  const round = src instanceof Uint8Array;
  const xt = linearTaps(img.width, width);
  const yt = linearTaps(img.height, height);
  const stride = img.width * c;
  let o = 0;
  for (let dy = 0; dy < height; dy++) {
    const r0 = yt.i0[dy] * stride;
    const r1 = yt.i1[dy] * stride;
    const wy = yt.w[dy];
    for (let dx = 0; dx < width; dx++) {
      const a = xt.i0[dx] * c;
      const b = xt.i1[dx] * c;
      const wx = xt.w[dx];
      for (let k = 0; k < c; k++) {
        const top = src[r0 + a + k] + (src[r0 + b + k] - src[r0 + a + k]) * wx;
        const bot = src[r1 + a + k] + (src[r1 + b + k] - src[r1 + a + k]) * wx;
        const v = top + (bot - top) * wy;
        out[o++] = round ? Math.floor(v + 0.5) : v;
      }
    }
  }
  return { data: out, width, height, channels: c };
}

/**
 * Box-filter taps in exact integer arithmetic: output pixel d spans [d*src, (d+1)*src) and
 * source pixel s spans [s*dst, (s+1)*dst) in units of 1/(src*dst) of a pixel; the weight is
 * their overlap over src. Exact weights make integer-factor shrinks plain block means.
 */
function areaTaps(src: number, dst: number): { start: Int32Array; count: Int32Array; idx: Int32Array; w: Float64Array } {
  const start = new Int32Array(dst);
  const count = new Int32Array(dst);
  const idx: number[] = [];
  const w: number[] = [];
  for (let d = 0; d < dst; d++) {
    const lo = d * src;
    const hi = (d + 1) * src;
    start[d] = idx.length;
    for (let s = Math.floor(lo / dst); s * dst < hi && s < src; s++) {
      const overlap = Math.min(hi, (s + 1) * dst) - Math.max(lo, s * dst);
      if (overlap > 0) {
        idx.push(s);
        w.push(overlap / src);
      }
    }
    count[d] = idx.length - start[d];
  }
  return { start, count, idx: Int32Array.from(idx), w: Float64Array.from(w) };
}

function area<D extends Uint8Array | Float32Array>(img: Image<D>, width: number, height: number): Image<D> {
  const c = img.channels;
  const src = img.data;
  const round = src instanceof Uint8Array;
  const xt = areaTaps(img.width, width);
  const yt = areaTaps(img.height, height);
  // Horizontal pass into float64 rows, then vertical: separable because box overlap areas
  // are products of the 1-D overlaps.
  const tmp = new Float64Array(img.height * width * c);
  for (let y = 0; y < img.height; y++) {
    const row = y * img.width * c;
    const trow = y * width * c;
    for (let dx = 0; dx < width; dx++) {
      const s0 = xt.start[dx];
      const n = xt.count[dx];
      for (let k = 0; k < c; k++) {
        let acc = 0;
        for (let t = 0; t < n; t++) acc += src[row + xt.idx[s0 + t] * c + k] * xt.w[s0 + t];
        tmp[trow + dx * c + k] = acc;
      }
    }
  }
  const out = sameTypeBuffer(src, width * height * c);
  const rowLen = width * c;
  for (let dy = 0; dy < height; dy++) {
    const s0 = yt.start[dy];
    const n = yt.count[dy];
    const orow = dy * rowLen;
    for (let i = 0; i < rowLen; i++) {
      let acc = 0;
      for (let t = 0; t < n; t++) acc += tmp[yt.idx[s0 + t] * rowLen + i] * yt.w[s0 + t];
      // Guard the rounding against 1-ulp drift of exact halves/integers from the float sums.
      out[orow + i] = round ? Math.min(255, Math.max(0, Math.floor(acc + 0.5 + 1e-9))) : acc;
    }
  }
  return { data: out, width, height, channels: c };
}

/**
 * Operator form of {@link resizeImage}. Arguments are checked when the operator is created.
 *
 * @example
 * ```ts
 * decoded$.pipe(centerCrop(), resize(256, 'area'));
 * ```
 */
export function resize(size: SizeLike, method: ResizeMethod = 'bilinear'): MonoImageOperator {
  toSize(size, 'resize');
  checkMethod(method, 'resize');
  return mapSameImage((img: AnyImage) => resizeImage(img as Image<Uint8Array | Float32Array>, size, method) as AnyImage);
}
