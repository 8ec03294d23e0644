import assert from 'node:assert/strict';
import { lastValueFrom, of, toArray } from 'rxjs';
import { colorJitter } from '../../src/ops/colorJitter';
import { flipHorizontal } from '../../src/ops/flipHorizontal';
import { mapSameImage } from '../../src/ops/mapImage';
import type { Image } from '../../src/ops/Image';
import { testImage } from '../../src/ops/marbleTest';
import { createRng } from '../../src/ops/Rng';
import { skipSample } from '../../src/ops/skipSample';
import type { Skip } from '../../src/streams/Skip';

describe('skipSample', () => {
  it('is a transform Skip whose path the dataset fills in', () => {
    assert.deepEqual(skipSample('too dark'), { kind: 'skip', path: '', reason: 'transform', message: 'too dark' });
  });

  it('passes through the built-in operators untouched, so a chain may decide to skip anywhere along it', async () => {
    const s = skipSample('blank');
    const out = await lastValueFrom(of(testImage(2, 2, 3) as Image | Skip, s).pipe(flipHorizontal(), colorJitter(createRng(1), { brightness: 0.3 }), mapSameImage((img: Image) => img), toArray()));
    assert.equal(out[1], s);
  });

  it('refuses a reason that is not a string', () => {
    assert.throws(() => skipSample(42 as unknown as string), /^TypeError: skipSample: reason must be a string, got number$/);
    assert.throws(() => skipSample(null as unknown as string), /got null$/);
  });
});
