import { writeFileSync } from 'node:fs';
import { getSystemErrorMap } from 'node:util';
import { fastJpegPlan, fastJpegPreprocess, type FastJpegOptions, type FastJpegRefused } from './fastJpegPreprocess';
import type { JpegTurbo } from './loadJpegTurbo';
import { nativeJpegCodec } from './nativeJpegCodec';

/**
 * The image went to its file: the channel sums of its processed pixels (for the dataset mean).
 * The pixels themselves, if asked for, are in the `pixels` array the caller passed.
 *
 * @example
 * ```ts
 * const r: FastJpegWritten = { kind: 'written', sums: [1e6, 9e5, 8e5], bytes: 21034 };
 * ```
 */
export interface FastJpegWritten {
  readonly kind: 'written';
  readonly sums: readonly [number, number, number];
  /** Size of the JPEG file written. */
  readonly bytes: number;
}

/**
 * The output file could not be written (full disk, no permission…): an error of the run, not
 * of the image. No cut file is left behind.
 *
 * @example
 * ```ts
 * const r: FastJpegWriteFailed = { kind: 'write-failed', message: 'cannot write out/train/000001.jpg: ENOSPC: no space left on device' };
 * ```
 */
export interface FastJpegWriteFailed {
  readonly kind: 'write-failed';
  readonly message: string;
}

function errnoText(negErrno: number): string {
  const known = getSystemErrorMap().get(negErrno);
  return known ? `${known[0]}: ${known[1]}` : `errno ${-negErrno}`;
}

// Reused per thread: the native call adds into it.
const scratchSums = new Float64Array(3);

/**
 * {@link fastJpegPreprocess} and the write of its output file, as one step for the preprocess
 * workers: JPEG bytes in, `dest` written, sums out, and with `pixels` (size² × 3 bytes) the
 * processed RGB pixels copied there (a shared slot the caller owns: no per-image buffer).
 *
 * With the native addon it is a single native call (decode of the crop's columns, resize, EXIF
 * orientation, sums, encode, open/write/close of `dest`): no pixels or JPEG bytes cross into
 * JavaScript. Without it, the binding path of {@link fastJpegPreprocess} and `writeFileSync`:
 * same contract, same files up to the documented decoder difference. The output is written in
 * place (no temporary name, fsync or rename): preprocess writes its manifests last, so a
 * crash never leaves a manifest naming a missing or cut image.
 *
 * `jt` may be undefined in a thread that must not load the binding (see `nativeJpegCodec`):
 * then only the addon's one-call kernel runs, and without it the file is refused.
 *
 * @example
 * ```ts
 * const r = fastJpegPreprocessFile(jt, fs.readFileSync('a.jpg'), 'out/000001.jpg', { size: 256, quality: 90, maxPixels: 1e8, wantPixels: false });
 * if (r.kind === 'refused') console.log('sharp decides:', r.why);
 * ```
 */
export function fastJpegPreprocessFile(
  jt: JpegTurbo | undefined,
  buf: Buffer,
  dest: string,
  opts: FastJpegOptions,
  pixels?: Uint8Array,
): FastJpegWritten | FastJpegRefused | FastJpegWriteFailed {
  const { size } = opts;
  if (pixels !== undefined && pixels.length < size * size * 3) throw new RangeError(`fastJpegPreprocessFile: pixels has ${pixels.length} bytes, needs ${size * size * 3}`);
  const codec = nativeJpegCodec();
  if (codec?.jpegPreprocessFile !== undefined) {
    const plan = fastJpegPlan(buf, opts.maxPixels);
    if (plan.kind === 'refused') return plan;
    const { rect, header } = plan;
    scratchSums.fill(0);
    const r = codec.jpegPreprocessFile(buf, rect.x, rect.y, rect.width, rect.height, size, header.orientation, opts.quality, dest, scratchSums, pixels ?? null);
    if (typeof r === 'string') return { kind: 'refused', why: `libjpeg-turbo: ${r}` };
    if (r < 0) return { kind: 'write-failed', message: `cannot write ${dest}: ${errnoText(r)}` };
    const s = scratchSums;
    return { kind: 'written', sums: [s[0], s[1], s[2]], bytes: r };
  }
  if (jt === undefined) return { kind: 'refused', why: 'the libjpeg-turbo binding is not loaded in this thread and the addon has no one-call JPEG kernel here' };
  const r = fastJpegPreprocess(jt, buf, { ...opts, wantPixels: pixels !== undefined });
  if (r.kind === 'refused') return r;
  try {
    writeFileSync(dest, r.jpeg);
  } catch (e) {
    return { kind: 'write-failed', message: `cannot write ${dest}: ${(e as Error).message}` };
  }
  if (pixels !== undefined && r.pixels !== undefined) pixels.set(r.pixels);
  return { kind: 'written', sums: r.sums, bytes: r.jpeg.length };
}
