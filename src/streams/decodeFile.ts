import { promises as fsp } from 'node:fs';
import sharp from 'sharp';
import { makeImage } from '../ops/Image';
import type { Sample } from './Sample';
import { skip, type Skip, type SkipReason } from './Skip';

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
  readonly maxPixels?: number;
  /**
   * If set, centre-crops to a square and resizes to `resize`×`resize` (the Caltech256 /
   * AlexNet preprocessing), so images of any size batch together.
   */
  readonly resize?: number;
  /** Colour alpha is flattened onto. Default black. */
  readonly background?: 'black' | 'white';
  /**
   * 3 (default): RGB, grey images replicated into the three channels. 1: one grey channel,
   * stored grey kept as is and colour images reduced to their luminance (libvips `b-w`,
   * as PIL's `convert('L')` does with slightly different weights).
   */
  readonly channels?: 1 | 3;
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

const DECODABLE_SIGNATURES: Array<(b: Buffer) => boolean> = [
  isJpeg,
  isPng,
  (b) => b.length >= 4 && b.toString('latin1', 0, 4) === 'GIF8',
  (b) => b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP',
  (b) => b.length >= 4 && (b.toString('latin1', 0, 4) === 'II*\0' || b.toString('latin1', 0, 4) === 'MM\0*'), // TIFF
];

// Formats sharp may decode that have no entry in DECODABLE_SIGNATURES (their failures are
// classified by message): AVIF/HEIF containers and SVG text.
const OTHER_DECODABLE: Array<(b: Buffer) => boolean> = [
  (b) => b.length >= 12 && b.toString('latin1', 4, 8) === 'ftyp',
  (b) => /^(\ufeff)?\s*</.test(b.toString('utf8', 0, Math.min(b.length, 64))),
];

const JPEG_EOI = Buffer.from([0xff, 0xd9]);
const JPEG_SOS = Buffer.from([0xff, 0xda]);

// Whether the file lacks its format's end marker: a JPEG without an end-of-image marker after
// its last scan (an EXIF thumbnail's own marker comes before the main scans), a PNG without IEND.
function cutOff(buf: Buffer): boolean {
  if (isJpeg(buf)) {
    const eoi = buf.lastIndexOf(JPEG_EOI);
    return eoi < 0 || eoi < buf.lastIndexOf(JPEG_SOS);
  }
  if (isPng(buf)) return buf.lastIndexOf('IEND', undefined, 'latin1') < 0;
  return false;
}

/**
 * Maps a sharp / libvips error on `buf` to a {@link SkipReason}. The bytes are asked first
 * where they can answer (a JPEG or PNG cut off before its end marker, content that no decoder
 * recognises), because libvips keeps one error buffer per process: when several decodes fail
 * at once, a message can belong to another image.
 *
 * @example
 * ```ts
 * classifyDecodeError(new Error('VipsJpeg: premature end of JPEG image'), buf); // 'truncated'
 * ```
 */
export function classifyDecodeError(err: Error, buf: Buffer): { reason: SkipReason; message: string } {
  const msg = err.message;
  if (/exceeds pixel limit/i.test(msg)) return { reason: 'too-many-pixels', message: msg };
  if (cutOff(buf)) return { reason: 'truncated', message: `${msg} (the file ends before its end-of-image marker: cut off?)` };
  const known = [...DECODABLE_SIGNATURES, ...OTHER_DECODABLE].some((t) => t(buf)) || UNSUPPORTED_SIGNATURES.some((s) => s.test(buf));
  if (!known) return { reason: 'not-an-image', message: 'content is not a known image format' };
  if (/premature end|truncated|libpng read error|read error|unexpected end|not enough data|end of (file|stream)/i.test(msg)) {
    return { reason: 'truncated', message: msg };
  }
  const unsupported = UNSUPPORTED_SIGNATURES.find((s) => s.test(buf));
  if (unsupported) return { reason: 'unsupported', message: `${unsupported.name} images cannot be decoded (${msg}); convert them to JPEG or PNG` };
  if (/corrupt header/i.test(msg) && DECODABLE_SIGNATURES.some((t) => t(buf))) {
    return { reason: 'truncated', message: `${msg} (file ends inside the header)` };
  }
  if (/unsupported image format/i.test(msg)) return { reason: 'not-an-image', message: 'content is not a known image format' };
  if (/unsupported|not supported|unknown (codec|compression)/i.test(msg)) return { reason: 'unsupported', message: msg };
  return { reason: 'not-an-image', message: msg };
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
    default:
      return { reason: 'unreadable', message: err.message };
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
    const { reason, message } = classifyDecodeError(e as Error, buf);
    return skip(path, reason, message);
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

async function readImageFile(path: string): Promise<Buffer | Skip> {
  try {
    return await fsp.readFile(path);
  } catch (e) {
    const { reason, message } = await classifyReadError(e as NodeJS.ErrnoException, path);
    return skip(path, reason, message);
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
    const { reason, message } = classifyDecodeError(e as Error, buf);
    return skip(path, reason, message);
  }
  const { data, info } = encoded;
  if (info.channels !== (opts.channels ?? 3)) return skip(path, 'unsupported', `decoded to ${info.channels} channels, expected ${opts.channels ?? 3}`);
  // Outside the try: a full disk is an error of the run, not a skip of this image.
  await fsp.writeFile(dest, data);
  return { kind: 'written', width: info.width, height: info.height };
}
