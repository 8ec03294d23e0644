import assert from 'node:assert/strict';
import type { Checkpoint } from '../../src/model/Checkpoint';
import { initWeightsOf } from '../../src/model/InitWeights';

const tensor = (v: number) => [{ name: 'fc/bias', shape: [1], data: Float32Array.of(v) }];
const ck = (ema: boolean): Checkpoint => ({
  step: 938,
  trainer: { weights: tensor(1), optimizer: tensor(7) },
  ...(ema ? { ema: { updates: 3, weights: tensor(2) } } : {}),
  inference: { classes: ['a', 'b'], mean: [72.9] },
} as unknown as Checkpoint);

describe('initWeightsOf', () => {
  it('takes what rxtrain evaluate scores by default: the moving average when the run kept one, else the trained weights', () => {
    const withEma = initWeightsOf(ck(true), 'a.rxckpt');
    assert.equal(withEma.kind, 'ema');
    assert.equal(withEma.weights[0].data[0], 2);
    assert.equal(withEma.step, 938);
    assert.deepEqual(withEma.inference?.mean, [72.9]);
    const without = initWeightsOf(ck(false), 'a.rxckpt');
    assert.equal(without.kind, 'trained');
    assert.equal(without.weights[0].data[0], 1);
  });

  it('takes the kind asked for, and refuses ema of a run that kept no average, naming the file', () => {
    assert.equal(initWeightsOf(ck(true), 'a.rxckpt', 'trained').weights[0].data[0], 1);
    assert.throws(() => initWeightsOf(ck(false), 'a.rxckpt', 'ema'), /^Error: a\.rxckpt: the run kept no moving average .*--init-weights trained/);
  });
});
