import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { batchNormTrain } from '../../../src/model/batchNormTrain';
import { nativeBatchNormUsable } from '../../../src/model/wasm/nativeBatchNorm';
import { nativeKernels, setNativeKernelsEnabled, type NativeAddon } from '../../../src/model/wasm/nativeKernels';
import { initBackend } from '../../../src/model/backend';
import { assertClose, runOn, values, WASM_PATHS, type WasmPath } from './compareBackends';

interface Case { shape: number[]; offset: number; what: string }

const cases: Case[] = [
  { shape: [2, 5, 5, 3], offset: 0, what: 'NHWC, 3 channels' },
  { shape: [4, 3, 3, 8], offset: 0, what: '8 channels' },
  { shape: [3, 6, 6, 33], offset: 0.5, what: '33 channels (not a multiple of a vector width)' },
  { shape: [2, 7, 7, 5], offset: 100, what: 'mean ≫ std (cancellation in a one-pass variance)' },
  { shape: [17, 12], offset: 0, what: 'rank 2 (dense layers)' },
  { shape: [1, 1, 1, 6], offset: 0, what: 'N·H·W = 1 (zero variance: y = β, dx = 0)' },
  { shape: [1, 4], offset: 0, what: 'rank 2, one row' },
  { shape: [8, 24, 24, 16], offset: 0, what: 'several row blocks, both threads' },
];

/** x, γ, β and a weight w for Σ(y·w), from four seeds starting at `seed`. */
function bnInputs(c: Case, seed: number): { x: tf.Tensor; gamma: tf.Tensor1D; beta: tf.Tensor1D; w: tf.Tensor } {
  const n = c.shape.reduce((a, b) => a * b, 1);
  const channels = c.shape[c.shape.length - 1];
  return {
    x: tf.tensor(values(n, seed, c.offset), c.shape),
    gamma: tf.tensor1d(values(channels, seed + 1, 1.5)),
    beta: tf.tensor1d(values(channels, seed + 2)),
    w: tf.tensor(values(n, seed + 3), c.shape),
  };
}

/** y, batch mean and variance, and dx, dγ, dβ of Σ(y·w) for a fixed w, through batchNormTrain. */
function bnOps(c: Case, path: WasmPath | 'cpu'): () => tf.Tensor[] {
  return () => {
    const { x, gamma, beta, w } = bnInputs(c, 11);
    // The routing is the point of the native run: make sure it is taken (and not on the others).
    assert.equal(nativeBatchNormUsable(x), path === 'native', `native BatchNorm usable on ${path}`);
    const { y, stats } = batchNormTrain(x, gamma, beta, 1e-5);
    const grads = tf.grads((xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(batchNormTrain(xi, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5).y, w)))([x, gamma, beta]);
    const out = [y, stats.mean, stats.variance, ...grads];
    return out;
  };
}

describe('native training BatchNorm on wasm (vs cpu)', () => {
  // Double-precision sums (native) vs float32 composed kernels (cpu): y, statistics and dγ/dβ
  // agree to float32 rounding of the larger values; dx goes through (N·dy − Σdy − x̂·Σdy·x̂),
  // a difference of sums of N terms, so it gets a looser bound.
  const tol = { y: 2e-5, stats: 2e-6, dx: 1e-4, dparams: 2e-5 };
  for (const path of WASM_PATHS) {
    for (const c of cases) {
      it(`${path}: ${c.what}: x ${c.shape.join('×')}`, async () => {
        const cpu = await runOn('cpu', bnOps(c, 'cpu'));
        const wasm = await runOn('wasm', bnOps(c, path), path);
        const names = ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'];
        // The composed float32 kernels (cpu and pure wasm alike) lose about log10(|mean|/std)
        // digits in x − mean; with mean ≈ 100·std they differ from each other by ~6e-5.
        const loose = path === 'pure' && c.offset >= 100 ? 10 : 1;
        const tols = [tol.y, tol.stats, tol.stats, tol.dx, tol.dparams, tol.dparams].map((t) => t * loose);
        names.forEach((name, i) => assertClose(wasm[i], cpu[i], tols[i], `${path} ${name}`));
        if (c.shape.slice(0, -1).every((d) => d === 1)) {
          assert.ok(wasm[0].every((v, i) => Math.abs(v - values(wasm[0].length, 13)[i]) < 1e-6), 'one row: y = β');
          assert.ok(wasm[3].every((v) => Math.abs(v) < 1e-6), 'one row: dx = 0');
        }
      });
    }
  }

  describe('with a ReLU after it ({ relu: true }): the same bits as batchNormTrain then tf.relu', () => {
    /** y, dx, dγ, dβ of Σ(relu(BN(x))·w), fused or composed (about half the y are < 0). */
    const reluOps = (c: Case, fused: boolean): (() => tf.Tensor[]) => () => {
      const { x, gamma, beta, w } = bnInputs(c, 31);
      const f = (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor => (fused
        ? batchNormTrain(xi, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, { relu: true }).y
        : tf.relu(batchNormTrain(xi, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5).y));
      const y = f(x, gamma, beta);
      return [y, ...tf.grads((xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(xi, g, b), w)))([x, gamma, beta])];
    };
    const names = ['y', 'dx', 'dgamma', 'dbeta'];
    for (const path of [...WASM_PATHS, 'cpu' as const]) {
      for (const c of cases.filter((k) => k.shape.slice(0, -1).some((d) => d > 1))) {
        it(`${path}: ${c.what}: x ${c.shape.join('×')}`, async () => {
          const backend = path === 'cpu' ? 'cpu' : 'wasm';
          const wasmPath = path === 'cpu' ? undefined : path;
          const fused = await runOn(backend, reluOps(c, true), wasmPath);
          const composed = await runOn(backend, reluOps(c, false), wasmPath);
          assert.ok(fused[0].some((v) => v === 0) && fused[0].some((v) => v > 0), 'the ReLU cuts some values and keeps others');
          // ±0 may differ (the composed gradient multiplies dy by 0); everything else is the same float.
          names.forEach((name, i) => fused[i].forEach((v, j) => assert.ok(v === composed[i][j], `${path} ${name}[${j}]: ${v} vs ${composed[i][j]}`)));
        });
      }
    }
  });

  it('leaves no tensors behind (statistics belong to the caller)', async () => {
    await initBackend({ prefer: 'wasm' });
    setNativeKernelsEnabled(true);
    const x = tf.tensor4d(values(2 * 4 * 4 * 3, 5), [2, 4, 4, 3]);
    const gamma = tf.ones([3]) as tf.Tensor1D;
    const beta = tf.zeros([3]) as tf.Tensor1D;
    const before = tf.memory().numTensors;
    const g = tf.grads((xi: tf.Tensor) => {
      const r = batchNormTrain(xi, gamma, beta, 1e-5);
      tf.dispose([r.stats.mean, r.stats.variance]);
      return tf.sum(r.y);
    })([x]);
    tf.dispose(g);
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x, gamma, beta]);
  });

  it('falls back to the composed kernels when the native kernels are switched off', async () => {
    await initBackend({ prefer: 'wasm' });
    setNativeKernelsEnabled(false);
    try {
      assert.equal(nativeBatchNormUsable(tf.zeros([2, 3])), false);
    } finally {
      setNativeKernelsEnabled(true);
    }
    assert.equal(nativeBatchNormUsable(tf.zeros([2, 3], 'int32')), false, 'int32 is not routed');
  });

  it('is bit-identical on 1 and 2 threads (fixed row blocks, summed in block order)', () => {
    const addon = nativeKernels() as NativeAddon;
    assert.ok(addon !== undefined, 'native addon expected (built by npm ci)');
    const rows = 4099;
    const C = 40;
    const x = values(rows * C, 21, 3);
    const dy = values(rows * C, 22);
    const gamma = values(C, 23, 1);
    const beta = values(C, 24);
    const run = (threads: number): Float32Array[] => {
      const y = new Float32Array(rows * C);
      const mean = new Float32Array(C);
      const variance = new Float32Array(C);
      const rstd = new Float32Array(C);
      addon.batchNormTrain(x, gamma, beta, y, mean, variance, rstd, rows, C, 1e-5, threads);
      const dx = new Float32Array(rows * C);
      const dgamma = new Float32Array(C);
      const dbeta = new Float32Array(C);
      addon.batchNormTrainGrad(x, dy, gamma, mean, rstd, dx, dgamma, dbeta, rows, C, threads);
      const sums = new Float32Array(C);
      addon.channelSum(x, sums, rows, C, threads);
      const yr = new Float32Array(rows * C);
      addon.batchNormReluTrain(x, gamma, beta, yr, mean, variance, rstd, rows, C, 1e-5, threads);
      const dxr = new Float32Array(rows * C);
      const dgammar = new Float32Array(C);
      const dbetar = new Float32Array(C);
      addon.batchNormReluTrainGrad(x, dy, gamma, beta, mean, rstd, dxr, dgammar, dbetar, rows, C, threads);
      return [y, mean, variance, rstd, dx, dgamma, dbeta, sums, yr, dxr, dgammar, dbetar];
    };
    const one = run(1);
    const two = run(2);
    one.forEach((a, i) => assert.ok(Buffer.from(a.buffer).equals(Buffer.from(two[i].buffer)), `output ${i} differs between 1 and 2 threads`));
  });

  it('rejects arrays shorter than rows × channels instead of reading past them', () => {
    const addon = nativeKernels() as NativeAddon;
    const f = (n: number): Float32Array => new Float32Array(n);
    assert.throws(() => addon.batchNormTrain(f(5), f(2), f(2), f(6), f(2), f(2), f(2), 3, 2, 1e-5, 1), /x has 5 elements, needs 6/);
    assert.throws(() => addon.batchNormTrainGrad(f(6), f(6), f(2), f(2), f(1), f(6), f(2), f(2), 3, 2, 1), /rstd has 1 elements, needs 2/);
    assert.throws(() => addon.channelSum(f(6), f(2), 3, 0, 1), /invalid rows × channels/);
    assert.throws(() => addon.batchNormReluTrain(f(5), f(2), f(2), f(6), f(2), f(2), f(2), 3, 2, 1e-5, 1), /x has 5 elements, needs 6/);
    assert.throws(() => addon.batchNormReluTrainGrad(f(6), f(6), f(2), f(1), f(2), f(2), f(6), f(2), f(2), 3, 2, 1), /beta has 1 elements, needs 2/);
  });
});
