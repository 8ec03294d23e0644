import * as tf from '@tensorflow/tfjs-core';
import { Observable, type OperatorFunction } from 'rxjs';
import { assertImage, type AnyImage } from '../ops/assertImage';
import type { Batch } from './BatchSource';
import type { Sample } from './Sample';
import type { Skip } from './Skip';
import { tensorBackendProblem } from './tensorBackendProblem';

/**
 * Options of {@link batch}.
 *
 * @example
 * ```ts
 * const o: BatchOptions = { batchSize: 64, dropLast: true };
 * ```
 */
export interface BatchOptions {
  readonly batchSize: number;
  /** Drop a last batch smaller than `batchSize`. Default false. */
  readonly dropLast?: boolean | undefined;
}

function isSkip(v: unknown): v is Skip {
  return v !== null && typeof v === 'object' && (v as { kind?: unknown }).kind === 'skip';
}

/** The value as a Sample, or a readable error naming what is wrong with it. */
function checkSample(v: unknown): Sample<AnyImage> {
  const o = (v !== null && typeof v === 'object' ? v : {}) as { image?: unknown; label?: unknown; path?: unknown; data?: unknown };
  if (o.image === null || typeof o.image !== 'object') {
    const what = ArrayBuffer.isView(o.data) ? 'a bare image' : describeValue(v);
    throw new TypeError(`batch: expected a Sample { image, label, path } or a Skip, got ${what}; every image needs its label`);
  }
  const path = typeof o.path === 'string' ? o.path : '(a sample without a path)';
  assertImage(o.image as AnyImage, `batch: ${path}`);
  if (typeof o.label !== 'number' || !Number.isInteger(o.label) || o.label < 0 || o.label > 0x7fffffff) {
    throw new RangeError(`batch: ${path} has label ${typeof o.label === 'string' ? JSON.stringify(o.label) : String(o.label)}; a label is a 0-based class index (an integer >= 0)`);
  }
  return v as Sample<AnyImage>;
}

function describeValue(v: unknown): string {
  if (v === null || typeof v !== 'object') return v === null ? 'null' : typeof v;
  return `an object with keys [${Object.keys(v).slice(0, 5).join(', ')}]`;
}

/**
 * Groups samples into {@link Batch}es of NHWC float32 `xs` and int32 `ys` (8-bit images are
 * converted to float values 0..255; normalised images keep their values). Skips pass through
 * at once, so a batch is always filled from the next valid samples.
 *
 * Ownership: a batch's tensors are created at emission, never held by the operator, and
 * belong to the subscriber, who must dispose them. Unsubscribing early leaves no tensors
 * behind. All images of a batch must have the same shape; a different one is an error
 * (resize or crop upstream).
 *
 * Errors: an image of another shape, a value that is not a `Sample` or `Skip` (a bare image has
 * no label), a malformed image, a label that is not an integer >= 0, or a failure to create the
 * tensors (say, `initBackend()` not awaited yet) error the stream with a
 * readable message and unsubscribe upstream, never an uncaught exception.
 *
 * This operator is push-based (RxJS has no demand signal): for a training loop that pulls
 * with a bounded prefetch use {@link createImageDataset}.
 *
 * @example
 * ```ts
 * folderSource(root).pipe(decode({ resize: 256 }), randomCrop(227, rng), normalize(mean), batch({ batchSize: 64 }))
 *   .subscribe((b) => { if (b.kind === 'batch') { use(b); b.xs.dispose(); b.ys.dispose(); } });
 * ```
 */
export function batch<I extends AnyImage>(opts: BatchOptions): OperatorFunction<(Sample<I> & { kind?: 'sample' }) | Skip, Batch | Skip> {
  const { batchSize, dropLast = false } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch: batchSize must be a positive integer, got ${batchSize}`);
  return (source) =>
    new Observable<Batch | Skip>((subscriber) => {
      let pending: Array<Sample<I>> = [];
      const emit = (): void => {
        const samples = pending;
        pending = [];
        const problem = tensorBackendProblem('batch');
        if (problem !== undefined) throw new Error(problem);
        const { width, height, channels } = samples[0].image;
        const per = width * height * channels;
        const xs = new Float32Array(samples.length * per);
        samples.forEach((s, i) => xs.set(s.image.data, i * per));
        subscriber.next({
          kind: 'batch',
          xs: tf.tensor4d(xs, [samples.length, height, width, channels], 'float32'),
          ys: tf.tensor1d(Int32Array.from(samples, (s) => s.label), 'int32'),
          paths: samples.map((s) => s.path),
        });
      };
      return source.subscribe({
        next: (v) => {
          // A throw inside a hand-written subscriber's next is not a stream error in RxJS: it is
          // reported asynchronously as an uncaught exception (a crash), while the stream goes on.
          try {
            if (isSkip(v)) {
              subscriber.next(v);
              return;
            }
            const s = checkSample(v);
            const first = pending[0]?.image;
            if (first && (first.width !== s.image.width || first.height !== s.image.height || first.channels !== s.image.channels)) {
              throw new RangeError(
                `batch: ${s.path} is ${s.image.width}x${s.image.height}x${s.image.channels} but the batch is ` +
                  `${first.width}x${first.height}x${first.channels}; resize or crop before batching`,
              );
            }
            pending.push(s as Sample<I>);
            if (pending.length === batchSize) emit();
          } catch (e) {
            pending = [];
            subscriber.error(e);
          }
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          try {
            if (pending.length > 0 && !dropLast) emit();
          } catch (e) {
            subscriber.error(e);
            return;
          }
          subscriber.complete();
        },
      });
    });
}
