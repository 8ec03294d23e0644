import assert from 'node:assert/strict';
import { testFloatImage, testImage } from '../../src/ops/marbleTest';
import { LUMA_601, rgbToGrey, rgbToGreyImage } from '../../src/ops/rgbToGrey';
import { operatorChecklist } from '../../src/ops/operatorChecklist';
import { sample } from './sample';

describe('rgbToGreyImage', () => {
  it('uses ITU-R 601 luma, rounded (hand-computed)', () => {
    // red 0.299*255 = 76.245; green 149.685; blue 29.07; (10, 20, 30): 2.99 + 11.74 + 3.42 = 18.15
    const img = testImage(4, 1, 3, [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
    assert.deepEqual(rgbToGreyImage(img), testImage(4, 1, 1, [76, 150, 29, 18]));
    assert.deepEqual(LUMA_601, [0.299, 0.587, 0.114]);
  });

  it('ignores alpha, keeps floats unrounded, returns grey images unchanged', () => {
    assert.deepEqual(Array.from(rgbToGreyImage(testImage(1, 1, 4, [255, 255, 255, 0])).data), [255]);
    const f = rgbToGreyImage(testFloatImage(1, 1, 3, [1, 0, 0]));
    assert.ok(Math.abs(f.data[0] - 0.299) < 1e-7);
    const g = testImage(2, 2, 1);
    assert.equal(rgbToGreyImage(g), g);
  });
});

describe('rgbToGrey operator', () => {
  const a = testImage(2, 2, 3);
  const b = testImage(3, 1, 4);
  for (const c of operatorChecklist({
    make: () => rgbToGrey(),
    a: sample(a),
    b,
    expected: () => ({ a: sample(rgbToGreyImage(a)), b: rgbToGreyImage(b) }),
    bad: { data: new Uint8Array(1), width: 0, height: 1, channels: 1 },
    badError: /RangeError: rgbToGreyImage: image size must be positive integers, got 0x1/,
  })) it(c.name, c.run);
});
