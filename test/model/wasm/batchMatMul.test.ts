import * as tf from '@tensorflow/tfjs';
import { assertClose, runOn, values, WASM_PATHS } from './compareBackends';

describe('wasm BatchMatMul / _FusedMatMul with transposes (vs cpu)', () => {
  const tol = 1e-5; // relative to the largest output: summation order only
  // [m, k, n]: a small-batch dense layer (swap plan) and a square-ish one (materialise plan).
  const shapes: [number, number, number][] = [[4, 300, 37], [33, 17, 29], [70, 600, 45]];
  for (const [m, k, n] of shapes) {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) for (const wasmPath of WASM_PATHS) {
        it(`${wasmPath}: matMul ${m}×${k}·${k}×${n}, transposeA=${tA}, transposeB=${tB}`, async () => {
          const run = (): tf.Tensor[] => {
            const a = tf.tensor2d(values(m * k, 9), tA ? [k, m] : [m, k]);
            const b = tf.tensor2d(values(k * n, 10), tB ? [n, k] : [k, n]);
            const b3 = b.reshape([1, ...b.shape]) as tf.Tensor3D;
            const a3 = a.reshape([1, ...a.shape]) as tf.Tensor3D;
            return [
              tf.matMul(a, b, tA, tB),
              tf.matMul(a3, b3, tA, tB),
              tf.fused.matMul({ a, b, transposeA: tA, transposeB: tB, bias: tf.tensor1d(values(n, 11)), activation: 'relu' }),
            ];
          };
          const cpu = await runOn('cpu', run);
          const wasm = await runOn('wasm', run, wasmPath);
          assertClose(wasm[0], cpu[0], tol, 'matMul 2-D');
          assertClose(wasm[1], cpu[1], tol, 'matMul batch 1');
          assertClose(wasm[2], cpu[2], tol, 'fused matMul + bias + relu');
        });
      }
    }
  }

  it('keeps the 3-D output shape of batch-1 products and handles batch > 1', async () => {
    const run = (): tf.Tensor[] => {
      const a = tf.tensor3d(values(3 * 5 * 4, 12), [3, 5, 4]);
      const b = tf.tensor3d(values(3 * 6 * 4, 13), [3, 6, 4]);
      const one = tf.matMul(a.slice([0, 0, 0], [1, 5, 4]), b.slice([0, 0, 0], [1, 6, 4]), false, true);
      if (one.rank !== 3) throw new Error(`rank ${one.rank}`);
      return [tf.matMul(a, b, false, true), one];
    };
    const cpu = await runOn('cpu', run);
    const wasm = await runOn('wasm', run);
    assertClose(wasm[0], cpu[0], tol, 'batch 3');
    assertClose(wasm[1], cpu[1], tol, 'batch 1');
  });
});
