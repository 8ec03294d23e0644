// JPEG fixtures for the fast-path tests (not a test file itself): marker surgery on real
// JPEGs made by sharp, so the tests need no binary fixtures.
import * as path from 'node:path';
import sharp from 'sharp';
import { PHOTOS } from './fixtures';

/** Splits a JPEG into its header segments (marker + payload) and the rest from SOS on. */
function segments(jpeg: Buffer): { segs: Buffer[]; rest: Buffer } {
  const segs: Buffer[] = [];
  let pos = 2;
  while (jpeg[pos] === 0xff && jpeg[pos + 1] !== 0xda) {
    const len = jpeg.readUInt16BE(pos + 2);
    segs.push(jpeg.subarray(pos, pos + 2 + len));
    pos += 2 + len;
  }
  return { segs, rest: jpeg.subarray(pos) };
}

/** The JPEG without its APP2 ICC_PROFILE segments (sharp adds an sRGB profile with EXIF). */
export function withoutIcc(jpeg: Buffer): Buffer {
  const { segs, rest } = segments(jpeg);
  const keep = segs.filter((s) => !(s[1] === 0xe2 && s.toString('latin1', 4, 15) === 'ICC_PROFILE'));
  return Buffer.concat([jpeg.subarray(0, 2), ...keep, rest]);
}

/** An APP1 Exif segment holding only IFD0's Orientation tag, in either byte order. */
export function exifSegment(orientation: number, bigEndian = false): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  const u16 = (v: number, at: number): number => (bigEndian ? tiff.writeUInt16BE(v, at) : tiff.writeUInt16LE(v, at));
  const u32 = (v: number, at: number): number => (bigEndian ? tiff.writeUInt32BE(v, at) : tiff.writeUInt32LE(v, at));
  tiff.write(bigEndian ? 'MM' : 'II', 0, 'latin1');
  u16(42, 2);
  u32(8, 4); // IFD0 right after the header
  u16(1, 8); // one entry:
  u16(0x0112, 10); // Orientation,
  u16(3, 12); // SHORT,
  u32(1, 14); // count 1,
  u16(orientation, 18);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

/** Inserts header segments right after SOI. */
export function withSegments(jpeg: Buffer, ...segs: Buffer[]): Buffer {
  return Buffer.concat([jpeg.subarray(0, 2), ...segs, jpeg.subarray(2)]);
}

/** A real photo as a plain JPEG (no EXIF, no ICC), `width`×`height`, quality 90. */
export async function photoAsJpeg(name: string, width?: number, height?: number): Promise<Buffer> {
  let img = sharp(path.join(PHOTOS, name)).flatten({ background: '#000000' }).removeAlpha();
  if (width !== undefined) img = img.resize(width, height, { fit: 'fill' });
  return img.jpeg({ quality: 90 }).toBuffer();
}
