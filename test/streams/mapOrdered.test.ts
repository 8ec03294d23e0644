import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import type { ColdObservable } from 'rxjs/internal/testing/ColdObservable';
import { mapOrdered } from '../../src/streams/mapOrdered';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

describe('mapOrdered (marbles)', () => {
  it('keeps input order, runs at most `concurrency` at once, starts the next as the head finishes', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const inner: Record<string, ColdObservable<string>> = {
        a: cold('---(A|)'),
        b: cold('-(B|)'),
        c: cold('-----(C|)'),
      };
      const source = hot('abc|');
      const expected = '   ---(AB)-(C|)';
      expectObservable(source.pipe(mapOrdered((v: string) => inner[v], 2))).toBe(expected);
      expectSubscriptions(inner.a.subscriptions).toBe('^--!');
      expectSubscriptions(inner.b.subscriptions).toBe('-^!');
      // c waits in the queue until a (the head) has finished: never 3 at once.
      expectSubscriptions(inner.c.subscriptions).toBe('---^----!');
    });
  });

  it('with concurrency 1 it is concatMap', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('ab|');
      expectObservable(source.pipe(mapOrdered((v: string) => cold('--(x|)', { x: v.toUpperCase() }), 1))).toBe('--A-(B|)');
    });
  });

  it('a throwing projection errors the stream', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const project = (v: string) => {
        if (v === 'b') throw new Error('bad b');
        return cold('(x|)', { x: v });
      };
      expectObservable(cold('ab|').pipe(mapOrdered(project, 2))).toBe('a#', undefined, new Error('bad b'));
    });
  });

  it('an upstream error is passed on after earlier results', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a--#').pipe(mapOrdered((v: string) => cold('-(x|)', { x: v }), 2))).toBe('-a-#');
    });
  });

  it('an empty source completes', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('|').pipe(mapOrdered((v: string) => cold('-(x|)', { x: v }), 2))).toBe('|');
    });
  });

  it('early unsubscribe cancels running projections', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const inner = cold('-----(x|)');
      expectObservable(cold('a|').pipe(mapOrdered(() => inner, 2)), '--!').toBe('---');
      expectSubscriptions(inner.subscriptions).toBe('^-!');
    });
  });

  it('a projection that completes empty is an error', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a|').pipe(mapOrdered(() => cold('-|'), 1))).toBe('-#', undefined, new Error('mapOrdered: a projection completed without a value'));
    });
  });

  it('rejects a bad concurrency', () => {
    assert.throws(() => mapOrdered(() => [1], 0), /positive integer/);
  });
});
