import assert from 'node:assert/strict';
import { from, lastValueFrom, map, toArray } from 'rxjs';
import { cropImage } from '../../src/ops/crop';
import { cropFlipNormalizeInto } from '../../src/ops/cropFlipNormalizeInto';
import { flipHorizontalImage } from '../../src/ops/flipHorizontal';
import { randomTestImage, testImage } from '../../src/ops/marbleTest';
import { normalize, normalizeImage } from '../../src/ops/normalize';
import { randomCrop, randomCropRect } from '../../src/ops/randomCrop';
import { drawFlip, randomFlip } from '../../src/ops/randomFlip';
import { createRng } from '../../src/ops/Rng';

describe('cropFlipNormalizeInto', () => {
  it('equals normalizeImage(flip?(crop(img))) bit for bit: random images, both flips, 1/3/4 channels', () => {
    const rng = createRng(17);
    for (const channels of [1, 3, 4]) {
      for (const flip of [false, true]) {
        for (let trial = 0; trial < 5; trial++) {
          const w = 3 + rng.int(20);
          const h = 3 + rng.int(20);
          const img = randomTestImage(w, h, channels, rng);
          const cw = 1 + rng.int(w);
          const ch = 1 + rng.int(h);
          const x = rng.int(w - cw + 1);
          const y = rng.int(h - ch + 1);
          const mean = Array.from({ length: channels }, () => rng.next() * 255);
          const std = trial % 2 === 0 ? undefined : Array.from({ length: channels }, () => 1 + rng.next() * 80);
          const cropped = cropImage(img, { x, y, width: cw, height: ch });
          const want = normalizeImage(flip ? flipHorizontalImage(cropped) : cropped, mean, std).data;
          const offset = 5;
          const out = new Float32Array(offset + want.length + 3).fill(-999);
          cropFlipNormalizeInto(img, x, y, cw, ch, flip, mean, std, out, offset);
          assert.deepEqual(out.subarray(offset, offset + want.length), want, `c=${channels} flip=${flip} trial=${trial}`);
          // Nothing outside its slot is touched.
          assert.deepEqual(Array.from(out.subarray(0, offset)), [-999, -999, -999, -999, -999]);
          assert.deepEqual(Array.from(out.subarray(offset + want.length)), [-999, -999, -999]);
        }
      }
    }
  });

  it('mirrors a hand-made row', () => {
    const img = testImage(3, 1, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const out = new Float32Array(6);
    cropFlipNormalizeInto(img, 1, 0, 2, 1, true, [1, 2, 3], [1, 1, 2], out, 0);
    assert.deepEqual(Array.from(out), [6, 6, 3, 3, 3, 1.5]);
  });

  it('fills a batch exactly as randomCrop + randomFlip + normalize operators with the same seeds', async () => {
    const imgs = Array.from({ length: 6 }, (_, i) => randomTestImage(12, 10, 3, createRng(100 + i)));
    const mean = [120.5, 115.25, 100];
    const viaOperators = await lastValueFrom(
      from(imgs).pipe(randomCrop(8, createRng(1)), randomFlip(createRng(2)), normalize(mean), map((im) => im.data), toArray()),
    );
    const cropRng = createRng(1);
    const flipRng = createRng(2);
    const per = 8 * 8 * 3;
    const batch = new Float32Array(imgs.length * per);
    imgs.forEach((img, i) => {
      const r = randomCropRect(img.width, img.height, 8, cropRng);
      cropFlipNormalizeInto(img, r.x, r.y, 8, 8, drawFlip(flipRng), mean, undefined, batch, i * per);
    });
    viaOperators.forEach((d, i) => assert.deepEqual(batch.subarray(i * per, (i + 1) * per), d));
  });

  it('rejects a rectangle outside the image, a short buffer and bad mean/std', () => {
    const img = testImage(4, 4, 3);
    const out = new Float32Array(4 * 4 * 3);
    assert.throws(() => cropFlipNormalizeInto(img, 1, 0, 4, 4, false, [0, 0, 0], undefined, out, 0), /does not fit inside the 4x4 image/);
    assert.throws(
      () => cropFlipNormalizeInto(img, 0, 0, 4, 4, false, [0, 0, 0], undefined, out, 1),
      /out has 48 values, cannot write 4x4x3 = 48 at offset 1/,
    );
    assert.throws(() => cropFlipNormalizeInto(img, 0, 0, 2, 2, false, [0, 0], undefined, out, 0), /mean has 2 entries for a 3-channel image/);
    // A grey image takes exactly one value: the message must not offer "1 or 1".
    const grey = testImage(4, 4, 1);
    assert.throws(() => cropFlipNormalizeInto(grey, 0, 0, 2, 2, false, [1, 2, 3], undefined, out, 0), /mean has 3 entries for a 1-channel image \(need 1\)$/);
    assert.throws(() => cropFlipNormalizeInto(grey, 0, 0, 2, 2, false, [1], [1, 2, 3], out, 0), /std has 3 entries for a 1-channel image \(need 1\)$/);
    assert.throws(() => cropFlipNormalizeInto(img, 0, 0, 2, 2, false, [0, 0, 0], [1, 0, 1], out, 0), /std\[1\] must be a positive finite number/);
    assert.throws(() => cropFlipNormalizeInto(img, 0, 0, 2, 2, false, [0, 0, 0], undefined, out, -1), RangeError);
  });
});
