import * as tf from '@tensorflow/tfjs-core';
import { Observable, type OperatorFunction } from 'rxjs';
import type { AnyImage } from '../ops/assertImage';
import type { Batch } from './BatchSource';
import type { Sample } from './Sample';
import type { Skip } from './Skip';

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
  readonly dropLast?: boolean;
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
          if ('kind' in v && v.kind === 'skip') {
            subscriber.next(v);
            return;
          }
          const s = v as Sample<I>;
          const first = pending[0]?.image;
          if (first && (first.width !== s.image.width || first.height !== s.image.height || first.channels !== s.image.channels)) {
            subscriber.error(
              new RangeError(
                `batch: ${s.path} is ${s.image.width}x${s.image.height}x${s.image.channels} but the batch is ` +
                  `${first.width}x${first.height}x${first.channels}; resize or crop before batching`,
              ),
            );
            return;
          }
          pending.push(s);
          if (pending.length === batchSize) emit();
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          if (pending.length > 0 && !dropLast) emit();
          subscriber.complete();
        },
      });
    });
}
