import assert from 'node:assert/strict';
import { concat, delay, filter, map, mergeMap, NEVER, pipe, repeat, type OperatorFunction } from 'rxjs';
import { colorJitter, colorJitterImage } from '../../src/ops/colorJitter';
import type { Image } from '../../src/ops/Image';
import { mapSameImage } from '../../src/ops/mapImage';
import { randomTestImage } from '../../src/ops/marbleTest';
import { drawFlip, randomFlip, randomFlipImage } from '../../src/ops/randomFlip';
import { createRng, type Rng } from '../../src/ops/Rng';
import { skipSample } from '../../src/ops/skipSample';
import { transformFromOperator } from '../../src/ops/transformFromOperator';
import type { SampleTransformContext } from '../../src/streams/SampleTransform';
import type { Skip } from '../../src/streams/Skip';

const ctx: SampleTransformContext = { epoch: 1, index: 4, path: 'cls/4.png', label: 2 };
const img = (): Image => randomTestImage(6, 5, 3, createRng(99));

describe('transformFromOperator', () => {
  it('gives the pixels of the direct kernels with the same generator (built-in flip and colour jitter)', () => {
    const jitter = { brightness: 0.4, contrast: 0.3, saturation: 0.5 };
    const transform = transformFromOperator((rng) => pipe(randomFlip(rng), colorJitter(rng, jitter)));
    for (let seed = 0; seed < 12; seed++) {
      const got = transform(img(), createRng(seed), ctx);
      const rng = createRng(seed);
      assert.deepEqual(got, colorJitterImage(randomFlipImage(img(), rng), rng, jitter), `seed ${seed}`);
    }
    // Both kinds of draw happened among those seeds: the comparison covered flipped images too.
    const flips = Array.from({ length: 12 }, (_, seed) => drawFlip(createRng(seed)));
    assert.ok(flips.includes(true) && flips.includes(false));
  });

  it('hands the factory the sample\'s generator and context, a fresh operator per sample', () => {
    const calls: Array<{ rng: Rng; ctx: SampleTransformContext }> = [];
    const rng = createRng(3);
    const transform = transformFromOperator((r, c) => {
      calls.push({ rng: r, ctx: c });
      return mapSameImage((i: Image) => i);
    });
    transform(img(), rng, ctx);
    transform(img(), rng, ctx);
    assert.equal(calls.length, 2);
    assert.equal(calls[0].rng, rng);
    assert.deepEqual(calls[0].ctx, ctx);
  });

  it('a skipSample value is the result, whether the operator emits it or a skip passes through the chain', () => {
    const dark = transformFromOperator((rng) => pipe(map((i: Image) => (i.data[0] < 255 ? skipSample('too dark') : i)), randomFlip(rng)));
    assert.deepEqual(dark(img(), createRng(1), ctx), { kind: 'skip', path: '', reason: 'transform', message: 'too dark' });
  });

  it('names itself after the factory, or the name given, so the dataset names the operator', () => {
    assert.equal(transformFromOperator(function cutout() { return map((i: Image) => i); }).name, 'cutout');
    assert.equal(transformFromOperator(() => map((i: Image) => i), { name: 'jitter' }).name, 'jitter');
    assert.equal(transformFromOperator(() => map((i: Image) => i)).name, '');
  });

  describe('an operator that does not emit exactly one value synchronously throws one line naming it', () => {
    const run = (op: OperatorFunction<Image, Image | Skip>, name = 'bad'): unknown => transformFromOperator(() => op, { name })(img(), createRng(1), ctx);
    const rule = 'a transform operator must emit exactly one value synchronously and complete: the image, or skipSample\\(reason\\)';
    it('an error', () => {
      const boom = map((): Image => {
        throw new RangeError('cutout: size 40 is larger than the image\n  at line 2');
      });
      assert.throws(() => run(boom), (e: Error) => {
        assert.equal(e.message, 'operator bad errored: RangeError: cutout: size 40 is larger than the image\n  at line 2');
        assert.ok(e.cause instanceof RangeError);
        return true;
      });
      assert.throws(() => transformFromOperator(() => { throw new TypeError('no rng'); })(img(), createRng(1), ctx), /^Error: the operator errored: TypeError: no rng$/);
      assert.throws(() => run(42 as unknown as OperatorFunction<Image, Image>), /^Error: operator bad errored: TypeError: its factory returned number, not an operator$/);
    });
    it('no value', () => {
      assert.throws(() => run(filter(() => false)), new RegExp(`^Error: operator bad completed without emitting the image \\(return skipSample\\(reason\\) to leave a sample out\\); ${rule}$`));
    });
    it('more than one value, also an endless synchronous stream', () => {
      assert.throws(() => run(mergeMap((i: Image) => [i, i])), new RegExp(`^Error: operator bad emitted more than one value for one image; ${rule}$`));
      assert.throws(() => run(repeat()), /emitted more than one value/);
    });
    it('nothing synchronous (a delay), leaving no timer behind', () => {
      const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      const before = timers();
      assert.throws(() => run(delay(60_000)), new RegExp(`^Error: operator bad emitted nothing synchronously \\(a delay, a Promise or a scheduler\\?\\); ${rule}$`));
      assert.throws(() => run(mergeMap((i: Image) => Promise.resolve(i))), /emitted nothing synchronously/);
      assert.equal(timers(), before, 'the delay\'s timer was cleared');
    });
    it('one value but no completion', () => {
      assert.throws(() => run((src) => concat(src, NEVER)), new RegExp(`^Error: operator bad emitted the image but did not complete synchronously; ${rule}$`));
    });
  });

  it('refuses a factory that is not a function', () => {
    assert.throws(() => transformFromOperator('randomFlip' as unknown as never), /^TypeError: transformFromOperator: expected a function \(rng, ctx\) => operator, got string$/);
    assert.throws(() => transformFromOperator(null as unknown as never), /got null$/);
  });
});
