import assert from 'node:assert/strict';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import sharp from 'sharp';
import { cropResizeInto } from '../../src/ops/cropResizeInto';
import { makeImage, type Image } from '../../src/ops/Image';
import { resizeImage } from '../../src/ops/resize';
import { decodeBuffer } from '../../src/streams/decodeFile';
import { fastJpegPreprocess } from '../../src/streams/fastJpegPreprocess';
import { loadJpegTurbo } from '../../src/streams/loadJpegTurbo';
import type { NativeImageKernels } from '../../src/streams/nativeImageKernels';
import { nativeJpegCodec } from '../../src/streams/nativeJpegCodec';
import { readJpegHeader } from '../../src/streams/readJpegHeader';
import { photoAsJpeg } from './jpegTestFiles';

function diff(a: Uint8Array, b: Uint8Array): { meanAbs: number; maxAbs: number } {
  assert.equal(a.length, b.length);
  let abs = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    abs += d;
    max = Math.max(max, d);
  }
  return { meanAbs: abs / a.length, maxAbs: max };
}

/** sharp's full decode (libjpeg-turbo, accurate IDCT, smooth upsampling: cv2's settings too). */
async function sharpDecode(jpeg: Buffer): Promise<Image> {
  const s = await decodeBuffer(jpeg, 'x.jpg', 0);
  if (s.kind !== 'sample') throw new Error(`sharp could not decode: ${s.message}`);
  return s.image;
}

describe('nativeJpegCodec', () => {
  const codec = (): NativeImageKernels => {
    assert.ok(loadJpegTurbo(), 'the optional dependency @julusian/jpeg-turbo must load in the test environment');
    const c = nativeJpegCodec();
    assert.ok(c, 'the native addon and the Linux libturbojpeg.so.0 of @julusian/jpeg-turbo must be available here (NODE_DEBUG=rxtrain says why not)');
    return c;
  };

  it('decodes only a crop (unaligned to the iMCU, both axes) and gives the pixels of a full decode', async () => {
    const jpeg = await photoAsJpeg('chelsea.png'); // 320x213, 4:2:0
    const full = await sharpDecode(jpeg);
    for (const rect of [
      { x: 37, y: 5, width: 150, height: 150 },
      { x: 0, y: 0, width: 213, height: 213 },
      { x: 107, y: 0, width: 213, height: 213 },
      { x: 301, y: 194, width: 19, height: 19 },
    ]) {
      const out = new Uint8Array(rect.width * rect.width * 3);
      const sums = new Float64Array(3);
      const denom = codec().jpegCropResize(jpeg, rect.x, rect.y, rect.width, rect.height, out, rect.width, sums, false);
      assert.equal(denom, 1);
      const want = cropResizeInto(full, rect, makeImage(new Uint8Array(out.length), rect.width, rect.width, 3));
      const d = diff(out, want.data);
      // Measured 0 on these crops: libjpeg-turbo's partial decode keeps the upsampling context.
      assert.ok(d.meanAbs <= 0.05 && d.maxAbs <= 2, `crop ${JSON.stringify(rect)}: mean |diff| ${d.meanAbs.toFixed(3)}, max ${d.maxAbs}`);
      const expectSums = [0, 0, 0];
      out.forEach((v, i) => (expectSums[i % 3] += v));
      assert.deepEqual([...sums], expectSums);
    }
  });

  it('resizes as cropResizeInto does (area down, bilinear up) on the accurate decode', async () => {
    const jpeg = await photoAsJpeg('coffee.png'); // 320x213
    const full = await sharpDecode(jpeg);
    const rect = { x: 53, y: 0, width: 213, height: 213 };
    for (const size of [256, 100, 213]) {
      const out = new Uint8Array(size * size * 3);
      assert.equal(codec().jpegCropResize(jpeg, rect.x, rect.y, rect.width, rect.height, out, size, new Float64Array(3), false), 1);
      const want = cropResizeInto(full, rect, makeImage(new Uint8Array(out.length), size, size, 3), rect.width >= size ? 'area' : 'bilinear');
      const d = diff(out, want.data);
      assert.ok(d.meanAbs <= 0.05, `size ${size}: mean |diff| ${d.meanAbs.toFixed(3)}`);
    }
  });

  it('uses DCT scaling (1/2, 1/4) only while the scaled crop keeps twice the output side, close to a full-size area shrink', async () => {
    const jpeg = await photoAsJpeg('astronaut.png', 1100, 820);
    const full = await sharpDecode(jpeg);
    const rect = { x: 140, y: 0, width: 820, height: 820 };
    // 820 / 4 = 205 >= 2 * 100 → 1/4; 820 / 2 = 410 >= 2 * 200 → 1/2; 820 / 2 < 2 * 256 → none.
    for (const [size, wantDenom, tolerance] of [
      [100, 4, 1.5],
      [200, 2, 1.5],
      [256, 1, 0.05],
    ] as const) {
      const out = new Uint8Array(size * size * 3);
      const denom = codec().jpegCropResize(jpeg, rect.x, rect.y, rect.width, rect.height, out, size, new Float64Array(3), false);
      assert.equal(denom, wantDenom, `size ${size}`);
      const want = resizeImage(cropResizeInto(full, rect, makeImage(new Uint8Array(820 * 820 * 3), 820, 820, 3)), size, 'area');
      const d = diff(out, want.data);
      assert.ok(d.meanAbs <= tolerance, `size ${size} (1/${denom}): mean |diff| to a full decode + area shrink ${d.meanAbs.toFixed(3)}`);
    }
  });

  it('returns libjpeg-turbo\'s complaint as a value for bad data (truncated, corrupt, not a JPEG, crop outside)', async () => {
    const jpeg = await photoAsJpeg('horse.png');
    const out = new Uint8Array(64 * 64 * 3);
    const sums = new Float64Array(3);
    const r = (buf: Uint8Array, x = 0, y = 0, w = 100, h = 100): number | string => codec().jpegCropResize(buf, x, y, w, h, out, 64, sums, false);
    assert.equal(r(jpeg), 1);
    // Cut or damaged below the crop's rows: still refused (every row is decoded), as sharp's path would.
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length * 0.9));
    assert.match(String(r(truncated)), /Premature end/);
    const corrupt = Buffer.from(jpeg);
    for (let i = Math.floor(corrupt.length / 2); i < corrupt.length / 2 + 400; i++) corrupt[i] = 0xff;
    assert.match(String(r(corrupt)), /Corrupt JPEG data/);
    // Damaged above the crop's rows (which are skipped, not decoded to pixels): still refused.
    const bottom = (buf: Uint8Array): number | string => r(buf, 0, 162, 100, 100);
    assert.equal(bottom(jpeg), 1);
    const corruptTop = Buffer.from(jpeg);
    for (let i = 1000; i < 1400; i++) corruptTop[i] = 0xff;
    assert.match(String(bottom(corruptTop)), /Corrupt JPEG data/);
    assert.match(String(r(Buffer.from('definitely not a jpeg'))), /header/);
    assert.match(String(r(jpeg, 300, 0, 100, 100)), /outside the 320x262 image/);
    assert.equal(typeof r(new Uint8Array(0)), 'string');
    // The decoder is still usable after failures.
    assert.equal(r(jpeg), 1);
  });

  it('encodes a baseline 4:2:0 JPEG (grey: 1 component) that decodes back to the pixels; bad arguments are RangeErrors', async () => {
    const jpeg = await photoAsJpeg('rocket.jpg');
    const rgb = (await sharpDecode(jpeg)).data.subarray(0, 200 * 150 * 3);
    const out = new Uint8Array(codec().jpegEncodeBound(200, 150));
    const n = codec().jpegEncode(rgb, 200, 150, 3, 90, out);
    assert.equal(typeof n, 'number');
    const bytes = Buffer.from(out.subarray(0, n as number));
    const h = readJpegHeader(bytes);
    assert.deepEqual([h?.coding, h?.width, h?.height, h?.components], ['baseline', 200, 150, 3]);
    const back = await sharp(bytes).raw().toBuffer();
    assert.ok(diff(new Uint8Array(back), rgb).meanAbs <= 6);
    const grey = new Uint8Array(64 * 32).map((_, i) => i % 251);
    const g = codec().jpegEncode(grey, 64, 32, 1, 75, out);
    assert.equal(readJpegHeader(Buffer.from(out.subarray(0, g as number)))?.components, 1);
    assert.throws(() => codec().jpegEncode(rgb, 200, 150, 3, 0, out), RangeError);
    assert.throws(() => codec().jpegEncode(rgb, 200, 150, 2, 90, out), RangeError);
    assert.throws(() => codec().jpegEncode(rgb.subarray(0, 10), 200, 150, 3, 90, out), /pixels has 10 bytes/);
    assert.equal(typeof codec().jpegEncode(rgb, 200, 150, 3, 90, new Uint8Array(100)), 'string');
  });

  it('runs in worker threads (the preprocess workers), same bytes as on the main thread', async () => {
    const jt = loadJpegTurbo();
    assert.ok(jt);
    codec();
    const jpeg = await photoAsJpeg('coffee.png');
    const here = fastJpegPreprocess(jt, jpeg, { size: 128, quality: 90, maxPixels: 1e8, wantPixels: true });
    assert.equal(here.kind, 'ok');
    if (here.kind !== 'ok' || here.pixels === undefined) return;
    const want = { jpeg: Buffer.from(here.jpeg), pixels: Buffer.from(here.pixels) };
    const dir = path.resolve(__dirname, '..', '..', 'src', 'streams');
    const code = `
      require(${JSON.stringify(require.resolve('tsx/cjs'))});
      const { parentPort, workerData } = require('node:worker_threads');
      const { loadJpegTurbo } = require(${JSON.stringify(path.join(dir, 'loadJpegTurbo.ts'))});
      const { nativeJpegCodec } = require(${JSON.stringify(path.join(dir, 'nativeJpegCodec.ts'))});
      const { fastJpegPreprocess } = require(${JSON.stringify(path.join(dir, 'fastJpegPreprocess.ts'))});
      const r = fastJpegPreprocess(loadJpegTurbo(), Buffer.from(workerData), { size: 128, quality: 90, maxPixels: 1e8, wantPixels: true });
      parentPort.postMessage({ native: nativeJpegCodec() !== undefined, jpeg: Buffer.from(r.jpeg), pixels: Buffer.from(r.pixels) });`;
    const run = (): Promise<{ native: boolean; jpeg: Uint8Array; pixels: Uint8Array }> =>
      new Promise((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: jpeg, execArgv: [] });
        w.once('message', resolve);
        w.once('error', reject);
      });
    for (const r of await Promise.all([run(), run()])) {
      assert.equal(r.native, true);
      assert.ok(want.jpeg.equals(Buffer.from(r.jpeg)));
      assert.ok(want.pixels.equals(Buffer.from(r.pixels)));
    }
  });

  it('makes fastJpegPreprocess match sharp\'s decode through the same kernel (no fast-IDCT bias)', async () => {
    const jt = loadJpegTurbo();
    assert.ok(jt);
    codec();
    for (const name of ['chelsea.png', 'motorcycle_left.png']) {
      const jpeg = await photoAsJpeg(name);
      const r = fastJpegPreprocess(jt, jpeg, { size: 256, quality: 90, maxPixels: 1e8, wantPixels: true });
      assert.equal(r.kind, 'ok');
      if (r.kind !== 'ok' || r.pixels === undefined) return;
      const full = await sharpDecode(jpeg);
      const side = Math.min(full.width, full.height);
      const want = resizeImage(cropResizeInto(full, { x: (full.width - side) >> 1, y: (full.height - side) >> 1, width: side, height: side }, makeImage(new Uint8Array(side * side * 3), side, side, 3)), 256, 'bilinear');
      // The binding's path (fast IDCT, truncating) was 0.9–1.1 here, channel means −1.2 / 0 / −1.4.
      assert.ok(diff(r.pixels, want.data).meanAbs <= 0.1, `${name}: mean |diff| ${diff(r.pixels, want.data).meanAbs.toFixed(3)}`);
    }
  });
});
