import assert from 'node:assert/strict';
import { assertRng, createRng, restoreRng, type Rng } from '../../src/ops/Rng';

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

  it('assertRng accepts generators and names what was passed instead', () => {
    assertRng(createRng(1), 'myOp');
    const own: Rng = { ...createRng(2) }; // any object with the drawing methods
    assertRng(own, 'myOp');
    const msg = (got: string): TypeError => new TypeError(`myOp: rng must be a seeded generator such as createRng(seed), got ${got}`);
    assert.throws(() => assertRng(undefined, 'myOp'), msg('undefined'));
    assert.throws(() => assertRng(Math.random, 'myOp'), msg('a function (pass a generator, not Math.random)'));
    assert.throws(() => assertRng({ next: Math.random }, 'myOp'), msg('an object without next(), int() and normal()'));
    assert.throws(() => assertRng(42, 'myOp'), msg('42'));
  });
});
