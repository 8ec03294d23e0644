import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { initBackend } from '../../../src/model/backend';
import { nativeKernelState, setNativeKernelsEnabled } from '../../../src/model/wasm/nativeKernels';
import { assertClose, type WasmPath } from './compareBackends';
import { convnetSteps } from './convnetSteps';

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
    return await convnetSteps({ size: 12, stride: 1, filters: 16, pooled: 5, seed: 151, scale: { conv: 0.2, conv2: 0.1, dense: 0.05 }, steps: 5 });
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
