import { AssertionError } from 'node:assert';
import { from, throwError, type Observable } from 'rxjs';
import type { Skip } from '../streams/Skip';
import type { CheckedOutput } from './CheckedOutput';
import type { CheckedValue } from './CheckedValue';
import { isErrorValue } from './isErrorValue';
import { diffValues, runMarbles } from './marbleTest';

/**
 * What {@link operatorChecklist} needs to know about an operator: how to build it, two valid
 * inputs with the outputs they must become, and, when its kernel rejects some input, one such
 * input and the error it raises ({@link OperatorChecklistBadInput}). `I` is what the operator
 * takes and `O` what it emits; without them (`unknown`) nothing is checked at compile time, and
 * `make` may return any operator. An `I` without `Skip` needs `skips: false` ({@link OperatorChecklistSkips}).
 *
 * @example
 * ```ts
 * const img = testImage(2, 1, 1, [0, 200]);
 * const opts: OperatorChecklistOptions<ImageValue<Image>, ImageValue<Image>> = {
 *   make: () => flipHorizontal(),
 *   a: { image: img, label: 1, path: 'cls/1.png' },
 *   b: img,
 *   expected: () => ({ a: { image: flipHorizontalImage(img), label: 1, path: 'cls/1.png' }, b: flipHorizontalImage(img) }),
 *   bad: { data: new Uint8Array(1), width: 2, height: 1, channels: 1 },
 *   badError: /RangeError/,
 * };
 * ```
 */
export type OperatorChecklistOptions<I = unknown, O = unknown> = OperatorChecklistValues<I, O> & OperatorChecklistSkips<I> & OperatorChecklistBadInput;

/**
 * The part of {@link OperatorChecklistOptions} every operator gives: how to build it and what
 * two valid inputs become.
 *
 * @example
 * ```ts
 * const img = testImage(2, 1, 1, [0, 200]);
 * const values: OperatorChecklistValues<Image, Image> = {
 *   make: () => mapSameImage(invertImage),
 *   a: img,
 *   b: img,
 *   expected: () => ({ a: invertImage(img), b: invertImage(img) }),
 * };
 * ```
 */
export interface OperatorChecklistValues<I = unknown, O = unknown> {
  /**
   * Builds a new operator. Called once per marble run, so a random operator must get a new
   * generator of a fixed seed each time (`() => cutout(8, createRng(7))`), never a shared one.
   * With `I` left `unknown` it may return any operator (`Observable<never>` is an input every
   * operator takes).
   */
  readonly make: () => (source: Observable<unknown extends I ? never : I>) => Observable<O>;
  /** A valid input; make it a carrier (`{ image, label, path }`) to check that its other fields are kept. */
  readonly a: I;
  /** A second valid input, emitted after `a`; make it a bare image. */
  readonly b: I;
  /**
   * What `a` then `b` become, computed the way a fresh `make()` would: for a random operator,
   * from a new generator of the same seed, drawing for `a` first.
   */
  readonly expected: () => { readonly a: O; readonly b: O };
  /**
   * `false` for an operator that does not take `Skip` values (required then, when its input type
   * says so: {@link OperatorChecklistSkips}); default `true` (the built-in operators pass them through).
   */
  readonly skips?: boolean | undefined;
  /** Largest allowed absolute difference between numbers, as in `runMarbles`; default 0 (exact). */
  readonly tolerance?: number | undefined;
}

/**
 * The input for the throwing-kernel case of {@link operatorChecklist}: `bad`, an input the
 * kernel rejects, with `badError`, the error it must raise; or neither, for an operator whose
 * kernel accepts every image (a flip, a colour change). The case then still runs, on a stand-in
 * input that throws on every read (an `Error` whose message starts `operatorChecklist: this
 * stand-in input throws`): an operator that swallows that error, replaces it, or emits a value
 * for that input without reading it fails the case, as it would fail with `bad`. `bad` is not
 * held to the operator's input type: a bad input is often one only a JavaScript caller or an
 * untyped stream could give (a float image to an 8-bit operator), to test the runtime guard.
 *
 * @example
 * ```ts
 * const rejects: OperatorChecklistBadInput = { bad: testImage(1, 1, 4), badError: /RangeError: invertImage/ };
 * const acceptsAll: OperatorChecklistBadInput = {};
 * ```
 */
export type OperatorChecklistBadInput =
  | {
      /** An input the kernel rejects (wrong channel count, too small, …). */
      readonly bad: unknown;
      /** The error `bad` must raise: a `RegExp` matched against `"Name: message"`, or an equal `Error`. */
      readonly badError: RegExp | Error;
    }
  | { readonly bad?: undefined; readonly badError?: undefined };

/**
 * The `skips` option {@link operatorChecklist} takes for an operator that takes `I`: optional
 * (default `true`: the case feeds the operator a `Skip`) when `I` includes {@link Skip}, as an
 * image operator's `ImageValue` does, or says nothing (`unknown`); required and `false` when `I`
 * does not include it, since a `Skip` is then a value the operator does not take.
 *
 * @example
 * ```ts
 * const images: OperatorChecklistSkips<ImageValue<Image>> = {}; // skips?: boolean
 * const strings: OperatorChecklistSkips<string> = { skips: false }; // skips: false, required
 * ```
 */
export type OperatorChecklistSkips<I> = unknown extends I
  ? { readonly skips?: boolean | undefined }
  : [Skip] extends [I]
    ? { readonly skips?: boolean | undefined }
    : OperatorChecklistNoSkips;

/**
 * What {@link OperatorChecklistSkips} asks of an operator whose input type leaves out `Skip`:
 * `skips: false`, said outright, so that the checklist does not feed it a `Skip`.
 *
 * @example
 * ```ts
 * const opts: OperatorChecklistNoSkips = { skips: false };
 * ```
 */
export interface OperatorChecklistNoSkips {
  /** `false`: the operator does not take `Skip` values, so the checklist does not feed it one. */
  readonly skips: false;
}

/**
 * Any operator {@link operatorChecklist} can take: a function from an Observable to an
 * Observable, whatever it takes and emits.
 *
 * @example
 * ```ts
 * const op: AnyOperator = flipHorizontal();
 * ```
 */
export type AnyOperator = (source: Observable<never>) => Observable<unknown>;

/**
 * What operator type `Op` takes: `Image` for an `OperatorFunction<Image, …>`, the constraint
 * (`ImageValue<Image>`) for a generic image operator such as `mapSameImage(kernel)`'s. An
 * operator typed as taking `Observable<never>` (the way to say "any operator" before the
 * checklist was typed) counts as taking `unknown`, so its inputs stay unchecked as they were.
 *
 * @example
 * ```ts
 * type In = OperatorInput<OperatorFunction<Image, FloatImage>>; // Image
 * ```
 */
export type OperatorInput<Op> = Op extends (source: Observable<infer I>) => Observable<unknown> ? ([I] extends [never] ? unknown : I) : never;

/**
 * What operator type `Op` emits: `FloatImage` for an `OperatorFunction<Image, FloatImage>`,
 * `ImageValue<FloatImage>` for `normalize(…)`'s generic `ImageOperator<Image, FloatImage>`;
 * `unknown` for one typed as emitting `Observable<never>`, as for {@link OperatorInput}.
 *
 * @example
 * ```ts
 * type Out = OperatorOutput<OperatorFunction<Image, FloatImage>>; // FloatImage
 * ```
 */
export type OperatorOutput<Op> = Op extends (source: Observable<never>) => Observable<infer O> ? ([O] extends [never] ? unknown : O) : never;

/**
 * What {@link operatorChecklist} takes, typed from the operator `make` returns (`Op`) and the
 * values given (`A`, `B`) and expected (`OutA`, `OutB`), each inferred from the value itself and
 * then held to what the operator takes or emits: a carrier's extra fields (`label`, `path`) are
 * then no "excess properties" of the operator's input type, and a wrong value is reported at that
 * value, in one line ("Type 'number' is not assignable to type 'ImageValue<Image>'").
 *
 * @example
 * ```ts
 * const img = testImage(2, 1, 1, [0, 200]);
 * const args: OperatorChecklistArgs<MonoImageOperator<Image>, Image, Image, Image, Image> = {
 *   make: () => mapSameImage(invertImage),
 *   a: img,
 *   b: img,
 *   expected: () => ({ a: invertImage(img), b: invertImage(img) }),
 * };
 * ```
 */
export type OperatorChecklistArgs<Op extends AnyOperator, A, B, OutA, OutB> = Pick<OperatorChecklistValues, 'tolerance'> &
  OperatorChecklistSkips<OperatorInput<Op>> & {
    readonly make: () => Op;
    readonly a: CheckedValue<A, OperatorInput<Op>>;
    readonly b: CheckedValue<B, OperatorInput<Op>>;
    // NoInfer: `a` and `b` alone say what A and B are, not the expectations checked against them.
    readonly expected: () => { readonly a: CheckedOutput<OutA, Op, NoInfer<A>>; readonly b: CheckedOutput<OutB, Op, NoInfer<B>> };
  } & OperatorChecklistBadInput;

// What the stand-in for a bad input throws: the name says where it came from when a case quotes it.
const POISON_MESSAGE = 'operatorChecklist: this stand-in input throws on every read (no bad input was given, so a read error stands in for a kernel error)';

/**
 * One check of {@link operatorChecklist}: a test name and a synchronous body that throws an
 * `AssertionError` naming the check and what differed. `run` takes no arguments, so test
 * runners that look at a callback's arity (mocha, jest, node:test) treat it as synchronous.
 *
 * @example
 * ```ts
 * const c: OperatorChecklistCase = { name: 'completes on an empty source', run: () => {} };
 * ```
 */
export interface OperatorChecklistCase {
  readonly name: string;
  readonly run: () => void;
}

const SKIP: Skip = { kind: 'skip', path: 'cls/broken.jpg', reason: 'truncated', message: 'premature end of JPEG file' };

/**
 * The RxJS checklist every image operator must pass, as named test cases for any test
 * framework: it maps each value in order keeping carrier fields, a throwing kernel errors the
 * stream and unsubscribes upstream (without `bad`: an input that throws on every read, see
 * {@link OperatorChecklistBadInput}), an upstream error passes through unchanged, an empty
 * source completes, an early unsubscribe reaches upstream, and (unless `skips: false`) `Skip`
 * values pass through untouched. The first case also checks that the operator does not modify
 * its input and that a second `make()` gives the same output (a shared generator would not);
 * any other case that compares values with `expected()` and fails says so too, before the
 * difference, when new operators from `make()` (or calls of `expected()`) disagree with each other.
 *
 * Comparisons use {@link runMarbles}: images compare pixel by pixel, and a failure says which
 * case failed, the first differing frame, field and pixel, and both timelines.
 *
 * The types come from the operator `make` returns ({@link OperatorInput}, {@link OperatorOutput}):
 * `a` and `b` must be values it takes and `expected()`'s values ones it emits, so a wrong input or
 * expectation is a compile error at that value rather than a failing case; for a generic
 * operator (an image operator's) an expectation is also held to what it emits for that input, so
 * a carrier dropped from it is an error too ({@link CheckedOutput}). An operator whose input type
 * leaves out `Skip` needs `skips: false` ({@link OperatorChecklistSkips}). A carrier may have
 * fields of its own; `bad` is not checked (see {@link OperatorChecklistBadInput}); options typed
 * without type arguments ({@link OperatorChecklistOptions}) stay unchecked.
 *
 * @example
 * ```ts
 * // mocha, jest, vitest (`import { it } from 'node:test'` works the same way)
 * describe('cutout', () => {
 *   const a = testImage(4, 4, 3);
 *   const b = testImage(3, 2, 1);
 *   for (const c of operatorChecklist({
 *     make: () => cutout(2, createRng(7)),
 *     a: { image: a, label: 1, path: 'cls/1.png' },
 *     b,
 *     expected: () => {
 *       const rng = createRng(7); // the same draws, in the same order
 *       return { a: { image: cutoutImage(a, 2, rng), label: 1, path: 'cls/1.png' }, b: cutoutImage(b, 2, rng) };
 *     },
 *     bad: { data: new Uint8Array(5), width: 2, height: 2, channels: 1 },
 *     badError: /RangeError: cutoutImage: image buffer has 5 values/,
 *   })) it(c.name, c.run);
 * });
 * ```
 */
export function operatorChecklist<Op extends AnyOperator, A, B, OutA, OutB>(
  // A type parameter per value: see OperatorChecklistArgs.
  opts: OperatorChecklistArgs<Op, A, B, OutA, OutB>,
): OperatorChecklistCase[] {
  const compare = { tolerance: opts.tolerance ?? 0 };
  // The checklist feeds values of the caller's choosing; the operator's input type is theirs to get right.
  const op = (): ((source: Observable<unknown>) => Observable<unknown>) => opts.make() as unknown as (source: Observable<unknown>) => Observable<unknown>;
  const { a, b, bad, badError } = opts;
  // Checked at the call; inside, the checklist compares whatever it is given.
  const expected = (): { readonly a: unknown; readonly b: unknown } => opts.expected();
  // Checked here too: a JavaScript caller can give one without the other, and a `bad` whose error
  // is not said would run the stand-in case and leave `bad` untested.
  if ((bad === undefined) !== (badError === undefined)) {
    throw new TypeError(`operatorChecklist: bad and badError go together (got ${bad === undefined ? 'badError without bad' : 'bad without badError'}); leave both out for an operator whose kernel rejects no input`);
  }
  // Every case that compares values against expected() builds its own operator, so a generator
  // shared between make() calls fails each of them with a bare pixel difference that depends on
  // which cases ran before; each of them names the cause instead (see namingSharedGenerator).
  const compared = (run: () => void): void => namingSharedGenerator(run, op, [a, b], expected, compare);

  const cases: OperatorChecklistCase[] = [
    check('maps every value in order, keeping carrier fields, and does not modify its input', () => {
      const before = snapshot([a, b]);
      const once = (): void =>
        runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
          const src = cold('-a--b-|', { a, b });
          const subs = /**/ '^-----!';
          const want = /**/ '-x--y-|';
          const { a: x, b: y } = expected();
          expectObservable(src.pipe(op())).toBe(want, { x, y });
          expectSubscriptions(src.subscriptions).toBe(subs);
        }, compare);
      // This first run fails too when other cases ran first and drew from a shared generator.
      compared(once);
      if (before !== undefined) {
        const d = diffValues([a, b], before, {}, 'inputs');
        if (d !== undefined) fail(`the operator modified its input (return new images instead): ${d.replace(/^inputs\[0\]/, 'a').replace(/^inputs\[1\]/, 'b')}`);
      }
      try {
        once();
      } catch (e) {
        fail(`the first run passed, a second with a new make() and expected() did not: each call must build a new operator, with a new generator of the same seed for a random one (e.g. make: () => randomFlip(createRng(21))). ${message(e)}`);
      }
    }),

    opts.badError === undefined ? throwingStandIn(op, a, expected, compare, compared) : check('a throwing kernel errors the stream and unsubscribes upstream', () => {
      compared(() => runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
        const src = cold('-a--r--a-|', { a, r: bad });
        const subs = /**/ '^---!';
        const want = /**/ '-x--#';
        expectObservable(src.pipe(op())).toBe(want, { x: expected().a }, badError);
        expectSubscriptions(src.subscriptions).toBe(subs);
      }, compare));
    }),

    check('passes an upstream error through unchanged', () => {
      const boom = new Error('upstream failed');
      compared(() => runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
        const src = cold('-a--#', { a }, boom);
        const subs = /**/ '^---!';
        const want = /**/ '-x--#';
        expectObservable(src.pipe(op())).toBe(want, { x: expected().a }, boom);
        expectSubscriptions(src.subscriptions).toBe(subs);
      }, compare));
      // The marbles compare errors by class and message; the subscriber must get the very object.
      let got: unknown = 'no error';
      throwError(() => boom).pipe(op()).subscribe({ error: (e: unknown) => (got = e) });
      if (got !== boom) fail(`the subscriber got ${isErrorValue(got) ? `${got.name}: ${got.message}` : String(got)} instead of the upstream Error object itself`);
    }),

    check('completes on an empty source', () => {
      runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
        const now = cold<never>('|');
        const later = cold<never>('---|');
        expectObservable(now.pipe(op())).toBe('|');
        expectSubscriptions(now.subscriptions).toBe('(^!)');
        expectObservable(later.pipe(op())).toBe('---|');
        expectSubscriptions(later.subscriptions).toBe('^--!');
      }, compare);
    }),

    check('an early unsubscribe unsubscribes upstream', () => {
      compared(() => runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
        const src = cold('-a--b--a-|', { a, b });
        const unsub = /**/ '^---!';
        const want = /**/ '-x--';
        expectObservable(src.pipe(op()), unsub).toBe(want, { x: expected().a });
        expectSubscriptions(src.subscriptions).toBe(unsub);
      }, compare));
    }),
  ];
  if (opts.skips ?? true) {
    cases.push(check('passes Skip values through untouched', () => {
      runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
        const src = cold('-s-|', { s: SKIP });
        expectObservable(src.pipe(op())).toBe('-s-|', { s: SKIP });
        expectSubscriptions(src.subscriptions).toBe('^--!');
      }, compare);
    }));
  }
  return cases;
}

/**
 * The throwing-kernel case for an operator given no bad input: a stand-in that throws on every
 * read takes the bad input's place, so the case still fails for an operator that swallows
 * errors or emits without reading its input; it does not silently pass by being left out.
 */
function throwingStandIn(
  op: () => (source: Observable<unknown>) => Observable<unknown>,
  a: unknown,
  expected: OperatorChecklistValues['expected'],
  compare: { readonly tolerance: number },
  compared: (run: () => void) => void,
): OperatorChecklistCase {
  return check('a throwing kernel errors the stream and unsubscribes upstream (stand-in: an input that throws on every read)', () => {
    const poison = poisoned();
    // An operator that emits the stand-in (or anything) for it unread: runMarbles would print the
    // value, and printing reads it. Said here in words instead.
    const emitted: unknown[] = [];
    from([poison.value]).pipe(op()).subscribe({ next: (v) => emitted.push(v), error: () => undefined });
    if (emitted.length > 0) {
      poison.disarm();
      fail(`the operator emitted ${emitted[0] === poison.value ? 'the input itself' : 'a value'} for an input that throws on every read (the stand-in for a bad input): it must read each value, and let a kernel's error error the stream`);
    }
    compared(() => runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-a--r--a-|', { a, r: poison.value });
      const subs = /**/ '^---!';
      const want = /**/ '-x--#';
      expectObservable(src.pipe(op())).toBe(want, { x: expected().a }, poison.error);
      expectSubscriptions(src.subscriptions).toBe(subs);
    }, compare));
  });
}

// Several runs, so that a shared generator whose draws repeat by chance (a cutout's corner on a
// 2×2 image) is still seen to differ.
const REPRODUCE_RUNS = 4;

/**
 * Runs `run`, a case's comparison against `expected()`; when it fails, finds out whether a shared
 * generator can be why (new operators from `make()` emit different values for the same `inputs`,
 * or `expected()` gives different values from one call to the next) and if so says it before the
 * difference `run` found. A failure with either reproducible is rethrown as it is, so a wrong
 * pixel of a deterministic operator reads as before.
 */
function namingSharedGenerator(
  run: () => void,
  op: () => (source: Observable<unknown>) => Observable<unknown>,
  inputs: readonly unknown[],
  expected: () => unknown,
  compare: { readonly tolerance: number },
): void {
  try {
    run();
  } catch (e) {
    const cause = irreproducible(op, inputs, expected, compare);
    throw cause === undefined ? e : prefixed(e, `${cause}. `);
  }
}

function irreproducible(
  op: () => (source: Observable<unknown>) => Observable<unknown>,
  inputs: readonly unknown[],
  expected: () => unknown,
  compare: { readonly tolerance: number },
): string | undefined {
  // Synchronously, as the marble runs feed the same values; an error emitted counts as an output.
  const outputs = (): unknown[] => {
    const got: unknown[] = [];
    from(inputs).pipe(op()).subscribe({ next: (v) => got.push(v), error: (err: unknown) => got.push(err) });
    return got;
  };
  const differs = (f: () => unknown): boolean => {
    const first = f();
    for (let i = 1; i < REPRODUCE_RUNS; i++) if (diffValues(f(), first, compare) !== undefined) return true;
    return false;
  };
  try {
    if (differs(outputs)) return 'new operators from make() emitted different values for the same a and b, so what this case compares depends on the cases run before it: each call must build a new operator, with a new generator of the same seed for a random one (e.g. make: () => randomFlip(createRng(21)))';
    if (differs(expected)) return 'expected() gave different values from one call to the next, so what this case compares depends on the cases run before it: each call must compute them from a new generator of the same seed (const rng = createRng(21) inside expected)';
  } catch {
    // make() or expected() throwing here is the case's failure to report, not a cause to name.
  }
  return undefined;
}

/** An object that throws `error` on every read or check of its fields, until disarmed. */
function poisoned(): { readonly value: object; readonly error: Error; disarm(): void } {
  const error = new Error(POISON_MESSAGE);
  let armed = true;
  const trap = <A extends unknown[], R>(reflect: (...args: A) => R) => (...args: A): R => {
    if (armed) throw error;
    return reflect(...args);
  };
  const value = new Proxy({}, {
    get: trap(Reflect.get),
    has: trap(Reflect.has),
    ownKeys: trap(Reflect.ownKeys),
    getOwnPropertyDescriptor: trap(Reflect.getOwnPropertyDescriptor),
    getPrototypeOf: trap(Reflect.getPrototypeOf),
    set: trap(Reflect.set),
    defineProperty: trap(Reflect.defineProperty),
    deleteProperty: trap(Reflect.deleteProperty),
  });
  return { value, error, disarm: () => (armed = false) };
}

function check(name: string, body: () => void): OperatorChecklistCase {
  return {
    name,
    run: () => {
      try {
        body();
      } catch (e) {
        throw prefixed(e, `operatorChecklist "${name}": `);
      }
    },
  };
}

function failure(message: string): AssertionError {
  // operator 'fail', as `assert.fail(message)`: jest prints the message alone (see createImageTestScheduler).
  const err = new AssertionError({ message, operator: 'fail', stackStartFn: failure });
  // A test runner's diff of `actual` and `expected` would add nothing: the message says what differed.
  return Object.assign(err, { showDiff: false });
}

function fail(message: string): never {
  throw failure(message);
}

function message(e: unknown): string {
  return isErrorValue(e) ? e.message : String(e);
}

/** The same error (class, stack, `showDiff`) with the case named at the start of its message. */
function prefixed(e: unknown, prefix: string): unknown {
  if (!isErrorValue(e)) return failure(`${prefix}threw ${String(e)}`);
  // V8 renders `stack` on first read, with the message of that moment: read it before changing the message.
  const stack = e.stack;
  const old = e.message;
  e.message = prefix + old;
  if (stack?.includes(old)) e.stack = stack.replace(old, e.message);
  return e;
}

/** A deep copy to compare the inputs against after a run, or `undefined` for values that cannot be copied. */
function snapshot(v: unknown): unknown {
  try {
    return structuredClone(v);
  } catch {
    return undefined;
  }
}
