import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Rect } from '../../src/ops/crop';
import { cropResizeInto } from '../../src/ops/cropResizeInto';
import { makeImage, type Image } from '../../src/ops/Image';
import { testImage } from '../../src/ops/marbleTest';
import type { ResizeMethod } from '../../src/ops/resize';
import { createRng } from '../../src/ops/Rng';
import { cropResizeFast } from '../../src/streams/cropResizeFast';
import { nativeImageKernels, setNativeImageKernelsEnabled } from '../../src/streams/nativeImageKernels';

function noise(width: number, height: number, channels: number, seed: number): Image {
  const rng = createRng(seed);
  return testImage(width, height, channels, () => rng.int(256));
}

function blank(width: number, height: number, channels: number): Image {
  return makeImage(new Uint8Array(width * height * channels), width, height, channels);
}

/** The RGB channels of an RGBX image, as a 3-channel image. */
function rgbOf(img: Image): Image {
  const out = blank(img.width, img.height, 3);
  for (let i = 0, j = 0; j < out.data.length; i += 4, j += 3) out.data.set(img.data.subarray(i, i + 3), j);
  return out;
}

function firstDiff(a: Uint8Array, b: Uint8Array): string {
  const i = a.findIndex((v, k) => v !== b[k]);
  return i < 0 ? 'equal' : `first difference at ${i}: ${a[i]} vs ${b[i]}`;
}

/** Runs `f` with the native kernels on (asserting the addon is there) or off. */
function withNative<T>(on: boolean, f: () => T): T {
  setNativeImageKernelsEnabled(on);
  try {
    if (on) assert.ok(nativeImageKernels(), 'the native addon must be built in the test environment (npm ci builds it)');
    else assert.equal(nativeImageKernels(), undefined);
    return f();
  } finally {
    setNativeImageKernelsEnabled(true);
  }
}

describe('cropResizeFast', () => {
  // Odd sizes, shrinks with 2, 3 and many taps, enlargements, non-square outputs, a rect that
  // already has the output size (copy), 1x1 edges.
  const cases: Array<[string, number, number, Rect, number, number, ResizeMethod]> = [
    ['area shrink 1.2x', 41, 33, { x: 3, y: 1, width: 31, height: 31 }, 25, 25, 'area'],
    ['area shrink 1.9x (3 taps)', 61, 59, { x: 1, y: 2, width: 57, height: 57 }, 30, 30, 'area'],
    ['area shrink 4.3x (generic taps), non-square', 67, 49, { x: 9, y: 0, width: 47, height: 43 }, 11, 13, 'area'],
    ['area shrink of a Caltech-sized photo', 517, 401, { x: 58, y: 0, width: 401, height: 401 }, 256, 256, 'area'],
    ['area, same size (copy)', 23, 19, { x: 4, y: 2, width: 17, height: 15 }, 17, 15, 'area'],
    ['bilinear enlarge', 21, 15, { x: 3, y: 0, width: 15, height: 15 }, 33, 33, 'bilinear'],
    ['bilinear enlarge of a small photo', 211, 157, { x: 27, y: 0, width: 157, height: 157 }, 256, 256, 'bilinear'],
    ['bilinear shrink, non-square', 51, 41, { x: 5, y: 5, width: 37, height: 29 }, 20, 11, 'bilinear'],
    ['bilinear from one pixel', 5, 4, { x: 2, y: 3, width: 1, height: 1 }, 3, 2, 'bilinear'],
    ['area to one pixel', 9, 7, { x: 0, y: 0, width: 9, height: 7 }, 1, 1, 'area'],
  ];
  for (const [name, w, h, rect, ow, oh, method] of cases) {
    for (const c of [1, 3]) {
      it(`${name}, ${c} channel(s): native is bit-identical to cropResizeInto, sums included`, () => {
        const src = noise(w, h, c, w * 31 + h + c);
        const wantSums = new Float64Array(c);
        const want = cropResizeInto(src, rect, blank(ow, oh, c), method, wantSums);
        const gotSums = new Float64Array(c);
        const got = withNative(true, () => cropResizeFast(src, rect, blank(ow, oh, c), method, gotSums));
        assert.deepEqual([got.width, got.height, got.channels], [ow, oh, c]);
        assert.ok(Buffer.from(got.data).equals(Buffer.from(want.data)), firstDiff(got.data, want.data));
        assert.deepEqual([...gotSums], [...wantSums]);
      });
    }
    it(`${name}, RGBX → RGB: native equals cropResizeInto on the RGB channels; the JS fallback is within ±2`, () => {
      const src = noise(w, h, 4, w * 17 + h);
      const want = cropResizeInto(rgbOf(src), rect, blank(ow, oh, 3), method);
      const sums = new Float64Array(3);
      const got = withNative(true, () => cropResizeFast(src, rect, blank(ow, oh, 3), method, sums));
      assert.ok(Buffer.from(got.data).equals(Buffer.from(want.data)), firstDiff(got.data, want.data));
      const expectSums = [0, 0, 0];
      got.data.forEach((v, i) => (expectSums[i % 3] += v));
      assert.deepEqual([...sums], expectSums);
      const js = withNative(false, () => cropResizeFast(src, rect, blank(ow, oh, 3), method));
      let worst = 0;
      for (let i = 0; i < js.data.length; i++) worst = Math.max(worst, Math.abs(js.data[i] - got.data[i]));
      assert.ok(worst <= 2, `JS packed path vs native: max |diff| ${worst}`);
      // 4 → 4 as well (the padding channel is resized like the others).
      const full = withNative(true, () => cropResizeFast(src, rect, blank(ow, oh, 4), method));
      assert.ok(Buffer.from(rgbOf(full).data).equals(Buffer.from(want.data)));
    });
  }

  it('keeps a flat image exactly flat, up and down', () => {
    for (const [rw, ow, method] of [[300, 256, 'area'], [97, 256, 'bilinear']] as const) {
      const src = makeImage(new Uint8Array(rw * rw * 3).fill(173), rw, rw, 3);
      const got = withNative(true, () => cropResizeFast(src, { x: 0, y: 0, width: rw, height: rw }, blank(ow, ow, 3), method));
      assert.ok(got.data.every((v) => v === 173));
    }
  });

  it('with the native kernels off (RXTRAIN_NATIVE=0), it is cropResizeInto itself', () => {
    const src = noise(77, 51, 4, 5);
    const rect = { x: 13, y: 0, width: 51, height: 51 };
    const want = cropResizeInto(src, rect, blank(40, 40, 3), 'area');
    const got = withNative(false, () => cropResizeFast(src, rect, blank(40, 40, 3), 'area'));
    assert.ok(Buffer.from(got.data).equals(Buffer.from(want.data)));
  });

  it('rejects bad input with RangeErrors before touching memory, as the JS kernel does', () => {
    withNative(true, () => {
      const src = noise(20, 10, 3, 1);
      assert.throws(() => cropResizeFast(src, { x: 15, y: 0, width: 10, height: 10 }, blank(5, 5, 3)), RangeError);
      assert.throws(() => cropResizeFast(src, { x: 0, y: 0, width: 10, height: 10 }, blank(5, 5, 1)), RangeError);
      assert.throws(() => cropResizeFast(src, { x: 0.5, y: 0, width: 10, height: 10 }, blank(5, 5, 3)), RangeError);
      assert.throws(() => cropResizeFast(src, { x: 0, y: 0, width: 10, height: 10 }, blank(5, 5, 3), 'nearest' as ResizeMethod), RangeError);
      assert.throws(() => cropResizeFast(src, { x: 0, y: 0, width: 10, height: 10 }, blank(5, 5, 3), 'area', new Float64Array(2)), RangeError);
      // An image value whose pixels are fewer than its geometry says.
      const short = { data: new Uint8Array(10), width: 20, height: 10, channels: 3 } as Image;
      assert.throws(() => cropResizeFast(short, { x: 0, y: 0, width: 10, height: 10 }, blank(5, 5, 3)), /src has 10 bytes/);
    });
  });

  it('gives the same bytes with the other SIMD kernels (RXTRAIN_RESIZE_SSE41=1, RXTRAIN_RESIZE_MUL32=1), each in a process of its own', () => {
    // The kernel is chosen once per process from the environment, so each runs in a child.
    const picks = cases.filter(([name]) => name !== 'area, same size (copy)');
    const entry = path.resolve(__dirname, '..', '..', 'src', 'streams', 'cropResizeFast.ts');
    const code = `
      const { cropResizeFast } = require(${JSON.stringify(entry)});
      const out = [];
      for (const c of JSON.parse(require('node:fs').readFileSync(0, 'utf8'))) {
        const img = { data: Uint8Array.from(Buffer.from(c.src, 'base64')), width: c.w, height: c.h, channels: c.c };
        const dst = { data: new Uint8Array(c.ow * c.oh * c.oc), width: c.ow, height: c.oh, channels: c.oc };
        const sums = new Float64Array(c.oc);
        cropResizeFast(img, c.rect, dst, c.method, sums);
        out.push({ data: Buffer.from(dst.data).toString('base64'), sums: [...sums] });
      }
      process.stdout.write(JSON.stringify(out));`;
    const jobs = picks.flatMap(([, w, h, rect, ow, oh, method]) =>
      [3, 4].map((c) => ({ w, h, c, oc: 3, rect, ow, oh, method, src: Buffer.from(noise(w, h, c, w + h * 7 + c).data).toString('base64') })),
    );
    const want = jobs.map((j) => {
      const sums = new Float64Array(3);
      const img = makeImage(Uint8Array.from(Buffer.from(j.src, 'base64')), j.w, j.h, j.c);
      const out = withNative(true, () => cropResizeFast(img, j.rect, blank(j.ow, j.oh, 3), j.method, sums));
      return { data: Buffer.from(out.data).toString('base64'), sums: [...sums] };
    });
    for (const flag of ['RXTRAIN_RESIZE_SSE41', 'RXTRAIN_RESIZE_MUL32']) {
      const got = JSON.parse(
        execFileSync(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', code], {
          input: JSON.stringify(jobs),
          maxBuffer: 1 << 26,
          env: { ...process.env, [flag]: '1' },
          encoding: 'utf8',
        }),
      ) as typeof want;
      assert.equal(got.length, want.length);
      got.forEach((g, i) => assert.deepEqual(g, want[i], `${flag}=1, case ${i} (${jobs[i].c} channels, ${jobs[i].rect.width}→${jobs[i].ow})`));
    }
  });

  it('loads and runs in worker threads (context-aware addon), same bytes as on the main thread', async () => {
    const src = noise(123, 97, 4, 9);
    const rect = { x: 13, y: 0, width: 97, height: 97 };
    const want = withNative(true, () => cropResizeFast(src, rect, blank(64, 64, 3), 'area'));
    const entry = path.resolve(__dirname, '..', '..', 'src', 'streams', 'cropResizeFast.ts');
    const loader = require.resolve('tsx/cjs');
    const code = `
      require(${JSON.stringify(loader)});
      const { parentPort, workerData } = require('node:worker_threads');
      const { cropResizeFast } = require(${JSON.stringify(entry)});
      const { nativeImageKernels } = require(${JSON.stringify(entry.replace('cropResizeFast', 'nativeImageKernels'))});
      const out = { data: new Uint8Array(64 * 64 * 3), width: 64, height: 64, channels: 3 };
      cropResizeFast(workerData.src, workerData.rect, out, 'area');
      parentPort.postMessage({ native: nativeImageKernels() !== undefined, data: out.data });`;
    const run = (): Promise<{ native: boolean; data: Uint8Array }> =>
      new Promise((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: { src, rect }, execArgv: [] });
        w.once('message', resolve);
        w.once('error', reject);
      });
    const results = await Promise.all([run(), run()]);
    for (const r of results) {
      assert.equal(r.native, true);
      assert.ok(Buffer.from(r.data).equals(Buffer.from(want.data)));
    }
  });
});
