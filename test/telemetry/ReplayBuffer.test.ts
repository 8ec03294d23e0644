import assert from 'node:assert/strict';
import { ReplayBuffer } from '../../src/telemetry/ReplayBuffer';

describe('ReplayBuffer', () => {
  it('numbers items 1, 2, 3, ... and evicts the oldest past capacity', () => {
    const b = new ReplayBuffer<string>(3);
    assert.equal(b.oldest, 0);
    assert.equal(b.newest, 0);
    assert.equal(b.get(1), undefined);
    assert.deepEqual(['a', 'b', 'c', 'd', 'e'].map((x) => b.push(x)), [1, 2, 3, 4, 5]);
    assert.equal(b.oldest, 3);
    assert.equal(b.newest, 5);
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((s) => b.get(s)), [undefined, undefined, 'c', 'd', 'e', undefined]);
    assert.equal(b.get(0), undefined);
    assert.equal(b.get(3.5), undefined);
  });

  it('rejects a capacity that is not a positive integer', () => {
    assert.throws(() => new ReplayBuffer(0), /positive integer/);
    assert.throws(() => new ReplayBuffer(1.5), /positive integer/);
  });
});
