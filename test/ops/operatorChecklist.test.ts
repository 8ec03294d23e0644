import assert from 'node:assert/strict';
import { AssertionError } from 'node:assert';
import * as path from 'node:path';
import * as vm from 'node:vm';
import ts from 'typescript';
import { catchError, defaultIfEmpty, EMPTY, map, Observable, throwError } from 'rxjs';
import type { Image } from '../../src/ops/Image';
import { mapSameImage } from '../../src/ops/mapImage';
import { testFloatImage, testImage } from '../../src/ops/marbleTest';
import { normalize, normalizeImage } from '../../src/ops/normalize';
import { skip } from '../../src/streams/Skip';
import { operatorChecklist, type OperatorChecklistOptions } from '../../src/ops/operatorChecklist';
import { createRng, type Rng } from '../../src/ops/Rng';
import { sample } from './sample';

// The user's side of the README example: a grey-only inverting kernel and its operator.
const invertImage = (img: Image): Image => {
  if (img.channels !== 1) throw new RangeError('invertImage: grey images only');
  return { ...img, data: img.data.map((v) => 255 - v) };
};
const a = testImage(2, 2, 1);
const b = testImage(3, 1, 1);
const base: OperatorChecklistOptions = {
  make: () => mapSameImage(invertImage),
  a: sample(a),
  b,
  expected: () => ({ a: sample(invertImage(a)), b: invertImage(b) }),
  bad: testImage(1, 1, 3),
  badError: /RangeError: invertImage: grey images only/,
};

type Op = (source: Observable<never>) => Observable<unknown>;
type Value = { image?: Image; kind?: string } & Partial<Image>;
/** Applies `f` to a bare image or to a carrier's image (a hand-rolled operator body, bugs to order). */
const onImage = (v: Value, f: (img: Image) => Image): unknown => (v.kind === 'skip' ? v : v.image ? { ...v, image: f(v.image) } : f(v as Image));

/** Runs the case named like `name` of a checklist and returns its failure, or fails if it passed. */
function failureOf(opts: OperatorChecklistOptions, name: RegExp): Error {
  const c = operatorChecklist(opts).find((x) => name.test(x.name));
  assert.ok(c, `no case named like ${name}`);
  try {
    c.run();
  } catch (e) {
    assert.ok(e instanceof Error);
    return e;
  }
  assert.fail(`case "${c.name}" passed`);
}

describe('operatorChecklist', () => {
  describe('a correct operator', () => {
    for (const c of operatorChecklist(base)) it(c.name, c.run);
  });

  it('returns the five cases and the Skip case, named, with callbacks test runners call synchronously', () => {
    const cases = operatorChecklist(base);
    assert.deepEqual(cases.map((c) => c.name), [
      'maps every value in order, keeping carrier fields, and does not modify its input',
      'a throwing kernel errors the stream and unsubscribes upstream',
      'passes an upstream error through unchanged',
      'completes on an empty source',
      'an early unsubscribe unsubscribes upstream',
      'passes Skip values through untouched',
    ]);
    // mocha, jest and node:test take a callback with parameters for a done callback.
    for (const c of cases) assert.equal(c.run.length, 0, c.name);
    assert.equal(operatorChecklist({ ...base, skips: false }).length, 5);
  });

  it('a carrier field lost: the first case fails, naming the field', () => {
    const dropsFields: Op = (src) => src.pipe(map((v: Value) => (v.image ? { image: invertImage(v.image) } : onImage(v, invertImage))));
    const e = failureOf({ ...base, make: () => dropsFields }, /^maps every value/);
    assert.match(e.message, /^operatorChecklist "maps every value in order, keeping carrier fields, and does not modify its input": marble mismatch \(notification #0, frame 1\): frames\[0\]\.notification\.value\.label: missing \(expected 3\)/);
    assert.match(e.message, /\nexpected:\n {2}@1 next \{ image: Image 2x2x1 u8 \[255,254,252,251\], label: 3, path: "cls\/img\.jpg" \}/);
    assert.equal(e.name, 'AssertionError');
  });

  it('a wrong pixel: the failure names the pixel', () => {
    const e = failureOf({ ...base, expected: () => ({ a: sample(a), b }) }, /^maps every value/);
    assert.match(e.message, /frames\[0\]\.notification\.value\.image\.data\[0\] \(pixel x=0, y=0, c=0\): expected 0, got 255/);
  });

  it('a kernel that writes into its input: the first case fails, naming the changed pixel', () => {
    const inPlace = (img: Image): Image => {
      for (let i = 0; i < img.data.length; i++) img.data[i] = 255 - img.data[i];
      return img;
    };
    const e = failureOf({ ...base, a: sample(testImage(2, 2, 1)), make: () => mapSameImage(inPlace) }, /^maps every value/);
    assert.match(e.message, /the operator modified its input \(return new images instead\): a\.image\.data\[0\] \(pixel x=0, y=0, c=0\): expected 0, got 255$/);
  });

  it('a generator shared between make() calls: the first case says each call needs a new one', () => {
    const noise = (rng: Rng) => (img: Image): Image => ({ ...img, data: img.data.map((v) => (v + rng.int(256)) % 256) });
    const shared = createRng(5);
    const e = failureOf({
      ...base,
      make: () => mapSameImage(noise(shared)),
      expected: () => {
        const rng = createRng(5);
        return { a: sample(noise(rng)(a)), b: noise(rng)(b) };
      },
    }, /^maps every value/);
    assert.match(e.message, /the first run passed, a second with a new make\(\) and expected\(\) did not: each call must build a new operator, with a new generator of the same seed/);
    assert.match(e.message, /marble mismatch/);
  });

  describe('a generator shared between make() calls, or expected() calls: every case it fails says so', () => {
    // Grey only, as invertImage, so that `bad` still reaches a throwing kernel.
    const noise = (rng: Rng) => (img: Image): Image => {
      if (img.channels !== 1) throw new RangeError('invertImage: grey images only');
      return { ...img, data: img.data.map((v) => (v + rng.int(256)) % 256) };
    };
    const fresh = (): { a: unknown; b: Image } => {
      const rng = createRng(5);
      return { a: sample(noise(rng)(a)), b: noise(rng)(b) };
    };
    /** Runs every case in order, as a test runner does, and returns each failure's message by case name. */
    const failures = (opts: OperatorChecklistOptions): Map<string, string> => {
      const got = new Map<string, string>();
      for (const c of operatorChecklist(opts)) {
        try {
          c.run();
        } catch (e) {
          assert.ok(e instanceof Error);
          got.set(c.name, e.message);
        }
      }
      return got;
    };
    const comparing = [/^maps every value/, /^a throwing kernel/, /^passes an upstream error/, /^an early unsubscribe/];

    for (const [variant, extra] of [['a bad input', {}], ['the stand-in', { bad: undefined, badError: undefined }]] as const) {
      it(`make(): the cases comparing values name it before the difference, with ${variant}`, () => {
        const shared = createRng(5);
        const got = failures({ ...base, ...extra, make: () => mapSameImage(noise(shared)), expected: fresh });
        // The first case gives its own words (its second run); the others say what a probe found.
        assert.deepEqual([...got.keys()].map((n) => comparing.findIndex((r) => r.test(n))), [0, 1, 2, 3]);
        for (const [name, text] of [...got].slice(1)) {
          assert.ok(text.startsWith(`operatorChecklist "${name}": new operators from make() emitted different values for the same a and b, so what this case compares depends on the cases run before it: each call must build a new operator, with a new generator of the same seed for a random one (e.g. make: () => randomFlip(createRng(21))). marble mismatch (notification #0, frame 1)`), text);
        }
      });
    }

    it('expected(): the cases comparing values name it, when make() is right', () => {
      const shared = createRng(5);
      const got = failures({
        ...base,
        make: () => mapSameImage(noise(createRng(5))),
        expected: () => ({ a: sample(noise(shared)(a)), b: noise(shared)(b) }),
      });
      assert.deepEqual([...got.keys()].map((n) => comparing.findIndex((r) => r.test(n))), [0, 1, 2, 3]);
      for (const [name, text] of [...got].slice(1)) {
        assert.ok(text.startsWith(`operatorChecklist "${name}": expected() gave different values from one call to the next, so what this case compares depends on the cases run before it: each call must compute them from a new generator of the same seed (const rng = createRng(21) inside expected). marble mismatch`), text);
      }
    });

    it('the first case names it too when other cases ran before it', () => {
      const shared = createRng(5);
      const cases = operatorChecklist({ ...base, make: () => mapSameImage(noise(shared)), expected: fresh });
      // Run first (mocha -g, jest's random order), the early-unsubscribe case passes: it drew first.
      cases.find((c) => /^an early unsubscribe/.test(c.name))?.run();
      const first = cases[0];
      assert.throws(() => first.run(), /^AssertionError.*: operatorChecklist "maps every value in order, keeping carrier fields, and does not modify its input": new operators from make\(\) emitted different values for the same a and b, so .*: each call must build a new operator, with a new generator of the same seed for a random one .* marble mismatch/);
    });
  });

  it('a kernel error swallowed: the throwing-kernel case fails', () => {
    const swallows: Op = (src) => src.pipe(map((v: Value) => onImage(v, invertImage)), catchError(() => EMPTY));
    const e = failureOf({ ...base, make: () => swallows }, /throwing kernel/);
    assert.match(e.message, /^operatorChecklist "a throwing kernel errors the stream and unsubscribes upstream": marble mismatch \(notification #1, frame 4\): frames\[1\]\.notification\.kind: expected "E" \(error\), got "C" \(complete\)/);
  });

  it('the wrong error from the kernel: the throwing-kernel case shows both', () => {
    const e = failureOf({ ...base, badError: /TypeError/ }, /throwing kernel/);
    assert.match(e.message, /expected an error matching \/TypeError\/, got RangeError: invertImage: grey images only/);
  });

  it('an upstream error replaced by a copy or another error: the upstream-error case fails', () => {
    const copies: Op = (src) => src.pipe(map((v: Value) => onImage(v, invertImage)), catchError((err: Error) => throwError(() => new Error(err.message))));
    assert.match(failureOf({ ...base, make: () => copies }, /upstream error/).message,
      /^operatorChecklist "passes an upstream error through unchanged": the subscriber got Error: upstream failed instead of the upstream Error object itself$/);
    const replaces: Op = (src) => src.pipe(map((v: Value) => onImage(v, invertImage)), catchError(() => throwError(() => new TypeError('bad value'))));
    assert.match(failureOf({ ...base, make: () => replaces }, /upstream error/).message,
      /frames\[1\]\.notification\.error: expected Error: upstream failed, got TypeError: bad value/);
  });

  it('a value emitted for an empty source: the empty-source case fails', () => {
    const fills: Op = (src) => src.pipe(map((v: Value) => onImage(v, invertImage)), defaultIfEmpty(null));
    assert.match(failureOf({ ...base, make: () => fills }, /empty source/).message,
      /^operatorChecklist "completes on an empty source": marble mismatch \(notification #0, frame 0\): frames\[0\]\.notification\.kind: expected "C" \(complete\), got "N" \(next\)/);
  });

  it('an upstream subscription kept after unsubscribe: the early-unsubscribe case fails', () => {
    // Subscribes upstream without returning the subscription, so unsubscribing downstream leaks it.
    const leaks: Op = (src) => new Observable((sub) => {
      src.subscribe({ next: (v: Value) => sub.next(onImage(v, invertImage)), error: (e) => sub.error(e), complete: () => sub.complete() });
    });
    assert.match(failureOf({ ...base, make: () => leaks }, /early unsubscribe/).message,
      /^operatorChecklist "an early unsubscribe unsubscribes upstream": subscription mismatch: subscriptions\[0\]\.unsubscribedFrame: expected 4, got 9\nexpected:\n {2}\^---! .*\nactual:\n {2}\^--------! /);
  });

  it('a Skip rejected: the Skip case fails, and skips: false leaves it out', () => {
    const imagesOnly: Op = (src) => src.pipe(map((v: Value) => ({ ...v, image: invertImage(v.image as Image) })));
    assert.match(failureOf({ ...base, make: () => imagesOnly }, /Skip/).message,
      /^operatorChecklist "passes Skip values through untouched": marble mismatch \(notification #0, frame 1\): frames\[0\]\.notification\.kind: expected "N" \(next\), got "E" \(error\)/);
    assert.ok(!operatorChecklist({ ...base, skips: false }).some((c) => /Skip/.test(c.name)));
  });

  it('make() throwing: the failure names the case and keeps the error', () => {
    const e = failureOf({ ...base, make: () => { throw new TypeError('cutout: rng must be a seeded generator'); } }, /empty source/);
    assert.ok(e instanceof TypeError);
    assert.equal(e.message, 'operatorChecklist "completes on an empty source": cutout: rng must be a seeded generator');
    assert.match(e.stack ?? '', /^TypeError: operatorChecklist "completes on an empty source": cutout/);
  });

  // jest runs a test file in a vm context of its own: Errors made by Node's modules (node:assert
  // in a kernel, the AssertionErrors of the marble helpers) are then not its `instanceof Error`.
  describe('an operator whose kernel rejects nothing: no bad input, a stand-in that throws on every read', () => {
    // Mirrors every image, whatever its shape: there is no input it refuses.
    const mirror = (img: Image): Image => ({ ...img, data: img.data.slice().reverse() });
    const { bad: _bad, badError: _badError, ...values } = base;
    const accepting: OperatorChecklistOptions = { ...values, make: () => mapSameImage(mirror), expected: () => ({ a: sample(mirror(a)), b: mirror(b) }) };

    for (const c of operatorChecklist(accepting)) it(c.name, c.run);

    it('keeps the throwing-kernel case, named for its stand-in', () => {
      assert.deepEqual(operatorChecklist(accepting).map((c) => c.name)[1], 'a throwing kernel errors the stream and unsubscribes upstream (stand-in: an input that throws on every read)');
      assert.equal(operatorChecklist(accepting).length, operatorChecklist(base).length);
    });

    it('an error swallowed: the stand-in case fails', () => {
      const swallows: Op = (src) => src.pipe(map((v: Value) => onImage(v, mirror)), catchError(() => EMPTY));
      assert.match(failureOf({ ...accepting, make: () => swallows }, /throwing kernel/).message,
        /^operatorChecklist "a throwing kernel errors the stream and unsubscribes upstream \(stand-in: an input that throws on every read\)": marble mismatch \(notification #1, frame 4\): frames\[1\]\.notification\.kind: expected "E" \(error\), got "C" \(complete\)/);
    });

    it('an error replaced by another: the stand-in case fails, quoting both', () => {
      const replaces: Op = (src) => src.pipe(map((v: Value) => onImage(v, mirror)), catchError(() => throwError(() => new TypeError('not an image'))));
      assert.match(failureOf({ ...accepting, make: () => replaces }, /throwing kernel/).message,
        /frames\[1\]\.notification\.error: expected Error: operatorChecklist: this stand-in input throws on every read .*, got TypeError: not an image/);
    });

    it('the input passed on when it cannot be mapped: the stand-in case says so in words', () => {
      const passesOn: Op = (src) => src.pipe(map((v: Value) => {
        try {
          return onImage(v, mirror);
        } catch {
          return v;
        }
      }));
      assert.match(failureOf({ ...accepting, make: () => passesOn }, /throwing kernel/).message,
        /: the operator emitted the input itself for an input that throws on every read \(the stand-in for a bad input\): it must read each value, and let a kernel's error error the stream$/);
    });

    it('bad without badError (or the reverse) is refused, not run as the stand-in case', () => {
      const js = (o: object): OperatorChecklistOptions => o as OperatorChecklistOptions; // what a JavaScript caller can pass
      assert.throws(() => operatorChecklist(js({ ...values, bad: testImage(1, 1, 3) })), /^TypeError: operatorChecklist: bad and badError go together \(got bad without badError\); leave both out for an operator whose kernel rejects no input$/);
      assert.throws(() => operatorChecklist(js({ ...values, badError: /RangeError/ })), /got badError without bad/);
    });
  });

  describe('compile-time checks: the types come from make', () => {
    // Each @ts-expect-error fails `tsc` (npm test) when its line compiles: with the checklist typed
    // `unknown` every one of them did, and the mistake showed only when the cases ran.
    it('an input the operator does not take is a type error, and a run error', () => {
      const cases = [
        // @ts-expect-error: mapSameImage(invertImage) takes 8-bit images (bare, carried or Skip), not numbers
        operatorChecklist({ make: () => mapSameImage(invertImage), a: 3, b, expected: () => ({ a: b, b }) }),
        // @ts-expect-error: nor float images
        operatorChecklist({ make: () => mapSameImage(invertImage), a: sample(testFloatImage(2, 2, 1)), b, expected: () => ({ a: b, b }) }),
      ];
      assert.throws(() => cases[0][0].run(), /TypeError: image operator: expected an Image, an object with an `image` field, or a Skip; got number/);
      // What compiles: a carrier with fields of its own, a bare image, a Skip, and a bad input of a
      // type the operator does not take (a runtime guard's test).
      const skipped = skip('cls/broken.jpg', 'truncated', 'premature end of JPEG file');
      operatorChecklist({ make: () => mapSameImage(invertImage), a: skipped, b, expected: () => ({ a: skipped, b: invertImage(b) }), bad: 'not an image', badError: /TypeError/ });
    });

    it('an expected output the operator does not emit is a type error, and a run error', () => {
      const mean = [100];
      const cases = operatorChecklist({
        make: () => normalize(mean),
        a: sample(a),
        b,
        // @ts-expect-error: normalize emits float images; invertImage(b) is an 8-bit one
        expected: () => ({ a: sample(normalizeImage(a, mean)), b: invertImage(b) }),
      });
      assert.throws(() => cases[0].run(), /expected Uint8Array\(3\) \[255,254,253\], got Float32Array\(3\)/);
      const length = map((s: string) => s.length);
      // @ts-expect-error: a string operator given a number
      operatorChecklist({ make: () => length, a: 'ab', b: 3, expected: () => ({ a: 2, b: 1 }), skips: false });
      // @ts-expect-error: a number operator expected to emit a string
      operatorChecklist({ make: () => length, a: 'ab', b: 'c', expected: () => ({ a: 2, b: '1' }), skips: false });
    });

    it('a carrier dropped from the expectation of a generic image operator is a type error, and a run error', () => {
      const carrier = sample(a);
      // The output type of a generic operator depends on its input: mapSameImage's is the carrier for a carrier.
      const cases = operatorChecklist({
        make: () => mapSameImage(invertImage),
        a: carrier,
        b,
        // @ts-expect-error: Type 'Image' is missing the following properties from type '{ image: Image; label: number; path: string; }': image, label, path
        expected: () => ({ a: invertImage(a), b: invertImage(b) }),
      });
      assert.throws(() => cases[0].run(), /frames\[0\]\.notification\.value: expected a bare image Image 2x2x1 u8 \[255,254,252,251\], got an object \{ image: Image 2x2x1/);
      const mean = [100];
      // normalize's is the carrier with a float image.
      // @ts-expect-error: Type 'FloatImage' is not assignable to type '{ image: FloatImage; label: number; path: string; }'
      operatorChecklist({ make: () => normalize(mean), a: carrier, b, expected: () => ({ a: normalizeImage(a, mean), b: normalizeImage(b, mean) }) });
      // @ts-expect-error: and a bare image's is a bare image, not a carrier
      operatorChecklist({ make: () => mapSameImage(invertImage), a: b, b, expected: () => ({ a: sample(invertImage(b)), b: invertImage(b) }) });
      // What compiles: the carrier kept, its image retyped by normalize; and a non-generic
      // operator's expectation narrower than its output type (an image for a bare image).
      operatorChecklist({ make: () => normalize(mean), a: carrier, b, expected: () => ({ a: { ...carrier, image: normalizeImage(a, mean) }, b: normalizeImage(b, mean) }) });
      const either = map((v: Image | ReturnType<typeof sample>) => v);
      operatorChecklist({ make: () => either, a: carrier, b, expected: () => ({ a: carrier, b }), skips: false });
    });

    it('an operator that takes no Skip values needs skips: false, or its Skip case feeds it one', () => {
      const length = map((s: string) => s.length);
      const values = { make: () => length, a: 'ab', b: 'c', expected: () => ({ a: 2, b: 1 }) };
      // @ts-expect-error: Property 'skips' is missing … but required in type 'OperatorChecklistNoSkips'
      const cases = operatorChecklist(values);
      assert.throws(() => cases.find((c) => /Skip/.test(c.name))!.run(), /passes Skip values through untouched": marble mismatch/);
      // @ts-expect-error: Type 'true' is not assignable to type 'false'
      operatorChecklist({ ...values, skips: true });
      // What compiles: skips: false for it; and for an operator that takes Skips (an image
      // operator's ImageValue includes Skip) or says nothing of its input, skips or not.
      operatorChecklist({ ...values, skips: false });
      operatorChecklist({ make: () => mapSameImage(invertImage), a: b, b, expected: () => ({ a: invertImage(b), b: invertImage(b) }) });
      operatorChecklist({ make: () => mapSameImage(invertImage), a: b, b, expected: () => ({ a: invertImage(b), b: invertImage(b) }), skips: false });
      operatorChecklist({ ...base, make: () => map((s: string) => s.length) as Op });
    });

    it('the error is one line at the wrong value, naming the type the operator takes', function () {
      this.timeout(60_000);
      const src = path.resolve(__dirname, '..', '..', 'src', 'ops');
      const file = path.join(src, '__typedChecklistProbe.ts');
      const code = [
        "import { mapSameImage, operatorChecklist, testImage, type Image } from './index';",
        'const invert = (img: Image): Image => img;',
        'const b = testImage(1, 1, 1);',
        'operatorChecklist({ make: () => mapSameImage(invert), a: 3, b, expected: () => ({ a: b, b }) });',
        '',
      ].join('\n');
      // The probe lives only in memory: a host that reads it from `code` and every other file from disk.
      const options: ts.CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, types: ['node'], skipLibCheck: true };
      const host = ts.createCompilerHost(options);
      const read = host.getSourceFile.bind(host);
      host.getSourceFile = (name, lang, ...rest) => (path.resolve(name) === file ? ts.createSourceFile(name, code, lang) : read(name, lang, ...rest));
      const exists = host.fileExists.bind(host);
      host.fileExists = (name) => path.resolve(name) === file || exists(name);
      const program = ts.createProgram([file], options, host);
      const diags = ts.getPreEmitDiagnostics(program).filter((d) => d.file && path.resolve(d.file.fileName) === file);
      assert.deepEqual(diags.map((d) => {
        const { line, character } = d.file!.getLineAndCharacterOfPosition(d.start!);
        return { at: `${line + 1}:${character + 1}`, text: d.file!.text.slice(d.start!, d.start! + d.length!), message: ts.flattenDiagnosticMessageText(d.messageText, '\n').replace(/<ArrayBufferLike>/g, '') };
      }), [{ at: '4:55', text: 'a', message: "Type 'number' is not assignable to type 'ImageValue<Image<Uint8Array>>'." }]);
    });
  });

  it('errors from another realm: a kernel validating with node:assert under jest is matched by badError, right or wrong', () => {
    // Like Node's own errors, with an enumerable `code` field.
    const foreignAssert = (img: Image): Image => {
      if (img.channels !== 1) throw vm.runInNewContext('Object.assign(new RangeError("invertImage: grey images only"), { code: "ERR_ASSERTION" })') as Error;
      return invertImage(img);
    };
    for (const c of operatorChecklist({ ...base, make: () => mapSameImage(foreignAssert) })) c.run();
    assert.match(failureOf({ ...base, make: () => mapSameImage(foreignAssert), badError: /TypeError/ }, /throwing kernel/).message,
      /frames\[1\]\.notification\.error: expected an error matching \/TypeError\/, got RangeError: invertImage: grey images only\n/);
  });

  it('errors from another realm: a case that throws one keeps it, stack and all, with the case named', () => {
    const foreign = vm.runInNewContext('new RangeError("expected() broke")') as Error;
    const c = operatorChecklist({ ...base, expected: () => { throw foreign; } })[0]!;
    let got: unknown;
    try {
      c.run();
    } catch (e) {
      got = e;
    }
    assert.equal(got, foreign, 'the very error, not an AssertionError quoting it');
    assert.equal(foreign.message, 'operatorChecklist "maps every value in order, keeping carrier fields, and does not modify its input": expected() broke');
    assert.match(foreign.stack ?? '', /^RangeError: operatorChecklist "maps every value/);
  });

  it('its own failures are message-only AssertionErrors, as assert.fail makes (jest then prints no "Expected value: undefined")', () => {
    const inPlace = (img: Image): Image => {
      for (let i = 0; i < img.data.length; i++) img.data[i] = 255 - img.data[i];
      return img;
    };
    const copies: Op = (src) => src.pipe(map((v: Value) => onImage(v, invertImage)), catchError((err: Error) => throwError(() => new Error(err.message))));
    for (const e of [
      failureOf({ ...base, a: sample(testImage(2, 2, 1)), make: () => mapSameImage(inPlace) }, /^maps every value/),
      failureOf({ ...base, make: () => copies }, /upstream error/),
    ]) {
      assert.ok(e instanceof AssertionError);
      assert.equal(e.operator, 'fail');
      assert.equal(e.actual, undefined);
      assert.equal(e.expected, undefined);
      assert.doesNotMatch(e.stack ?? '', /at new AssertionError/);
    }
  });

  it('tolerance: float outputs within it pass, beyond it fail', () => {
    const f = testImage(1, 1, 1, [10]);
    const toFloat = (img: Image) => ({ ...img, data: Float32Array.from(img.data, (v) => v / 3) });
    const opts = (tolerance: number): OperatorChecklistOptions => ({
      ...base,
      tolerance,
      a: f,
      b: f,
      make: () => map((v: Value) => onImage(v, toFloat as unknown as (img: Image) => Image)),
      expected: () => ({ a: { ...f, data: Float32Array.of(3.3334) }, b: { ...f, data: Float32Array.of(3.3334) } }),
    });
    assert.doesNotThrow(() => operatorChecklist(opts(1e-3))[0].run());
    assert.throws(() => operatorChecklist(opts(1e-6))[0].run(), /data\[0\] \(pixel x=0, y=0, c=0\): expected 3\.3334/);
  });
});
