import assert from 'node:assert/strict';
import { AssertionError } from 'node:assert';
import { map, take } from 'rxjs';
import * as vm from 'node:vm';
import { TestScheduler } from 'rxjs/testing';
import { flipHorizontal, flipHorizontalImage } from '../../src/ops/flipHorizontal';
import { normalize, normalizeImage } from '../../src/ops/normalize';
import {
  createImageTestScheduler,
  diffValues,
  formatTestValue,
  randomTestImage,
  runMarbles,
  testFloatImage,
  testImage,
} from '../../src/ops/marbleTest';
import { createRng, type Rng } from '../../src/ops/Rng';

describe('marbleTest helpers', () => {
  it('diffValues names the first differing pixel of an image', () => {
    assert.equal(diffValues(testImage(2, 1, 1, [1, 2]), testImage(2, 1, 1, [1, 2])), undefined);
    assert.equal(
      diffValues(testImage(2, 2, 3, (x, y, c) => (x === 1 && y === 1 && c === 2 ? 9 : 0)), testImage(2, 2, 3, () => 0)),
      'value.data[11] (pixel x=1, y=1, c=2): expected 0, got 9',
    );
  });

  it('diffValues compares typed arrays by type, length and elements, with an optional tolerance', () => {
    assert.match(diffValues(new Uint8Array([1]), new Float32Array([1])) ?? '', /expected Float32Array\(1\) \[1\], got Uint8Array\(1\) \[1\]/);
    assert.equal(diffValues(new Float32Array([1, 2]), new Float32Array([1])), 'value: expected 1 elements, got 2');
    assert.equal(diffValues(new Float32Array([NaN]), new Float32Array([NaN])), undefined);
    assert.ok(diffValues(new Float32Array([1.0001]), new Float32Array([1])));
    assert.equal(diffValues(new Float32Array([1.0001]), new Float32Array([1]), { tolerance: 1e-3 }), undefined);
  });

  it('diffValues matches errors by class and message, or by RegExp', () => {
    assert.equal(diffValues(new RangeError('x'), new RangeError('x')), undefined);
    assert.match(diffValues(new TypeError('x'), new RangeError('x')) ?? '', /expected RangeError: x, got TypeError: x/);
    assert.equal(diffValues(new RangeError('too big'), /RangeError: too/), undefined);
    assert.match(diffValues(new RangeError('too big'), /TypeError/) ?? '', /expected an error matching \/TypeError\//);
    assert.match(diffValues({ a: 1 }, { a: 1, b: 2 }) ?? '', /value\.b: missing \(expected 2\)/);
  });

  it('diffValues knows errors from another realm (jest runs test files in a vm context): by RegExp, and by class name', () => {
    // What a kernel validating with node:assert throws under jest: an Error of Node's realm.
    const foreign = vm.runInNewContext('new RangeError("too big")') as Error;
    assert.ok(!(foreign instanceof Error));
    assert.equal(diffValues(foreign, /RangeError: too big/), undefined);
    assert.equal(diffValues(foreign, new RangeError('too big')), undefined);
    assert.match(diffValues(foreign, new TypeError('too big')) ?? '', /^value: expected TypeError: too big, got RangeError: too big$/);
    assert.match(diffValues(foreign, /TypeError/) ?? '', /^value: expected an error matching \/TypeError\/, got RangeError: too big$/);
    assert.equal(formatTestValue(foreign), 'RangeError: too big');
    // In one realm, a class is still compared by identity, not by name.
    class Oops extends Error {}
    const Other = class Oops extends Error {};
    assert.match(diffValues(new Oops('x'), new Other('x')) ?? '', /expected Error: x, got Error: x/);
  });

  it('diffValues says so when a bare image comes where a carrier was expected, and the reverse', () => {
    const img = testImage(2, 1, 1, [0, 200]);
    assert.equal(
      diffValues(img, { image: img, label: 1, path: 'x.png' }),
      'value: expected an object { image: Image 2x1x1 u8 [0,200], label: 1, path: "x.png" }, got a bare image Image 2x1x1 u8 [0,200]',
    );
    assert.equal(
      diffValues({ image: img }, img),
      'value: expected a bare image Image 2x1x1 u8 [0,200], got an object { image: Image 2x1x1 u8 [0,200] }',
    );
  });

  it('a failing marble or subscription assertion is a message-only AssertionError, as assert.fail makes (jest then prints no "Expected value: undefined")', () => {
    const img = testImage(2, 1, 1, [1, 2]);
    const failures: unknown[] = [];
    for (const run of [
      (h: Parameters<Parameters<typeof runMarbles>[0]>[0]) => h.expectObservable(h.cold('-a-|', { a: img })).toBe('-b-|', { b: testImage(2, 1, 1, [1, 3]) }),
      (h: Parameters<Parameters<typeof runMarbles>[0]>[0]) => {
        const src = h.cold('-a-|', { a: img });
        h.expectObservable(src).toBe('-a-|', { a: img });
        h.expectSubscriptions(src.subscriptions).toBe('^-!');
      },
    ]) {
      try {
        runMarbles(run);
      } catch (e) {
        failures.push(e);
      }
    }
    assert.equal(failures.length, 2);
    for (const e of failures) {
      assert.ok(e instanceof AssertionError);
      // jest (jest-circus formatNodeAssertErrors) prints an AssertionError of any other operator
      // as "Expected value <operator> to: undefined / Received: undefined" and a vacuous diff.
      assert.equal(e.operator, 'fail');
      assert.equal(e.actual, undefined);
      assert.equal(e.expected, undefined);
      assert.equal(e.generatedMessage, false);
      // jest trims "AssertionError…" out of a frame "at new AssertionError (node:internal/…)", leaving "at new".
      assert.doesNotMatch(e.stack ?? '', /at new AssertionError/);
    }
  });

  it('a failing marble assertion explains itself: frame, pixel and both timelines', () => {
    const img = testImage(2, 1, 1, [1, 2]);
    let err: unknown;
    try {
      runMarbles(({ cold, expectObservable }) => {
        // A wrong expectation on purpose: flipping [1, 2] gives [2, 1].
        expectObservable(cold('-a-|', { a: img }).pipe(flipHorizontal())).toBe('-b-|', { b: img });
      });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof AssertionError, 'the scheduler must throw an AssertionError');
    assert.match(err.message, /marble mismatch \(notification #0, frame 1\): frames\[0\]\.notification\.value\.data\[0\] \(pixel x=0, y=0, c=0\): expected 1, got 2/);
    assert.match(err.message, /expected:\n {2}@1 next Image 2x1x1 u8 \[1,2\]\n {2}@3 complete\nactual:\n {2}@1 next Image 2x1x1 u8 \[2,1\]/);
  });

  it('a failing subscription assertion shows both subscriptions as marble strings', () => {
    const message = (run: Parameters<typeof runMarbles>[0]): string => {
      try {
        runMarbles(run);
      } catch (e) {
        assert.ok(e instanceof AssertionError, 'the scheduler must throw an AssertionError');
        return e.message;
      }
      assert.fail('the subscription assertion should have failed');
    };
    const early = message(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-a-b-c-d-e-f|');
      expectObservable(src.pipe(take(5))).toBe('-a-b-c-d-(e|)');
      expectSubscriptions(src.subscriptions).toBe('^---!'); // wrong on purpose: take(5) unsubscribes at 9
    });
    assert.equal(early, [
      'subscription mismatch: subscriptions[0].unsubscribedFrame: expected 4, got 9',
      'expected:',
      '  ^---!   (frames 0–4)',
      'actual:',
      '  ^--------!   (frames 0–9)',
    ].join('\n'));

    // Late, long and same-frame subscriptions (long stretches as time progressions).
    const odd = message(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const late = cold('-a|');
      const long = cold('-a-b-');
      hot('30ms a 69ms b').subscribe(() => late.subscribe().unsubscribe());
      expectObservable(long, '^ 49ms !').toBe('-a-b-');
      expectSubscriptions(long.subscriptions).toBe('^-!');
      expectSubscriptions(late.subscriptions).toBe('^!');
    });
    assert.equal(odd, [
      'subscription mismatch: subscriptions[0].unsubscribedFrame: expected 2, got 50',
      'expected:',
      '  ^-!   (frames 0–2)',
      'actual:',
      '  ^ 49ms !   (frames 0–50)',
    ].join('\n'));
    const sameFrame = message(({ cold, hot, expectSubscriptions }) => {
      const late = cold('-a|');
      hot('30ms a 69ms b').subscribe(() => late.subscribe().unsubscribe());
      expectSubscriptions(late.subscriptions).toBe('^!');
    });
    assert.deepEqual(sameFrame.split('\n'), [
      'subscription mismatch: subscriptions[0].subscribedFrame: expected 0, got 30',
      'expected:',
      '  ^!   (frames 0–1)',
      'actual:',
      '  30ms (^!)   (frames 30–30)',
      '  100ms (^!)   (frames 100–100)',
    ]);
    const openMessage = message(({ cold, hot, expectSubscriptions }) => {
      const open = cold('-a-');
      hot('--a').subscribe(() => open.subscribe());
      expectSubscriptions(open.subscriptions).toBe([]);
    });
    assert.match(openMessage, /expected:\n {2}\(no subscription\)\nactual:\n {2}--\^ {3}\(frame 2, never unsubscribed\)$/);
    // What is shown parses back (run mode) to the frames it describes.
    for (const [marbles, frames] of [['^---!', [0, 4]], ['^--------!', [0, 9]], ['^ 49ms !', [0, 50]], ['30ms (^!)', [30, 30]], ['100ms (^!)', [100, 100]], ['--^', [2, Infinity]]] as const) {
      const parsed = new TestScheduler(() => undefined).run(() => TestScheduler.parseMarblesAsSubscriptions(marbles, true));
      assert.deepEqual([parsed.subscribedFrame, parsed.unsubscribedFrame], frames, marbles);
    }
  });

  it('reports a wrong notification kind rather than only a count', () => {
    assert.throws(
      () =>
        createImageTestScheduler().run(({ cold, expectObservable }) => {
          const src = cold('-a-|', { a: testImage(1, 1, 1, [1]) }).pipe(map(() => { throw new RangeError('nope'); }));
          expectObservable(src).toBe('-a-|', { a: testImage(1, 1, 1, [1]) });
        }),
      /frames\[0\]\.notification\.kind: expected "N" \(next\), got "E" \(error\)/,
    );
    // An operator that completes where it should pass an error on: RxJS's letters, and what they mean.
    assert.throws(
      () =>
        createImageTestScheduler().run(({ cold, expectObservable }) => {
          expectObservable(cold('-a-|', { a: testImage(1, 1, 1, [1]) })).toBe('-a-#', { a: testImage(1, 1, 1, [1]) }, new Error('upstream failed'));
        }),
      /marble mismatch \(notification #1, frame 3\): frames\[1\]\.notification\.kind: expected "E" \(error\), got "C" \(complete\)\n/,
    );
  });

  it('tolerance applies to float image frames', () => {
    const f = testFloatImage(1, 1, 1, [0.1]);
    const near = testFloatImage(1, 1, 1, [0.1 + 1e-5]);
    createImageTestScheduler({ tolerance: 1e-4 }).run(({ cold, expectObservable }) => {
      expectObservable(cold('-a|', { a: f })).toBe('-a|', { a: near });
    });
    assert.throws(() => runMarbles(({ cold, expectObservable }) => expectObservable(cold('-a|', { a: f })).toBe('-a|', { a: near })));
  });

  it("runMarbles: toBe's values are checked against the observable's value type at compile time (rxjs types them any)", () => {
    // Each @ts-expect-error fails `tsc` (npm test) when its line compiles, as all did with rxjs's RunHelpers.
    const img = testImage(2, 1, 1, [1, 2]);
    const carrier = { image: img, label: 1, path: 'cls/1.png' };
    assert.throws(() => runMarbles(({ cold, expectObservable }) => {
      // @ts-expect-error: normalize emits float images, not 8-bit ones
      expectObservable(cold('-a|', { a: img }).pipe(normalize([1]))).toBe('-x|', { x: img });
    }), /frames\[0\]\.notification\.value\.data: expected Uint8Array\(2\) \[1,2\], got Float32Array\(2\)/);
    assert.throws(() => runMarbles(({ cold, expectObservable }) => {
      // @ts-expect-error: inside a carrier too
      expectObservable(cold('-a|', { a: carrier }).pipe(normalize([1]))).toBe('-x|', { x: { ...carrier, image: img } });
    }), /frames\[0\]\.notification\.value\.image\.data: expected Uint8Array/);
    assert.throws(() => runMarbles(({ cold, expectObservable }) => {
      // @ts-expect-error: a flipped image is an image
      expectObservable(cold('-a|', { a: img }).pipe(flipHorizontal())).toBe('-x|', { x: 3 });
    }), /expected 3, got Image 2x1x1/);
    // What compiles: right values, carriers with their fields, values typed unknown, and an error value of any type.
    const unknownTyped: unknown = flipHorizontalImage(img);
    runMarbles(({ cold, expectObservable }) => {
      expectObservable(cold('-a|', { a: carrier }).pipe(normalize([1]))).toBe('-x|', { x: { ...carrier, image: normalizeImage(img, [1]) } });
      expectObservable(cold('-a|', { a: img }).pipe(flipHorizontal())).toBe('-x|', { x: unknownTyped });
      expectObservable(cold('-a#', { a: img }, new RangeError('r')).pipe(flipHorizontal())).toBe('-x#', { x: flipHorizontalImage(img) }, /RangeError: r/);
    });
  });

  it('image factories: explicit, functional, gradient and seeded random, with validation', () => {
    assert.deepEqual(Array.from(testImage(2, 1, 1, [3, 4]).data), [3, 4]);
    assert.deepEqual(Array.from(testImage(2, 1, 3).data), [0, 7, 14, 1, 8, 15]);
    assert.deepEqual(Array.from(testImage(2, 1, 1, (x) => x * 10).data), [0, 10]);
    assert.deepEqual(randomTestImage(3, 3, 3, createRng(1)), randomTestImage(3, 3, 3, createRng(1)));
    assert.throws(() => testImage(2, 1, 1, [1]), /1 values given for 2x1x1 = 2/);
    assert.throws(() => testImage(1, 1, 1, [256]), /pixel \(0, 0, 0\) = 256 is not an integer in 0..255/);
    assert.throws(() => testImage(1, 1, 2), /bad shape 1x1x2/);
    assert.throws(() => randomTestImage(1, 1, 1, undefined as unknown as Rng), /^TypeError: randomTestImage: rng must be a seeded generator/);
    assert.equal(formatTestValue(testImage(2, 2, 1, [1, 2, 3, 4])), 'Image 2x2x1 u8 [1,2,3,4]');
  });
});
