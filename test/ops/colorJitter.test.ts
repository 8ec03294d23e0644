import assert from 'node:assert/strict';
import { colorJitter, colorJitterImage } from '../../src/ops/colorJitter';
import { testFloatImage, testImage } from '../../src/ops/marbleTest';
import { createRng, type Rng } from '../../src/ops/Rng';
import { operatorChecklist } from '../../src/ops/operatorChecklist';
import { sample } from './sample';
import { scriptedRng } from '../../src/ops/scriptedRng';

describe('colorJitterImage', () => {
  it('applies brightness, contrast then saturation (hand-computed)', () => {
    // fb = 0.5 + 1.0 * 0.75 = 1.25 -> [250, 125, 0], [0, 0, 125]
    // lumas 148.125 and 14.25, mean 81.1875; fc = 0.5 -> v / 2 + 40.59375; fs = 0 + 2 * 0.5 = 1 (no change)
    const img = testImage(2, 1, 3, [200, 100, 0, 0, 0, 100]);
    const out = colorJitterImage(img, scriptedRng({ next: [0.75, 0, 0.5] }), { brightness: 0.5, contrast: 0.5, saturation: 1 });
    assert.deepEqual(out, testImage(2, 1, 3, [166, 103, 41, 41, 41, 103]));
  });

  it('saturation factor 0 gives greyscale (601 luma), contrast factor 0 a flat image', () => {
    const img = testImage(2, 1, 3, [255, 0, 0, 0, 0, 255]);
    const grey = colorJitterImage(img, scriptedRng({ next: [0, 0, 0] }), { saturation: 1 });
    assert.deepEqual(Array.from(grey.data), [76, 76, 76, 29, 29, 29]);
    const flat = colorJitterImage(img, scriptedRng({ next: [0, 0, 0] }), { contrast: 1 });
    // mean luma (76.245 + 29.07) / 2 = 52.66
    assert.deepEqual(Array.from(flat.data), [53, 53, 53, 53, 53, 53]);
  });

  it('clamps to 0..255, keeps alpha, handles grey images, always draws three numbers', () => {
    const rgba = testImage(1, 1, 4, [200, 10, 100, 77]);
    const rng = scriptedRng({ next: [0.99, 0.5, 0.5, 0.123] });
    const out = colorJitterImage(rgba, rng, { brightness: 1 });
    assert.deepEqual(Array.from(out.data), [255, 20, 198, 77]);
    assert.equal(rng.next(), 0.123);
    const g = colorJitterImage(testImage(2, 1, 1, [100, 200]), scriptedRng({ next: [0, 0, 0] }), { brightness: 0.5, saturation: 1 });
    assert.deepEqual(Array.from(g.data), [50, 100]);
  });

  it('is the identity with all strengths 0 and deterministic per seed', () => {
    const img = testImage(5, 4, 3);
    assert.deepEqual(colorJitterImage(img, createRng(1)), img);
    const o = { brightness: 0.4, contrast: 0.4, saturation: 0.4 };
    assert.deepEqual(colorJitterImage(img, createRng(2), o), colorJitterImage(img, createRng(2), o));
    assert.notDeepEqual(colorJitterImage(img, createRng(2), o), colorJitterImage(img, createRng(3), o));
  });

  it('rejects negative strengths and float images', () => {
    assert.throws(() => colorJitter(createRng(1), { contrast: -0.1 }), /contrast must be a finite number >= 0, got -0.1/);
    // @ts-expect-error: a float image is a type error too; checking the runtime guard
    assert.throws(() => colorJitterImage(testFloatImage(1, 1, 3), createRng(1)), TypeError);
  });

  it('without a generator (or the options in its place): throws when the operator is created', () => {
    assert.throws(() => colorJitter({ brightness: 0.4 } as unknown as Rng), /^TypeError: colorJitter: rng must be a seeded generator such as createRng\(seed\), got an object without next\(\), int\(\) and normal\(\)$/);
    assert.throws(() => colorJitterImage(testImage(1, 1, 3), undefined as unknown as Rng), /colorJitterImage: rng must be a seeded generator/);
  });
});

describe('colorJitter operator', () => {
  const o = { brightness: 0.3, contrast: 0.3, saturation: 0.3 };
  const a = testImage(3, 2, 3);
  const b = testImage(2, 2, 1);
  for (const c of operatorChecklist({
    make: () => colorJitter(createRng(41), o),
    a: sample(a),
    b,
    expected: () => {
      const rng = createRng(41);
      return { a: sample(colorJitterImage(a, rng, o)), b: colorJitterImage(b, rng, o) };
    },
    bad: testFloatImage(1, 1, 3),
    badError: /TypeError: colorJitterImage: needs 8-bit/,
  })) it(c.name, c.run);
});
