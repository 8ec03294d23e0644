import { of, take, type OperatorFunction } from 'rxjs';
import type { SampleTransform, SampleTransformContext } from '../streams/SampleTransform';
import type { Skip } from '../streams/Skip';
import type { Image } from './Image';
import type { Rng } from './Rng';

/**
 * What {@link transformFromOperator} takes: makes the operator for one sample from that
 * sample's generator (and its context), e.g. `(rng) => colorJitter(rng, { brightness: 0.3 })`.
 * The operator gets a stream of one image and must emit one value, synchronously: the image to
 * use, or `skipSample(reason)`.
 *
 * @example
 * ```ts
 * const jitterFlip: SampleOperatorFactory = (rng) => pipe(randomFlip(rng), colorJitter(rng, { saturation: 0.4 }));
 * ```
 */
export type SampleOperatorFactory = (rng: Rng, ctx: SampleTransformContext) => OperatorFunction<Image, Image | Skip>;

/**
 * Options of {@link transformFromOperator}.
 *
 * @example
 * ```ts
 * const o: TransformFromOperatorOptions = { name: 'jitterFlip' };
 * ```
 */
export interface TransformFromOperatorOptions {
  /** How errors name the operator (and the dataset the transform). Default: the factory's function name. */
  readonly name?: string | undefined;
}

function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/**
 * Turns a push-style image operator (the kind you marble-test, such as `randomFlip(rng)` or your
 * own `mapImage(kernel)`) into a dataset {@link SampleTransform}: per sample, `makeOp(rng, ctx)`
 * is called with the sample's own generator, and `of(image).pipe(operator)` is subscribed
 * synchronously. The operator built from the same `rng` draws exactly what the kernel would,
 * so the transform gives the kernel's pixels, and keeps every determinism guarantee of the
 * dataset (per-sample generators, resume, concurrency, workers).
 *
 * Exactly one value, emitted and completed synchronously, is the result: an image, or a skip
 * (`skipSample(reason)`). Anything else is a bug in the operator and throws one line naming
 * it, which errors the dataset's epoch: an error (`operator cutout errored: RangeError: …`),
 * no value (it filtered the image out), more than one, or nothing synchronous (a `delay`,
 * a Promise, a scheduler: a transform runs synchronously, so its later values would be lost).
 *
 * @example
 * ```ts
 * const transform = transformFromOperator(function jitterFlip(rng) {
 *   return pipe(randomFlip(rng), colorJitter(rng, { brightness: 0.3 }));
 * });
 * createImageDataset({ store, batchSize: 32, augment, transform });
 * ```
 */
export function transformFromOperator(makeOp: SampleOperatorFactory, opts: TransformFromOperatorOptions = {}): SampleTransform {
  if (typeof makeOp !== 'function') {
    throw new TypeError(`transformFromOperator: expected a function (rng, ctx) => operator, got ${makeOp === null ? 'null' : typeof makeOp}`);
  }
  const name = opts.name ?? makeOp.name;
  const who = name !== '' ? `operator ${name}` : 'the operator';
  const rule = 'a transform operator must emit exactly one value synchronously and complete: the image, or skipSample(reason)';
  const transform = (image: Image, rng: Rng, ctx: SampleTransformContext): Image | Skip => {
    const out: Array<Image | Skip> = [];
    let failure: { readonly error: unknown } | undefined;
    let completed = false;
    try {
      const op = makeOp(rng, ctx);
      if (typeof op !== 'function') throw new TypeError(`its factory returned ${op === null ? 'null' : typeof op}, not an operator`);
      // take(2): a second value is already a bug; an endless synchronous stream must not hang the dataset.
      const sub = of(image)
        .pipe(op, take(2))
        .subscribe({
          next: (v) => out.push(v),
          error: (e: unknown) => {
            failure = { error: e };
          },
          complete: () => {
            completed = true;
          },
        });
      // Whatever did not happen synchronously never will for this sample: stop timers and the like.
      sub.unsubscribe();
    } catch (e) {
      failure = { error: e };
    }
    if (failure !== undefined) throw new Error(`${who} errored: ${describeError(failure.error)}`, { cause: failure.error });
    if (out.length > 1) throw new Error(`${who} emitted more than one value for one image; ${rule}`);
    if (out.length === 0) {
      throw new Error(
        completed
          ? `${who} completed without emitting the image (return skipSample(reason) to leave a sample out); ${rule}`
          : `${who} emitted nothing synchronously (a delay, a Promise or a scheduler?); ${rule}`,
      );
    }
    if (!completed) throw new Error(`${who} emitted the image but did not complete synchronously; ${rule}`);
    return out[0];
  };
  // The dataset names a transform by its function name in its errors and skip messages.
  Object.defineProperty(transform, 'name', { value: name });
  return transform;
}
