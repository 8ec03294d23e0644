import assert from 'node:assert/strict';
import type { Image } from '../../src/ops/Image';
import { randomTestImage, testFloatImage, testImage } from '../../src/ops/marbleTest';
import { resize, resizeImage } from '../../src/ops/resize';
import { createRng } from '../../src/ops/Rng';
import { operatorChecklist } from '../../src/ops/operatorChecklist';
import { sample } from './sample';

/** The golden inputs below: pixel (x, y, c) = (37x + 91y + 53c) mod 256. */
const goldenInput = (w: number, h: number, c: number): Image => testImage(w, h, c, (x, y, k) => (x * 37 + y * 91 + k * 53) % 256);

/**
 * Independent per-pixel bilinear reference, written from the OpenCV/PIL definition: sample
 * at source coordinate (d + 0.5) * src/dst - 0.5, clamped to the image, weighting the four
 * neighbours by distance.
 */
function referenceBilinear(img: Image<Uint8Array | Float32Array>, W: number, H: number): number[] {
  const at = (x: number, y: number, c: number): number => img.data[(y * img.width + x) * img.channels + c];
  const out: number[] = [];
  for (let dy = 0; dy < H; dy++) {
    for (let dx = 0; dx < W; dx++) {
      const sx = Math.min(Math.max((dx + 0.5) * (img.width / W) - 0.5, 0), img.width - 1);
      const sy = Math.min(Math.max((dy + 0.5) * (img.height / H) - 0.5, 0), img.height - 1);
      const x0 = Math.floor(sx), y0 = Math.floor(sy);
      const x1 = Math.min(x0 + 1, img.width - 1), y1 = Math.min(y0 + 1, img.height - 1);
      const fx = sx - x0, fy = sy - y0;
      for (let c = 0; c < img.channels; c++) {
        out.push(
          at(x0, y0, c) * (1 - fx) * (1 - fy) + at(x1, y0, c) * fx * (1 - fy) + at(x0, y1, c) * (1 - fx) * fy + at(x1, y1, c) * fx * fy,
        );
      }
    }
  }
  return out;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: expected ${expected[i]}, got ${actual[i]} (tolerance ${tol})`);
  }
}

describe('resizeImage bilinear', () => {
  it('enlarges 2x2 -> 4x4 with half-pixel centres (hand-computed)', () => {
    // Source columns sit at output x = 0.5 and 2.5: output columns sample source x = 0, 0.25, 0.75, 1.
    const img = testImage(2, 2, 1, [0, 40, 80, 120]);
    assert.deepEqual(
      resizeImage(img, 4),
      testImage(4, 4, 1, [0, 10, 30, 40, 20, 30, 50, 60, 60, 70, 90, 100, 80, 90, 110, 120]),
    );
  });

  it('shrinks 6x6 -> 2x2 by sampling source pixels 1 and 4 (hand-computed)', () => {
    // (d + 0.5) * 3 - 0.5 = 1 and 4: exact source pixels, no blending.
    const img = testImage(6, 6, 1, (x, y) => x * x + 10 * y);
    assert.deepEqual(resizeImage(img, 2, 'bilinear').data, new Uint8Array([1 + 10, 16 + 10, 1 + 40, 16 + 40]));
  });

  it('matches the independent reference on random float images (exact) and 8-bit images (rounded)', () => {
    const rng = createRng(3);
    for (const [w, h, c, W, H] of [[7, 5, 3, 3, 4], [4, 4, 1, 9, 6], [10, 3, 4, 6, 7], [1, 5, 1, 3, 2]]) {
      const u8 = randomTestImage(w, h, c, rng);
      const f = testFloatImage(w, h, c, Array.from(u8.data, (v) => v / 7));
      assertClose(resizeImage(f, { width: W, height: H }).data, referenceBilinear(f, W, H), 1e-4, `float ${w}x${h}->${W}x${H}`);
      assert.deepEqual(
        Array.from(resizeImage(u8, { width: W, height: H }).data),
        referenceBilinear(u8, W, H).map((v) => Math.floor(v + 0.5)),
      );
    }
  });

  it('agrees with OpenCV INTER_LINEAR to within 1 (OpenCV rounds fixed-point weights)', () => {
    // Golden values from /usr/bin/python3 (OpenCV 4.6):
    //   src = (x*37 + y*91 + c*53) % 256 as uint8 HWC; cv2.resize(src, (W, H), interpolation=cv2.INTER_LINEAR)
    assertClose(resizeImage(goldenInput(5, 4, 1), { width: 3, height: 2 }).data, [58, 120, 181, 112, 46, 107], 1, '5x4->3x2');
    assertClose(resizeImage(goldenInput(3, 3, 3), { width: 7, height: 5 }).data, [
      0, 53, 106, 5, 58, 111, 21, 74, 127, 37, 90, 143, 53, 106, 159, 69, 122, 174, 74, 127, 180, 36, 89, 142, 42, 94, 148, 57, 110,
      163, 73, 126, 179, 89, 142, 151, 105, 158, 123, 110, 163, 114, 91, 144, 197, 96, 149, 202, 112, 165, 218, 128, 181, 234, 144, 197,
      140, 160, 213, 46, 165, 218, 15, 145, 199, 98, 151, 182, 103, 167, 132, 119, 182, 82, 135, 133, 98, 107, 83, 114, 79, 66, 119,
      69, 182, 235, 32, 187, 204, 37, 203, 110, 53, 219, 16, 69, 125, 32, 85, 31, 48, 101, 0, 53, 106,
    ], 1, '3x3x3->7x5');
  });
});

describe('resizeImage area', () => {
  it('shrinks 4x4 -> 2x2 to the 2x2 block means (hand-computed)', () => {
    const img = testImage(4, 4, 1, [
      0, 4, 8, 12,
      8, 12, 100, 104,
      200, 210, 1, 3,
      220, 230, 5, 7,
    ]);
    // means: (0+4+8+12)/4 = 6, (8+12+100+104)/4 = 56, (200+210+220+230)/4 = 215, (1+3+5+7)/4 = 4
    assert.deepEqual(resizeImage(img, 2, 'area'), testImage(2, 2, 1, [6, 56, 215, 4]));
  });

  it('uses fractional edge weights for a non-integer shrink 3 -> 2 (hand-computed)', () => {
    // Output 0 covers source [0, 1.5): (0*1 + 30*0.5) / 1.5 = 10; output 1 covers [1.5, 3): (30*0.5 + 60) / 1.5 = 50.
    assert.deepEqual(resizeImage(testImage(3, 1, 1, [0, 30, 60]), { width: 2, height: 1 }, 'area').data, new Uint8Array([10, 50]));
  });

  it('differs from bilinear on a 6x6 -> 2x2 shrink (true box average, not two taps)', () => {
    const img = testImage(6, 6, 1, (x, y) => x * x + 10 * y);
    // block of x 0..2, y 0..2: mean(x^2) = 5/3, mean(10y) = 10 -> 11.67 -> 12; x 3..5: mean(x^2) = 50/3 -> 26.67 -> 27
    assert.deepEqual(resizeImage(img, 2, 'area').data, new Uint8Array([12, 27, 42, 57]));
  });

  it('agrees with OpenCV INTER_AREA to within 1 (shrinking and enlarging)', () => {
    // Golden values from /usr/bin/python3 (OpenCV 4.6), same input formula, interpolation=cv2.INTER_AREA
    const cases: [number, number, number, number, number, number[]][] = [
      [6, 6, 1, 4, 4, [43, 92, 154, 146, 164, 100, 104, 97, 60, 109, 142, 135, 181, 117, 93, 85]],
      [5, 5, 1, 2, 2, [92, 140, 106, 113]],
      [4, 6, 3, 2, 3, [64, 117, 170, 138, 191, 116, 118, 107, 96, 64, 117, 170, 172, 161, 150, 118, 107, 96]],
      [3, 2, 1, 6, 5, [0, 0, 37, 37, 74, 74, 0, 0, 37, 37, 74, 74, 46, 46, 83, 83, 120, 120, 91, 91, 128, 128, 165, 165, 91, 91, 128, 128, 165, 165]],
    ];
    for (const [w, h, c, W, H, want] of cases) {
      assertClose(resizeImage(goldenInput(w, h, c), { width: W, height: H }, 'area').data, want, 1, `${w}x${h}x${c}->${W}x${H}`);
    }
  });

  it('preserves the mean of a float image on an integer-factor shrink', () => {
    const f = testFloatImage(8, 6, 3, (x, y, c) => Math.sin(x + 2 * y + c));
    const out = resizeImage(f, { width: 4, height: 3 }, 'area');
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    assert.ok(Math.abs(mean(out.data) - mean(f.data)) < 1e-6);
  });
});

describe('resizeImage arguments', () => {
  it('returns the input when the size already matches', () => {
    const img = testImage(3, 3, 3);
    assert.equal(resizeImage(img, 3), img);
  });

  it('rejects bad sizes and methods', () => {
    const img = testImage(3, 3, 3);
    assert.throws(() => resizeImage(img, 0), /resizeImage: size must be positive integers, got 0x0/);
    assert.throws(() => resizeImage(img, { width: 2, height: 1.5 }), RangeError);
    // @ts-expect-error: checking the runtime guard for JavaScript callers
    assert.throws(() => resizeImage(img, 2, 'cubic'), /method must be 'bilinear' or 'area', got "cubic"/);
    // @ts-expect-error: as above
    assert.throws(() => resize(2, 'nearest'), RangeError);
  });
});

describe('resize operator', () => {
  const a = testImage(4, 4, 3);
  const b = testImage(2, 6, 1);
  for (const c of operatorChecklist({
    make: () => resize({ width: 3, height: 2 }, 'area'),
    a: sample(a),
    b,
    expected: () => ({ a: sample(resizeImage(a, { width: 3, height: 2 }, 'area')), b: resizeImage(b, { width: 3, height: 2 }, 'area') }),
    bad: { data: new Uint8Array(4), width: 2, height: 2, channels: 3 },
    badError: /RangeError: resizeImage: image buffer has 4 values, expected 2x2x3 = 12/,
  })) it(c.name, c.run);
});
