import assert from 'node:assert/strict';
import { cropImage } from '../../src/ops/crop';
import { testImage } from '../../src/ops/marbleTest';
import { randomCrop, randomCropImage, randomCropRect } from '../../src/ops/randomCrop';
import { createRng, type Rng } from '../../src/ops/Rng';
import { operatorChecklist } from '../../src/ops/operatorChecklist';
import { sample } from './sample';

describe('randomCropImage', () => {
  it('equals cropImage at the rectangle randomCropRect draws from the same seed', () => {
    const img = testImage(9, 7, 3);
    const r1 = createRng(5);
    const r2 = createRng(5);
    for (let i = 0; i < 20; i++) {
      const rect = randomCropRect(9, 7, { width: 4, height: 3 }, r2);
      assert.deepEqual(randomCropImage(img, { width: 4, height: 3 }, r1), cropImage(img, rect));
    }
  });

  it('is deterministic per seed and different across seeds', () => {
    const img = testImage(32, 32, 1, (x, y) => (x * 7 + y * 13) % 256);
    const run = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 5 }, () => randomCropImage(img, 28, rng));
    };
    assert.deepEqual(run(11), run(11));
    assert.notDeepEqual(run(11), run(12));
  });

  it('draws every valid offset and none outside', () => {
    const rng = createRng(1);
    const xs = new Set<number>();
    const ys = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const r = randomCropRect(10, 6, { width: 7, height: 5 }, rng);
      xs.add(r.x);
      ys.add(r.y);
    }
    assert.deepEqual([...xs].sort(), [0, 1, 2, 3]);
    assert.deepEqual([...ys].sort(), [0, 1]);
  });

  it('a full-size crop returns the image itself pixel for pixel', () => {
    const img = testImage(5, 4, 3);
    assert.deepEqual(randomCropImage(img, { width: 5, height: 4 }, createRng(2)), img);
  });

  it('rejects crops larger than the image and bad sizes', () => {
    const img = testImage(4, 4, 1);
    assert.throws(() => randomCropImage(img, 5, createRng(1)), /randomCrop: cannot take 5x5 from a 4x4 image/);
    assert.throws(() => randomCrop(0, createRng(1)), /size must be positive integers/);
  });

  it('without a generator: the operator throws when created, the kernel before drawing', () => {
    assert.throws(() => randomCrop(3, undefined as unknown as Rng), /^TypeError: randomCrop: rng must be a seeded generator such as createRng\(seed\), got undefined$/);
    assert.throws(() => randomCropImage(testImage(4, 4, 1), 3, Math.random as unknown as Rng), /randomCrop: rng must be a seeded generator .* not Math\.random/);
  });
});

describe('randomCrop operator', () => {
  const a = testImage(6, 5, 3);
  const b = testImage(4, 4, 1);
  for (const c of operatorChecklist({
    make: () => randomCrop(3, createRng(9)),
    a: sample(a),
    b,
    expected: () => {
      const rng = createRng(9);
      return { a: sample(randomCropImage(a, 3, rng)), b: randomCropImage(b, 3, rng) };
    },
    bad: testImage(2, 8, 1),
    badError: /RangeError: randomCrop: cannot take 3x3 from a 2x8 image/,
  })) it(c.name, c.run);
});
