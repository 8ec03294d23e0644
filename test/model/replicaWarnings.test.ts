import assert from 'node:assert/strict';
import { replicaWarnings } from '../../src/model/replicaWarnings';

describe('replicaWarnings', () => {
  it('says nothing about a sound count', () => {
    assert.deepEqual(replicaWarnings({ replicas: 1, batchSize: 1, cores: 1 }), []);
    assert.deepEqual(replicaWarnings({ replicas: 2, batchSize: 4, cores: 2 }), []);
    assert.deepEqual(replicaWarnings({ replicas: 2, batchSize: 5, cores: 8 }), []);
  });

  it('names the replicas a batch leaves idle (shards of at least two images)', () => {
    assert.deepEqual(replicaWarnings({ replicas: 5, batchSize: 4, cores: 8 }), [
      '5 replicas, but a batch of 4 images splits into at most 2 shards of ≥ 2 images: 3 replicas sit every step out (use fewer replicas or a larger batch)',
    ]);
    assert.deepEqual(replicaWarnings({ replicas: 2, batchSize: 3, cores: 2 }), [
      '2 replicas, but a batch of 3 images splits into at most 1 shard of ≥ 2 images: 1 replica sits every step out (use fewer replicas or a larger batch)',
    ]);
  });

  it('warns about more replicas than cores', () => {
    assert.deepEqual(replicaWarnings({ replicas: 3, batchSize: 64, cores: 2 }), [
      '3 replicas on 2 cores: they take turns on the cores and every step waits for the slowest (use at most 2)',
    ]);
  });
});
