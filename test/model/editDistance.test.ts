import assert from 'node:assert/strict';
import { editDistance } from '../../src/model/editDistance';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions, and a swap of neighbours as one edit', () => {
    assert.equal(editDistance('epochs', 'epochs'), 0);
    assert.equal(editDistance('epoch', 'epochs'), 1);
    assert.equal(editDistance('batchsize', 'batchSize'), 1);
    assert.equal(editDistance('trian', 'train'), 1, 'a swap');
    assert.equal(editDistance('optimiser', 'optimizer'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });
});
