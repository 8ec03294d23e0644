import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { fastJpegPreprocess, type FastJpegOptions } from '../../src/streams/fastJpegPreprocess';
import { fastJpegPreprocessFile } from '../../src/streams/fastJpegPreprocessFile';
import { loadJpegTurbo, type JpegTurbo } from '../../src/streams/loadJpegTurbo';
import { setNativeImageKernelsEnabled } from '../../src/streams/nativeImageKernels';
import { nativeJpegCodec } from '../../src/streams/nativeJpegCodec';
import { exifSegment, photoAsJpeg, withSegments } from './jpegTestFiles';

describe('fastJpegPreprocessFile', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'rxtrain-fjpf-'))));
  afterEach(() => {
    setNativeImageKernelsEnabled(true);
    rmSync(dir, { recursive: true, force: true });
  });
  const jt = (): JpegTurbo => {
    const j = loadJpegTurbo();
    assert.ok(j, 'the optional dependency @julusian/jpeg-turbo must load in the test environment');
    return j;
  };
  const opts = (size: number): FastJpegOptions => ({ size, quality: 90, maxPixels: 100_000_000, wantPixels: false });

  it('uses the one-call native kernel here (addon built, Linux libturbojpeg)', () => {
    assert.equal(typeof nativeJpegCodec()?.jpegPreprocessFile, 'function', 'rebuild the addon: node native/install.mjs');
  });

  it('writes the same JPEG bytes, sums and pixels as fastJpegPreprocess + writeFileSync, EXIF orientations 1–8 and grey', async () => {
    const plain = await photoAsJpeg('chelsea.png', 120, 80);
    const grey = await sharp(await photoAsJpeg('coffee.png')).toColourspace('b-w').jpeg().toBuffer();
    const inputs = [...[1, 2, 3, 4, 5, 6, 7, 8].map((o) => withSegments(plain, exifSegment(o, o % 2 === 0))), grey];
    for (const [i, buf] of inputs.entries()) {
      const want = fastJpegPreprocess(jt(), buf, { ...opts(64), wantPixels: true });
      assert.equal(want.kind, 'ok');
      if (want.kind !== 'ok' || want.pixels === undefined) return;
      const wantJpeg = Buffer.from(want.jpeg);
      const wantPixels = Uint8Array.from(want.pixels);
      const dest = path.join(dir, `${i}.jpg`);
      const pixels = new Uint8Array(64 * 64 * 3);
      const r = fastJpegPreprocessFile(jt(), buf, dest, opts(64), pixels);
      assert.equal(r.kind, 'written', `input ${i}`);
      if (r.kind !== 'written') return;
      assert.deepEqual(readFileSync(dest), wantJpeg, `input ${i}: file bytes`);
      assert.equal(r.bytes, wantJpeg.length);
      assert.deepEqual(r.sums, want.sums, `input ${i}: sums`);
      assert.deepEqual(pixels, wantPixels, `input ${i}: pixels (oriented)`);
      // Without a pixel buffer: same file, same sums.
      const r2 = fastJpegPreprocessFile(jt(), buf, dest, opts(64));
      assert.equal(r2.kind, 'written');
      if (r2.kind === 'written') assert.deepEqual(r2.sums, want.sums);
      assert.deepEqual(readFileSync(dest), wantJpeg);
    }
  });

  it('refuses bad data (truncated, corrupt, not a JPEG, over the pixel limit) and writes nothing', async () => {
    const photo = await photoAsJpeg('astronaut.png');
    const corrupt = Buffer.from(photo);
    for (let i = corrupt.length - 3000; i < corrupt.length - 2000; i++) corrupt[i] = (i * 37) & 0xfe;
    const cases: Array<[Buffer, RegExp, FastJpegOptions]> = [
      [photo.subarray(0, Math.floor(photo.length * 0.7)), /libjpeg-turbo/, opts(64)],
      [photo.subarray(0, Math.floor(photo.length * 0.98)), /libjpeg-turbo/, opts(64)],
      [corrupt, /libjpeg-turbo/, opts(64)],
      [await sharp(photo).png().toBuffer(), /not a JPEG/, opts(64)],
      [photo, /over the pixel limit/, { ...opts(64), maxPixels: 1000 }],
    ];
    for (const [i, [buf, why, o]] of cases.entries()) {
      const dest = path.join(dir, `bad${i}.jpg`);
      const r = fastJpegPreprocessFile(jt(), buf, dest, o);
      assert.equal(r.kind, 'refused', `case ${i}`);
      if (r.kind === 'refused') assert.match(r.why, why);
      assert.equal(existsSync(dest), false, `case ${i}: no file written`);
    }
  });

  it('reports an unwritable output as write-failed with the system error, leaving no file', async () => {
    const photo = await photoAsJpeg('rocket.jpg');
    const dest = path.join(dir, 'missing-folder', 'a.jpg');
    const r = fastJpegPreprocessFile(jt(), photo, dest, opts(64));
    assert.equal(r.kind, 'write-failed');
    if (r.kind === 'write-failed') assert.match(r.message, /cannot write .*a\.jpg: ENOENT: no such file or directory/);
    assert.equal(existsSync(dest), false);
  });

  it('keeps the contract without the native kernels (binding + JS resize): a valid size² JPEG, sums and pixels', async () => {
    const photo = await photoAsJpeg('horse.png');
    const dest = path.join(dir, 'js.jpg');
    setNativeImageKernelsEnabled(false);
    const pixels = new Uint8Array(48 * 48 * 3);
    const r = fastJpegPreprocessFile(jt(), photo, dest, opts(48), pixels);
    assert.equal(r.kind, 'written');
    if (r.kind !== 'written') return;
    const meta = await sharp(dest).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height, meta.chromaSubsampling], ['jpeg', 48, 48, '4:2:0']);
    let r0 = 0;
    for (let i = 0; i < pixels.length; i += 3) r0 += pixels[i];
    assert.equal(r.sums[0], r0, 'sums are of the pixels returned');
    assert.ok(r0 > 0);
    const bad = fastJpegPreprocessFile(jt(), photo, path.join(dir, 'nope', 'x.jpg'), opts(48));
    assert.equal(bad.kind, 'write-failed');
  });

  it('rejects a pixel buffer too small for size²×3', async () => {
    const photo = await photoAsJpeg('rocket.jpg');
    assert.throws(() => fastJpegPreprocessFile(jt(), photo, path.join(dir, 'x.jpg'), opts(64), new Uint8Array(10)), RangeError);
  });
});
