import assert from 'node:assert/strict';
import { crop, cropImage } from '../../src/ops/crop';
import { testFloatImage, testImage } from '../../src/ops/marbleTest';
import { operatorChecklist } from '../../src/ops/operatorChecklist';
import { sample } from './sample';

describe('cropImage', () => {
  it('copies the pixels inside the rectangle (grey, hand-made)', () => {
    // 4x3:  0  1  2  3 / 10 11 12 13 / 20 21 22 23
    const img = testImage(4, 3, 1, [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]);
    const out = cropImage(img, { x: 1, y: 1, width: 2, height: 2 });
    assert.deepEqual(out, testImage(2, 2, 1, [11, 12, 21, 22]));
  });

  it('keeps channels interleaved and the element type', () => {
    const rgb = testImage(3, 1, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(cropImage(rgb, { x: 2, y: 0, width: 1, height: 1 }).data, new Uint8Array([7, 8, 9]));
    const f = testFloatImage(2, 2, 1, [0.5, -1, 2, 3]);
    const out = cropImage(f, { x: 0, y: 1, width: 2, height: 1 });
    assert.ok(out.data instanceof Float32Array);
    assert.deepEqual(Array.from(out.data), [2, 3]);
  });

  it('returns a copy: changing the output leaves the input alone', () => {
    const img = testImage(2, 2, 1, [1, 2, 3, 4]);
    const out = cropImage(img, { x: 0, y: 0, width: 2, height: 2 });
    out.data[0] = 99;
    assert.equal(img.data[0], 1);
  });

  it('rejects rectangles that are fractional, empty, negative or outside', () => {
    const img = testImage(4, 4, 1);
    assert.throws(() => cropImage(img, { x: 0.5, y: 0, width: 2, height: 2 }), /cropImage: rect origin must be non-negative integers/);
    assert.throws(() => cropImage(img, { x: -1, y: 0, width: 2, height: 2 }), RangeError);
    assert.throws(() => cropImage(img, { x: 0, y: 0, width: 0, height: 2 }), /rect size must be positive integers/);
    assert.throws(() => cropImage(img, { x: 3, y: 0, width: 2, height: 2 }), /does not fit inside the 4x4 image/);
    assert.throws(() => crop({ x: 0, y: -2, width: 1, height: 1 }), /crop: rect origin must be non-negative integers, got \(0, -2\)/);
    assert.throws(() => cropImage({ ...img, width: 3 }, { x: 0, y: 0, width: 1, height: 1 }), /buffer has 16 values/);
  });
});

describe('crop operator', () => {
  const rect = { x: 1, y: 0, width: 2, height: 2 };
  const a = testImage(3, 2, 3);
  const b = testImage(4, 4, 1);
  for (const c of operatorChecklist({
    make: () => crop(rect),
    a: sample(a),
    b,
    expected: () => ({ a: sample(cropImage(a, rect)), b: cropImage(b, rect) }),
    bad: testImage(2, 2, 1),
    badError: /RangeError: cropImage: rect 2x2 at \(1, 0\) does not fit/,
  })) it(c.name, c.run);
});
