import assert from 'node:assert/strict';
import { assertByteImage, assertImage, sameTypeBuffer } from '../../src/ops/assertImage';
import type { Image } from '../../src/ops/Image';
import { testFloatImage, testImage } from '../../src/ops/marbleTest';
import { toSize } from '../../src/ops/Size';

describe('assertImage / assertByteImage / toSize', () => {
  it('accepts well-formed images and names the caller in errors', () => {
    assertImage(testImage(2, 2, 3), 'k');
    assertImage(testFloatImage(1, 1, 4), 'k');
    assert.throws(() => assertImage(null as unknown as Image, 'myKernel'), /myKernel: expected an image, got null/);
    assert.throws(() => assertImage({ data: [1] as unknown as Uint8Array, width: 1, height: 1, channels: 1 }, 'k'), TypeError);
    assert.throws(() => assertImage({ data: new Uint8Array(2), width: 1, height: 1, channels: 2 }, 'k'), /k: image channels must be 1, 3 or 4, got 2/);
    assert.throws(() => assertByteImage(testFloatImage(1, 1, 1), 'k'), /k: needs 8-bit \(Uint8Array\) pixels/);
  });

  it('sameTypeBuffer keeps the element type', () => {
    assert.ok(sameTypeBuffer(new Uint8Array(1), 3) instanceof Uint8Array);
    assert.ok(sameTypeBuffer(new Float32Array(1), 3) instanceof Float32Array);
  });

  it('toSize accepts a number or { width, height } and rejects the rest', () => {
    assert.deepEqual(toSize(3, 'f'), { width: 3, height: 3 });
    assert.deepEqual(toSize({ width: 4, height: 2 }, 'f'), { width: 4, height: 2 });
    assert.throws(() => toSize(-1, 'f'), /f: size must be positive integers, got -1x-1/);
    assert.throws(() => toSize(null as unknown as number, 'f'), /f: size must be a number or \{ width, height \}/);
  });
});
