import assert from 'node:assert/strict';
import { colorJitterImage } from '../../src/ops/colorJitter';
import { flipHorizontalImage } from '../../src/ops/flipHorizontal';
import { runMarbles, testImage } from '../../src/ops/marbleTest';
import { randomCrop } from '../../src/ops/randomCrop';
import { randomFlip } from '../../src/ops/randomFlip';
import { assertRng } from '../../src/ops/Rng';
import { scriptedRng } from '../../src/ops/scriptedRng';

describe('scriptedRng', () => {
  it('hands out the scripted draws in order; int(n) takes a next draw as floor(draw * n)', () => {
    const rng = scriptedRng({ next: [0.25, 0.75, 0.5], normal: [-1.5, 2] });
    assert.equal(rng.next(), 0.25);
    assert.equal(rng.normal(), -1.5);
    assert.equal(rng.int(4), 3);
    assert.deepEqual(rng.remaining(), { next: 1, normal: 1 });
    assert.equal(rng.int(10), 5);
    assert.equal(rng.normal(), 2);
    assert.deepEqual(rng.remaining(), { next: 0, normal: 0 });
  });

  it('throws, saying how many were scripted, when a kernel draws past the end of a list', () => {
    const rng = scriptedRng({ next: [0.1, 0.2, 0.3] });
    rng.next();
    rng.int(2);
    rng.next();
    assert.throws(() => rng.next(), { name: 'Error', message: 'scriptedRng: a 4th next draw was asked for (by next() or int()), but only 3 were scripted' });
    assert.throws(() => scriptedRng({}).normal(), { message: 'scriptedRng: a 1st normal draw was asked for, but only 0 were scripted' });
    const one = scriptedRng({ next: [0.5] });
    one.int(3);
    assert.throws(() => one.int(3), { message: 'scriptedRng: a 2nd next draw was asked for (by next() or int()), but only 1 was scripted' });
  });

  it('refuses draws a real generator cannot give: next outside [0, 1), normal not finite', () => {
    // next() = 1 would make int(n) give n, outside 0..n-1.
    assert.throws(() => scriptedRng({ next: [0.5, 1] }), { name: 'RangeError', message: 'scriptedRng: next draws must be numbers in [0, 1), as a real generator draws, got 1 at next[1]' });
    assert.throws(() => scriptedRng({ next: [-0.1] }), RangeError);
    assert.throws(() => scriptedRng({ next: [Number.NaN] }), RangeError);
    assert.throws(() => scriptedRng({ normal: [Infinity] }), { name: 'RangeError', message: 'scriptedRng: normal draws must be finite numbers, got Infinity at normal[0]' });
    assert.throws(() => scriptedRng({ next: '0.5' as unknown as number[] }), TypeError);
    assert.throws(() => scriptedRng({ next: [0.5] }).int(0), { name: 'RangeError', message: 'rng.int needs a positive integer, got 0' });
  });

  it('takes undefined lists as none given', () => {
    assert.deepEqual(scriptedRng({ next: undefined, normal: undefined }).remaining(), { next: 0, normal: 0 });
  });

  it("does not copy the caller's list by reference: drawing leaves it as it was", () => {
    const next = [0.5, 0.25];
    scriptedRng({ next }).next();
    assert.deepEqual(next, [0.5, 0.25]);
  });

  it('forks into a generator taking from the same script; state() throws, as there is none to save', () => {
    const rng = scriptedRng({ next: [0.1, 0.9] });
    assert.equal(rng.fork().next(), 0.1);
    assert.equal(rng.next(), 0.9);
    assert.throws(() => rng.state(), /scriptedRng: state\(\) has nothing to save/);
  });

  it('is a generator the built-in random operators accept, so a marble test can pin their draws', () => {
    assert.doesNotThrow(() => assertRng(scriptedRng({}), 'test'));
    const img = testImage(3, 1, 1, [1, 2, 3]);
    runMarbles(({ cold, expectObservable }) => {
      // randomFlip flips when next() < 0.5: the first image, not the second.
      expectObservable(cold('-a-a-|', { a: img }).pipe(randomFlip(scriptedRng({ next: [0.2, 0.7] }))))
        .toBe('-f-a-|', { f: flipHorizontalImage(img), a: img });
      // randomCrop draws x then y with int(): x = floor(0.99 * 2) = 1.
      expectObservable(cold('-a|', { a: img }).pipe(randomCrop({ width: 2, height: 1 }, scriptedRng({ next: [0.99, 0] }))))
        .toBe('-c|', { c: testImage(2, 1, 1, [2, 3]) });
    });
  });

  it("pins a random kernel's draw count and arithmetic: colorJitterImage at brightness factor 1.2", () => {
    const rng = scriptedRng({ next: [0.75, 0, 0.5] });
    // factor = 0.6 + (1.4 - 0.6) * 0.75 = 1.2; contrast and saturation are 0 (factor 1).
    assert.deepEqual(colorJitterImage(testImage(2, 1, 1, [100, 250]), rng, { brightness: 0.4 }), testImage(2, 1, 1, [120, 255]));
    assert.deepEqual(rng.remaining(), { next: 0, normal: 0 });
  });
});
