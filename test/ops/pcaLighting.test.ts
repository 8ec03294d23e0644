import assert from 'node:assert/strict';
import { testFloatImage, testImage } from '../../src/ops/marbleTest';
import { IMAGENET_EIGVAL, IMAGENET_EIGVEC, pcaLighting, pcaLightingImage } from '../../src/ops/pcaLighting';
import { createRng, type Rng } from '../../src/ops/Rng';
import { operatorChecklist } from '../../src/ops/operatorChecklist';
import { sample } from './sample';
import { scriptedRng } from '../../src/ops/scriptedRng';

describe('pcaLightingImage', () => {
  const eye = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];

  it('adds 255 * eigvec * (alpha * eigval) to every pixel, rounded and clamped (hand-computed)', () => {
    // alpha = 0.5 * [1, -1, 0.5]; alpha * eigval = [0.05, -0.1, 0.1]; * 255 = [12.75, -25.5, 25.5]
    const img = testImage(2, 1, 3, [100, 100, 100, 250, 10, 240]);
    const out = pcaLightingImage(img, scriptedRng({ normal: [1, -1, 0.5] }), { alphaStd: 0.5, eigval: [0.1, 0.2, 0.4], eigvec: eye });
    assert.deepEqual(out, testImage(2, 1, 3, [113, 75, 126, 255, 0, 255]));
  });

  it('uses the ImageNet eigen-decomposition by default', () => {
    // Only the first component (alpha0 = 0.1 * 1): offset = 255 * 0.1 * 0.2175 * [-0.5675, -0.5808, -0.5836] ~ [-3.15, -3.22, -3.24]
    const out = pcaLightingImage(testImage(1, 1, 3, [100, 100, 100]), scriptedRng({ normal: [1, 0, 0] }));
    assert.deepEqual(Array.from(out.data), [97, 97, 97]);
    assert.deepEqual(IMAGENET_EIGVAL, [0.2175, 0.0188, 0.0045]);
    assert.equal(IMAGENET_EIGVEC[2][1], -0.6948);
  });

  it('leaves alpha alone and is the identity for alphaStd 0', () => {
    const rgba = testImage(2, 2, 4);
    assert.deepEqual(pcaLightingImage(rgba, createRng(1), { alphaStd: 0 }), rgba);
    const out = pcaLightingImage(rgba, scriptedRng({ normal: [3, 3, 3] }), { alphaStd: 1, eigval: [1, 1, 1], eigvec: eye });
    assert.deepEqual(Array.from(out.data.filter((_, i) => i % 4 === 3)), Array.from(rgba.data.filter((_, i) => i % 4 === 3)));
  });

  it('is deterministic per seed', () => {
    const img = testImage(4, 4, 3);
    assert.deepEqual(pcaLightingImage(img, createRng(5), { alphaStd: 1 }), pcaLightingImage(img, createRng(5), { alphaStd: 1 }));
    assert.notDeepEqual(pcaLightingImage(img, createRng(5), { alphaStd: 1 }), pcaLightingImage(img, createRng(6), { alphaStd: 1 }));
  });

  it('rejects grey and float images and bad options', () => {
    assert.throws(() => pcaLightingImage(testImage(1, 1, 1), createRng(1)), /needs an RGB\(A\) image; apply greyToRgb\(\) first/);
    // @ts-expect-error: a float image is a type error too; checking the runtime guard
    assert.throws(() => pcaLightingImage(testFloatImage(1, 1, 3), createRng(1)), /needs 8-bit \(Uint8Array\) pixels/);
    assert.throws(() => pcaLighting(createRng(1), { alphaStd: -1 }), /alphaStd must be a finite number >= 0/);
    assert.throws(() => pcaLighting(createRng(1), { eigval: [1, 2] }), /eigval must be 3 finite numbers/);
    assert.throws(() => pcaLighting(createRng(1), { eigvec: [[1, 0, 0], [0, 1, 0]] }), /eigvec must be a 3x3 matrix/);
  });

  it('without a generator: throws when the operator is created', () => {
    assert.throws(() => pcaLighting(undefined as unknown as Rng), /^TypeError: pcaLighting: rng must be a seeded generator such as createRng\(seed\), got undefined$/);
    assert.throws(() => pcaLightingImage(testImage(1, 1, 3), Math.random as unknown as Rng), /pcaLightingImage: rng must be a seeded generator/);
  });
});

describe('pcaLighting operator', () => {
  const a = testImage(2, 2, 3);
  const b = testImage(3, 1, 4);
  for (const c of operatorChecklist({
    make: () => pcaLighting(createRng(31), { alphaStd: 0.5 }),
    a: sample(a),
    b,
    expected: () => {
      const rng = createRng(31);
      return { a: sample(pcaLightingImage(a, rng, { alphaStd: 0.5 })), b: pcaLightingImage(b, rng, { alphaStd: 0.5 }) };
    },
    bad: testImage(2, 2, 1),
    badError: /RangeError: pcaLightingImage: needs an RGB\(A\) image/,
  })) it(c.name, c.run);
});
