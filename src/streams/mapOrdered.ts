import { from, Observable, type ObservableInput, type OperatorFunction, type Subscription } from 'rxjs';

/**
 * Like `mergeMap(project, concurrency)`, but results come out in input order. At most
 * `concurrency` projections are running or waiting for an earlier one to finish, so the
 * results held for reordering are bounded too. Each projection must produce exactly one
 * value (a Promise or a one-value Observable); later values are ignored, none is an error.
 * Upstream values that arrive while the window is full wait in a queue, as with mergeMap
 * (RxJS cannot push back on a hot producer); for a pull-driven bound see
 * {@link createImageDataset}.
 *
 * @example
 * ```ts
 * from(paths).pipe(mapOrdered((p) => decodeFile(p, 0), 4)).subscribe(console.log);
 * ```
 */
export function mapOrdered<T, R>(project: (value: T, index: number) => ObservableInput<R>, concurrency: number): OperatorFunction<T, R> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`mapOrdered: concurrency must be a positive integer, got ${concurrency}`);
  }
  return (source) =>
    new Observable<R>((subscriber) => {
      const queue: T[] = [];
      // The window: one slot per started projection, in input order.
      const window: Array<{ done: boolean; value?: R; sub?: Subscription }> = [];
      let index = 0;
      let upstreamDone = false;

      const drain = (): void => {
        while (window.length > 0 && window[0].done) {
          const head = window.shift()!;
          subscriber.next(head.value as R);
        }
        while (window.length < concurrency && queue.length > 0 && !subscriber.closed) start(queue.shift()!);
        if (upstreamDone && window.length === 0 && queue.length === 0) subscriber.complete();
      };

      const start = (value: T): void => {
        const slot: { done: boolean; value?: R; sub?: Subscription } = { done: false };
        window.push(slot);
        let input: ObservableInput<R>;
        try {
          input = project(value, index++);
        } catch (e) {
          subscriber.error(e);
          return;
        }
        let got = false;
        slot.sub = from(input).subscribe({
          next: (r) => {
            if (got) return;
            got = true;
            slot.done = true;
            slot.value = r;
            slot.sub?.unsubscribe();
            drain();
          },
          error: (e: unknown) => subscriber.error(e),
          complete: () => {
            if (!got) subscriber.error(new Error('mapOrdered: a projection completed without a value'));
          },
        });
      };

      const upstream = source.subscribe({
        next: (v) => {
          queue.push(v);
          drain();
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          upstreamDone = true;
          drain();
        },
      });
      return () => {
        upstream.unsubscribe();
        for (const s of window) s.sub?.unsubscribe();
        window.length = 0;
        queue.length = 0;
      };
    });
}
