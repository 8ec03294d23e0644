import assert from 'node:assert/strict';
import { cropImage } from '../../src/ops/crop';
import { cropResizeInto } from '../../src/ops/cropResizeInto';
import { makeImage, type Image } from '../../src/ops/Image';
import { testImage } from '../../src/ops/marbleTest';
import { resizeImage, type ResizeMethod } from '../../src/ops/resize';
import { createRng } from '../../src/ops/Rng';

function noise(width: number, height: number, channels: number, seed: number): Image {
  const rng = createRng(seed);
  return testImage(width, height, channels, () => rng.int(256));
}

function maxDiff(a: Image, b: Image): number {
  assert.equal(a.data.length, b.data.length);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
}

function blank(width: number, height: number, channels: number): Image {
  return makeImage(new Uint8Array(width * height * channels), width, height, channels);
}

describe('cropResizeInto', () => {
  const cases: Array<[string, number, number, { x: number; y: number; width: number; height: number }, number, number, ResizeMethod]> = [
    ['area shrink 1.2x', 40, 31, { x: 3, y: 1, width: 30, height: 30 }, 25, 25, 'area'],
    ['area shrink 1.9x (3 taps)', 60, 60, { x: 0, y: 0, width: 57, height: 57 }, 30, 30, 'area'],
    ['area shrink 4x (generic taps)', 64, 48, { x: 8, y: 0, width: 48, height: 48 }, 12, 12, 'area'],
    ['bilinear enlarge', 20, 15, { x: 2, y: 0, width: 15, height: 15 }, 32, 32, 'bilinear'],
    ['bilinear shrink, non-square', 50, 40, { x: 5, y: 5, width: 37, height: 29 }, 20, 11, 'bilinear'],
  ];
  for (const [name, w, h, rect, ow, oh, method] of cases) {
    for (const c of [1, 3, 4]) {
      it(`${name}, ${c} channel(s): within ±1 of resizeImage on the cropped image`, () => {
        const src = noise(w, h, c, w * 7 + c);
        const want = resizeImage(cropImage(src, rect), { width: ow, height: oh }, method);
        const got = cropResizeInto(src, rect, blank(ow, oh, c), method);
        assert.equal(got.width, ow);
        assert.equal(got.height, oh);
        assert.ok(maxDiff(got, want) <= 1, `max diff ${maxDiff(got, want)}`);
      });
    }
  }

  it('keeps flat regions exactly flat (weights sum to one exactly)', () => {
    for (const c of [3, 4]) {
      const src = testImage(97, 61, c, (_x, _y, k) => [255, 0, 128, 7][k]);
      for (const method of ['area', 'bilinear'] as const) {
        const out = cropResizeInto(src, { x: 18, y: 0, width: 61, height: 61 }, blank(40, 40, c), method);
        for (let i = 0; i < out.data.length; i++) assert.equal(out.data[i], [255, 0, 128, 7][i % c]);
      }
    }
  });

  it('copies the rect unchanged when it already has the output size', () => {
    const src = noise(10, 8, 3, 1);
    const out = cropResizeInto(src, { x: 2, y: 1, width: 6, height: 6 }, blank(6, 6, 3));
    assert.deepEqual(out.data, cropImage(src, { x: 2, y: 1, width: 6, height: 6 }).data);
  });

  it('gives the same pixels when called again (no state leaks between calls)', () => {
    const a = noise(45, 33, 4, 3);
    const b = noise(70, 52, 4, 4);
    const first = cropResizeInto(a, { x: 6, y: 0, width: 33, height: 33 }, blank(16, 16, 4)).data.slice();
    cropResizeInto(b, { x: 0, y: 0, width: 52, height: 52 }, blank(16, 16, 4));
    assert.deepEqual(cropResizeInto(a, { x: 6, y: 0, width: 33, height: 33 }, blank(16, 16, 4)).data, first);
  });

  it('writes into a view at an unaligned offset (falls back from the packed path)', () => {
    const src = noise(30, 30, 4, 5);
    const backing = new Uint8Array(1 + 10 * 10 * 4);
    const out = makeImage(backing.subarray(1), 10, 10, 4);
    const want = resizeImage(src, 10, 'area');
    assert.ok(maxDiff(cropResizeInto(src, { x: 0, y: 0, width: 30, height: 30 }, out), want) <= 1);
  });

  it('rejects a rect outside the image, mismatched channels, float images and unknown methods', () => {
    const src = noise(10, 10, 3, 2);
    assert.throws(() => cropResizeInto(src, { x: 5, y: 0, width: 6, height: 6 }, blank(4, 4, 3)), /cropResizeInto: rect 6x6 at \(5, 0\) is not inside the 10x10 image/);
    assert.throws(() => cropResizeInto(src, { x: 0, y: 0, width: 0, height: 6 }, blank(4, 4, 3)), /not inside/);
    assert.throws(() => cropResizeInto(src, { x: 0, y: 0, width: 6, height: 6 }, blank(4, 4, 4)), /output has 4 channels, the source 3/);
    assert.throws(
      () => cropResizeInto({ data: new Float32Array(300), width: 10, height: 10, channels: 3 } as unknown as Image, { x: 0, y: 0, width: 6, height: 6 }, blank(4, 4, 3)),
      /cropResizeInto/,
    );
    assert.throws(() => cropResizeInto(src, { x: 0, y: 0, width: 6, height: 6 }, blank(4, 4, 3), 'cubic' as ResizeMethod), /method must be 'bilinear' or 'area'/);
  });
});
