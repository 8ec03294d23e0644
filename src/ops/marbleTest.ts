import { AssertionError } from 'node:assert';
import { types } from 'node:util';
import { isErrorValue, sameErrorClass } from './isErrorValue';
import type { Observable } from 'rxjs';
import { TestScheduler, type RunHelpers } from 'rxjs/testing';
import type { CheckedValue } from './CheckedValue';
import type { FloatImage, Image } from './Image';
import { assertRng, type Rng } from './Rng';

/**
 * Options of {@link createImageTestScheduler} and {@link diffValues}.
 *
 * @example
 * ```ts
 * const opts: MarbleCompareOptions = { tolerance: 1e-6 };
 * ```
 */
export interface MarbleCompareOptions {
  /**
   * Largest allowed absolute difference between numbers (typed-array elements included),
   * for float pipelines whose expected values are computed a different way. Default 0: exact.
   */
  readonly tolerance?: number | undefined;
}

type TypedArray = Uint8Array | Uint8ClampedArray | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

function isTypedArray(v: unknown): v is TypedArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

interface Dims {
  width: number;
  height: number;
  channels: number;
}

function imageDims(v: unknown): Dims | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  if (isTypedArray(o.data) && typeof o.width === 'number' && typeof o.height === 'number' && typeof o.channels === 'number') {
    return { width: o.width, height: o.height, channels: o.channels };
  }
  return undefined;
}

function numbersDiffer(a: number, e: number, tol: number): boolean {
  if (Object.is(a, e)) return false;
  if (Number.isNaN(a) || Number.isNaN(e)) return true;
  return !(Math.abs(a - e) <= tol);
}

/**
 * Compares two values structurally and describes the FIRST difference in words, or returns
 * `undefined` when they are equal. Typed arrays compare by element type, length and
 * elements (NaN equals NaN; numbers within `tolerance`); a difference inside an image's
 * `data` is reported with its pixel coordinates. An expected `Error` matches an actual error
 * of the same class and message; an expected `RegExp` matches an actual `Error` whose
 * `"Name: message"` it matches, so `#` frames need not spell out long messages.
 *
 * @example
 * ```ts
 * diffValues(testImage(2, 1, 1, [1, 2]), testImage(2, 1, 1, [1, 3]));
 * // 'value.data[1] (pixel x=1, y=0, c=0): expected 3, got 2'
 * ```
 */
export function diffValues(actual: unknown, expected: unknown, opts: MarbleCompareOptions = {}, path = 'value'): string | undefined {
  return diff(actual, expected, opts.tolerance ?? 0, path, undefined);
}

const NOTIFICATION_KINDS: Readonly<Record<string, string>> = { N: 'next', E: 'error', C: 'complete' };

function diff(a: unknown, e: unknown, tol: number, path: string, dims: Dims | undefined): string | undefined {
  if (types.isRegExp(e) && isErrorValue(a)) {
    return e.test(`${a.name}: ${a.message}`) ? undefined : `${path}: expected an error matching ${e}, got ${a.name}: ${a.message}`;
  }
  if (isErrorValue(e) || isErrorValue(a)) {
    if (!isErrorValue(e) || !isErrorValue(a)) return `${path}: expected ${formatTestValue(e)}, got ${formatTestValue(a)}`;
    if (!sameErrorClass(a, e) || a.message !== e.message) {
      return `${path}: expected ${e.name}: ${e.message}, got ${a.name}: ${a.message}`;
    }
    return undefined;
  }
  if (typeof a === 'number' && typeof e === 'number') {
    return numbersDiffer(a, e, tol) ? `${path}: expected ${e}, got ${a}` : undefined;
  }
  if (a === null || e === null || typeof a !== 'object' || typeof e !== 'object') {
    if (Object.is(a, e)) return undefined;
    // RxJS's one-letter notification kinds: "expected "E", got "C"" asks the reader to know them.
    const kind = path.endsWith('.notification.kind') ? (k: unknown): string => {
      const word = NOTIFICATION_KINDS[String(k)];
      return word === undefined ? '' : ` (${word})`;
    } : (): string => '';
    return `${path}: expected ${formatTestValue(e)}${kind(e)}, got ${formatTestValue(a)}${kind(a)}`;
  }
  if (isTypedArray(a) || isTypedArray(e)) {
    if (!isTypedArray(a) || !isTypedArray(e) || a.constructor !== e.constructor) {
      return `${path}: expected ${formatTestValue(e)}, got ${formatTestValue(a)}`;
    }
    if (a.length !== e.length) return `${path}: expected ${e.length} elements, got ${a.length}`;
    for (let i = 0; i < a.length; i++) {
      if (numbersDiffer(a[i], e[i], tol)) {
        const where = dims ? ` (pixel x=${Math.floor(i / dims.channels) % dims.width}, y=${Math.floor(i / dims.channels / dims.width)}, c=${i % dims.channels})` : '';
        return `${path}[${i}]${where}: expected ${e[i]}, got ${a[i]}`;
      }
    }
    return undefined;
  }
  if (Array.isArray(a) !== Array.isArray(e)) return `${path}: expected ${formatTestValue(e)}, got ${formatTestValue(a)}`;
  if (Array.isArray(a) && Array.isArray(e)) {
    // Items first: "frame 4: expected error, got next" says more than "expected 2 items, got 4".
    for (let i = 0; i < Math.min(a.length, e.length); i++) {
      const d = diff(a[i], e[i], tol, `${path}[${i}]`, undefined);
      if (d) return d;
    }
    if (a.length !== e.length) {
      const extra = a.length > e.length ? `unexpected ${formatTestValue(a[e.length])}` : `missing ${formatTestValue(e[a.length])}`;
      return `${path}: expected ${e.length} items, got ${a.length} (first ${extra})`;
    }
    return undefined;
  }
  // A bare image where a carrier was expected (or the reverse): "value.data: unexpected" would
  // name a symptom; the two values say what happened (the operator dropped or added the carrier).
  if ((imageDims(a) === undefined) !== (imageDims(e) === undefined)) {
    return `${path}: expected ${imageDims(e) ? 'a bare image' : 'an object'} ${formatTestValue(e)}, got ${imageDims(a) ? 'a bare image' : 'an object'} ${formatTestValue(a)}`;
  }
  const ao = a as Record<string, unknown>;
  const eo = e as Record<string, unknown>;
  // Undefined-valued keys count as absent, as RxJS's notification objects leave them out or not.
  const keys = new Set([...Object.keys(ao), ...Object.keys(eo)].filter((k) => ao[k] !== undefined || eo[k] !== undefined));
  const childDims = imageDims(e) ?? imageDims(a);
  for (const k of keys) {
    if (!(k in ao) || ao[k] === undefined) return `${path}.${k}: missing (expected ${formatTestValue(eo[k])})`;
    if (!(k in eo) || eo[k] === undefined) return `${path}.${k}: unexpected (got ${formatTestValue(ao[k])})`;
    const d = diff(ao[k], eo[k], tol, `${path}.${k}`, k === 'data' ? childDims : undefined);
    if (d) return d;
  }
  return undefined;
}

/**
 * A short, readable rendering of a value for failure messages: images as
 * `Image 4x4x3 u8 [1,2,3,…]`, typed arrays truncated, objects one level deep.
 *
 * @example
 * ```ts
 * formatTestValue(testImage(2, 2, 1, [1, 2, 3, 4])); // 'Image 2x2x1 u8 [1,2,3,4]'
 * ```
 */
export function formatTestValue(v: unknown, depth = 0): string {
  if (isErrorValue(v)) return `${v.name}: ${v.message}`;
  if (types.isRegExp(v)) return String(v);
  if (isTypedArray(v)) {
    const head = Array.from(v.subarray(0, 8), (x) => (Number.isInteger(x) ? String(x) : x.toPrecision(4))).join(',');
    return `${v.constructor.name}(${v.length}) [${head}${v.length > 8 ? ',…' : ''}]`;
  }
  const dims = imageDims(v);
  if (dims) {
    const d = (v as { data: TypedArray }).data;
    const head = Array.from(d.subarray(0, 8), (x) => (Number.isInteger(x) ? String(x) : x.toPrecision(4))).join(',');
    const kind = d instanceof Uint8Array ? 'u8' : d instanceof Float32Array ? 'f32' : d.constructor.name;
    return `Image ${dims.width}x${dims.height}x${dims.channels} ${kind} [${head}${d.length > 8 ? ',…' : ''}]`;
  }
  if (Array.isArray(v)) return depth > 1 ? '[…]' : `[${v.map((x) => formatTestValue(x, depth + 1)).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    if (depth > 1) return '{…}';
    return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${formatTestValue(x, depth + 1)}`).join(', ')} }`;
  }
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

interface Frame {
  frame: number;
  notification: { kind: string; value?: unknown; error?: unknown };
}

function isFrameList(v: unknown): v is Frame[] {
  return Array.isArray(v) && v.every((f) => f !== null && typeof f === 'object' && 'frame' in f && 'notification' in f);
}

function renderFrames(v: unknown): string {
  if (!isFrameList(v)) return `  ${formatTestValue(v)}`;
  if (v.length === 0) return '  (nothing)';
  return v
    .map(({ frame, notification: n }) => {
      const what = n.kind === 'N' ? `next ${formatTestValue(n.value)}` : n.kind === 'E' ? `error ${formatTestValue(n.error)}` : 'complete';
      return `  @${frame} ${what}`;
    })
    .join('\n');
}

interface SubscriptionFrames {
  subscribedFrame: number;
  unsubscribedFrame: number;
}

function isSubscriptionList(v: unknown): v is SubscriptionFrames[] {
  return Array.isArray(v) && v.length > 0
    && v.every((f) => f !== null && typeof f === 'object' && typeof (f as SubscriptionFrames).subscribedFrame === 'number' && typeof (f as SubscriptionFrames).unsubscribedFrame === 'number');
}

/** Frames longer than this are written as a time progression (`^ 99ms !`), which `run` mode reads. */
const LONGEST_DASHES = 20;

/**
 * A subscription log as the marble string `expectSubscriptions(…).toBe` takes (`--^---!`):
 * what a test author compares with the string they wrote. Frames are virtual-time units of
 * `frameTimeFactor` (1 inside `run`, 10 outside).
 */
function subscriptionMarbles({ subscribedFrame: sub, unsubscribedFrame: unsub }: SubscriptionFrames): string {
  const factor = TestScheduler.frameTimeFactor;
  const runMode = factor === 1;
  const dashes = (frames: number, spaced: boolean): string =>
    runMode && frames > LONGEST_DASHES ? `${spaced ? ' ' : ''}${frames}ms ` : '-'.repeat(frames);
  const [s, u] = [sub / factor, unsub / factor];
  if (!Number.isInteger(s) || !(Number.isInteger(u) || u === Infinity)) return formatTestValue({ subscribedFrame: sub, unsubscribedFrame: unsub });
  const lead = dashes(s, false);
  if (u === Infinity) return `${lead}^`;
  if (u === s) return `${lead}(^!)`;
  // `^` itself takes one frame, so `!` comes after u - s - 1 more.
  return `${lead}^${dashes(u - s - 1, true)}!`;
}

function renderSubscriptions(v: SubscriptionFrames[]): string {
  return v.map((log) => {
    const frames = log.unsubscribedFrame === Infinity ? `frame ${log.subscribedFrame}, never unsubscribed` : `frames ${log.subscribedFrame}–${log.unsubscribedFrame}`;
    return `  ${subscriptionMarbles(log)}   (${frames})`;
  }).join('\n');
}

function renderTimeline(v: unknown, subscriptions: boolean): string {
  if (subscriptions) return isSubscriptionList(v) ? renderSubscriptions(v) : '  (no subscription)';
  return renderFrames(v);
}

/**
 * A `TestScheduler` whose equality understands images: typed arrays are compared element by
 * element (optionally within a tolerance) and a failure names the first differing frame,
 * field and pixel, followed by both timelines in readable form, instead of dumping
 * thousands of array elements. A failed `expectSubscriptions` shows both subscription logs
 * as marble strings (`^---!` against `^--------!`).
 *
 * @example
 * ```ts
 * createImageTestScheduler().run(({ cold, expectObservable }) => {
 *   const a = testImage(2, 1, 1, [1, 2]);
 *   expectObservable(cold('-a|', { a }).pipe(flipHorizontal())).toBe('-b|', { b: testImage(2, 1, 1, [2, 1]) });
 * });
 * ```
 */
export function createImageTestScheduler(opts: MarbleCompareOptions = {}): TestScheduler {
  const compare = (actual: unknown, expected: unknown): void => {
    // expectSubscriptions compares subscription logs, expectObservable notification frames.
    const subscriptions = isSubscriptionList(expected) || isSubscriptionList(actual);
    const d = diffValues(actual, expected, opts, subscriptions ? 'subscriptions' : 'frames');
    if (d === undefined) return;
    const fm = /^frames\[(\d+)\]/.exec(d);
    const at = fm && isFrameList(actual) && isFrameList(expected)
      ? ` (notification #${fm[1]}, frame ${(expected[+fm[1]] ?? actual[+fm[1]])?.frame})`
      : '';
    const err = new AssertionError({
      message: `${subscriptions ? 'subscription' : 'marble'} mismatch${at}: ${d}\nexpected:\n${renderTimeline(expected, subscriptions)}\nactual:\n${renderTimeline(actual, subscriptions)}`,
      // A message-only failure, as `assert.fail(message)` makes: jest prints other operators'
      // errors as "Expected value …: undefined / Received: undefined" above the message.
      operator: 'fail',
      // The stack starts where the comparison was called (jest trims "AssertionError…" out of
      // a frame "at new AssertionError (node:internal/…)" and shows a stray "at new").
      stackStartFn: compare,
    });
    // The message already shows both timelines; a test runner's JSON diff of pixel arrays would bury it.
    Object.assign(err, { showDiff: false });
    throw err;
  };
  return new TestScheduler(compare);
}

/**
 * What {@link runMarbles} gives its callback: rxjs's `RunHelpers`, with an `expectObservable`
 * whose `toBe` checks the expected values against the observable's value type at compile time
 * (rxjs types them `any`), so `{ x: floatImage }` for an `Observable<Image>` is a type error at
 * `x` instead of a marble mismatch. The functions are rxjs's own; only their types differ.
 *
 * @example
 * ```ts
 * const check = ({ cold, expectObservable }: ImageRunHelpers): void =>
 *   expectObservable(cold('-a|', { a: img }).pipe(flipHorizontal())).toBe('-x|', { x: flipHorizontalImage(img) });
 * runMarbles(check);
 * ```
 */
export interface ImageRunHelpers extends Omit<RunHelpers, 'expectObservable'> {
  expectObservable<V>(observable: Observable<V>, subscriptionMarbles?: string | null): MarbleExpectation<V>;
}

/**
 * What `expectObservable(observable)` of {@link ImageRunHelpers} returns for an
 * `Observable<V>`: `toBe`'s values must be `V`s (or values typed `unknown`, which stay
 * unchecked; a carrier may have fields of its own); the error value may be anything (an
 * `Error`, or a `RegExp` matched against `"Name: message"`).
 *
 * @example
 * ```ts
 * runMarbles(({ cold, expectObservable }) => {
 *   const e: MarbleExpectation<Image> = expectObservable(cold('-a|', { a: img }));
 *   e.toBe('-x|', { x: img });
 * });
 * ```
 */
export interface MarbleExpectation<V> {
  toBe<E extends object>(marbles: string, values?: { readonly [K in keyof E]: CheckedValue<E[K], V> }, errorValue?: unknown): void;
  toEqual(other: Observable<V>): void;
}

/**
 * Runs `callback` inside a fresh {@link createImageTestScheduler} (virtual time, so `-` is
 * one frame and nothing really waits) and returns its result. The helpers are rxjs's, typed as
 * {@link ImageRunHelpers}: `toBe`'s expected values are checked against the observable's type.
 *
 * @example
 * ```ts
 * runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
 *   const src = cold('-a-b-|', { a: img, b: img });
 *   expectObservable(src.pipe(myOperator())).toBe('-x-x-|', { x: expected });
 *   expectSubscriptions(src.subscriptions).toBe('^----!');
 * });
 * ```
 */
export function runMarbles<T>(callback: (helpers: ImageRunHelpers) => T, opts: MarbleCompareOptions = {}): T {
  // The same helper functions; ImageRunHelpers only types toBe's values more narrowly than rxjs.
  return createImageTestScheduler(opts).run(callback as unknown as (helpers: RunHelpers) => T);
}

/**
 * A small 8-bit image for tests. `fill` gives the pixels as a flat HWC list, as a function
 * of `(x, y, c)`, or is omitted for a deterministic gradient `(x + 3y + 7c) mod 256`.
 *
 * @throws RangeError if the list length does not match the shape or a value is outside 0..255.
 * @example
 * ```ts
 * const grey = testImage(2, 2, 1, [10, 20, 30, 40]);
 * const red = testImage(4, 4, 3, (_x, _y, c) => (c === 0 ? 255 : 0));
 * ```
 */
export function testImage(width: number, height: number, channels: number, fill?: readonly number[] | ((x: number, y: number, c: number) => number)): Image {
  const data = new Uint8Array(width * height * channels);
  fillImage(data, width, height, channels, fill ?? ((x, y, c) => (x + 3 * y + 7 * c) % 256), true);
  return { data, width, height, channels };
}

/**
 * Like {@link testImage}, with float pixels (e.g. the expected output of `normalize`).
 *
 * @example
 * ```ts
 * const f = testFloatImage(1, 1, 3, [-0.5, 0, 0.5]);
 * ```
 */
export function testFloatImage(width: number, height: number, channels: number, fill?: readonly number[] | ((x: number, y: number, c: number) => number)): FloatImage {
  const data = new Float32Array(width * height * channels);
  fillImage(data, width, height, channels, fill ?? ((x, y, c) => x + 3 * y + 7 * c), false);
  return { data, width, height, channels };
}

/**
 * An 8-bit image of uniformly random pixels from `rng` (same seed, same image).
 *
 * @example
 * ```ts
 * const noise = randomTestImage(8, 6, 3, createRng(1));
 * ```
 */
export function randomTestImage(width: number, height: number, channels: number, rng: Rng): Image {
  assertRng(rng, 'randomTestImage');
  return testImage(width, height, channels, () => rng.int(256));
}

function fillImage(
  data: Uint8Array | Float32Array,
  width: number,
  height: number,
  channels: number,
  fill: readonly number[] | ((x: number, y: number, c: number) => number),
  byte: boolean,
): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || ![1, 3, 4].includes(channels)) {
    throw new RangeError(`testImage: bad shape ${width}x${height}x${channels}`);
  }
  if (typeof fill !== 'function' && fill.length !== data.length) {
    throw new RangeError(`testImage: ${fill.length} values given for ${width}x${height}x${channels} = ${data.length}`);
  }
  let i = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++, i++) {
        const v = typeof fill === 'function' ? fill(x, y, c) : fill[i];
        if (byte && !(Number.isInteger(v) && v >= 0 && v <= 255)) {
          throw new RangeError(`testImage: pixel (${x}, ${y}, ${c}) = ${v} is not an integer in 0..255`);
        }
        data[i] = v;
      }
    }
  }
}
