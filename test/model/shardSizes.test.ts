import assert from 'node:assert/strict';
import { shardSizes } from '../../src/model/shardSizes';

describe('shardSizes', () => {
  it('splits evenly for equal speeds, the first shards one larger', () => {
    assert.deepEqual(shardSizes(128, [1, 1]), [64, 64]);
    assert.deepEqual(shardSizes(10, [2, 2, 2]), [4, 3, 3]);
    assert.deepEqual(shardSizes(4, [5, 5]), [2, 2]);
  });

  it('sizes shards in proportion to speed', () => {
    assert.deepEqual(shardSizes(128, [0.16, 0.13]), [71, 57]);
    assert.deepEqual(shardSizes(100, [1, 3]), [25, 75]);
    assert.deepEqual(shardSizes(12, [1, 2, 3]), [2, 4, 6]);
  });

  it('gives every shard at least 2 images, taking them from the shards above their share', () => {
    assert.deepEqual(shardSizes(20, [1, 100]), [2, 18]);
    assert.deepEqual(shardSizes(6, [1, 1, 100]), [2, 2, 2]);
    assert.deepEqual(shardSizes(9, [1, 50, 50]), [2, 4, 3]);
  });

  it('always sums to the batch', () => {
    for (let batch = 6; batch < 200; batch += 7) {
      for (const speeds of [[1, 1, 1], [0.3, 0.7, 0.1], [5, 1, 1], [1e-6, 1, 1]]) {
        const s = shardSizes(batch, speeds);
        assert.equal(s.reduce((a, b) => a + b, 0), batch, `${batch} over ${speeds.join(',')}: ${s.join(',')}`);
        assert.ok(s.every((x) => x >= 2));
      }
    }
  });

  it('falls back to the even split when a speed is missing, zero or not finite', () => {
    assert.deepEqual(shardSizes(9, [1, 0]), [5, 4]);
    assert.deepEqual(shardSizes(9, [Number.NaN, 3]), [5, 4]);
    assert.deepEqual(shardSizes(9, [Infinity, 3]), [5, 4]);
  });

  it('refuses a batch too small for 2 images per shard', () => {
    assert.throws(() => shardSizes(3, [1, 1]), /cannot split 3 images into 2 shards of at least 2/);
    assert.throws(() => shardSizes(8, []), /into 0 shards/);
    assert.throws(() => shardSizes(8.5, [1]), /cannot split 8.5/);
  });
});
