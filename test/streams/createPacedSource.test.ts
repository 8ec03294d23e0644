import assert from 'node:assert/strict';
import { concatMap } from 'rxjs';
import { createPacedSource } from '../../src/streams/createPacedSource';
import { mapOrdered } from '../../src/streams/mapOrdered';

const microtasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('createPacedSource', () => {
  it('lets at most `ahead` items out before the consumer takes one, then one per take, and completes after the last', async () => {
    const { source, took } = createPacedSource(['a', 'b', 'c', 'd'], 2);
    const seen: string[] = [];
    let completed = false;
    source.subscribe({ next: (v) => seen.push(v), complete: () => (completed = true) });
    assert.deepEqual(seen, ['a', 'b']);
    took();
    await microtasks();
    assert.deepEqual(seen, ['a', 'b', 'c']);
    assert.equal(completed, false);
    took();
    await microtasks();
    assert.deepEqual(seen, ['a', 'b', 'c', 'd']);
    assert.equal(completed, true);
  });

  it('a take of nothing emitted gives no credit for later', () => {
    const { source, took } = createPacedSource([1, 2, 3], 1);
    took();
    const seen: number[] = [];
    source.subscribe((v) => seen.push(v));
    assert.deepEqual(seen, [1]);
  });

  it('a take inside the emission lets the next item out after it, not nested in it: a concatMap after mapOrdered never queues', async () => {
    // mapOrdered emits the results that are ready in one loop; an item let out from inside that
    // loop would re-enter it and reach concatMap while it is still busy: queued there, and the
    // queue drained recursively, one stack level per item (measured here as stack depth).
    const n = 2000;
    const { source, took } = createPacedSource(Array.from({ length: n }, (_, i) => i), 256);
    const seen: number[] = [];
    const depths: number[] = [];
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = Infinity;
    try {
      await new Promise<void>((resolve, reject) =>
        source
          .pipe(
            // Every 256th item comes last, so the ones behind it are ready at once.
            mapOrdered((v) => new Promise<number>((r) => (v % 256 === 0 ? setImmediate(() => r(v)) : r(v))), 256),
            concatMap((v) => {
              depths.push((new Error().stack ?? '').split('\n').length);
              took();
              return [v];
            }),
          )
          .subscribe({ next: (v) => seen.push(v), error: reject, complete: resolve }),
      );
    } finally {
      Error.stackTraceLimit = limit;
    }
    assert.deepEqual(seen, Array.from({ length: n }, (_, i) => i));
    assert.ok(Math.max(...depths) - Math.min(...depths) < 50, `stack depth ranged over ${Math.min(...depths)}..${Math.max(...depths)}`);
  });

  it('stops emitting once unsubscribed', async () => {
    const { source, took } = createPacedSource([1, 2, 3], 1);
    const seen: number[] = [];
    const sub = source.subscribe((v) => seen.push(v));
    took();
    sub.unsubscribe();
    await microtasks();
    assert.deepEqual(seen, [1]);
  });

  it('completes at once on no items and refuses a bound below 1', () => {
    let completed = false;
    createPacedSource([], 3).source.subscribe({ complete: () => (completed = true) });
    assert.equal(completed, true);
    assert.throws(() => createPacedSource([1], 0), /ahead must be a positive integer, got 0/);
  });
});
