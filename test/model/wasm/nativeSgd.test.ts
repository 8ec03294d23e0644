import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { initBackend } from '../../../src/model/backend';
import type { NamedVariable } from '../../../src/model/Network';
import { createSgd, type SgdOptions } from '../../../src/model/sgd';
import { nativeKernels, setNativeKernelsEnabled, type NativeAddon } from '../../../src/model/wasm/nativeKernels';
import { nativeSgdUpdate } from '../../../src/model/wasm/nativeSgd';
import { values } from './compareBackends';

const settings: Array<Partial<SgdOptions>> = [
  { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0 },
  { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
  { lr: 0.02, momentum: 0.5, nesterov: false, weightDecay: 1e-3 },
  { lr: 0.1, momentum: 0, nesterov: false, weightDecay: 0 },
];

/** Weights and momentum buffers after three SGD steps, with the native kernels on or off. */
async function steps(options: Partial<SgdOptions>, native: boolean): Promise<Float32Array[]> {
  await initBackend({ prefer: 'wasm' });
  setNativeKernelsEnabled(native);
  try {
    const shapes = [[70000], [3, 3, 4, 5], [7]];
    const vars: NamedVariable[] = shapes.map((s, i) => ({ name: `v${i}`, variable: tf.variable(tf.tensor(values(s.reduce((a, b) => a * b), 80 + i), s)) }));
    const sgd = createSgd(vars, options);
    for (let k = 0; k < 3; k++) {
      const grads = vars.map(({ variable }, i) => tf.tensor(values(variable.size, 90 + 10 * k + i), variable.shape));
      assert.equal(nativeSgdUpdate(vars[0].variable, grads[0], { negLr: -0.1, momentum: 0, weightDecay: 0, nesterov: false }) !== undefined, native, 'routing');
      tf.dispose(nativeSgdUpdate(vars[0].variable, grads[0], { negLr: -0.1, momentum: 0, weightDecay: 0, nesterov: false }));
      const before = tf.memory().numTensors;
      sgd.apply(grads);
      assert.equal(tf.memory().numTensors, before, 'the update leaves no tensors behind');
      tf.dispose(grads);
    }
    const out = [...await Promise.all(vars.map(async (v) => Float32Array.from(await v.variable.data()))), ...sgd.slots.map((s) => Float32Array.from(s.data))];
    for (const v of vars) v.variable.dispose();
    return out;
  } finally {
    setNativeKernelsEnabled(true);
  }
}

describe('native SGD update on wasm', () => {
  for (const o of settings) {
    it(`is bit-identical to the JavaScript loop: momentum ${o.momentum}, nesterov ${String(o.nesterov)}, weight decay ${o.weightDecay}`, async () => {
      const js = await steps(o, false);
      const native = await steps(o, true);
      assert.equal(native.length, js.length);
      js.forEach((a, i) => assert.ok(Buffer.from(a.buffer).equals(Buffer.from(native[i].buffer)), `array ${i} differs`));
      assert.ok(js[0].some((v, i) => v !== values(70000, 80)[i]), 'the weights moved');
    });
  }

  it('gives the same bits on 1 and 2 threads and refuses aliased output', () => {
    const addon = nativeKernels() as NativeAddon;
    assert.ok(addon !== undefined, 'native addon expected (built by npm ci)');
    const n = 200001;
    const g = values(n, 1);
    const p = values(n, 2);
    const run = (threads: number): Float32Array[] => {
      const buf = values(n, 3);
      const out = new Float32Array(n);
      addon.sgdUpdate(g, p, buf, out, n, Math.fround(-0.01), Math.fround(0.9), Math.fround(1e-4), true, threads);
      return [buf, out];
    };
    const [a, b] = [run(1), run(2)];
    a.forEach((x, i) => assert.ok(Buffer.from(x.buffer).equals(Buffer.from(b[i].buffer)), `output ${i} differs`));
    assert.throws(() => addon.sgdUpdate(g, p, null, p, n, -0.01, 0, 0, false, 1), /must not alias/);
    assert.throws(() => addon.sgdUpdate(g, p, null, new Float32Array(n - 1), n, -0.01, 0, 0, false, 1), /out has \d+ elements, needs \d+/);
  });
});
