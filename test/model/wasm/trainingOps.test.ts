import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { initBackend } from '../../../src/model/backend';
import { setNativeKernelsEnabled } from '../../../src/model/wasm/nativeKernels';
import { assertClose, runOn, values, WASM_PATHS } from './compareBackends';

/**
 * The tfjs wasm kernels (stock and rxtrain's) that a convnet training step goes through,
 * checked against `cpu`: reductions (the notes saw disagreements), BatchNorm statistics and
 * gradients, fused conv/dense with ReLU, pooling, log-softmax + NLL, argMax.
 */
describe('wasm kernels used in training (vs cpu)', () => {
  const tol = 1e-5; // relative to the largest |value|

  const reductionShapes: [number[], number[]][] = [
    [[7, 5, 3], [0]], [[7, 5, 3], [1]], [[7, 5, 3], [2]], [[7, 5, 3], [0, 2]],
    [[4, 6, 5, 8], [0, 1, 2]], [[33, 17], [1]], [[64, 1000], [0]], [[5000], [0]],
  ];
  for (const [shape, axes] of reductionShapes) {
    it(`reductions of ${shape.join('×')} over [${axes.join(',')}]: sum, mean, max, min, argMax, moments, logSumExp`, async () => {
      const run = (): tf.Tensor[] => {
        const x = tf.tensor(values(shape.reduce((a, b) => a * b), 21, 0.3), shape);
        const m = tf.moments(x, axes);
        return [tf.sum(x, axes), tf.mean(x, axes), tf.max(x, axes), tf.min(x, axes), tf.sum(x, axes, true),
          tf.argMax(x, axes[axes.length - 1]).cast('float32'), m.mean, m.variance, tf.logSumExp(x, axes)];
      };
      const cpu = await runOn('cpu', run);
      const wasm = await runOn('wasm', run);
      const names = ['sum', 'mean', 'max', 'min', 'sum keepDims', 'argMax', 'moments.mean', 'moments.variance', 'logSumExp'];
      names.forEach((n, i) => assertClose(wasm[i], cpu[i], tol, n));
    });
  }

  it('int32 and bool reductions used for accuracy: sum, mean, max of int32, sum of equal()', async () => {
    const run = (): tf.Tensor[] => {
      const a = tf.tensor1d(Array.from({ length: 1000 }, (_, i) => (i * 7919) % 13 - 6), 'int32');
      const b = tf.tensor1d(Array.from({ length: 1000 }, (_, i) => (i * 104729) % 13 - 6), 'int32');
      const eq = tf.equal(a, b);
      return [tf.sum(a), tf.mean(a), tf.max(a), tf.sum(tf.cast(eq, 'float32')), tf.sum(eq), tf.mean(tf.cast(eq, 'float32'))];
    };
    const cpu = await runOn('cpu', run);
    const wasm = await runOn('wasm', run);
    ['sum', 'mean', 'max', 'sum(cast(equal))', 'sum(equal)', 'mean(cast(equal))'].forEach((n, i) => assertClose(wasm[i], cpu[i], 1e-6, n));
  });

  it('large reductions (BatchNorm statistics over 16×27×27) stay within float32 rounding of cpu', async () => {
    const run = (): tf.Tensor[] => {
      const x = tf.tensor4d(values(16 * 27 * 27 * 8, 22, 0.5), [16, 27, 27, 8]);
      const m = tf.moments(x, [0, 1, 2]);
      return [tf.sum(x, [0, 1, 2]), m.mean, m.variance];
    };
    const cpu = await runOn('cpu', run);
    const wasm = await runOn('wasm', run);
    assertClose(wasm[0], cpu[0], 1e-5, 'sum');
    assertClose(wasm[1], cpu[1], 1e-5, 'mean');
    assertClose(wasm[2], cpu[2], 1e-5, 'variance');
  });

  for (const wasmPath of WASM_PATHS) it(`${wasmPath}: fused conv2d + bias + ReLU, batchNorm (training statistics), maxPool, dense, log-softmax NLL: loss and all gradients`, async () => {
    const run = (): tf.Tensor[] => {
      const x = tf.tensor4d(values(4 * 11 * 11 * 3, 31), [4, 11, 11, 3]);
      const w = tf.tensor4d(values(3 * 3 * 3 * 6, 32, 0).map((v) => v * 0.5), [3, 3, 3, 6]);
      const bias = tf.tensor1d(values(6, 33).map((v) => v * 0.1));
      const gamma = tf.tensor1d(values(6, 34, 1.5));
      const beta = tf.tensor1d(values(6, 35).map((v) => v * 0.2));
      const wd = tf.tensor2d(values(5 * 5 * 6 * 7, 36).map((v) => v * 0.2), [5 * 5 * 6, 7]);
      const labels = tf.tensor1d([0, 3, 6, 2], 'int32');
      const f = (cw: tf.Tensor, cb: tf.Tensor, g: tf.Tensor, bt: tf.Tensor, dw: tf.Tensor): tf.Scalar => {
        const c = tf.fused.conv2d({ x, filter: cw as tf.Tensor4D, strides: 1, pad: 'same', bias: cb, activation: 'relu' });
        const m = tf.moments(c, [0, 1, 2]);
        const bn = tf.batchNorm(c, m.mean, m.variance, bt, g, 1e-3);
        const p = tf.maxPool(bn as tf.Tensor4D, 3, 2, 'valid');
        const logits = tf.fused.matMul({ a: p.reshape([4, -1]), b: dw as tf.Tensor2D });
        const logp = tf.logSoftmax(logits);
        return tf.neg(tf.mean(tf.sum(tf.mul(logp, tf.oneHot(labels, 7)), 1))) as tf.Scalar;
      };
      const { value, grads } = tf.valueAndGrads(f)([w, bias, gamma, beta, wd]);
      return [value, ...grads];
    };
    const cpu = await runOn('cpu', run);
    const wasm = await runOn('wasm', run, wasmPath);
    ['loss', 'dConv', 'dBias', 'dGamma', 'dBeta', 'dDense'].forEach((n, i) => assertClose(wasm[i], cpu[i], 1e-4, n));
  });

  for (const wasmPath of WASM_PATHS) it(`${wasmPath}: rxtrain kernels leak no tensors or wasm buffers`, async () => {
    await initBackend({ prefer: 'wasm' });
    setNativeKernelsEnabled(wasmPath === 'native');
    const before = tf.memory();
    tf.tidy(() => {
      const x = tf.tensor4d(values(2 * 9 * 9 * 3, 41, -2), [2, 9, 9, 3]);
      const w = tf.tensor4d(values(3 * 3 * 3 * 4, 42), [3, 3, 3, 4]);
      const d = tf.tensor2d(values(64 * 5, 43), [64, 5]);
      tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
        const y = tf.maxPool(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), 3, 2, 'valid');
        return tf.matMul(y.reshape([2, 64]), c as tf.Tensor2D, false, false).sum();
      })([x, w, d]);
      tf.matMul(d, d, true, false);
      tf.matMul(d, d, false, true);
    });
    const after = tf.memory();
    assert.equal(after.numTensors, before.numTensors);
    assert.equal(after.numDataBuffers, before.numDataBuffers);
    assert.equal(after.numBytes, before.numBytes);
    setNativeKernelsEnabled(true);
  });
});
