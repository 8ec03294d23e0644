import { assertByteImage } from './assertImage';
import { makeImage, type Image } from './Image';
import type { Rect } from './crop';
import type { ResizeMethod } from './resize';

/** Fixed-point taps of one axis: output d reads `n[d]` source indices from `start[d]` with weights `w[d * maxTaps + t]` (sum 2^14). */
interface Taps {
  readonly start: Int32Array;
  readonly n: Int32Array;
  readonly w: Int32Array;
  readonly maxTaps: number;
}

const ONE = 1 << 14;
// Taps depend only on (method, source length, output length): a dataset has few distinct
// crop sizes, so computing them once per geometry takes them off the per-image cost.
const tapCache = new Map<string, Taps>();
const TAP_CACHE_LIMIT = 4096;

function toFixed(start: number[], n: number[], weights: number[][]): Taps {
  const maxTaps = Math.max(1, ...n);
  const w = new Int32Array(start.length * maxTaps);
  weights.forEach((ws, d) => {
    // Round each weight, then give the rounding residue to the largest so every row sums to
    // exactly 2^14: a flat image stays exactly flat.
    const fixed = ws.map((x) => Math.round(x * ONE));
    const residue = ONE - fixed.reduce((a, b) => a + b, 0);
    let big = 0;
    for (let t = 1; t < fixed.length; t++) if (fixed[t] > fixed[big]) big = t;
    fixed[big] += residue;
    fixed.forEach((x, t) => (w[d * maxTaps + t] = x));
  });
  return { start: Int32Array.from(start), n: Int32Array.from(n), w, maxTaps };
}

/** Same conventions as resizeImage's bilinear: half-pixel centres, clamped at the borders. */
function bilinearTaps(src: number, dst: number): Taps {
  const scale = src / dst;
  const start: number[] = [];
  const n: number[] = [];
  const weights: number[][] = [];
  for (let d = 0; d < dst; d++) {
    const f = Math.max(0, (d + 0.5) * scale - 0.5);
    const s = Math.floor(f);
    if (s >= src - 1) {
      start.push(src - 1);
      n.push(1);
      weights.push([1]);
    } else {
      start.push(s);
      n.push(2);
      weights.push([1 - (f - s), f - s]);
    }
  }
  return toFixed(start, n, weights);
}

/** Same as resizeImage's area: exact box overlaps in units of 1/(src*dst) pixel. */
function areaTaps(src: number, dst: number): Taps {
  const start: number[] = [];
  const n: number[] = [];
  const weights: number[][] = [];
  for (let d = 0; d < dst; d++) {
    const lo = d * src;
    const hi = (d + 1) * src;
    const ws: number[] = [];
    let first = -1;
    for (let s = Math.floor(lo / dst); s * dst < hi && s < src; s++) {
      const overlap = Math.min(hi, (s + 1) * dst) - Math.max(lo, s * dst);
      if (overlap > 0) {
        if (first < 0) first = s;
        ws.push(overlap / src);
      }
    }
    start.push(first);
    n.push(ws.length);
    weights.push(ws);
  }
  return toFixed(start, n, weights);
}

function taps(method: ResizeMethod, src: number, dst: number): Taps {
  const key = `${method}:${src}:${dst}`;
  let t = tapCache.get(key);
  if (t === undefined) {
    t = method === 'area' ? areaTaps(src, dst) : bilinearTaps(src, dst);
    if (tapCache.size >= TAP_CACHE_LIMIT) tapCache.clear();
    tapCache.set(key, t);
  }
  return t;
}

/** Adds the per-channel sums of `img` to `sums` (the paths without fused sums). */
function addSums(img: Image, sums: Float64Array): void {
  const { data, channels: c } = img;
  for (let i = 0; i < data.length; i++) sums[i % c] += data[i];
}

let scratch = new Uint16Array(0);
let scratch32 = new Int32Array(0);
const M = 0x00ff00ff;
const HALF = 0x00800080;

/** 8-bit weights (sum 256) for the packed path, derived from the 2^14 ones; sum fixed exactly. */
function weights8(t: Taps): Int32Array {
  let w8 = w8Cache.get(t);
  if (w8 === undefined) {
    w8 = new Int32Array(t.w.length);
    for (let d = 0; d < t.n.length; d++) {
      const b = d * t.maxTaps;
      let sum = 0;
      let big = b;
      for (let k = 0; k < t.n[d]; k++) {
        w8[b + k] = Math.round(t.w[b + k] / 64);
        sum += w8[b + k];
        if (t.w[b + k] > t.w[big]) big = b + k;
      }
      w8[big] += 256 - sum;
    }
    w8Cache.set(t, w8);
  }
  return w8;
}
const w8Cache = new WeakMap<Taps, Int32Array>();

/**
 * 4-channel images, one pixel per int32, two channels per operation (SWAR): bytes 0/2 and 1/3
 * sit in 16-bit lanes of `p & 0x00ff00ff` and `(p >>> 8) & 0x00ff00ff`; with weights summing
 * to 256 a lane never exceeds 255 * 256 + 128, so lanes cannot carry into each other. Each pass
 * rounds back to 8 bits, hence ±1 against the 3-channel path. Byte order does not matter.
 */
function swar4(
  s: Int32Array,
  sw: number,
  rect: Rect,
  o32: Int32Array | undefined,
  o8: Uint8Array,
  ow: number,
  oh: number,
  yt: Taps,
  xt: Taps,
  sums: Float64Array | undefined,
): void {
  const { x, y, width: rw } = rect;
  if (scratch32.length < oh * rw) scratch32 = new Int32Array(oh * rw);
  const tmp = scratch32;
  const yw = weights8(yt);
  for (let dy = 0; dy < oh; dy++) {
    const n = yt.n[dy];
    const wb = dy * yt.maxTaps;
    const r0 = (y + yt.start[dy]) * sw + x;
    const t0 = dy * rw;
    if (n === 1) {
      tmp.set(s.subarray(r0, r0 + rw), t0);
    } else if (n === 2) {
      const a = yw[wb];
      const b = yw[wb + 1];
      const r1 = r0 + sw;
      for (let i = 0; i < rw; i++) {
        const p = s[r0 + i];
        const q = s[r1 + i];
        const lo = ((Math.imul(p & M, a) + Math.imul(q & M, b) + HALF) >>> 8) & M;
        const hi = (Math.imul((p >>> 8) & M, a) + Math.imul((q >>> 8) & M, b) + HALF) & ~M;
        tmp[t0 + i] = lo | hi;
      }
    } else if (n === 3) {
      const a = yw[wb];
      const b = yw[wb + 1];
      const c = yw[wb + 2];
      const r1 = r0 + sw;
      const r2 = r1 + sw;
      for (let i = 0; i < rw; i++) {
        const p = s[r0 + i];
        const q = s[r1 + i];
        const u = s[r2 + i];
        const lo = ((Math.imul(p & M, a) + Math.imul(q & M, b) + Math.imul(u & M, c) + HALF) >>> 8) & M;
        const hi = (Math.imul((p >>> 8) & M, a) + Math.imul((q >>> 8) & M, b) + Math.imul((u >>> 8) & M, c) + HALF) & ~M;
        tmp[t0 + i] = lo | hi;
      }
    } else {
      for (let i = 0; i < rw; i++) {
        let lo = HALF;
        let hi = HALF;
        for (let t = 0, r = r0 + i; t < n; t++, r += sw) {
          const p = s[r];
          const w = yw[wb + t];
          lo = (lo + Math.imul(p & M, w)) | 0;
          hi = (hi + Math.imul((p >>> 8) & M, w)) | 0;
        }
        tmp[t0 + i] = ((lo >>> 8) & M) | (hi & ~M);
      }
    }
  }
  const xw = weights8(xt);
  const xs = xt.start;
  const xn = xt.n;
  const mt = xt.maxTaps;
  let p = 0;
  for (let dy = 0; dy < oh; dy++) {
    const t0 = dy * rw;
    // Per-row channel sums in 16-bit lanes, flushed every 256 pixels before they can overflow.
    let sLo = 0;
    let sHi = 0;
    for (let dx = 0; dx < ow; dx++) {
      const n = xn[dx];
      const wb = dx * mt;
      const i = t0 + xs[dx];
      let px: number;
      if (n === 2) {
        const u = tmp[i];
        const v = tmp[i + 1];
        const a = xw[wb];
        const b = xw[wb + 1];
        px = (((Math.imul(u & M, a) + Math.imul(v & M, b) + HALF) >>> 8) & M) | ((Math.imul((u >>> 8) & M, a) + Math.imul((v >>> 8) & M, b) + HALF) & ~M);
      } else if (n === 3) {
        const u = tmp[i];
        const v = tmp[i + 1];
        const z = tmp[i + 2];
        const a = xw[wb];
        const b = xw[wb + 1];
        const c = xw[wb + 2];
        px =
          (((Math.imul(u & M, a) + Math.imul(v & M, b) + Math.imul(z & M, c) + HALF) >>> 8) & M) |
          ((Math.imul((u >>> 8) & M, a) + Math.imul((v >>> 8) & M, b) + Math.imul((z >>> 8) & M, c) + HALF) & ~M);
      } else {
        let lo = HALF;
        let hi = HALF;
        for (let t = 0; t < n; t++) {
          const u = tmp[i + t];
          const w = xw[wb + t];
          lo = (lo + Math.imul(u & M, w)) | 0;
          hi = (hi + Math.imul((u >>> 8) & M, w)) | 0;
        }
        px = ((lo >>> 8) & M) | (hi & ~M);
      }
      if (o32 !== undefined) o32[p++] = px;
      else {
        // Byte stores keep the low 8 bits: the 4th channel is dropped.
        o8[p] = px;
        o8[p + 1] = px >>> 8;
        o8[p + 2] = px >>> 16;
        p += 3;
      }
      if (sums !== undefined) {
        sLo += px & M;
        sHi += (px >>> 8) & M;
        if ((dx & 255) === 255 || dx === ow - 1) {
          sums[0] += sLo & 0xffff;
          sums[1] += sHi & 0xffff;
          sums[2] += sLo >>> 16;
          if (sums.length > 3) sums[3] += sHi >>> 16;
          sLo = 0;
          sHi = 0;
        }
      }
    }
  }
}

/**
 * Crops `rect` out of an 8-bit image and resizes it into `out` (a preallocated 8-bit image of
 * the same channel count, whose width and height give the output size) in one pass: no crop
 * copy, no float buffers. The fast kernel behind preprocessing's centre-crop-and-resize.
 * A 4-channel source may go into a 3-channel `out` (the 4th channel, e.g. the padding byte of
 * RGBX decoder output, is dropped). If `sums` is given, the per-channel sums of the output
 * pixels are added to it (for dataset means, without another pass over the pixels).
 *
 * Same interpolation conventions as {@link resizeImage} (`'area'` box filter, `'bilinear'`
 * half-pixel centres), computed in fixed point (weights of 2^-14, an 8.8 intermediate between
 * the vertical and the horizontal pass), so results are within ±1 of `resizeImage` on the
 * cropped image. A flat region stays exactly flat. When the rect already has the output size
 * the pixels are copied unchanged.
 *
 * 4-channel images are processed two channels per 32-bit operation with 8-bit weights: within
 * ±1 of `resizeImage` as well.
 *
 * @throws RangeError if an image is malformed, the channel counts differ (other than 4 → 3),
 *   `sums` is too short, or `rect` is not inside `src`.
 * @example
 * ```ts
 * const out = makeImage(new Uint8Array(256 * 256 * 3), 256, 256, 3);
 * cropResizeInto(photo, centerCropRect(photo.width, photo.height), out, 'area');
 * ```
 */
export function cropResizeInto(src: Image, rect: Rect, out: Image, method: ResizeMethod = 'area', sums?: Float64Array): Image {
  assertByteImage(src, 'cropResizeInto');
  assertByteImage(out, 'cropResizeInto');
  const c = src.channels;
  const oc = out.channels;
  if (oc !== c && !(c === 4 && oc === 3)) throw new RangeError(`cropResizeInto: output has ${oc} channels, the source ${c} (only 4 → 3 may differ)`);
  if (sums !== undefined && sums.length < Math.min(c, oc)) throw new RangeError(`cropResizeInto: sums needs ${Math.min(c, oc)} elements, got ${sums.length}`);
  // Checked here rather than with crop's assertRectInside: this module must stay free of
  // RxJS (it loads in preprocess worker threads, where start-up time counts).
  const { x, y, width: rw, height: rh } = rect;
  if (![x, y, rw, rh].every(Number.isInteger) || x < 0 || y < 0 || rw < 1 || rh < 1 || x + rw > src.width || y + rh > src.height) {
    throw new RangeError(`cropResizeInto: rect ${rw}x${rh} at (${x}, ${y}) is not inside the ${src.width}x${src.height} image`);
  }
  if (method !== 'area' && method !== 'bilinear') throw new RangeError(`cropResizeInto: method must be 'bilinear' or 'area', got ${JSON.stringify(method)}`);
  const s = src.data;
  const o = out.data;
  const stride = src.width * c;
  const ow = out.width;
  const oh = out.height;
  if (rw === ow && rh === oh && oc === c) {
    for (let r = 0; r < rh; r++) o.set(s.subarray((y + r) * stride + x * c, (y + r) * stride + (x + rw) * c), r * ow * c);
    if (sums !== undefined) addSums(out, sums);
    return out;
  }
  const yt = taps(method, rh, oh);
  const xt = taps(method, rw, ow);
  if (c === 4 && s.byteOffset % 4 === 0 && (oc === 3 || o.byteOffset % 4 === 0)) {
    const o32 = oc === 4 ? new Int32Array(o.buffer, o.byteOffset, o.length >> 2) : undefined;
    swar4(new Int32Array(s.buffer, s.byteOffset, s.length >> 2), src.width, rect, o32, o, ow, oh, yt, xt, sums);
    return out;
  }
  if (oc !== c) {
    // 4 → 3 channels off the packed path (unaligned buffers): via a 4-channel temporary.
    const full = cropResizeInto(src, rect, makeImage(new Uint8Array(ow * oh * 4), ow, oh, 4), method);
    for (let i = 0, j = 0; j < o.length; i += 4, j += 3) {
      o[j] = full.data[i];
      o[j + 1] = full.data[i + 1];
      o[j + 2] = full.data[i + 2];
    }
    if (sums !== undefined) addSums(out, sums);
    return out;
  }
  const rowLen = rw * c;
  if (scratch.length < oh * rowLen) scratch = new Uint16Array(oh * rowLen);
  const tmp = scratch;
  // Vertical pass first: its inner loop streams whole source rows (contiguous), and it leaves
  // only `oh` rows for the gathering horizontal pass.
  const x0 = x * c;
  for (let dy = 0; dy < oh; dy++) {
    const n = yt.n[dy];
    const wb = dy * yt.maxTaps;
    const r0 = (y + yt.start[dy]) * stride + x0;
    const t0 = dy * rowLen;
    if (n === 1) {
      for (let i = 0; i < rowLen; i++) tmp[t0 + i] = s[r0 + i] << 8;
    } else if (n === 2) {
      const w0 = yt.w[wb];
      const w1 = yt.w[wb + 1];
      const r1 = r0 + stride;
      for (let i = 0; i < rowLen; i++) tmp[t0 + i] = (s[r0 + i] * w0 + s[r1 + i] * w1 + 32) >> 6;
    } else if (n === 3) {
      const w0 = yt.w[wb];
      const w1 = yt.w[wb + 1];
      const w2 = yt.w[wb + 2];
      const r1 = r0 + stride;
      const r2 = r1 + stride;
      for (let i = 0; i < rowLen; i++) tmp[t0 + i] = (s[r0 + i] * w0 + s[r1 + i] * w1 + s[r2 + i] * w2 + 32) >> 6;
    } else {
      for (let i = 0; i < rowLen; i++) {
        let acc = 32;
        for (let t = 0, r = r0; t < n; t++, r += stride) acc += s[r + i] * yt.w[wb + t];
        tmp[t0 + i] = acc >> 6;
      }
    }
  }
  const half = 1 << 21;
  const xs = xt.start;
  const xn = xt.n;
  const xw = xt.w;
  const mt = xt.maxTaps;
  let p = 0;
  if (c === 3) {
    for (let dy = 0; dy < oh; dy++) {
      const t0 = dy * rowLen;
      for (let dx = 0; dx < ow; dx++) {
        const n = xn[dx];
        const wb = dx * mt;
        let i = t0 + xs[dx] * 3;
        let r = half;
        let g = half;
        let b = half;
        for (let t = 0; t < n; t++, i += 3) {
          const w = xw[wb + t];
          r += tmp[i] * w;
          g += tmp[i + 1] * w;
          b += tmp[i + 2] * w;
        }
        o[p] = r >> 22;
        o[p + 1] = g >> 22;
        o[p + 2] = b >> 22;
        p += 3;
      }
    }
  } else {
    for (let dy = 0; dy < oh; dy++) {
      const t0 = dy * rowLen;
      for (let dx = 0; dx < ow; dx++) {
        const n = xn[dx];
        const wb = dx * mt;
        const i0 = t0 + xs[dx] * c;
        for (let k = 0; k < c; k++) {
          let acc = half;
          for (let t = 0; t < n; t++) acc += tmp[i0 + t * c + k] * xw[wb + t];
          o[p++] = acc >> 22;
        }
      }
    }
  }
  if (sums !== undefined) addSums(out, sums);
  return out;
}
