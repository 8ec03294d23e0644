import assert from 'node:assert/strict';
import { greyToRgb, greyToRgbImage } from '../../src/ops/greyToRgb';
import { testFloatImage, testImage } from '../../src/ops/marbleTest';
import { operatorChecklist } from '../../src/ops/operatorChecklist';
import { sample } from './sample';

describe('greyToRgbImage', () => {
  it('copies the grey value into R, G and B', () => {
    assert.deepEqual(greyToRgbImage(testImage(2, 1, 1, [7, 200])), testImage(2, 1, 3, [7, 7, 7, 200, 200, 200]));
    const f = greyToRgbImage(testFloatImage(1, 1, 1, [-0.25]));
    assert.deepEqual(Array.from(f.data), [-0.25, -0.25, -0.25]);
  });

  it('returns RGB images unchanged and rejects RGBA with a hint', () => {
    const rgb = testImage(2, 2, 3);
    assert.equal(greyToRgbImage(rgb), rgb);
    assert.throws(() => greyToRgbImage(testImage(1, 1, 4)), /4-channel \(RGBA\) image; use dropAlpha\(\) first/);
  });
});

describe('greyToRgb operator', () => {
  const a = testImage(2, 2, 1);
  const b = testImage(1, 2, 3);
  for (const c of operatorChecklist({
    make: () => greyToRgb(),
    a: sample(a),
    b,
    expected: () => ({ a: sample(greyToRgbImage(a)), b: b }),
    bad: testImage(1, 1, 4),
    badError: /RangeError: greyToRgbImage: got a 4-channel/,
  })) it(c.name, c.run);
});
