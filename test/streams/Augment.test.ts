import assert from 'node:assert/strict';
import { makeImage } from '../../src/ops/Image';
import { normalizeImage } from '../../src/ops/normalize';
import { centerCropImage } from '../../src/ops/centerCrop';
import { padImage } from '../../src/ops/pad';
import { randomCropImage } from '../../src/ops/randomCrop';
import { randomFlipImage } from '../../src/ops/randomFlip';
import { createRng } from '../../src/ops/Rng';
import { assertAugment, augmentInto, augmentProblem } from '../../src/streams/Augment';

const img = makeImage(Uint8Array.from({ length: 13 * 11 * 3 }, (_, i) => (i * 37) % 256), 13, 11, 3);

describe('augmentInto', () => {
  it('train: equals randomCrop → randomFlip → normalize with the same rng, at the given offset', () => {
    for (let seed = 0; seed < 20; seed++) {
      const aug = { kind: 'train', crop: 8, flip: true, mean: [100, 110, 120], std: [50, 60, 70] } as const;
      const out = new Float32Array(8 * 8 * 3 * 2).fill(99);
      augmentInto(img, aug, createRng(seed), out, 8 * 8 * 3);
      const rng = createRng(seed);
      const expected = normalizeImage(randomFlipImage(randomCropImage(img, 8, rng), rng), aug.mean, aug.std);
      assert.deepEqual(out.subarray(192), expected.data);
      assert.ok(out.subarray(0, 192).every((v) => v === 99), 'writes only its slot');
    }
  });

  it('train with pad and without flip', () => {
    const aug = { kind: 'train', crop: 13, pad: 2, flip: false, mean: [0] } as const;
    const out = new Float32Array(13 * 13 * 3);
    augmentInto(img, aug, createRng(5), out, 0);
    const expected = normalizeImage(randomCropImage(padImage(img, 2), 13, createRng(5)), [0]);
    assert.deepEqual(out, expected.data);
  });

  it('eval: centre crop, no randomness', () => {
    const aug = { kind: 'eval', crop: 7, mean: [128] } as const;
    const out = new Float32Array(7 * 7 * 3);
    augmentInto(img, aug, createRng(1), out, 0);
    assert.deepEqual(out, normalizeImage(centerCropImage(img, 7), [128]).data);
  });
});

describe('augmentProblem / assertAugment', () => {
  it('names images that cannot be batched', () => {
    assert.equal(augmentProblem(img, { kind: 'eval', crop: 11, mean: [0] }, 3), undefined);
    assert.match(augmentProblem(img, { kind: 'eval', crop: 12, mean: [0] }, 3) ?? '', /13x11 is smaller than the 12x12 crop/);
    assert.equal(augmentProblem(img, { kind: 'train', crop: 12, pad: 1, flip: true, mean: [0] }, 3), undefined);
    assert.match(augmentProblem(img, { kind: 'eval', crop: 4, mean: [0] }, 1) ?? '', /3 channels/);
  });

  it('rejects malformed augment options', () => {
    assert.throws(() => assertAugment({ kind: 'eval', crop: 0, mean: [0] }, 3), /crop/);
    assert.throws(() => assertAugment({ kind: 'train', crop: 4, pad: -1, flip: true, mean: [0] }, 3), /pad/);
    assert.throws(() => assertAugment({ kind: 'eval', crop: 4, mean: [Number.NaN] }, 3), /mean/);
  });
});
