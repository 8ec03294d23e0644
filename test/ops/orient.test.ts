import assert from 'node:assert/strict';
import { cropImage } from '../../src/ops/crop';
import { testFloatImage, testImage } from '../../src/ops/marbleTest';
import { orient } from '../../src/ops/orient';
import { orientImage, swapsAxes, unorientRect, type ExifOrientation } from '../../src/ops/orientImage';
import { operatorChecklist } from '../../src/ops/operatorChecklist';
import { sample } from './sample';

const ALL: ExifOrientation[] = [1, 2, 3, 4, 5, 6, 7, 8];

describe('orientImage', () => {
  // 3x2 grey image:  1 2 3
  //                  4 5 6
  const img = testImage(3, 2, 1, [1, 2, 3, 4, 5, 6]);
  const expected: Record<ExifOrientation, { w: number; h: number; px: number[] }> = {
    1: { w: 3, h: 2, px: [1, 2, 3, 4, 5, 6] },
    2: { w: 3, h: 2, px: [3, 2, 1, 6, 5, 4] }, // mirrored
    3: { w: 3, h: 2, px: [6, 5, 4, 3, 2, 1] }, // rotated 180
    4: { w: 3, h: 2, px: [4, 5, 6, 1, 2, 3] }, // flipped vertically
    5: { w: 2, h: 3, px: [1, 4, 2, 5, 3, 6] }, // transposed
    6: { w: 2, h: 3, px: [4, 1, 5, 2, 6, 3] }, // rotated 90 clockwise
    7: { w: 2, h: 3, px: [6, 3, 5, 2, 4, 1] }, // transversed
    8: { w: 2, h: 3, px: [3, 6, 2, 5, 1, 4] }, // rotated 90 counter-clockwise
  };
  for (const o of ALL) {
    it(`orientation ${o} (hand-made 3x2)`, () => {
      const e = expected[o];
      assert.deepEqual(orientImage(img, o), testImage(e.w, e.h, 1, e.px));
      assert.equal(swapsAxes(o), o >= 5);
    });
  }

  it('keeps channels together and works on float images', () => {
    const rgb = testImage(4, 3, 3);
    const r = orientImage(rgb, 6);
    assert.equal(r.width, 3);
    assert.equal(r.height, 4);
    // Display (0,0) of a 90° clockwise turn is stored (0, height-1).
    assert.deepEqual([...r.data.subarray(0, 3)], [...rgb.data.subarray(2 * 4 * 3, 2 * 4 * 3 + 3)]);
    const f = orientImage(testFloatImage(4, 3, 3), 8);
    assert.ok(f.data instanceof Float32Array);
    // 6 then 8 (clockwise then counter-clockwise) is the identity.
    assert.deepEqual(orientImage(orientImage(rgb, 6), 8), rgb);
  });

  it('unorientRect: cropping then orienting equals orienting then cropping, for every orientation', () => {
    const src = testImage(7, 5, 3);
    for (const o of ALL) {
      const shown = orientImage(src, o);
      for (const r of [
        { x: 0, y: 0, width: shown.width, height: shown.height },
        { x: 1, y: 0, width: 2, height: 3 },
        { x: shown.width - 3, y: shown.height - 2, width: 3, height: 2 },
      ]) {
        const viaSource = orientImage(cropImage(src, unorientRect(r, src.width, src.height, o)), o);
        assert.deepEqual(viaSource, cropImage(shown, r), `orientation ${o}, rect ${JSON.stringify(r)}`);
      }
    }
  });

  it('rejects orientations outside 1..8 and malformed images', () => {
    assert.throws(() => orientImage(img, 9 as ExifOrientation), /EXIF orientation must be an integer 1..8, got 9/);
    assert.throws(() => unorientRect({ x: 0, y: 0, width: 1, height: 1 }, 2, 2, 0 as ExifOrientation), /unorientRect: EXIF orientation/);
    assert.throws(() => orientImage({ data: new Uint8Array(5), width: 2, height: 2, channels: 1 }, 2), /image buffer has 5 values/);
  });
});

describe('orient operator', () => {
  const a = testImage(3, 2, 3);
  const b = testImage(2, 5, 1);
  for (const c of operatorChecklist({
    make: () => orient(6),
    a: sample(a),
    b,
    expected: () => ({ a: sample(orientImage(a, 6)), b: orientImage(b, 6) }),
    bad: { data: new Uint8Array(5), width: 2, height: 2, channels: 1 },
    badError: /RangeError: orientImage: image buffer has 5 values/,
  })) it(c.name, c.run);

  it('rejects a bad orientation when created', () => {
    assert.throws(() => orient(0 as ExifOrientation), /orient: EXIF orientation must be an integer 1..8/);
  });
});
