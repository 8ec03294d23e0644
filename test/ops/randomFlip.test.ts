import assert from 'node:assert/strict';
import { from, lastValueFrom, toArray } from 'rxjs';
import { flipHorizontalImage } from '../../src/ops/flipHorizontal';
import { testImage } from '../../src/ops/marbleTest';
import { drawFlip, randomFlip, randomFlipImage } from '../../src/ops/randomFlip';
import { createRng, type Rng } from '../../src/ops/Rng';
import { operatorChecklist } from '../../src/ops/operatorChecklist';
import { sample } from './sample';

describe('randomFlipImage', () => {
  const img = testImage(3, 2, 3);
  const flipped = flipHorizontalImage(img);

  it('flips exactly when drawFlip (same seed) says so', () => {
    const r1 = createRng(4);
    const r2 = createRng(4);
    let flips = 0;
    for (let i = 0; i < 50; i++) {
      const f = drawFlip(r2);
      flips += f ? 1 : 0;
      assert.deepEqual(randomFlipImage(img, r1), f ? flipped : img);
    }
    assert.ok(flips > 10 && flips < 40, `flipped ${flips}/50`);
  });

  it('p = 0 never flips, p = 1 always flips, and both still draw once', () => {
    const rng = createRng(3);
    const ref = createRng(3);
    for (let i = 0; i < 20; i++) {
      assert.equal(randomFlipImage(img, rng, 0), img);
      assert.deepEqual(randomFlipImage(img, rng, 1), flipped);
      ref.next();
      ref.next();
    }
    assert.equal(rng.next(), ref.next());
  });

  it('flips about p of the time', () => {
    const rng = createRng(8);
    let n = 0;
    for (let i = 0; i < 4000; i++) n += drawFlip(rng, 0.2) ? 1 : 0;
    assert.ok(Math.abs(n - 800) < 100, `flipped ${n}/4000`);
  });

  it('rejects p outside [0, 1]', () => {
    assert.throws(() => randomFlipImage(img, createRng(1), 1.5), /probability p must be in \[0, 1\], got 1.5/);
    assert.throws(() => randomFlip(createRng(1), NaN), RangeError);
  });

  it('without a generator: the operator throws when created, the kernel before drawing', () => {
    assert.throws(() => randomFlip(Math.random as unknown as Rng), /^TypeError: randomFlip: rng must be a seeded generator such as createRng\(seed\), got a function/);
    assert.throws(() => randomFlipImage(img, undefined as unknown as Rng), /randomFlip: rng must be a seeded generator .* got undefined/);
  });
});

describe('randomFlip operator', () => {
  const a = testImage(3, 2, 3);
  const b = testImage(4, 1, 1);
  for (const c of operatorChecklist({
    make: () => randomFlip(createRng(21)),
    a: sample(a),
    b,
    expected: () => {
      const rng = createRng(21);
      return { a: sample(randomFlipImage(a, rng)), b: randomFlipImage(b, rng) };
    },
    bad: { data: new Uint8Array(2), width: 1, height: 1, channels: 3 },
    badError: /RangeError: randomFlipImage: image buffer has 2 values/,
  })) it(c.name, c.run);

  it('same seed, same pixels through the whole stream', async () => {
    const imgs = Array.from({ length: 16 }, (_, i) => testImage(4, 2, 1, (x, y) => (x + 4 * y + i) % 256));
    const run = (seed: number) => lastValueFrom(from(imgs).pipe(randomFlip(createRng(seed)), toArray()));
    assert.deepEqual(await run(1), await run(1));
    assert.notDeepEqual(await run(1), await run(2));
  });
});
