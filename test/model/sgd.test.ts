import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/model/backend';
import { checkSgdOptions, createSgd, defaultSgdOptions, type SgdOptions } from '../../src/model/sgd';

/*
 * Golden values from PyTorch 1.13 (/usr/bin/python3), float32:
 *   p = nn.Parameter(tensor([1.0, -2.0, 0.5])); opt = SGD([p], lr=0.1, **kw)
 *   for s in range(3): opt.zero_grad(); ((p ** 2 * tensor([1., 2., 3.])).sum() + p.sum() * s).backward(); opt.step()
 */
const golden: ReadonlyArray<{ opts: Partial<SgdOptions>; want: number[] }> = [
  { opts: { momentum: 0.9, nesterov: false, weightDecay: 0 }, want: [-0.3079999, 0.7299999, -0.7569999] },
  { opts: { momentum: 0, nesterov: false, weightDecay: 0.1 }, want: [0.214039, -0.669758, -0.2093405] },
  { opts: { momentum: 0.5, nesterov: true, weightDecay: 0.01 }, want: [-0.1842995, -0.2512919, -0.3916593] },
];

describe('createSgd', () => {
  before(async () => {
    await initBackend({ prefer: 'cpu' });
  });

  for (const g of golden) {
    it(`matches torch.optim.SGD with ${JSON.stringify(g.opts)}`, () => {
      const p = tf.variable(tf.tensor1d([1, -2, 0.5]));
      const sgd = createSgd([{ name: 'p', variable: p }], { lr: 0.1, ...g.opts });
      const c = tf.tensor1d([1, 2, 3]);
      for (let s = 0; s < 3; s++) {
        const grad = tf.tidy(() => tf.add(tf.mul(tf.mul(p, c), 2), s));
        sgd.apply([grad]);
        grad.dispose();
      }
      Array.from(p.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - g.want[i]) < 1e-6, `p[${i}] = ${v}, PyTorch ${g.want[i]}`));
      assert.equal(sgd.slots.length, g.opts.momentum === 0 ? 0 : 1);
      tf.dispose([p, c]);
    });
  }

  it('a field given as undefined (a flag left out, passed on as it is) keeps its default, as a missing one does', () => {
    assert.deepEqual(checkSgdOptions({ lr: 0.1, momentum: undefined, nesterov: undefined, weightDecay: undefined }), { ...defaultSgdOptions, lr: 0.1 });
  });

  it('defaults to the seed settings and validates options', () => {
    assert.deepEqual(defaultSgdOptions, { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 0 });
    const p = tf.variable(tf.zeros([2]));
    const vars = [{ name: 'p', variable: p }];
    assert.throws(() => createSgd(vars, { lr: 0 }), /lr must be a positive number/);
    assert.throws(() => createSgd(vars, { momentum: 0, nesterov: true }), /nesterov needs momentum > 0/);
    assert.throws(() => createSgd(vars, { weightDecay: -1 }), /weightDecay must be ≥ 0/);
    const sgd = createSgd(vars);
    assert.throws(() => sgd.apply([]), /got 0 gradients for 1 variables/);
    assert.throws(() => sgd.setLearningRate(Number.NaN), /positive number/);
    sgd.setLearningRate(0.5);
    assert.equal(sgd.lr, 0.5);
    p.dispose();
  });
});
