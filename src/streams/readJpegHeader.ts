import type { ExifOrientation } from '../ops/orientImage';

/**
 * How a JPEG's scans are coded (from its SOF marker). libjpeg-turbo decodes the first three;
 * the others are rare and left to sharp.
 *
 * @example
 * ```ts
 * const c: JpegCoding = 'progressive';
 * ```
 */
export type JpegCoding = 'baseline' | 'extended' | 'progressive' | 'lossless' | 'hierarchical' | 'arithmetic';

/**
 * What the markers before the first scan say about a JPEG: enough to decide, without decoding,
 * whether the fast preprocessing path can take it and how big the decoded image will be.
 *
 * @example
 * ```ts
 * const h: JpegHeader = { width: 640, height: 480, components: 3, precision: 8, coding: 'baseline', orientation: 1, hasIccProfile: false, adobeTransform: undefined };
 * ```
 */
export interface JpegHeader {
  /** Stored width and height (before EXIF orientation). */
  readonly width: number;
  readonly height: number;
  /** 1 grey, 3 YCbCr (or RGB), 4 CMYK/YCCK. */
  readonly components: number;
  /** Bits per sample: 8, or 12/16 for the rare high-precision files. */
  readonly precision: number;
  readonly coding: JpegCoding;
  /** EXIF orientation tag of the first Exif APP1 segment; 1 when absent or invalid. */
  readonly orientation: ExifOrientation;
  /** An APP2 ICC_PROFILE segment is present (sharp converts such images to sRGB). */
  readonly hasIccProfile: boolean;
  /** Colour transform flag of an Adobe APP14 segment, if any (0 = none: RGB or CMYK stored as is). */
  readonly adobeTransform: number | undefined;
}

function codingOf(marker: number): JpegCoding | undefined {
  switch (marker) {
    case 0xc0:
      return 'baseline';
    case 0xc1:
      return 'extended';
    case 0xc2:
      return 'progressive';
    case 0xc3:
      return 'lossless';
    case 0xc5:
    case 0xc6:
    case 0xc7:
      return 'hierarchical';
    case 0xc9:
    case 0xca:
    case 0xcb:
    case 0xcd:
    case 0xce:
    case 0xcf:
      return 'arithmetic';
    default:
      return undefined; // C4 DHT, C8 JPG, CC DAC and everything else are not frame headers
  }
}

const EXIF = [0x45, 0x78, 0x69, 0x66, 0, 0]; // "Exif\0\0"
const ICC = 'ICC_PROFILE\0';

function startsWith(b: Uint8Array, at: number, end: number, bytes: readonly number[]): boolean {
  if (at + bytes.length > end) return false;
  for (let i = 0; i < bytes.length; i++) if (b[at + i] !== bytes[i]) return false;
  return true;
}

/** Orientation tag of IFD0 in the TIFF structure at b[t..end); 1 when missing or malformed. */
function exifOrientation(b: Uint8Array, t: number, end: number): ExifOrientation {
  if (t + 8 > end) return 1;
  const little = b[t] === 0x49 && b[t + 1] === 0x49;
  if (!little && !(b[t] === 0x4d && b[t + 1] === 0x4d)) return 1;
  const u16 = (p: number): number => (little ? b[p] | (b[p + 1] << 8) : (b[p] << 8) | b[p + 1]);
  const u32 = (p: number): number => (little ? (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 2 ** 24 : ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) + b[p] * 2 ** 24);
  if (u16(t + 2) !== 42) return 1;
  const ifd = t + u32(t + 4);
  if (ifd + 2 > end) return 1;
  const n = u16(ifd);
  for (let k = 0; k < n; k++) {
    const e = ifd + 2 + 12 * k;
    if (e + 12 > end) return 1;
    if (u16(e) !== 0x0112) continue;
    // SHORT, count 1: the value sits in the first two bytes of the value field.
    if (u16(e + 2) !== 3) return 1;
    const v = u16(e + 8);
    return v >= 1 && v <= 8 ? (v as ExifOrientation) : 1;
  }
  return 1;
}

/**
 * Parses the markers of a JPEG up to its first scan (SOS): size, components, precision, coding
 * process, EXIF orientation, ICC profile and Adobe transform. Reads no entropy-coded data,
 * so a decompression bomb is caught from its header. Returns undefined when `buf` is not a
 * JPEG or its header is cut off or malformed before a frame header (SOF) is found.
 *
 * @example
 * ```ts
 * const h = readJpegHeader(await fs.promises.readFile('photo.jpg'));
 * if (h && h.width * h.height > 50e6) console.warn('too big');
 * ```
 */
export function readJpegHeader(buf: Uint8Array): JpegHeader | undefined {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return undefined;
  let pos = 2;
  let orientation: ExifOrientation | undefined;
  let hasIccProfile = false;
  let adobeTransform: number | undefined;
  let frame: { width: number; height: number; components: number; precision: number; coding: JpegCoding } | undefined;
  while (pos < buf.length) {
    if (buf[pos] !== 0xff) return undefined;
    while (pos < buf.length && buf[pos] === 0xff) pos++; // fill bytes
    if (pos >= buf.length) return undefined;
    const marker = buf[pos++];
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // no length
    if (marker === 0xd9 || marker === 0xda) break; // EOI or start of scan: the header is over
    if (pos + 2 > buf.length) return undefined;
    const len = (buf[pos] << 8) | buf[pos + 1];
    if (len < 2 || pos + len > buf.length) return undefined;
    const seg = pos + 2;
    const end = pos + len;
    if (marker === 0xe1 && orientation === undefined && startsWith(buf, seg, end, EXIF)) {
      orientation = exifOrientation(buf, seg + 6, end);
    } else if (marker === 0xe2 && startsWith(buf, seg, end, [...ICC].map((ch) => ch.charCodeAt(0)))) {
      hasIccProfile = true;
    } else if (marker === 0xee && startsWith(buf, seg, end, [0x41, 0x64, 0x6f, 0x62, 0x65]) && seg + 12 <= end) {
      adobeTransform = buf[seg + 11];
    } else {
      const coding = codingOf(marker);
      if (coding !== undefined && frame === undefined) {
        if (len < 8) return undefined;
        frame = {
          precision: buf[seg],
          height: (buf[seg + 1] << 8) | buf[seg + 2],
          width: (buf[seg + 3] << 8) | buf[seg + 4],
          components: buf[seg + 5],
          coding,
        };
      }
    }
    pos = end;
  }
  if (frame === undefined) return undefined;
  return { ...frame, orientation: orientation ?? 1, hasIccProfile, adobeTransform };
}
