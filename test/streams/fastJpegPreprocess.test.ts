import assert from 'node:assert/strict';
import sharp from 'sharp';
import { centerCropImage } from '../../src/ops/centerCrop';
import { resizeImage } from '../../src/ops/resize';
import { decodeBuffer } from '../../src/streams/decodeFile';
import { fastJpegPreprocess, fastJpegRefusal, type FastJpegOptions } from '../../src/streams/fastJpegPreprocess';
import { loadJpegTurbo, type JpegTurbo } from '../../src/streams/loadJpegTurbo';
import { readJpegHeader } from '../../src/streams/readJpegHeader';
import { exifSegment, photoAsJpeg, withSegments } from './jpegTestFiles';

// Tolerances. Against the same crop and resize kernel applied to sharp's full decode, the
// native YCbCr route (4:2:0 and grey JPEGs: these photos) resizes the chroma at its own
// resolution and returns pixels whose chroma is box-upsampled: measured mean |diff| 0–2.53
// (most at 100², where DCT scaling applies), channel means within 0.08. Without the addon
// the binding's fast IDCT truncates, about -0.5 level in each of Y, Cb, Cr (R -1.2, G 0,
// B -1.4 on average): mean |diff| 0.15–1.06, channel means within 1.36 levels.
const MEAN_ABS = 3;
const CHANNEL_MEAN = 1.5;
// The native route's sums come from the JFIF transform of the plane sums (before clamping),
// not from the box-upsampled pixels: measured within 0.24 levels per pixel and channel.
const SUMS_PER_PIXEL = 0.35;
// Against sharp's path (lanczos3 instead of area/bilinear) pixels differ by the filter too
// (mean |diff| 0.7–11.7 levels measured, most at large shrinks), but the channel means stay
// close (measured within 1.71 levels): the mean the training uses barely moves.
const SHARP_CHANNEL_MEAN = 2;
// q90 4:2:0 JPEG of the output against its pixels, measured 0.4–5.4 (small detailed images).
const JPEG_MEAN_ABS = 6;

function compare(a: Uint8Array, b: Uint8Array): { meanAbs: number; channelMeans: number[] } {
  assert.equal(a.length, b.length);
  let abs = 0;
  const ch = [0, 0, 0];
  for (let i = 0; i < a.length; i++) {
    abs += Math.abs(a[i] - b[i]);
    ch[i % 3] += a[i] - b[i];
  }
  return { meanAbs: abs / a.length, channelMeans: ch.map((x) => x / (a.length / 3)) };
}

/** sharp's full decode, then the fast path's crop and resize kernel in exact arithmetic. */
async function exactKernelOnSharpDecode(buf: Buffer, size: number): Promise<Uint8Array> {
  const s = await decodeBuffer(buf, 'x.jpg', 0);
  if (s.kind !== 'sample') throw new Error(`sharp could not decode: ${s.message}`);
  const square = centerCropImage(s.image);
  return resizeImage(square, size, square.width >= size ? 'area' : 'bilinear').data;
}

async function viaSharp(buf: Buffer, size: number): Promise<Uint8Array> {
  const s = await decodeBuffer(buf, 'x.jpg', 0, { resize: size });
  assert.equal(s.kind, 'sample');
  if (s.kind !== 'sample') throw new Error('unreachable');
  assert.equal(s.image.width, size);
  return s.image.data;
}

describe('fastJpegPreprocess', () => {
  const jtOrUndefined = loadJpegTurbo();
  const jt = (): JpegTurbo => {
    assert.ok(jtOrUndefined, 'the optional dependency @julusian/jpeg-turbo must load in the test environment');
    return jtOrUndefined;
  };
  const opts = (size: number, wantPixels = true): FastJpegOptions => ({ size, quality: 90, maxPixels: 100_000_000, wantPixels });

  for (const name of ['astronaut.png', 'chelsea.png', 'coffee.png', 'horse.png', 'motorcycle_left.png', 'rocket.jpg']) {
    for (const size of [256, 100]) {
      it(`${name} at ${size}²: pixels within tolerance of sharp's decode, mean within tolerance of sharp's path, a valid JPEG out`, async () => {
        const buf = await photoAsJpeg(name);
        const r = fastJpegPreprocess(jt(), buf, opts(size));
        assert.equal(r.kind, 'ok', r.kind === 'refused' ? r.why : '');
        if (r.kind !== 'ok' || r.pixels === undefined) return;
        assert.equal(r.pixels.length, size * size * 3);
        const d = compare(r.pixels, await exactKernelOnSharpDecode(buf, size));
        assert.ok(d.meanAbs <= MEAN_ABS, `mean |diff| ${d.meanAbs.toFixed(2)}`);
        for (const c of d.channelMeans) assert.ok(Math.abs(c) <= CHANNEL_MEAN, `channel mean diffs ${d.channelMeans.map((x) => x.toFixed(2)).join(' ')}`);
        const viaSharpPath = compare(r.pixels, await viaSharp(buf, size));
        for (const c of viaSharpPath.channelMeans) assert.ok(Math.abs(c) <= SHARP_CHANNEL_MEAN, `vs sharp's path: ${viaSharpPath.channelMeans.map((x) => x.toFixed(2)).join(' ')}`);
        // The sums are those of the returned pixels, up to the YCbCr route's way of summing.
        const sums = [0, 0, 0];
        r.pixels.forEach((v, i) => (sums[i % 3] += v));
        r.sums.forEach((v, k) => assert.ok(Math.abs(v - sums[k]) / (size * size) <= SUMS_PER_PIXEL, `channel ${k}: sums ${v} vs the pixels' ${sums[k]}`));
        const { data, info } = await sharp(r.jpeg).raw().toBuffer({ resolveWithObject: true });
        assert.deepEqual([info.width, info.height, info.channels], [size, size, 3]);
        assert.equal(readJpegHeader(r.jpeg)?.coding, 'baseline');
        const j = compare(new Uint8Array(data), r.pixels).meanAbs;
        assert.ok(j <= JPEG_MEAN_ABS, `the JPEG holds the returned pixels (quality 90): mean |diff| ${j.toFixed(2)}`);
      });
    }
  }

  it('applies EXIF orientations 1–8 as sharp does', async () => {
    // Non-square, so a wrong rotation or crop shows.
    const plain = await photoAsJpeg('chelsea.png', 120, 80);
    const upright = await viaSharp(plain, 64);
    for (const o of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const buf = withSegments(plain, exifSegment(o, o % 2 === 0));
      const r = fastJpegPreprocess(jt(), buf, opts(64));
      assert.equal(r.kind, 'ok');
      if (r.kind !== 'ok' || r.pixels === undefined) return;
      // sharp's path applies the EXIF orientation (and resizes with lanczos3: a looser bound).
      const d = compare(r.pixels, await viaSharp(buf, 64));
      assert.ok(d.meanAbs <= 4, `orientation ${o}: mean |diff| to sharp's path ${d.meanAbs.toFixed(2)}`);
      if (o !== 1) assert.ok(compare(r.pixels, upright).meanAbs > 12, `orientation ${o} changed the pixels`);
    }
  });

  it('takes grey and progressive JPEGs; grey comes out as R = G = B', async () => {
    const grey = await sharp(await photoAsJpeg('coffee.png')).toColourspace('b-w').jpeg().toBuffer();
    assert.equal(readJpegHeader(grey)?.components, 1);
    const g = fastJpegPreprocess(jt(), grey, opts(64));
    assert.equal(g.kind, 'ok');
    if (g.kind === 'ok' && g.pixels) {
      for (let i = 0; i < g.pixels.length; i += 3) assert.ok(g.pixels[i] === g.pixels[i + 1] && g.pixels[i] === g.pixels[i + 2]);
      const d = compare(g.pixels, await exactKernelOnSharpDecode(grey, 64));
      assert.ok(d.meanAbs <= MEAN_ABS, `grey: mean |diff| ${d.meanAbs.toFixed(2)}`);
    }
    const prog = await sharp(await photoAsJpeg('rocket.jpg')).jpeg({ progressive: true }).toBuffer();
    assert.equal(fastJpegPreprocess(jt(), prog, opts(64)).kind, 'ok');
  });

  it('refuses what it cannot take as sharp would: CMYK, ICC profiles, over the pixel limit, truncated, corrupt, not JPEG', async () => {
    const photo = await photoAsJpeg('astronaut.png');
    const refused = (buf: Buffer, o = opts(64)): string => {
      const r = fastJpegPreprocess(jt(), buf, o);
      assert.equal(r.kind, 'refused');
      return r.kind === 'refused' ? r.why : '';
    };
    assert.match(refused(await sharp(photo).toColourspace('cmyk').jpeg().toBuffer()), /4 components/);
    assert.match(refused(await sharp(photo).withMetadata().jpeg().toBuffer()), /ICC profile/);
    assert.match(refused(photo, { ...opts(64), maxPixels: 320 * 320 - 1 }), /320x320 is over the pixel limit/);
    for (const cut of [0.3, 0.7, 0.98]) refused(photo.subarray(0, Math.floor(photo.length * cut)));
    assert.match(refused(photo.subarray(0, 40)), /not a JPEG or header cut off/);
    assert.match(refused(await sharp(photo).png().toBuffer()), /not a JPEG/);
    // Garbage in the entropy-coded data: libjpeg-turbo warns, which the fast path treats as failure.
    const corrupt = Buffer.from(photo);
    for (let i = corrupt.length - 3000; i < corrupt.length - 2000; i++) corrupt[i] = (i * 37) & 0xfe;
    refused(corrupt);
  });

  it('fastJpegRefusal names each unsupported header', () => {
    const ok = { width: 10, height: 10, components: 3, precision: 8, coding: 'baseline', orientation: 1, hasIccProfile: false, adobeTransform: undefined } as const;
    assert.equal(fastJpegRefusal(ok, 100), undefined);
    assert.match(fastJpegRefusal({ ...ok, precision: 12 }, 100) ?? '', /12-bit/);
    assert.match(fastJpegRefusal({ ...ok, coding: 'arithmetic' }, 100) ?? '', /arithmetic coding/);
    assert.match(fastJpegRefusal({ ...ok, coding: 'lossless' }, 100) ?? '', /lossless/);
    assert.match(fastJpegRefusal({ ...ok, adobeTransform: 0 }, 100) ?? '', /RGB-coded/);
    assert.match(fastJpegRefusal(ok, 99) ?? '', /over the pixel limit/);
  });

  it('is deterministic: same input, same bytes and pixels, whatever ran in between', async () => {
    const a = await photoAsJpeg('horse.png');
    const b = await photoAsJpeg('motorcycle_left.png', 300, 500);
    const first = fastJpegPreprocess(jt(), a, opts(128));
    assert.equal(first.kind, 'ok');
    if (first.kind !== 'ok') return;
    // The result's JPEG and pixels are views of reused buffers.
    const bytes = Buffer.from(first.jpeg);
    const pixels = first.pixels?.slice();
    const sums = [...first.sums];
    fastJpegPreprocess(jt(), b, opts(256));
    const again = fastJpegPreprocess(jt(), a, opts(128));
    assert.equal(again.kind, 'ok');
    if (again.kind !== 'ok') return;
    assert.deepEqual(Buffer.from(again.jpeg), bytes);
    assert.deepEqual(again.pixels, pixels);
    assert.deepEqual([...again.sums], sums);
  });
});
