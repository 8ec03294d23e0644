import assert from 'node:assert/strict';
import { testFloatImage, testImage } from '../../src/ops/marbleTest';
import { pad, padImage } from '../../src/ops/pad';
import { operatorChecklist } from '../../src/ops/operatorChecklist';
import { sample } from './sample';

describe('padImage', () => {
  it('adds a zero border on every side (hand-made)', () => {
    const img = testImage(2, 1, 1, [5, 6]);
    assert.deepEqual(padImage(img, 1), testImage(4, 3, 1, [0, 0, 0, 0, 0, 5, 6, 0, 0, 0, 0, 0]));
  });

  it('pads each side separately with a per-channel fill', () => {
    const img = testImage(1, 1, 3, [1, 2, 3]);
    const out = padImage(img, { top: 0, right: 1, bottom: 1, left: 0 }, [9, 8, 7]);
    assert.deepEqual(out, testImage(2, 2, 3, [1, 2, 3, 9, 8, 7, 9, 8, 7, 9, 8, 7]));
  });

  it('takes Fashion-MNIST 28x28 to 32x32 with the original in the middle', () => {
    const img = testImage(28, 28, 1, (x, y) => 1 + ((x + y) % 200));
    const out = padImage(img, 2);
    assert.equal(out.width, 32);
    assert.equal(out.height, 32);
    assert.equal(out.data[2 * 32 + 2], img.data[0]);
    assert.equal(out.data[29 * 32 + 29], img.data[27 * 28 + 27]);
    assert.equal(out.data[1 * 32 + 5], 0);
    assert.equal(out.data.reduce((s, v) => s + v, 0), img.data.reduce((s, v) => s + v, 0));
  });

  it('keeps float images float, with float fills', () => {
    const out = padImage(testFloatImage(1, 1, 1, [0.5]), 1, -1.5);
    assert.ok(out.data instanceof Float32Array);
    assert.deepEqual(Array.from(out.data), [-1.5, -1.5, -1.5, -1.5, 0.5, -1.5, -1.5, -1.5, -1.5]);
  });

  it('rejects negative/fractional padding and bad fills', () => {
    const img = testImage(2, 2, 3);
    assert.throws(() => padImage(img, -1), /top padding must be a non-negative integer, got -1/);
    assert.throws(() => padImage(img, { top: 1, right: 1.5, bottom: 0, left: 0 }), /right padding/);
    assert.throws(() => padImage(img, 1, [1, 2]), /fill value has 2 entries for a 3-channel image/);
    assert.throws(() => padImage(img, 1, 300), /fill value 300 is not in 0..255/);
    assert.throws(() => pad(-2), RangeError);
  });
});

describe('pad operator', () => {
  const a = testImage(2, 2, 3);
  const b = testImage(3, 1, 1);
  for (const c of operatorChecklist({
    make: () => pad(1, 255),
    a: sample(a),
    b,
    expected: () => ({ a: sample(padImage(a, 1, 255)), b: padImage(b, 1, 255) }),
    bad: { data: new Uint8Array(3), width: 1, height: 1, channels: 2 },
    badError: /RangeError: padImage: image channels must be 1, 3 or 4, got 2/,
  })) it(c.name, c.run);
});
