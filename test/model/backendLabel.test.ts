import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/model/backend';
import { backendLabel } from '../../src/model/backendLabel';
import { createTrainer } from '../../src/model/createTrainer';
import { nativeKernelState, setNativeKernelsEnabled } from '../../src/model/wasm/nativeKernels';
import { keepBackend } from '../fixtures/keepBackend';
import { tinyAlexNet } from './tinySpec';

describe('backendLabel', () => {
  it('adds +native only when the native kernels are active', () => {
    assert.equal(backendLabel({ name: 'wasm', native: { available: true, active: true, kernel: 'avx2' } }), 'wasm+native');
    assert.equal(backendLabel({ name: 'wasm', native: { available: true, active: false, reason: 'disabled' } }), 'wasm');
    assert.equal(backendLabel({ name: 'wasm' }), 'wasm');
    assert.equal(backendLabel({ name: 'cpu' }), 'cpu');
  });

  describe('as the trainer reports it (wasm)', () => {
    keepBackend();
    after(() => setNativeKernelsEnabled(true));

    for (const on of [true, false]) {
      it(`is ${on ? 'wasm+native' : 'wasm'} with the native kernels ${on ? 'on' : 'off'}`, async () => {
        setNativeKernelsEnabled(on);
        await initBackend({ prefer: 'wasm', threads: 1 });
        assert.equal(nativeKernelState().active, on, `native kernels: ${nativeKernelState().reason ?? ''}`);
        const t = await createTrainer({ model: tinyAlexNet(), backend: 'wasm', seed: 1 });
        try {
          assert.equal(t.backend, on ? 'wasm+native' : 'wasm');
          assert.equal(tf.getBackend(), 'wasm');
        } finally {
          await t.dispose();
        }
      });
    }
  });
});
