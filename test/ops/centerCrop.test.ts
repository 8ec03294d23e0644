import assert from 'node:assert/strict';
import { centerCrop, centerCropImage, centerCropRect } from '../../src/ops/centerCrop';
import { cropImage } from '../../src/ops/crop';
import { testImage } from '../../src/ops/marbleTest';
import { operatorChecklist } from '../../src/ops/operatorChecklist';
import { sample } from './sample';

describe('centerCropImage', () => {
  it('takes the largest centred square when no size is given', () => {
    // 5x3: the square is columns 1..3
    const img = testImage(5, 3, 1, (x, y) => 10 * y + x);
    assert.deepEqual(centerCropImage(img), testImage(3, 3, 1, [1, 2, 3, 11, 12, 13, 21, 22, 23]));
    const tall = testImage(2, 4, 1, (x, y) => 10 * y + x);
    assert.deepEqual(centerCropImage(tall), testImage(2, 2, 1, [10, 11, 20, 21]));
  });

  it('rounds odd margins down, as PIL/torchvision and the seed preprocessing do', () => {
    assert.deepEqual(centerCropRect(4, 1, { width: 1, height: 1 }), { x: 1, y: 0, width: 1, height: 1 });
    assert.deepEqual(centerCropRect(300, 200), { x: 50, y: 0, width: 200, height: 200 });
    assert.deepEqual(centerCropRect(301, 200), { x: 50, y: 0, width: 200, height: 200 });
  });

  it('accepts a number or { width, height }', () => {
    const img = testImage(6, 5, 3);
    assert.deepEqual(centerCropImage(img, 3), cropImage(img, { x: 1, y: 1, width: 3, height: 3 }));
    assert.deepEqual(centerCropImage(img, { width: 4, height: 1 }), cropImage(img, { x: 1, y: 2, width: 4, height: 1 }));
  });

  it('rejects sizes larger than the image or not positive integers', () => {
    const img = testImage(4, 4, 1);
    assert.throws(() => centerCropImage(img, 5), /centerCrop: cannot take 5x5 from a 4x4 image/);
    assert.throws(() => centerCropImage(img, 0), /size must be positive integers/);
    assert.throws(() => centerCropImage(img, { width: 2.5, height: 2 }), RangeError);
    assert.throws(() => centerCrop(-3), RangeError);
  });
});

describe('centerCrop operator', () => {
  const a = testImage(5, 3, 3);
  const b = testImage(3, 6, 1);
  for (const c of operatorChecklist({
    make: () => centerCrop(3),
    a: sample(a),
    b,
    expected: () => ({ a: sample(centerCropImage(a, 3)), b: centerCropImage(b, 3) }),
    bad: testImage(2, 2, 3),
    badError: /RangeError: centerCrop: cannot take 3x3 from a 2x2 image/,
  })) it(c.name, c.run);
});
