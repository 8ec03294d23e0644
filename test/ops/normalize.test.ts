import assert from 'node:assert/strict';
import { of, type Observable } from 'rxjs';
import type { FloatImage, Image } from '../../src/ops/Image';
import { testFloatImage, testImage } from '../../src/ops/marbleTest';
import { normalize, normalizeImage } from '../../src/ops/normalize';
import { operatorChecklist } from '../../src/ops/operatorChecklist';
import { sample } from './sample';

describe('normalizeImage', () => {
  it('subtracts the per-channel mean in pixel units (hand-computed)', () => {
    const img = testImage(2, 1, 3, [124, 116, 104, 0, 255, 10]);
    const out = normalizeImage(img, [124, 116, 104]);
    assert.ok(out.data instanceof Float32Array);
    assert.deepEqual(Array.from(out.data), [0, 0, 0, -124, 139, -94]);
    assert.equal(out.channels, 3);
  });

  it('divides by std when given', () => {
    const img = testImage(1, 1, 3, [100, 50, 0]);
    const out = normalizeImage(img, [50, 50, 50], [25, 10, 5]);
    assert.deepEqual(Array.from(out.data), [2, 0, -10]);
  });

  it('broadcasts a single mean/std to every channel and accepts float input', () => {
    assert.deepEqual(Array.from(normalizeImage(testImage(1, 1, 3, [10, 20, 30]), [10], [2]).data), [0, 5, 10]);
    assert.deepEqual(Array.from(normalizeImage(testFloatImage(1, 1, 1, [1.5]), [0.5]).data), [1]);
  });

  it('rejects wrong lengths, non-finite means and non-positive stds', () => {
    const img = testImage(1, 1, 3);
    assert.throws(() => normalizeImage(img, [1, 2]), /normalizeImage: mean has 2 entries for a 3-channel image \(need 3 or 1\)/);
    assert.throws(() => normalizeImage(testImage(1, 1, 1), [1, 2, 3]), /normalizeImage: mean has 3 entries for a 1-channel image \(need 1\)$/);
    assert.throws(() => normalizeImage(img, [1, NaN, 3]), /mean\[1\] must be a finite number/);
    assert.throws(() => normalizeImage(img, [1, 2, 3], [1, 0, 1]), /std\[1\] must be a positive finite number, got 0/);
    assert.throws(() => normalize([1], [-1]), RangeError);
    // A single mean with per-channel stds is fine (the mean is broadcast).
    assert.doesNotThrow(() => normalize([1], [1, 2, 3]));
  });

  it('types the operator output precisely: image becomes FloatImage, other fields stay', () => {
    const src: Observable<{ readonly image: Image; readonly label: number; readonly path: string }> = of(sample(testImage(1, 1, 3)));
    const out: Observable<{ readonly image: FloatImage; readonly label: number; readonly path: string }> = src.pipe(normalize([1, 2, 3]));
    const bare: Observable<FloatImage> = of(testImage(1, 1, 1)).pipe(normalize([0]));
    let got: FloatImage | undefined;
    out.subscribe((s) => (got = s.image));
    bare.subscribe();
    // testImage's default gradient gives pixel (0, 0) = [0, 7, 14].
    assert.deepEqual(Array.from(got?.data ?? []), [-1, 5, 11]);
  });
});

describe('normalize operator', () => {
  const mean = [100, 110, 120];
  const std = [50, 55, 60];
  const a = testImage(2, 2, 3);
  const b = testImage(1, 2, 3);
  for (const c of operatorChecklist({
    make: () => normalize(mean, std),
    a: sample(a),
    b,
    expected: () => ({ a: sample(normalizeImage(a, mean, std)), b: normalizeImage(b, mean, std) }),
    bad: testImage(2, 2, 1),
    badError: /RangeError: normalizeImage: mean has 3 entries for a 1-channel image/,
  })) it(c.name, c.run);
});
