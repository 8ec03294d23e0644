import assert from 'node:assert/strict';
import { createRng, restoreRng } from '../../src/ops/Rng';

describe('Rng', () => {
  it('gives the same sequence for the same seed and different ones for different seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const sa = Array.from({ length: 8 }, () => a.next());
    const sb = Array.from({ length: 8 }, () => b.next());
    const sc = Array.from({ length: 8 }, () => c.next());
    assert.deepEqual(sa, sb);
    assert.notDeepEqual(sa, sc);
    for (const x of sa) assert.ok(x >= 0 && x < 1);
  });

  it('continues exactly from a saved state', () => {
    const a = createRng(7);
    for (let i = 0; i < 5; i++) a.next();
    const b = restoreRng(a.state());
    assert.deepEqual(
      Array.from({ length: 5 }, () => a.int(1000)),
      Array.from({ length: 5 }, () => b.int(1000)),
    );
  });

  it('draws integers uniformly in range', () => {
    const r = createRng(1);
    const counts = new Array(4).fill(0);
    for (let i = 0; i < 40000; i++) counts[r.int(4)]++;
    for (const c of counts) assert.ok(Math.abs(c - 10000) < 500, `count ${c}`);
  });

  it('rejects bad seeds and states', () => {
    assert.throws(() => createRng(NaN), /finite/);
    assert.throws(() => restoreRng([0, 0, 0, 0]), /not all zero/);
    assert.throws(() => createRng(1).int(0), /positive integer/);
  });
});
