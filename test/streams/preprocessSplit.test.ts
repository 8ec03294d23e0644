import assert from 'node:assert/strict';
import { preprocessSplit } from '../../src/streams/preprocessSplit';

function items(counts: number[]): { label: number; id: string }[] {
  return counts.flatMap((n, label) => Array.from({ length: n }, (_, i) => ({ label, id: `${label}-${i}` })));
}

describe('preprocessSplit', () => {
  it('holds out round(n × ratio) of every class, keeping input order', () => {
    const all = items([10, 5, 7, 2, 1]);
    const { train, val } = preprocessSplit(all, 0.2, 3);
    const count = (xs: { label: number }[], l: number) => xs.filter((x) => x.label === l).length;
    assert.deepEqual([0, 1, 2, 3, 4].map((l) => count(val, l)), [2, 1, 1, 1, 0]);
    assert.equal(train.length + val.length, all.length);
    assert.deepEqual(new Set([...train, ...val]), new Set(all));
    const pos = (x: { id: string }) => all.findIndex((y) => y.id === x.id);
    for (const part of [train, val]) for (let i = 1; i < part.length; i++) assert.ok(pos(part[i - 1]) < pos(part[i]));
  });

  it('is a pure function of the seed', () => {
    const all = items([50, 50]);
    const a = preprocessSplit(all, 0.3, 1);
    assert.deepEqual(preprocessSplit(all, 0.3, 1), a);
    assert.notDeepEqual(preprocessSplit(all, 0.3, 2).val, a.val);
  });

  it('keeps a class split stable when another class is added', () => {
    const a = preprocessSplit(items([20]), 0.25, 9).val;
    const b = preprocessSplit(items([20, 13]), 0.25, 9).val.filter((x) => x.label === 0);
    assert.deepEqual(b, a);
  });

  it('puts everything in train with ratio 0 and rejects ratios outside [0, 1)', () => {
    const all = items([4, 4]);
    assert.equal(preprocessSplit(all, 0, 0).val.length, 0);
    assert.throws(() => preprocessSplit(all, 1, 0), /\[0, 1\)/);
    assert.throws(() => preprocessSplit(all, -0.1, 0), /\[0, 1\)/);
    assert.throws(() => preprocessSplit(all, Number.NaN, 0), /\[0, 1\)/);
  });
});
