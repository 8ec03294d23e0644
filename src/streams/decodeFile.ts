import { promises as fsp } from 'node:fs';
import sharp from 'sharp';
import { makeImage } from '../ops/Image';
import { ioErrorReason } from './ioErrorReason';
import { NON_BLOCKING_READ } from './NON_BLOCKING_READ';
import { readJpegHeader } from './readJpegHeader';
import type { Sample } from './Sample';
import { oneLine, skip, type Skip, type SkipReason } from './Skip';

/**
 * A decoded sample, tagged so it can share a stream with {@link Skip}s.
 *
 * @example
 * ```ts
 * const s: DecodedSample = { kind: 'sample', image: makeImage(new Uint8Array(3), 1, 1, 3), label: 0, path: 'a.jpg' };
 * ```
 */
export type DecodedSample = Sample & { readonly kind: 'sample' };

/**
 * How images are decoded. Every output is 8-bit interleaved RGB (3 channels) whatever the
 * input, or 8-bit grey with `channels: 1`: EXIF orientation is applied, grey / CMYK /
 * palette / 16-bit inputs are converted to 8-bit sRGB (or grey), and alpha is flattened onto
 * `background` (black by default, as PyTorch's `convert('RGB')` drops alpha to the stored
 * colour under it; pass white for scans and logos).
 *
 * @example
 * ```ts
 * const o: DecodeOptions = { maxPixels: 50_000_000, resize: 256, background: 'white' };
 * const grey: DecodeOptions = { channels: 1 }; // Fashion-MNIST PNGs as they are stored
 * ```
 */
export interface DecodeOptions {
  /**
   * Decompression-bomb guard: images with more pixels (width × height, before any resize)
   * become `too-many-pixels` skips. Default 100 megapixels.
   */
  readonly maxPixels?: number | undefined;
  /**
   * What a `too-many-pixels` skip tells the user to raise, such as `--max-pixels` for a
   * command that has the flag: the setting that reaches `maxPixels` where the caller is.
   * Default: {@link DEFAULT_MAX_PIXELS_SETTING}.
   */
  readonly maxPixelsSetting?: string | undefined;
  /**
   * If set, centre-crops to a square and resizes to `resize`×`resize` (the Caltech256 /
   * AlexNet preprocessing), so images of any size batch together.
   */
  readonly resize?: number | undefined;
  /** Colour alpha is flattened onto. Default black. */
  readonly background?: 'black' | 'white' | undefined;
  /**
   * 3 (default): RGB, grey images replicated into the three channels. 1: one grey channel,
   * stored grey kept as is and colour images reduced to their luminance (libvips `b-w`,
   * as PIL's `convert('L')` does with slightly different weights).
   */
  readonly channels?: 1 | 3 | undefined;
}

/**
 * Default decompression-bomb limit of {@link DecodeOptions.maxPixels}: 100 megapixels.
 *
 * @example
 * ```ts
 * decodeFile(path, label, { maxPixels: DEFAULT_MAX_PIXELS / 4 });
 * ```
 */
export const DEFAULT_MAX_PIXELS = 100_000_000;

/**
 * Default of {@link DecodeOptions.maxPixelsSetting}: every way there is to raise the limit, for
 * a caller that does not say which one it reads.
 *
 * @example
 * ```ts
 * decodeFile(path, label, { maxPixels: n, maxPixelsSetting: '--max-pixels' }); // a command's own flag instead
 * ```
 */
export const DEFAULT_MAX_PIXELS_SETTING = 'the maxPixels option of decode or fileStore, or --max-pixels of rxtrain preprocess or rxtrain train';

// Signatures of image formats this sharp build cannot decode: they are "unsupported", not
// "not an image", which tells the user to convert rather than to delete.
const UNSUPPORTED_SIGNATURES: Array<{ name: string; test: (b: Buffer) => boolean }> = [
  { name: 'BMP', test: (b) => b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d },
  { name: 'ICO', test: (b) => b.length >= 4 && b.readUInt32BE(0) === 0x00000100 },
  { name: 'PSD', test: (b) => b.length >= 4 && b.toString('latin1', 0, 4) === '8BPS' },
  { name: 'HEIC', test: (b) => b.length >= 12 && b.toString('latin1', 4, 8) === 'ftyp' && /^(heic|heix|hevc|hevx|mif1|msf1)$/.test(b.toString('latin1', 8, 12)) },
  { name: 'DICOM', test: (b) => b.length >= 132 && b.toString('latin1', 128, 132) === 'DICM' },
];

const isJpeg = (b: Buffer): boolean => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
const isPng = (b: Buffer): boolean => b.length >= 4 && b.readUInt32BE(0) === 0x89504e47;
const isGif = (b: Buffer): boolean => b.length >= 4 && b.toString('latin1', 0, 4) === 'GIF8';
const isWebp = (b: Buffer): boolean => b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP';

const DECODABLE_SIGNATURES: Array<(b: Buffer) => boolean> = [
  isJpeg,
  isPng,
  isGif,
  isWebp,
  (b) => b.length >= 4 && (b.toString('latin1', 0, 4) === 'II*\0' || b.toString('latin1', 0, 4) === 'MM\0*'), // TIFF
];

// Formats whose bytes show where the file should end (see cutOff): for them "cut off" is
// decided from the bytes, never from a decoder message.
const ENDS_KNOWN: Array<(b: Buffer) => boolean> = [isJpeg, isPng, isGif, isWebp];

// Formats sharp may decode that have no entry in DECODABLE_SIGNATURES (their failures are
// classified by message): AVIF/HEIF containers and SVG text.
const OTHER_DECODABLE: Array<(b: Buffer) => boolean> = [
  (b) => b.length >= 12 && b.toString('latin1', 4, 8) === 'ftyp',
  (b) => /^(\ufeff)?\s*</.test(b.toString('utf8', 0, Math.min(b.length, 64))),
];

/**
 * Where a JPEG's marker structure ends, walked the way libjpeg reads it: segments by their
 * lengths (so markers inside an EXIF thumbnail or ICC profile are stepped over), scan data up
 * to the next marker that is not a stuffed byte or a restart, stray bytes before a marker
 * skipped as libjpeg skips them. `complete`: an end-of-image marker is reached; otherwise the
 * file ends first, inside the `header` (before any scan) or inside the image `data`.
 */
function jpegEnd(b: Buffer): 'complete' | 'header' | 'data' {
  let p = 2; // after SOI
  let inData = false;
  for (;;) {
    // Next marker: libjpeg discards anything up to an 0xFF, then fill bytes (0xFF 0xFF…).
    while (p < b.length && b[p] !== 0xff) p++;
    while (p < b.length && b[p] === 0xff) p++;
    if (p >= b.length) return inData ? 'data' : 'header';
    const m = b[p++];
    if (m === 0xd9) return 'complete';
    if (m === 0x00 || m === 0x01 || (m >= 0xd0 && m <= 0xd8)) continue; // stuffed byte, TEM, RSTn, SOI: no length
    if (p + 2 > b.length) return inData ? 'data' : 'header';
    const end = p + b.readUInt16BE(p);
    if (end > b.length) return inData ? 'data' : 'header';
    p = end;
    if (m === 0xda) {
      inData = true;
      // Entropy-coded data: 0xFF is followed by 0x00 (a stuffed byte) or a restart marker
      // until the next real marker, which the loop above then reads.
      for (;;) {
        const ff = b.indexOf(0xff, p);
        if (ff < 0 || ff + 1 >= b.length) return 'data';
        const next = b[ff + 1];
        if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) p = ff + 2;
        else {
          p = ff;
          break;
        }
      }
    }
  }
}

function endsWithEoi(b: Buffer): boolean {
  let e = b.length;
  while (e > 0 && b[e - 1] === 0x00) e--;
  return e >= 4 && b[e - 2] === 0xff && b[e - 1] === 0xd9;
}

/**
 * Why the file is cut off, judged from its bytes alone, or undefined when it is not (or the
 * format gives no way to tell): a JPEG whose markers run out before its end-of-image marker, a
 * PNG without `IEND`, a GIF without its trailer byte, a WebP shorter than its RIFF header says.
 */
function cutOff(buf: Buffer): string | undefined {
  const n = buf.length;
  if (isJpeg(buf)) {
    const end = jpegEnd(buf);
    // A damaged segment length can make the walk overrun a full-length file: one that still
    // ends in an end-of-image marker (zero padding aside) is damaged, not cut off.
    if (end === 'complete' || endsWithEoi(buf)) return undefined;
    return end === 'header'
      ? `the file ends inside the JPEG header, after ${n} bytes (cut off?)`
      : `the file ends inside the image data, before the JPEG end-of-image marker, after ${n} bytes (cut off?)`;
  }
  if (isPng(buf)) return buf.lastIndexOf('IEND', undefined, 'latin1') < 0 ? `the file ends before the PNG IEND chunk, after ${n} bytes (cut off?)` : undefined;
  if (isGif(buf)) return buf[n - 1] !== 0x3b ? `the file ends without the GIF trailer, after ${n} bytes (cut off?)` : undefined;
  if (isWebp(buf)) {
    const want = buf.readUInt32LE(4) + 8;
    return n < want ? `the file has ${n} of the ${want} bytes its RIFF header announces (cut off?)` : undefined;
  }
  return undefined;
}

// What sharp says when the libvips error buffer was emptied by another failing decode.
const NO_DETAIL = /^(unknown error)?$/i;

/**
 * Why sharp's JPEG decoder cannot read this JPEG at all, judged from its frame header, or
 * undefined when the header shows nothing it cannot read: 12- and 16-bit samples (libvips
 * reads 8-bit JPEGs only) and hierarchical frames (SOF5-7, which libjpeg never implemented).
 */
function undecodableJpeg(buf: Buffer): string | undefined {
  const h = isJpeg(buf) ? readJpegHeader(buf) : undefined;
  if (h === undefined) return undefined;
  if (h.precision !== 8) return `a ${h.precision}-bit JPEG (${h.precision} bits per sample): the decoder reads 8-bit JPEGs only; convert it to an 8-bit JPEG, or to a 16-bit PNG to keep its precision`;
  if (h.coding === 'hierarchical') return 'a hierarchical JPEG (SOF5-7 frames), a coding the decoder cannot read; convert it to an ordinary JPEG or PNG';
  return undefined;
}

/**
 * Maps a sharp / libvips error on `buf` to a {@link SkipReason} and a one-line message. The
 * bytes are asked first where they can answer, because libvips keeps one error buffer per
 * process: when several decodes fail at once, a message can belong to another image (or be
 * just `Unknown error`). So a file that ends before its format's end marker is `truncated`
 * with a message made from its bytes alone, content that no decoder recognises is
 * `not-an-image`, and a complete file of a known format that still fails is `corrupt` (bad
 * Huffman tables, damaged scans or chunks), never "truncated". A JPEG whose header shows a
 * coding the decoder cannot read (12-bit samples, hierarchical frames) is `unsupported`.
 *
 * @example
 * ```ts
 * classifyDecodeError(new Error('VipsJpeg: premature end of JPEG image'), jpeg.subarray(0, 500)).reason; // 'truncated'
 * classifyDecodeError(new Error('VipsJpeg: Bogus Huffman table definition'), fullLengthJpeg).reason; // 'corrupt'
 * ```
 */
export function classifyDecodeError(err: Error, buf: Buffer): { reason: SkipReason; message: string } {
  const msg = oneLine(err.message);
  if (/exceeds pixel limit/i.test(msg)) return { reason: 'too-many-pixels', message: msg };
  const cut = cutOff(buf);
  if (cut !== undefined) return { reason: 'truncated', message: cut };
  // From the header, not the message: under concurrent failures a 12-bit JPEG's "Unsupported
  // JPEG data precision 12" can be lost (a "corrupt" file that is not damaged at all) or
  // replaced by another file's.
  const undecodable = undecodableJpeg(buf);
  if (undecodable !== undefined) return { reason: 'unsupported', message: undecodable };
  const unsupported = UNSUPPORTED_SIGNATURES.find((s) => s.test(buf));
  if (unsupported) return { reason: 'unsupported', message: `${unsupported.name} images cannot be decoded (${msg}); convert them to JPEG or PNG` };
  const decodable = DECODABLE_SIGNATURES.some((t) => t(buf));
  if (!decodable && !OTHER_DECODABLE.some((t) => t(buf))) return { reason: 'not-an-image', message: 'content is not a known image format' };
  const detail = NO_DETAIL.test(msg) ? 'the decoder gave no detail' : msg;
  const endKnown = ENDS_KNOWN.some((t) => t(buf));
  // Formats whose end the bytes cannot show (TIFF, AVIF/HEIF, SVG) are taken at their word.
  if (!endKnown && /premature end|truncated|read error|unexpected end|not enough data|end of (file|stream)/i.test(msg)) {
    return { reason: 'truncated', message: detail };
  }
  // libvips recognises these signatures itself, so on them this message is another image's.
  if (/unsupported image format/i.test(msg) && !decodable) return { reason: 'not-an-image', message: 'content is not a known image format' };
  if (/unsupported|not supported|unknown (codec|compression)/i.test(msg) && !/unsupported image format/i.test(msg)) return { reason: 'unsupported', message: msg };
  // A file with a known signature that fails to decode is damaged, not foreign.
  if (decodable) return { reason: 'corrupt', message: endKnown ? `${detail} (the file is complete; its data is damaged)` : detail };
  return { reason: 'not-an-image', message: detail };
}

async function classifyReadError(err: NodeJS.ErrnoException, path: string): Promise<{ reason: SkipReason; message: string }> {
  switch (err.code) {
    case 'EISDIR':
      return { reason: 'not-a-file', message: 'a directory named like an image' };
    case 'ENOENT': {
      const isLink = await fsp.lstat(path).then((s) => s.isSymbolicLink(), () => false);
      return isLink
        ? { reason: 'dangling-link', message: 'symbolic link whose target does not exist' }
        : { reason: 'unreadable', message: 'file does not exist (removed after it was listed?)' };
    }
    case 'ELOOP':
      return { reason: 'symlink-loop', message: 'symbolic link that points to itself (or a chain of links that loops)' };
    case 'ENXIO':
      // open(2) on a Unix socket, or a device with nothing behind it.
      return { reason: 'not-a-file', message: SPECIAL_FILE };
    default:
      // The skip names the file as given; Node's message would repeat it, absolute.
      return { reason: 'unreadable', message: ioErrorReason(err) };
  }
}

// Compressed size above which decoding streams (see decodePipeline): ~10+ megapixel photos.
const SEQUENTIAL_READ_BYTES = 4 * 1024 * 1024;

/** The sharp pipeline both {@link decodeBuffer} and {@link transcodeFile} run: one definition keeps their pixels identical. */
function decodePipeline(buf: Buffer, opts: DecodeOptions): sharp.Sharp {
  // failOn 'truncated': real-world JPEGs often carry harmless warnings (extra bytes after
  // EOI, bad restart markers) and must not be dropped; cut-off files must.
  // sequentialRead streams the decode through a line cache whose locking costs more than the
  // whole decode of a photo-sized image (~1.4x slower measured on Caltech-sized JPEGs); only
  // big files, whose full decode would take much memory, are worth it. Same pixels either way.
  const sequentialRead = buf.length > SEQUENTIAL_READ_BYTES;
  let img = sharp(buf, { limitInputPixels: opts.maxPixels ?? DEFAULT_MAX_PIXELS, failOn: 'truncated', sequentialRead }).rotate();
  if (opts.resize !== undefined) img = img.resize(opts.resize, opts.resize, { fit: 'cover', position: 'centre' });
  return img
    .flatten({ background: opts.background === 'white' ? '#ffffff' : '#000000' })
    .toColourspace(opts.channels === 1 ? 'b-w' : 'srgb')
    .removeAlpha();
}

const withCommas = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/**
 * The skip of an image over the pixel limit, with its size and the limit: sharp's own message
 * ("Input image exceeds pixel limit") says neither, so a user cannot tell a huge photo from a
 * damaged header, nor what to raise. The size comes from the header (no pixels decoded).
 */
async function tooManyPixels(path: string, buf: Buffer, opts: DecodeOptions, fallback: string): Promise<Skip> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const m = await sharp(buf, { limitInputPixels: false }).metadata().catch(() => undefined);
  const w = m?.width;
  const h = m?.pageHeight ?? m?.height;
  if (w === undefined || h === undefined) return skip(path, 'too-many-pixels', fallback);
  return skip(path, 'too-many-pixels', `image is ${w}x${h} (${withCommas(w * h)} pixels), over the limit of ${withCommas(maxPixels)}, a guard against decompression bombs (raise it with ${opts.maxPixelsSetting ?? DEFAULT_MAX_PIXELS_SETTING})`);
}

/** {@link classifyDecodeError}'s skip, with the size and limit for one over the pixel limit. */
async function decodeErrorSkip(e: Error, path: string, buf: Buffer, opts: DecodeOptions): Promise<Skip> {
  const { reason, message } = classifyDecodeError(e, buf);
  return reason === 'too-many-pixels' ? tooManyPixels(path, buf, opts, message) : skip(path, reason, message);
}

/**
 * Decodes an encoded image already in memory into an 8-bit RGB (or grey) sample (see
 * {@link DecodeOptions}), or a typed {@link Skip} saying why not. Never rejects for bad input.
 *
 * @example
 * ```ts
 * const s = await decodeBuffer(await fs.promises.readFile('cat.jpg'), 'cat.jpg', 3, { resize: 256 });
 * ```
 */
export async function decodeBuffer(buf: Buffer, path: string, label: number, opts: DecodeOptions = {}): Promise<DecodedSample | Skip> {
  if (buf.length === 0) return skip(path, 'empty', 'file has 0 bytes');
  try {
    const { data, info } = await decodePipeline(buf, opts).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    const want = opts.channels ?? 3;
    if (info.channels !== want) return skip(path, 'unsupported', `decoded to ${info.channels} channels, expected ${want}`);
    const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return { kind: 'sample', image: makeImage(pixels, info.width, info.height, want), label, path };
  } catch (e) {
    return decodeErrorSkip(e as Error, path, buf, opts);
  }
}

/**
 * Reads and decodes one image file (see {@link decodeBuffer}); I/O failures become
 * `unreadable` / `not-a-file` skips. Never rejects for bad input.
 *
 * @example
 * ```ts
 * const s = await decodeFile('/data/001.ak47/001_0001.jpg', 0);
 * if (s.kind === 'sample') console.log(s.image.width, s.image.height);
 * ```
 */
export async function decodeFile(path: string, label: number, opts: DecodeOptions = {}): Promise<DecodedSample | Skip> {
  const buf = await readImageFile(path);
  return Buffer.isBuffer(buf) ? decodeBuffer(buf, path, label, opts) : buf;
}

const SPECIAL_FILE = 'a special file (fifo, socket or device) named like an image';

async function readImageFile(path: string): Promise<Buffer | Skip> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, NON_BLOCKING_READ);
  } catch (e) {
    const { reason, message } = await classifyReadError(e as NodeJS.ErrnoException, path);
    return skip(path, reason, message);
  }
  try {
    // Only a regular file has an end: a FIFO (or a link to one) would be read for ever or not at
    // all, /dev/zero until memory runs out. A folder list never names these; a path given by
    // hand (rxtrain predict), a link into /dev or a manifest row can.
    const st = await handle.stat();
    if (st.isDirectory()) return skip(path, 'not-a-file', 'a directory named like an image');
    if (!st.isFile()) return skip(path, 'not-a-file', SPECIAL_FILE);
    return await handle.readFile();
  } catch (e) {
    const { reason, message } = await classifyReadError(e as NodeJS.ErrnoException, path);
    return skip(path, reason, message);
  } finally {
    await handle.close().catch(() => undefined); // read-only: nothing to lose
  }
}

/**
 * JPEG encoder settings for generated images: baseline libjpeg-turbo coding. sharp's mozjpeg
 * defaults (trellis quantisation, overshoot deringing, optimised scans and Huffman tables)
 * cost ~40% more time per image for files only ~4% smaller, a poor trade for a dataset cache
 * that is written once and decoded many times.
 *
 * @example
 * ```ts
 * await sharp(pixels, { raw: { width: 256, height: 256, channels: 3 } }).jpeg({ ...FAST_JPEG, quality: 90 }).toFile('a.jpg');
 * ```
 */
export const FAST_JPEG = {
  trellisQuantisation: false,
  overshootDeringing: false,
  optimiseScans: false,
  optimiseCoding: false,
} as const satisfies sharp.JpegOptions;

/**
 * Decodes an image file exactly as {@link decodeFile} does and writes the result straight to
 * `dest` as JPEG ({@link FAST_JPEG} at `quality`), in one sharp pipeline: for callers that
 * need the file but not the pixels this halves the per-image libvips overhead. The bytes
 * written equal encoding {@link decodeFile}'s pixels with the same settings. Resolves to the
 * output size, or a {@link Skip} (nothing written) for bad input; never rejects for bad input.
 *
 * @example
 * ```ts
 * const r = await transcodeFile('src/cat.jpg', 'out/000001.jpg', 90, { resize: 256 });
 * if (r.kind === 'skip') console.warn(r.reason, r.message);
 * ```
 */
export async function transcodeFile(
  path: string,
  dest: string,
  quality: number,
  opts: DecodeOptions = {},
): Promise<{ readonly kind: 'written'; readonly width: number; readonly height: number } | Skip> {
  const buf = await readImageFile(path);
  if (!Buffer.isBuffer(buf)) return buf;
  if (buf.length === 0) return skip(path, 'empty', 'file has 0 bytes');
  let encoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    // Encode to memory first: a file is only created for an image that decoded completely.
    encoded = await decodePipeline(buf, opts).jpeg({ ...FAST_JPEG, quality }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    return decodeErrorSkip(e as Error, path, buf, opts);
  }
  const { data, info } = encoded;
  if (info.channels !== (opts.channels ?? 3)) return skip(path, 'unsupported', `decoded to ${info.channels} channels, expected ${opts.channels ?? 3}`);
  // Outside the try: a full disk is an error of the run, not a skip of this image.
  await fsp.writeFile(dest, data);
  return { kind: 'written', width: info.width, height: info.height };
}
