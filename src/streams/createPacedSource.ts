import { Observable } from 'rxjs';

/**
 * A source of items that keeps at most `ahead` of them between being emitted and being
 * acknowledged by the consumer; see {@link createPacedSource}.
 *
 * @example
 * ```ts
 * const paced: PacedSource<string> = createPacedSource(['a.jpg', 'b.jpg'], 4);
 * ```
 */
export interface PacedSource<T> {
  /** Emits the items in order while fewer than `ahead` are emitted but not yet `took`; completes after the last. Subscribe once. */
  readonly source: Observable<T>;
  /** The consumer is done with one emitted item: the next one goes out in a microtask. */
  took(): void;
}

/**
 * Emits `items` no faster than the consumer acknowledges them, at most `ahead` unacknowledged.
 * RxJS pushes: without this, a stage that lets its results wait (for a write, say) holds every
 * result upstream produces, and `mapOrdered`'s window only bounds the work in flight, not its
 * results waiting downstream.
 *
 * Items freed by {@link PacedSource.took} go out in a microtask, never from inside the call:
 * a consumer taking inside its own `next` would otherwise get the next item while still
 * handling this one, and an operator in between (concatMap) would queue such items and then
 * drain its queue recursively, one stack level per item (a stack overflow at ~800).
 *
 * @example
 * ```ts
 * const { source, took } = createPacedSource(jobs, 16);
 * source.pipe(mapOrdered(decode, 16), concatMap(writeInOrder)).subscribe(() => took());
 * ```
 */
export function createPacedSource<T>(items: readonly T[], ahead: number): PacedSource<T> {
  if (!Number.isInteger(ahead) || ahead < 1) throw new RangeError(`createPacedSource: ahead must be a positive integer, got ${ahead}`);
  let emitted = 0;
  let taken = 0;
  let pump: (() => void) | undefined;
  let scheduled = false;
  const source = new Observable<T>((subscriber) => {
    pump = () => {
      while (!subscriber.closed && emitted < items.length && emitted - taken < ahead) subscriber.next(items[emitted++]);
      if (emitted === items.length) subscriber.complete();
    };
    pump();
    return () => {
      pump = undefined;
    };
  });
  return {
    source,
    took() {
      if (taken >= emitted) return;
      taken++;
      if (scheduled) return;
      scheduled = true;
      queueMicrotask(() => {
        scheduled = false;
        pump?.();
      });
    },
  };
}
