import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/model/backend';
import { createTrainer } from '../../src/model/createTrainer';
import { nativeKernelState, setNativeKernelsEnabled } from '../../src/model/wasm/nativeKernels';
import { keepBackend } from '../fixtures/keepBackend';
import { tinyAlexNet } from './tinySpec';

const cores = os.availableParallelism();

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

describe('createTrainer({ worker: true })', function () {
  this.timeout(180000);
  keepBackend();

  it('trains a single replica in a worker thread: no kernel of a step runs on this thread, and it learns what this thread would', async () => {
    await initBackend({ prefer: 'cpu' });
    const inWorker = await createTrainer({ model: tinyAlexNet(), backend: 'cpu', seed: 1, worker: true });
    const here = await createTrainer({ model: tinyAlexNet(), backend: 'cpu', seed: 1 });
    const xs = tf.randomNormal([8, 16, 16, 1], 0, 1, 'float32', 4) as tf.Tensor4D;
    const ys = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32');
    try {
      assert.equal(inWorker.replicas, 1);
      // tf.profile records the kernels this thread's tfjs runs: a step that holds this thread
      // (and with it Ctrl-C's handler) for its whole length shows them.
      const profiled = async (t: typeof here): Promise<{ kernels: number; loss: number }> => {
        let loss = NaN;
        const p = await tf.profile(async () => {
          loss = (await t.step(xs, ys, 3)).loss;
        });
        return { kernels: p.kernelNames.length, loss };
      };
      const [w, h] = [await profiled(inWorker), await profiled(here)];
      assert.equal(w.kernels, 0, 'the worker computes the step');
      assert.ok(h.kernels > 0, 'this thread computes its own trainer\'s step');
      assert.ok(Math.abs(w.loss - h.loss) < 1e-5, `${w.loss} vs ${h.loss}`);
      // The second step's loss follows from the first update (SGD with momentum in the worker).
      const [w2, h2] = [await profiled(inWorker), await profiled(here)];
      assert.ok(Math.abs(w2.loss - h2.loss) < 1e-4 && w2.loss !== w.loss, `${w2.loss} vs ${h2.loss}`);
      // Trainer's optional timings(): the worker trainer has them, the in-thread one not, and
      // neither needs a cast to DataParallelTrainer.
      assert.equal(inWorker.timings?.().steps, 2);
      assert.equal(here.timings, undefined);
    } finally {
      tf.dispose([xs, ys]);
      await inWorker.dispose();
      await here.dispose();
    }
  });
});
