import assert from 'node:assert/strict';
import { dropAlpha, dropAlphaImage } from '../../src/ops/dropAlpha';
import { testImage } from '../../src/ops/marbleTest';
import { operatorChecklist } from '../../src/ops/operatorChecklist';
import { sample } from './sample';

describe('dropAlphaImage', () => {
  it('drops the fourth channel without compositing', () => {
    assert.deepEqual(dropAlphaImage(testImage(2, 1, 4, [1, 2, 3, 0, 5, 6, 7, 255])), testImage(2, 1, 3, [1, 2, 3, 5, 6, 7]));
  });

  it('returns 1- and 3-channel images unchanged', () => {
    const g = testImage(2, 2, 1);
    const rgb = testImage(2, 2, 3);
    assert.equal(dropAlphaImage(g), g);
    assert.equal(dropAlphaImage(rgb), rgb);
  });
});

describe('dropAlpha operator', () => {
  const a = testImage(2, 2, 4);
  const b = testImage(1, 1, 3);
  for (const c of operatorChecklist({
    make: () => dropAlpha(),
    a: sample(a),
    b,
    expected: () => ({ a: sample(dropAlphaImage(a)), b: b }),
    bad: { data: new Uint8Array(7), width: 1, height: 2, channels: 4 },
    badError: /RangeError: dropAlphaImage: image buffer has 7 values, expected 1x2x4 = 8/,
  })) it(c.name, c.run);
});
