import assert from 'node:assert/strict';
import { classesDifference } from '../../src/streams/classesDifference';

describe('classesDifference', () => {
  it('names the missing and the extra classes, compared as folders spell them', () => {
    assert.equal(classesDifference(['cat', 'bird'], ['cat', 'dog']), 'missing: dog; extra: bird');
    assert.equal(classesDifference(['cat'], ['cat', 'dog']), 'missing: dog; extra: none');
    assert.equal(classesDifference(['t-shirt_top', 'bag', 'hat'], ['T-shirt/top', 'Bag']), 'missing: none; extra: hat');
    assert.equal(classesDifference(['中華料理'], ['日本の寿司']), 'missing: 日本の寿司; extra: 中華料理');
  });

  it('says where the order differs when both hold the same classes: the position is the label', () => {
    assert.equal(classesDifference(['dog', 'cat'], ['cat', 'dog']), 'the same classes in another order: label 0 is dog, in the training data cat');
    assert.equal(classesDifference(['a', 'b', 'd', 'c'], ['a', 'b', 'c', 'd']), 'the same classes in another order: label 2 is d, in the training data c');
    assert.equal(classesDifference(['a', 'b'], ['a', 'b']), 'none');
  });
});
