import { Observable, type OperatorFunction } from 'rxjs';
import { epochOrder } from './epochOrder';

/**
 * Emits the source's values in the order of {@link epochOrder}(n, seed, epoch): a seeded
 * per-epoch shuffle whose result is a pure function of (seed, epoch, input). It must see the
 * whole input before emitting, so it buffers it all (use it on file lists, not on decoded
 * images; {@link createImageDataset} shuffles indices instead and never buffers).
 *
 * @example
 * ```ts
 * folderSource('/data').pipe(shuffle(42, epoch), decode({ concurrency: 4 }));
 * ```
 */
export function shuffle<T>(seed: number, epoch: number): OperatorFunction<T, T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      const buf: T[] = [];
      return source.subscribe({
        next: (v) => buf.push(v),
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          let order: Uint32Array;
          try {
            order = epochOrder(buf.length, seed, epoch);
          } catch (e) {
            subscriber.error(e);
            return;
          }
          for (let i = 0; i < order.length && !subscriber.closed; i++) subscriber.next(buf[order[i]]);
          subscriber.complete();
        },
      });
    });
}
