import * as tf from '@tensorflow/tfjs';
import { registerBatchNormGradient } from '../../../src/model/wasm/fusedBatchNormGrad';
import { assertClose, runOn, values } from './compareBackends';

describe('FusedBatchNorm gradient without tiling', () => {
  before(() => registerBatchNormGradient());

  // Training-mode BN: statistics from moments, so gradients also flow through mean and variance.
  const cases: { shape: number[]; what: string }[] = [
    { shape: [4, 5, 6, 3], what: 'NHWC conv activations' },
    { shape: [6, 7], what: 'dense activations' },
  ];
  for (const c of cases) {
    for (const backend of ['cpu', 'wasm'] as const) {
      it(`${c.what} ${c.shape.join('×')} on ${backend}: equals autodiff of the elementary formula`, async () => {
        const ch = c.shape[c.shape.length - 1];
        const axes = c.shape.slice(0, -1).map((_, i) => i);
        const make = (): tf.Tensor[] => [
          tf.tensor(values(c.shape.reduce((a, b) => a * b), 81, 0.4), c.shape),
          tf.tensor1d(values(ch, 82, 1)),
          tf.tensor1d(values(ch, 83)),
        ];
        const dyOf = (shape: number[]): tf.Tensor => tf.tensor(values(shape.reduce((a, b) => a * b), 84), shape);
        const fused = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor => {
          const m = tf.moments(x, axes);
          return tf.batchNorm(x, m.mean, m.variance, b as tf.Tensor1D, g as tf.Tensor1D, 1e-3);
        };
        const elementary = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor => {
          const m = tf.moments(x, axes);
          return tf.add(tf.mul(tf.mul(tf.sub(x, m.mean), tf.rsqrt(tf.add(m.variance, 1e-3))), g), b);
        };
        const [want] = [await runOn(backend, () => tf.grads(elementary)(make(), dyOf(c.shape)))];
        const got = await runOn(backend, () => tf.grads(fused)(make(), dyOf(c.shape)));
        ['dx', 'dgamma', 'dbeta'].forEach((n, i) => assertClose(got[i], want[i], 1e-4, n));
      });
    }
  }
});
