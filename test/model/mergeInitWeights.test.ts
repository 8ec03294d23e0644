import assert from 'node:assert/strict';
import { freshLabel, mergeInitWeights } from '../../src/model/mergeInitWeights';

const w = (name: string, shape: number[], fill: number) => ({ name, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill) });

describe('mergeInitWeights', () => {
  it('takes the tensors whose name and shape match (copies), keeps the others, and says why each was not taken', () => {
    const model = [w('conv1/kernel', [3, 3, 1, 4], 0), w('bn1/movingMean', [4], 0), w('fc8/kernel', [4, 10], 0), w('fc8/bias', [10], 0), w('fc9/bias', [2], 0)];
    const source = [w('conv1/kernel', [3, 3, 1, 4], 1), w('bn1/movingMean', [4], 2), w('fc8/kernel', [4, 257], 3), w('fc8/bias', [257], 4), w('old/bias', [2], 5)];
    const m = mergeInitWeights(model, source);
    assert.deepEqual(m.taken, ['conv1/kernel', 'bn1/movingMean']);
    assert.deepEqual(m.weights.map((x) => x.data[0]), [1, 2, 0, 0, 0]);
    assert.deepEqual(m.weights.map((x) => x.name), model.map((x) => x.name), 'the model\'s order');
    assert.deepEqual(m.fresh.map(freshLabel), ['fc8/kernel [4,257] vs [4,10]', 'fc8/bias [257] vs [10]', 'fc9/bias [2] (not in the checkpoint)']);
    assert.equal(m.unused, 1);
    m.weights[0].data[0] = 9;
    assert.equal(source[0].data[0], 1, 'a copy: the source is left alone');
    assert.equal(model[0].data[0], 0, 'the model\'s arrays are left alone');
  });
});
