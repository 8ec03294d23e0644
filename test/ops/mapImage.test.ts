import assert from 'node:assert/strict';
import { of, type Observable } from 'rxjs';
import type { Skip } from '../../src/streams/Skip';
import type { Sample } from '../../src/streams/Sample';
import type { FloatImage, Image } from '../../src/ops/Image';
import { mapImage, mapSameImage } from '../../src/ops/mapImage';
import { runMarbles, testFloatImage, testImage } from '../../src/ops/marbleTest';
import { operatorChecklist } from '../../src/ops/operatorChecklist';
import { sample } from './sample';

const double = (img: Image): FloatImage => ({ ...img, data: Float32Array.from(img.data, (v) => v * 2) });
const invert = (img: Image): Image => {
  if (img.channels !== 1) throw new RangeError('invert: grey images only');
  return { ...img, data: img.data.map((v) => 255 - v) };
};

describe('mapImage', () => {
  it('applies the kernel to a bare image, to the image of a carrier, and leaves Skips alone', () => {
    const img = testImage(2, 1, 1, [1, 2]);
    const skipped: Skip = { kind: 'skip', path: 'a.jpg', reason: 'truncated', message: 'premature end of JPEG' };
    runMarbles(({ cold, expectObservable }) => {
      const src = cold('-a-b-s-|', { a: img, b: { image: img, label: 4, path: 'x/1.png', extra: [1] }, s: skipped });
      expectObservable(src.pipe(mapImage(double))).toBe('-x-y-s-|', {
        x: testFloatImage(2, 1, 1, [2, 4]),
        y: { image: testFloatImage(2, 1, 1, [2, 4]), label: 4, path: 'x/1.png', extra: [1] },
        s: skipped,
      });
    });
  });

  it('does not mutate the incoming carrier', () => {
    const s = sample(testImage(1, 1, 1, [5]));
    of(s).pipe(mapSameImage(invert)).subscribe();
    assert.deepEqual(Array.from(s.image.data), [5]);
  });

  it('errors the stream with a TypeError for values that are not images', () => {
    runMarbles(({ cold, expectObservable }) => {
      const src = cold('-a-|', { a: { label: 1 } as unknown as Image });
      expectObservable(src.pipe(mapImage(double))).toBe('-#', undefined, /TypeError: image operator: expected an Image, an object with an `image` field, or a Skip; got an object with keys \[label\]/);
    });
  });

  it('types the output precisely (compile-time check, exercised at run time)', () => {
    const samples: Observable<Sample | Skip> = of(sample(testImage(1, 1, 1, [3])));
    const out: Observable<{ readonly image: FloatImage; readonly label: number; readonly path: string } | Skip> = samples.pipe(mapImage(double));
    const same: Observable<Sample | Skip> = samples.pipe(mapSameImage(invert));
    const got: number[] = [];
    out.subscribe((v) => 'image' in v && got.push(v.image.data[0]));
    same.subscribe((v) => 'image' in v && got.push(v.image.data[0]));
    assert.deepEqual(got, [6, 252]);
  });
});

describe('mapImage operator checklist', () => {
  const a = testImage(2, 2, 1);
  const b = testImage(3, 1, 1);
  for (const c of operatorChecklist({
    make: () => mapSameImage(invert),
    a: sample(a),
    b,
    expected: () => ({ a: sample(invert(a)), b: invert(b) }),
    bad: testImage(1, 1, 3),
    badError: /RangeError: invert: grey images only/,
  })) it(c.name, c.run);
});
