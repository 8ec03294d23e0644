import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { deriveSeed } from '../../src/streams/deriveSeed';
import { epochOrder } from '../../src/streams/epochOrder';
import { shuffle } from '../../src/streams/shuffle';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

describe('deriveSeed', () => {
  it('is pure and separates neighbouring tuples', () => {
    assert.equal(deriveSeed(1, 2, 3), deriveSeed(1, 2, 3));
    const seen = new Set<number>();
    for (let s = 0; s < 20; s++) for (let e = 0; e < 20; e++) seen.add(deriveSeed(s, e));
    assert.equal(seen.size, 400);
    assert.notEqual(deriveSeed(1, 2), deriveSeed(2, 1));
    assert.notEqual(deriveSeed(0, 2 ** 32), deriveSeed(0, 0));
    assert.throws(() => deriveSeed(Number.NaN), /finite/);
  });
});

describe('epochOrder', () => {
  it('is a permutation, pure in (seed, epoch), different across epochs and seeds', () => {
    const a = epochOrder(1000, 7, 3);
    assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i));
    assert.deepEqual(epochOrder(1000, 7, 3), a);
    assert.notDeepEqual(epochOrder(1000, 7, 4), a);
    assert.notDeepEqual(epochOrder(1000, 8, 3), a);
    assert.deepEqual([...epochOrder(5, 7, 3, false)], [0, 1, 2, 3, 4]);
    assert.deepEqual([...epochOrder(0, 1, 0)], []);
  });

  it('moves items roughly uniformly (first slot over many epochs)', () => {
    const counts = new Array(4).fill(0);
    for (let e = 0; e < 4000; e++) counts[epochOrder(4, 1, e)[0]]++;
    for (const c of counts) assert.ok(c > 850 && c < 1150, `counts ${counts}`);
  });

  it('rejects bad sizes and epochs', () => {
    assert.throws(() => epochOrder(-1, 0, 0), /size/);
    assert.throws(() => epochOrder(3, 0, 1.5), /epoch/);
  });
});

describe('shuffle (marbles)', () => {
  it('emits everything at completion in epochOrder', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const values = { a: 'a', b: 'b', c: 'c', d: 'd', e: 'e' };
      const input = ['a', 'b', 'c', 'd', 'e'];
      const order = [...epochOrder(5, 42, 1)].map((i) => input[i]).join('');
      expectObservable(cold('abcde|', values).pipe(shuffle(42, 1))).toBe(`-----(${order}|)`, values);
    });
  });

  it('passes on upstream errors, completes empty, and stops on unsubscribe', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      expectObservable(cold('ab#').pipe(shuffle(1, 0))).toBe('--#');
      expectObservable(cold('|').pipe(shuffle(1, 0))).toBe('|');
      const src = cold('ab---|');
      expectObservable(src.pipe(shuffle(1, 0)), '--!').toBe('---');
      expectSubscriptions(src.subscriptions).toBe('^-!');
    });
  });

  it('errors (does not throw) for a bad epoch', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a|').pipe(shuffle(1, -1))).toBe('-#', undefined, new RangeError('epochOrder: epoch must be a non-negative integer, got -1'));
    });
  });
});
