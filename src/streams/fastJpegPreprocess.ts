import { makeImage, type Image } from '../ops/Image';
import type { Rect } from '../ops/crop';
import { orientImage, swapsAxes, unorientRect } from '../ops/orientImage';
import { cropResizeFast } from './cropResizeFast';
import type { JpegTurbo } from './loadJpegTurbo';
import { nativeJpegCodec } from './nativeJpegCodec';
import { readJpegHeader, type JpegHeader } from './readJpegHeader';

/**
 * Options of {@link fastJpegPreprocess}.
 *
 * @example
 * ```ts
 * const o: FastJpegOptions = { size: 256, quality: 90, maxPixels: 100_000_000, wantPixels: true };
 * ```
 */
export interface FastJpegOptions {
  /** Side of the square output. */
  readonly size: number;
  /** JPEG quality of the output, 1..100 (4:2:0, baseline, as sharp's path with FAST_JPEG). */
  readonly quality: number;
  /** Images with more stored pixels are refused (sharp's path then makes the typed skip). */
  readonly maxPixels: number;
  /** Also return the processed pixels as interleaved RGB (for record files). */
  readonly wantPixels: boolean;
}

/**
 * Result of {@link fastJpegPreprocess}: the encoded output, the per-channel sums of the
 * processed pixels (for the dataset mean; on the native YCbCr route the JFIF transform of the
 * plane sums, within 0.3 level per pixel of the returned pixels' own) and, if asked, the RGB
 * pixels. `jpeg` and `pixels`
 * are views of per-thread buffers, valid until the next call on this thread: copy what you
 * keep (fresh buffers per image cost more than the copy on this class of machine).
 *
 * @example
 * ```ts
 * if (r.kind === 'ok') fs.writeFileSync(dest, r.jpeg);
 * ```
 */
export interface FastJpegOk {
  readonly kind: 'ok';
  readonly jpeg: Buffer;
  readonly sums: readonly [number, number, number];
  readonly pixels: Uint8Array | undefined;
}

/**
 * Why the fast path did not take a file: the caller then runs sharp's path, which decodes
 * what it can and turns the rest into typed skips, so behaviour on odd files is sharp's.
 *
 * @example
 * ```ts
 * const r: FastJpegRefused = { kind: 'refused', why: 'CMYK (4 components)' };
 * ```
 */
export interface FastJpegRefused {
  readonly kind: 'refused';
  readonly why: string;
}

/**
 * Why {@link fastJpegPreprocess} cannot take a JPEG with this header, or undefined if it can.
 *
 * @example
 * ```ts
 * fastJpegRefusal(readJpegHeader(buf)!, 100_000_000); // undefined for an ordinary photo
 * ```
 */
export function fastJpegRefusal(h: JpegHeader, maxPixels: number): string | undefined {
  if (h.precision !== 8) return `${h.precision}-bit samples`;
  if (h.coding !== 'baseline' && h.coding !== 'extended' && h.coding !== 'progressive') return `${h.coding} coding`;
  if (h.components !== 1 && h.components !== 3) return `${h.components} components (CMYK/YCCK or unusual)`;
  if (h.width === 0 || h.height === 0) return 'no size in the frame header';
  if (h.width * h.height > maxPixels) return `${h.width}x${h.height} is over the pixel limit`;
  // sharp converts embedded profiles to sRGB; Adobe transform 0 marks RGB-coded files whose
  // handling differs between decoders: both are rare, sharp keeps its behaviour for them.
  if (h.hasIccProfile) return 'embedded ICC profile';
  if (h.components === 3 && h.adobeTransform === 0) return 'RGB-coded (Adobe transform 0)';
  return undefined;
}

/**
 * What the fast path will do with a JPEG, decided from its header alone: the header, and the
 * centred square crop in stored (not EXIF-rotated) pixels; or why it cannot take the file.
 *
 * @example
 * ```ts
 * const p = fastJpegPlan(buf, 100_000_000);
 * if (p.kind === 'plan') console.log(p.rect, p.header.orientation);
 * ```
 */
export function fastJpegPlan(buf: Uint8Array, maxPixels: number): { readonly kind: 'plan'; readonly header: JpegHeader; readonly rect: Rect } | FastJpegRefused {
  const h = readJpegHeader(buf);
  if (h === undefined) return { kind: 'refused', why: 'not a JPEG or header cut off' };
  const refusal = fastJpegRefusal(h, maxPixels);
  if (refusal !== undefined) return { kind: 'refused', why: refusal };
  const o = h.orientation;
  const [dw, dh] = swapsAxes(o) ? [h.height, h.width] : [h.width, h.height];
  // The largest centred square with offsets rounded down, as centerCropRect (not imported:
  // its module pulls in RxJS, slow to load in every worker thread).
  const side = Math.min(dw, dh);
  const square = { x: Math.floor((dw - side) / 2), y: Math.floor((dh - side) / 2), width: side, height: side };
  return { kind: 'plan', header: h, rect: unorientRect(square, h.width, h.height, o) };
}

// Per-thread scratch, grown on demand: fresh multi-megabyte buffers per image cost page
// faults that are expensive on this class of VM (see bench/RESULTS.md, pipeline).
let decoded = Buffer.alloc(0);
let encoded = Buffer.alloc(0);
let resized = new Uint8Array(0);

/**
 * The fast preprocessing path for ordinary JPEGs: header check (size, pixel limit, coding)
 * before decoding, decode with libjpeg-turbo, centre square crop in display orientation (EXIF
 * applied), resize to `size`² (area filter when shrinking, bilinear when enlarging, in fixed
 * point), RGB sums for the mean, JPEG encode with libjpeg-turbo. Synchronous: meant for
 * worker threads. Anything it cannot take as sharp would (CMYK, 12-bit, lossless, arithmetic,
 * ICC profiles, corrupt or truncated data — libjpeg-turbo warnings count as failures) comes
 * back `refused`, never as a guess.
 *
 * Pixels differ from sharp's path (lanczos3 resize, libvips' decoder) by a few levels at
 * edges; dimensions and orientation are identical.
 *
 * Two engines, same contract. With the native addon (see `nativeJpegCodec`), one call does
 * the whole image (DCT-scaled by 1/2–1/8 when the crop keeps ≥ 2× `size`) with the accurate
 * DCT (cv2's and sharp's settings). YCbCr JPEGs (any chroma subsampling) and grey ones take
 * the YCbCr route when `size` is even: the planes are resized as decoded and encoded as
 * resized, with no colour conversion or chroma resampling (≈ 17 % less CPU per image on the
 * bench corpus); `pixels` then come from one conversion of
 * the small planes (box-upsampled chroma) and the sums from the JFIF transform of the plane
 * sums. The others (RGB-coded, odd sizes) take the RGB route (decode of the crop's columns, resize, encode), whose
 * pixels match sharp's decode put through the same kernel. Without the addon, the binding
 * decodes the whole image with its fixed fast IDCT (≈ −0.5 level per YCbCr plane) and
 * `cropResizeFast` resizes.
 *
 * @example
 * ```ts
 * const r = fastJpegPreprocess(jt, fs.readFileSync('a.jpg'), { size: 256, quality: 90, maxPixels: 1e8, wantPixels: false });
 * if (r.kind === 'ok') fs.writeFileSync('out.jpg', r.jpeg);
 * ```
 */
export function fastJpegPreprocess(jt: JpegTurbo, buf: Buffer, opts: FastJpegOptions): FastJpegOk | FastJpegRefused {
  const plan = fastJpegPlan(buf, opts.maxPixels);
  if (plan.kind === 'refused') return plan;
  const { header: h, rect } = plan;
  const { size } = opts;
  const o = h.orientation;
  if (resized.length !== size * size * 3) resized = new Uint8Array(size * size * 3);
  const sums = new Float64Array(3);
  const codec = nativeJpegCodec();
  if (codec?.jpegPreprocess !== undefined) {
    // One native call: decode, resize, orient, sum and encode (see the two routes above),
    // the same work as fastJpegPreprocessFile's minus the file.
    const bound = codec.jpegEncodeBound(size, size);
    if (encoded.length < bound) encoded = Buffer.alloc(bound);
    const n = codec.jpegPreprocess(buf, rect.x, rect.y, rect.width, rect.height, size, o, opts.quality, encoded, sums, opts.wantPixels ? resized : null);
    if (typeof n === 'string') return { kind: 'refused', why: `libjpeg-turbo: ${n}` };
    return { kind: 'ok', jpeg: encoded.subarray(0, n), sums: [sums[0], sums[1], sums[2]], pixels: opts.wantPixels ? resized : undefined };
  }
  if (codec !== undefined) {
    // Addons built before jpegPreprocess: one native call decodes only the crop (DCT-scaled
    // when it is >= 2x the output), resizes and sums; another encodes. Accurate IDCT and DCT,
    // as cv2 and sharp use.
    const r = codec.jpegCropResize(buf, rect.x, rect.y, rect.width, rect.height, resized, size, sums, false);
    if (typeof r === 'string') return { kind: 'refused', why: `libjpeg-turbo: ${r}` };
    const out = o !== 1 ? orientImage(makeImage(resized, size, size, 3), o) : makeImage(resized, size, size, 3);
    const bound = codec.jpegEncodeBound(size, size);
    if (encoded.length < bound) encoded = Buffer.alloc(bound);
    const n = codec.jpegEncode(out.data, size, size, 3, opts.quality, encoded);
    if (typeof n === 'string') throw new Error(`libjpeg-turbo: ${n}`);
    return { kind: 'ok', jpeg: encoded.subarray(0, n), sums: [sums[0], sums[1], sums[2]], pixels: opts.wantPixels ? out.data : undefined };
  }
  const need = h.width * h.height * 4;
  if (decoded.length < need) decoded = Buffer.alloc(need);
  let img: Image;
  try {
    const d = jt.decompressSync(buf, decoded, { format: jt.FORMAT_RGBX });
    if (d.width !== h.width || d.height !== h.height) return { kind: 'refused', why: `decoder saw ${d.width}x${d.height}, header ${h.width}x${h.height}` };
    img = makeImage(new Uint8Array(decoded.buffer, decoded.byteOffset, need), h.width, h.height, 4);
  } catch (e) {
    return { kind: 'refused', why: `libjpeg-turbo: ${(e as Error).message}` };
  }
  // RGBX in, RGB out, channel sums on the way: the native kernel when the addon is built,
  // else the JS one (two channels per 32-bit operation on RGBX).
  let out = cropResizeFast(img, rect, makeImage(resized, size, size, 3), rect.width >= size ? 'area' : 'bilinear', sums);
  // The crop is square and the resize the same on both axes, so orienting the small result
  // equals orienting the full image first (and leaves the sums as they are).
  if (o !== 1) out = orientImage(out, o);
  const px = out.data;
  const bound = jt.bufferSize({ width: size, height: size, subsampling: jt.SAMP_420 });
  if (encoded.length < bound) encoded = Buffer.alloc(bound);
  const jpeg = jt.compressSync(Buffer.from(px.buffer, px.byteOffset, px.length), encoded, {
    format: jt.FORMAT_RGB,
    width: size,
    height: size,
    quality: opts.quality,
    subsampling: jt.SAMP_420,
  });
  return { kind: 'ok', jpeg, sums: [sums[0], sums[1], sums[2]], pixels: opts.wantPixels ? px : undefined };
}
