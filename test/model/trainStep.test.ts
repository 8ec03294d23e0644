import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/model/backend';
import { buildNetwork } from '../../src/model/Network';
import { checkLabelSmoothing, computeGradients, disposeGradients, nllAndCorrect } from '../../src/model/trainStep';
import { tinyAlexNet } from './tinySpec';
import { runOn } from './wasm/compareBackends';

// Log-probabilities of 3 samples over 4 classes, and their labels; the references below are
// computed from these plain arrays, not by the code under test.
const LOGITS = [
  [2.0, 0.5, -1.0, 0.1],
  [0.3, 0.2, 1.5, -0.7],
  [-0.4, 1.1, 0.0, 0.9],
];
const LABELS = [0, 2, 3];

function logSoftmaxRows(rows: number[][]): number[][] {
  return rows.map((r) => {
    const m = Math.max(...r);
    const lse = m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
    return r.map((v) => v - lse);
  });
}

describe('trainStep: the loss', () => {
  before(async () => {
    await initBackend({ prefer: 'cpu' });
  });

  it('is the mean NLL with the correct count when there is no smoothing', async () => {
    const lp = logSoftmaxRows(LOGITS);
    const expected = -LABELS.reduce((s, y, i) => s + lp[i][y], 0) / LABELS.length;
    const { loss, correct } = tf.tidy(() => nllAndCorrect(tf.tensor2d(lp), tf.tensor1d(LABELS, 'int32')));
    assert.ok(Math.abs((await loss.data())[0] - expected) < 1e-6);
    assert.equal((await correct.data())[0], 2, 'samples 0 and 1 have their label as the argmax, sample 2 not');
    tf.dispose([loss, correct]);
  });

  it('with label smoothing ε is (1 − ε)·NLL + ε·mean over classes of −log p (PyTorch\'s definition)', async () => {
    const lp = logSoftmaxRows(LOGITS);
    for (const eps of [0.1, 0.5]) {
      const expected = LABELS.reduce((s, y, i) => {
        const uniform = -lp[i].reduce((a, v) => a + v, 0) / lp[i].length;
        return s + (1 - eps) * -lp[i][y] + eps * uniform;
      }, 0) / LABELS.length;
      const { loss, correct } = tf.tidy(() => nllAndCorrect(tf.tensor2d(lp), tf.tensor1d(LABELS, 'int32'), eps));
      const got = (await loss.data())[0];
      assert.ok(Math.abs(got - expected) < 1e-6, `ε = ${eps}: ${got} vs ${expected}`);
      assert.equal((await correct.data())[0], 2, 'accuracy does not depend on the smoothing');
      tf.dispose([loss, correct]);
    }
  });

  it('has the gradient softmax − smoothed target with respect to the logits', async () => {
    const eps = 0.2;
    const k = LOGITS[0].length;
    const n = LABELS.length;
    const z = tf.tensor2d(LOGITS);
    const ys = tf.tensor1d(LABELS, 'int32');
    const g = tf.grad((x: tf.Tensor) => nllAndCorrect(tf.logSoftmax(x as tf.Tensor2D), ys, eps).loss)(z);
    const got = await g.data();
    const p = logSoftmaxRows(LOGITS).map((r) => r.map(Math.exp));
    p.forEach((row, i) => row.forEach((pv, c) => {
      const target = (c === LABELS[i] ? 1 - eps : 0) + eps / k;
      const want = (pv - target) / n;
      assert.ok(Math.abs(got[i * k + c] - want) < 1e-6, `[${i}, ${c}]: ${got[i * k + c]} vs ${want}`);
    }));
    tf.dispose([z, ys, g]);
  });

  it('gives the same smoothed loss and gradient on wasm as on cpu', async () => {
    // wasm's OneHot truncates non-integer on/off values; a loss built on them was 0 there.
    const f = (): tf.Tensor[] => {
      const z = tf.tensor2d(LOGITS);
      const ys = tf.tensor1d(LABELS, 'int32');
      const loss = (x: tf.Tensor): tf.Scalar => nllAndCorrect(tf.logSoftmax(x as tf.Tensor2D), ys, 0.2).loss;
      return [loss(z), tf.grad(loss)(z)];
    };
    try {
      const [[lc, gc], [lw, gw]] = [await runOn('cpu', f), await runOn('wasm', f)];
      assert.ok(lc[0] > 0.5, `cpu loss ${lc[0]}`);
      assert.ok(Math.abs(lw[0] - lc[0]) < 1e-5, `wasm ${lw[0]} vs cpu ${lc[0]}`);
      gc.forEach((v, i) => assert.ok(Math.abs(gw[i] - v) < 1e-5, `gradient [${i}]: wasm ${gw[i]} vs cpu ${v}`));
    } finally {
      await initBackend({ prefer: 'cpu' });
    }
  });

  it('rejects smoothing factors outside [0, 1)', () => {
    for (const bad of [1, -0.1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => checkLabelSmoothing(bad), /labelSmoothing must be a number in \[0, 1\)/);
      assert.throws(() => tf.tidy(() => nllAndCorrect(tf.zeros([1, 2]) as tf.Tensor2D, tf.tensor1d([0], 'int32'), bad).loss), RangeError);
    }
    checkLabelSmoothing(0);
    checkLabelSmoothing(0.99);
  });

  it('computeGradients trains on the smoothed loss and leaks no tensors', async () => {
    const net = buildNetwork(tinyAlexNet(), { seed: 3 });
    const xs = tf.randomNormal([4, 16, 16, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    const ys = tf.tensor1d([0, 1, 2, 1], 'int32');
    try {
      const before = tf.memory().numTensors;
      const plain = computeGradients(net, xs, ys, 1);
      const plainLoss = (await plain.loss.data())[0];
      const plainGrad = await plain.grads[0].data();
      disposeGradients(plain);
      const smooth = computeGradients(net, xs, ys, 1, 0, 0.3);
      const smoothLoss = (await smooth.loss.data())[0];
      const smoothGrad = await smooth.grads[0].data();
      disposeGradients(smooth);
      assert.equal(tf.memory().numTensors, before, 'every tensor of both calls disposed');
      assert.ok(Number.isFinite(smoothLoss) && smoothLoss !== plainLoss, `${smoothLoss} vs ${plainLoss}`);
      assert.ok(smoothGrad.some((v, i) => v !== plainGrad[i]), 'the gradients follow the smoothed loss');
    } finally {
      tf.dispose([xs, ys]);
      net.dispose();
    }
  });
});
