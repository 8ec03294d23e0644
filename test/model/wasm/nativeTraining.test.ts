import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { initBackend } from '../../../src/model/backend';
import { nativeKernelState, setNativeKernelsEnabled } from '../../../src/model/wasm/nativeKernels';
import { assertClose, values, type WasmPath } from './compareBackends';

interface Run { losses: number[]; weights: Float32Array[] }

/**
 * Five SGD-Nesterov steps of a small conv net (conv 5×5 + bias + ReLU → BN → max-pool →
 * conv 3×3 → ReLU → dense + bias → log-softmax NLL) from fixed weights on fixed batches. Sized
 * so that the first convolution's native GEMMs split across both threads (≥ 1 M multiply-adds).
 */
async function train(backend: 'cpu' | WasmPath): Promise<Run> {
  if (backend === 'cpu') {
    await tf.setBackend('cpu');
  } else {
    await initBackend({ prefer: 'wasm' });
    if (backend === 'native') assert.ok(nativeKernelState().available, nativeKernelState().reason);
    setNativeKernelsEnabled(backend === 'native');
  }
  try {
    const init = (shape: number[], seed: number, scale: number, offset = 0): tf.Variable =>
      tf.variable(tf.tensor(values(shape.reduce((a, b) => a * b), seed).map((v) => v * scale + offset), shape));
    const v = {
      conv: init([5, 5, 3, 16], 151, 0.2), convBias: init([16], 152, 0.05), gamma: init([16], 153, 0.1, 1), beta: init([16], 154, 0.1),
      conv2: init([3, 3, 16, 16], 155, 0.1), dense: init([5 * 5 * 16, 10], 156, 0.05), denseBias: init([10], 157, 0.05),
    };
    const opt = tf.train.momentum(0.05, 0.9, true);
    const losses: number[] = [];
    for (let s = 0; s < 5; s++) {
      const cost = tf.tidy(() => {
        const x = tf.tensor4d(values(8 * 12 * 12 * 3, 160 + s), [8, 12, 12, 3]);
        const labels = tf.tensor1d(Array.from({ length: 8 }, (_, i) => (i * 3 + s) % 10), 'int32');
        return opt.minimize(() => {
          let h: tf.Tensor = tf.fused.conv2d({ x, filter: v.conv as tf.Tensor4D, strides: 1, pad: 2, bias: v.convBias, activation: 'relu' });
          const m = tf.moments(h, [0, 1, 2]);
          h = tf.batchNorm(h, m.mean, m.variance, v.beta, v.gamma, 1e-3);
          h = tf.maxPool(h as tf.Tensor4D, 3, 2, 'valid');
          h = tf.relu(tf.conv2d(h as tf.Tensor4D, v.conv2 as tf.Tensor4D, 1, 'same'));
          const logits = tf.fused.matMul({ a: h.reshape([8, -1]), b: v.dense as tf.Tensor2D, bias: v.denseBias });
          return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(labels, 10)), 1))) as tf.Scalar;
        }, true) as tf.Scalar;
      });
      losses.push((await cost.data())[0]);
      cost.dispose();
    }
    const weights = await Promise.all(Object.values(v).map(async (t) => Float32Array.from(await t.data())));
    opt.dispose();
    tf.dispose(Object.values(v));
    return { losses, weights };
  } finally {
    setNativeKernelsEnabled(true);
  }
}

describe('training on wasm+native', () => {
  it('gives the cpu losses over 5 SGD-Nesterov steps, as pure wasm does', async () => {
    const cpu = await train('cpu');
    const native = await train('native');
    const pure = await train('pure');
    assert.ok(cpu.losses[4] < cpu.losses[0], `loss should fall on cpu: ${cpu.losses.join(', ')}`);
    // Float32 summation order differs per kernel; after 5 updates losses agree to 1e-3 relative.
    assertClose(Float32Array.from(native.losses), Float32Array.from(cpu.losses), 1e-3, `native losses (cpu ${cpu.losses.join(', ')})`);
    assertClose(Float32Array.from(pure.losses), Float32Array.from(cpu.losses), 1e-3, `pure wasm losses (cpu ${cpu.losses.join(', ')})`);
  });

  it('is deterministic: two runs give bit-identical losses and weights (checkpoint/resume and replicas rely on it)', async () => {
    const a = await train('native');
    const b = await train('native');
    assert.deepEqual(b.losses, a.losses);
    a.weights.forEach((w, i) => assert.ok(Buffer.from(w.buffer).equals(Buffer.from(b.weights[i].buffer)), `weights ${i} differ`));
  });
});
