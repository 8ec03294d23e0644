import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as jpegTurbo from '@julusian/jpeg-turbo';
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
import { orientImage, type ExifOrientation } from '../../src/ops/orientImage';
import { PHOTOS } from './fixtures';
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

function firstDiffAt(a: Uint8Array, b: Uint8Array): string {
  const i = a.findIndex((v, k) => v !== b[k]);
  return i < 0 ? 'equal' : `first difference at byte ${i}: ${a[i]} vs ${b[i]}`;
}

function channelMeanDiffs(a: Uint8Array, b: Uint8Array): number[] {
  const ch = [0, 0, 0];
  for (let i = 0; i < a.length; i++) ch[i % 3] += a[i] - b[i];
  return ch.map((x) => x / (a.length / 3));
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

  describe('jpegPreprocess: the whole per-image work in one call', () => {
    type Rect = { x: number; y: number; width: number; height: number };
    const preprocess = (jpeg: Uint8Array, rect: Rect, size: number, orientation: ExifOrientation = 1) => {
      const c = codec();
      assert.ok(c.jpegPreprocess, 'the addon built from this checkout has jpegPreprocess');
      const out = new Uint8Array(c.jpegEncodeBound(size, size));
      const pixels = new Uint8Array(size * size * 3);
      const sums = new Float64Array(3);
      const n = c.jpegPreprocess(jpeg, rect.x, rect.y, rect.width, rect.height, size, orientation, 90, out, sums, pixels);
      return { n, jpeg: Buffer.from(out.subarray(0, typeof n === 'number' ? n : 0)), pixels, sums };
    };
    /** The RGB route's pixels and sums: jpegCropResize, then the orientation. */
    const rgbRoute = (jpeg: Uint8Array, rect: Rect, size: number, orientation: ExifOrientation = 1) => {
      const px = new Uint8Array(size * size * 3);
      const sums = new Float64Array(3);
      assert.equal(typeof codec().jpegCropResize(jpeg, rect.x, rect.y, rect.width, rect.height, px, size, sums, false), 'number');
      return { pixels: orientation === 1 ? px : orientImage(makeImage(px, size, size, 3), orientation).data, sums: [...sums] };
    };
    const pixelSums = (px: Uint8Array): number[] => {
      const s = [0, 0, 0];
      px.forEach((v, i) => (s[i % 3] += v));
      return s;
    };
    /**
     * One YCbCr-route case: close to the RGB route (chroma resized at its own resolution and
     * box-upsampled in the returned pixels: measured mean |diff| 0.3–1.9, channel means within
     * 0.1), sums within 0.35 level per pixel of the pixels', a baseline JPEG that holds the
     * pixels. Returns whether the pixels equal the RGB route's (they should not).
     */
    const checkYcbcrRoute = async (jpeg: Uint8Array, rect: Rect, size: number, o: ExifOrientation, what: string): Promise<boolean> => {
      const label = `${what}, ${rect.width}x${rect.height} at (${rect.x}, ${rect.y}) → ${size}², orientation ${o}`;
      const r = preprocess(jpeg, rect, size, o);
      assert.equal(typeof r.n, 'number', `${label}: ${r.n}`);
      const want = rgbRoute(jpeg, rect, size, o);
      const d = diff(r.pixels, want.pixels);
      assert.ok(d.meanAbs <= 3, `${label}: mean |diff| to the RGB route ${d.meanAbs.toFixed(2)}`);
      for (const c of channelMeanDiffs(r.pixels, want.pixels)) assert.ok(Math.abs(c) <= 0.3, `${label}: channel mean diff ${c.toFixed(2)}`);
      const sums = pixelSums(r.pixels);
      r.sums.forEach((v, k) => assert.ok(Math.abs(v - sums[k]) / (size * size) <= 0.35, `${label}: sums ${v} vs the pixels' ${sums[k]}`));
      const h = readJpegHeader(r.jpeg);
      assert.deepEqual([h?.coding, h?.width, h?.height, h?.components], ['baseline', size, size, 3]);
      const back = await sharp(r.jpeg).raw().toBuffer();
      assert.ok(diff(new Uint8Array(back), r.pixels).meanAbs <= 6, `${label}: the JPEG holds the pixels`);
      return Buffer.from(r.pixels).equals(Buffer.from(want.pixels));
    };

    it('takes 4:4:4, 4:2:2 and 4:4:0 JPEGs through the YCbCr route too, chroma straight to the output\'s 4:2:0', async () => {
      // Made by the TurboJPEG binding itself (sharp writes only 4:2:0 and 4:4:4).
      const jt = jpegTurbo;
      const { data, info } = await sharp(path.join(PHOTOS, 'chelsea.png')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      let differs = 0;
      for (const [name, subsampling] of [['4:4:4', jt.SAMP_444], ['4:2:2', jt.SAMP_422], ['4:4:0', jt.SAMP_440]] as const) {
        const out = Buffer.alloc(jt.bufferSize({ width: info.width, height: info.height, subsampling }));
        const jpeg = Buffer.from(jt.compressSync(data, out, { format: jt.FORMAT_RGB, width: info.width, height: info.height, quality: 90, subsampling }));
        for (const [rect, size, o] of [
          [{ x: 53, y: 0, width: 213, height: 213 }, 128, 1],
          [{ x: 37, y: 5, width: 150, height: 150 }, 200, 6],
          [{ x: 107, y: 0, width: 213, height: 212 }, 100, 3],
        ] as const) {
          if (!(await checkYcbcrRoute(jpeg, rect, size, o, name))) differs++;
        }
      }
      assert.equal(differs, 9, 'every case went through the YCbCr route, not the RGB one');
    });

    it('takes grey JPEGs through the YCbCr route to the RGB route\'s bytes (R = G = B) and exact sums', async () => {
      const jpeg = await sharp(path.join(PHOTOS, 'coffee.png')).removeAlpha().toColourspace('b-w').jpeg({ quality: 90 }).toBuffer();
      assert.equal(readJpegHeader(jpeg)?.components, 1);
      for (const [rect, size] of [
        [{ x: 53, y: 0, width: 213, height: 213 }, 100],
        [{ x: 0, y: 0, width: 213, height: 213 }, 256],
      ] as const) {
        const r = preprocess(jpeg, rect, size);
        const want = rgbRoute(jpeg, rect, size);
        assert.ok(Buffer.from(r.pixels).equals(Buffer.from(want.pixels)), firstDiffAt(r.pixels, want.pixels));
        assert.deepEqual([...r.sums], pixelSums(r.pixels));
        assert.equal(readJpegHeader(r.jpeg)?.components, 3, 'written as colour, as the RGB route writes grey sources');
      }
    });

    it('takes 4:2:0 JPEGs through the YCbCr route: odd offsets, enlargement, DCT scaling, odd sizes, orientation', async () => {
      const small = await photoAsJpeg('chelsea.png'); // 320x213
      const big = await photoAsJpeg('astronaut.png', 1100, 820);
      let differs = 0;
      for (const [jpeg, rect, size, o] of [
        [small, { x: 37, y: 5, width: 150, height: 150 }, 256, 1], // enlarge from odd offsets
        [small, { x: 107, y: 0, width: 213, height: 213 }, 100, 1], // shrink from an odd x
        [small, { x: 0, y: 0, width: 213, height: 213 }, 98, 8], // rotated
        [big, { x: 140, y: 0, width: 820, height: 820 }, 100, 1], // DCT-scaled by 1/4
        [big, { x: 141, y: 1, width: 819, height: 819 }, 256, 3],
      ] as const) {
        if (!(await checkYcbcrRoute(jpeg, rect, size, o, '4:2:0'))) differs++;
      }
      assert.equal(differs, 5, 'every 4:2:0 case went through the YCbCr route, not the RGB one');
    });

    it('takes odd output sides through the RGB route (half a chroma sample would not follow a flip)', async () => {
      const jpeg = await photoAsJpeg('chelsea.png');
      for (const o of [1, 3, 6] as const) {
        const rect = { x: 53, y: 0, width: 213, height: 213 };
        const r = preprocess(jpeg, rect, 99, o);
        const want = rgbRoute(jpeg, rect, 99, o);
        assert.ok(Buffer.from(r.pixels).equals(Buffer.from(want.pixels)), `orientation ${o}: ${firstDiffAt(r.pixels, want.pixels)}`);
        assert.deepEqual([...r.sums], want.sums);
      }
    });

    it('sends 4:2:0 JPEGs through the RGB route with RXTRAIN_JPEG_RGB=1 (chosen once per process)', async () => {
      const jpeg = await photoAsJpeg('chelsea.png');
      const code = `
        require(${JSON.stringify(path.resolve(__dirname, '..', '..', 'src', 'streams', 'loadJpegTurbo.ts'))}).loadJpegTurbo();
        const c = require(${JSON.stringify(path.resolve(__dirname, '..', '..', 'src', 'streams', 'nativeJpegCodec.ts'))}).nativeJpegCodec();
        const jpeg = require('node:fs').readFileSync(0);
        const a = new Uint8Array(64 * 64 * 3), b = new Uint8Array(64 * 64 * 3), out = new Uint8Array(c.jpegEncodeBound(64, 64));
        c.jpegPreprocess(jpeg, 53, 0, 213, 213, 64, 1, 90, out, new Float64Array(3), a);
        c.jpegCropResize(jpeg, 53, 0, 213, 213, b, 64, new Float64Array(3), false);
        process.stdout.write(String(Buffer.from(a).equals(Buffer.from(b))));`;
      const same = (env: NodeJS.ProcessEnv): string =>
        execFileSync(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', code], { input: jpeg, env, encoding: 'utf8' });
      assert.equal(same({ ...process.env, RXTRAIN_JPEG_RGB: '1' }), 'true');
      const { RXTRAIN_JPEG_RGB: _, ...rest } = process.env;
      assert.equal(same(rest), 'false');
    });

    it('refuses damaged 4:2:0 and grey JPEGs (all rows are decoded: damage outside the crop too) and stays usable', async () => {
      const colour = await photoAsJpeg('horse.png');
      const grey = await sharp(path.join(PHOTOS, 'coffee.png')).removeAlpha().toColourspace('b-w').jpeg({ quality: 90 }).toBuffer();
      assert.equal(readJpegHeader(grey)?.components, 1);
      for (const jpeg of [colour, grey]) {
        const top = { x: 0, y: 0, width: 100, height: 100 };
        assert.equal(typeof preprocess(jpeg, top, 64).n, 'number');
        assert.match(String(preprocess(jpeg.subarray(0, Math.floor(jpeg.length * 0.9)), top, 64).n), /Premature end/);
        const corrupt = Buffer.from(jpeg);
        for (let i = Math.floor(corrupt.length / 2); i < corrupt.length / 2 + 400; i++) corrupt[i] = 0xff;
        assert.match(String(preprocess(corrupt, top, 64).n), /Corrupt JPEG data/);
        assert.match(String(preprocess(jpeg, { x: 300, y: 0, width: 100, height: 100 }, 64).n), /outside the/);
        assert.equal(typeof preprocess(jpeg, top, 64).n, 'number');
      }
      assert.throws(() => codec().jpegPreprocess?.(colour, 0, 0, 100, 100, 64, 9, 90, new Uint8Array(10), new Float64Array(3), null), RangeError);
      assert.match(String(codec().jpegPreprocess?.(colour, 0, 0, 100, 100, 64, 1, 90, new Uint8Array(10), new Float64Array(3), null)), /output buffer too small/);
    });
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
      // The YCbCr route (box-upsampled chroma in the returned pixels): 0.51 / 1.30, channel means within 0.04.
      const d = diff(r.pixels, want.data);
      assert.ok(d.meanAbs <= 1.5, `${name}: mean |diff| ${d.meanAbs.toFixed(3)}`);
      for (const c of channelMeanDiffs(r.pixels, want.data)) assert.ok(Math.abs(c) <= 0.1, `${name}: channel mean diff ${c.toFixed(3)}`);
    }
  });
});
