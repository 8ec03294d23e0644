import assert from 'node:assert/strict';
import * as os from 'node:os';
import { initBackend } from '../../src/model/backend';
import { createTrainer } from '../../src/model/createTrainer';
import { nativeKernelState, setNativeKernelsEnabled } from '../../src/model/wasm/nativeKernels';
import { keepBackend } from '../fixtures/keepBackend';
import { tinyAlexNet } from './tinySpec';

const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;

describe("createTrainer({ replicas: 'auto' })", function () {
  // Replica workers load tfjs through tsx: a few seconds each on a busy machine.
  this.timeout(180000);
  keepBackend();
  after(() => setNativeKernelsEnabled(true));

  it('runs one replica per core on the single-threaded cpu backend', async () => {
    await initBackend({ prefer: 'cpu' });
    const t = await createTrainer({ model: tinyAlexNet(), backend: 'cpu', replicas: 'auto', seed: 1 });
    try {
      assert.equal(t.replicas, cores);
    } finally {
      await t.dispose();
    }
  });

  for (const on of [true, false]) {
    it(`on wasm ${on ? 'with' : 'without'} the native kernels runs ${on ? 'one replica on every core' : 'one replica per core'}`, async () => {
      setNativeKernelsEnabled(on);
      await initBackend({ prefer: 'wasm', threads: 1 });
      const active = nativeKernelState().active;
      // Without the addon built, "on" cannot be active: then both cases are pure wasm.
      assert.ok(on || !active);
      const t = await createTrainer({ model: tinyAlexNet(), backend: 'wasm', replicas: 'auto', seed: 1 });
      try {
        assert.equal(t.replicas, active ? 1 : cores, `native kernels ${active ? 'active' : `inactive: ${nativeKernelState().reason ?? ''}`}`);
      } finally {
        await t.dispose();
      }
    });
  }
});
