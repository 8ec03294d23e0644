import assert from 'node:assert/strict';
import { emaDecayAt, updateWeightEma, type WeightEma } from '../../src/model/WeightEma';

const w = (name: string, ...data: number[]) => ({ name, shape: [data.length], data: Float32Array.from(data) });

describe('WeightEma', () => {
  it('warms up as TensorFlow does, then holds the decay, raised to the update cadence', () => {
    assert.equal(emaDecayAt(0.999, 1, 0), 0.1);
    assert.equal(emaDecayAt(0.999, 1, 5), 6 / 15);
    assert.equal(emaDecayAt(0.999, 1, 100000), 0.999);
    assert.ok(Math.abs(emaDecayAt(0.999, 4, 100000) - 0.999 ** 4) < 1e-15);
    assert.equal(emaDecayAt(0.5, 1, 100), 0.5, 'a small decay is never raised by the warm-up');
  });

  it('copies the weights on the first update, then folds each in with the decay of its update number', () => {
    const opts = { decay: 0.5, everySteps: 1 };
    const first = [w('a', 1, 2), w('b', 10)];
    let ema: WeightEma = updateWeightEma(null, first, opts);
    assert.equal(ema.updates, 1);
    assert.deepEqual([...ema.weights[0].data], [1, 2]);
    first[0].data[0] = 99;
    assert.equal(ema.weights[0].data[0], 1, 'a copy, not the caller\'s array');
    // Update number 1: d = min(0.5, 2/11) = 2/11.
    ema = updateWeightEma(ema, [w('a', 12, 13), w('b', 21)], opts);
    const d1 = 2 / 11;
    assert.equal(ema.updates, 2);
    assert.ok(Math.abs(ema.weights[0].data[0] - (d1 * 1 + (1 - d1) * 12)) < 1e-5);
    assert.ok(Math.abs(ema.weights[1].data[0] - (d1 * 10 + (1 - d1) * 21)) < 1e-5);
    // Far past the warm-up the decay is 0.5.
    const late = updateWeightEma({ updates: 1000, weights: [w('a', 0, 4)] }, [w('a', 2, 0)], opts);
    assert.deepEqual([...late.weights[0].data], [1, 2]);
    assert.equal(late.updates, 1001);
  });

  it('refuses weights of another model, naming the tensor', () => {
    const ema = updateWeightEma(null, [w('a', 1, 2)], { decay: 0.9, everySteps: 1 });
    assert.throws(() => updateWeightEma(ema, [w('a', 1, 2), w('b', 3)], { decay: 0.9, everySteps: 1 }), /1 tensors, the model 2/);
    assert.throws(() => updateWeightEma(ema, [w('c', 1, 2)], { decay: 0.9, everySteps: 1 }), /tensor 0 is c \[2\] in the model but a \[2\]/);
    assert.throws(() => updateWeightEma(ema, [w('a', 1, 2, 3)], { decay: 0.9, everySteps: 1 }), /a \[3\] in the model/);
  });
});
