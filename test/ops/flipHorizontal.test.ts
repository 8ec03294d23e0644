import assert from 'node:assert/strict';
import { flipHorizontal, flipHorizontalImage } from '../../src/ops/flipHorizontal';
import { testFloatImage, testImage } from '../../src/ops/marbleTest';
import { operatorChecklist } from '../../src/ops/operatorChecklist';
import { sample } from './sample';

describe('flipHorizontalImage', () => {
  it('mirrors columns and keeps channel order (hand-made RGB)', () => {
    const img = testImage(3, 2, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
    assert.deepEqual(flipHorizontalImage(img), testImage(3, 2, 3, [7, 8, 9, 4, 5, 6, 1, 2, 3, 16, 17, 18, 13, 14, 15, 10, 11, 12]));
  });

  it('is its own inverse and works on float images', () => {
    const f = testFloatImage(5, 3, 4);
    const once = flipHorizontalImage(f);
    assert.ok(once.data instanceof Float32Array);
    assert.notDeepEqual(once, f);
    assert.deepEqual(flipHorizontalImage(once), f);
  });

  it('rejects malformed images', () => {
    assert.throws(() => flipHorizontalImage({ data: new Uint8Array(3), width: 1, height: 1, channels: 2 }), /channels must be 1, 3 or 4/);
  });
});

describe('flipHorizontal operator', () => {
  const a = testImage(3, 2, 3);
  const b = testImage(4, 1, 1);
  for (const c of operatorChecklist({
    make: () => flipHorizontal(),
    a: sample(a),
    b,
    expected: () => ({ a: sample(flipHorizontalImage(a)), b: flipHorizontalImage(b) }),
    bad: { data: new Uint8Array(5), width: 2, height: 2, channels: 1 },
    badError: /RangeError: flipHorizontalImage: image buffer has 5 values/,
  })) it(c.name, c.run);
});
