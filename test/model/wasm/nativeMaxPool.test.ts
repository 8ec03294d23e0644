import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { nativeKernels, type NativeAddon } from '../../../src/model/wasm/nativeKernels';
import { assertClose, runOn, values, WASM_PATHS } from './compareBackends';

type Pad = 'same' | 'valid' | number;
interface Case { x: [number, number, number, number]; size: number | [number, number]; stride: number | [number, number]; pad: Pad; round?: 'floor' | 'ceil' | 'round'; offset: number; what: string }

const cases: Case[] = [
  { x: [2, 13, 13, 8], size: 3, stride: 2, pad: 'valid', offset: 0, what: 'overlapping 3/2 (AlexNet), vector channels' },
  { x: [2, 13, 13, 5], size: 3, stride: 2, pad: 'valid', offset: -3, what: 'all windows negative, 4 + 1 channels' },
  { x: [1, 10, 11, 6], size: 3, stride: 2, pad: 'same', offset: -3, what: "'same' padding, odd width" },
  { x: [1, 9, 9, 4], size: 2, stride: 2, pad: 'valid', offset: 0.5, what: 'non-overlapping 2/2, last row/column unused' },
  { x: [1, 8, 8, 3], size: 3, stride: 1, pad: 1, offset: -1, what: 'stride 1, numeric padding' },
  { x: [2, 7, 9, 12], size: [2, 3], stride: [1, 2], pad: 'same', offset: 0, what: 'rectangular window and stride' },
  { x: [1, 7, 7, 4], size: 3, stride: 2, pad: 1, round: 'ceil', offset: 0, what: 'numeric padding, ceil rounding' },
  { x: [4, 32, 32, 16], size: 3, stride: 2, pad: 'valid', offset: 0, what: 'small-model pool1 family, both threads' },
];

function label(c: Case): string {
  return `${c.what}: x ${c.x.join('×')}, pool ${String(c.size)}/${String(c.stride)}, pad ${String(c.pad)}${c.round ? `, ${c.round}` : ''}`;
}

describe('native MaxPool / MaxPoolGrad on wasm (vs cpu)', () => {
  // Forward: the same element is picked, so exact. Gradient: the same routing; a dx element
  // shared by overlapping windows sums ≤ 4 terms in the same window order (cpu in float64
  // before storing, native in float32).
  const tol = 1e-6;
  for (const path of WASM_PATHS) {
    for (const c of cases) {
      it(`${path}: ${label(c)}`, async () => {
        const run = (): tf.Tensor[] => {
          const x = tf.tensor4d(values(c.x.reduce((a, b) => a * b), 31, c.offset), c.x);
          const pool = (t: tf.Tensor): tf.Tensor4D => tf.maxPool(t as tf.Tensor4D, c.size, c.stride, c.pad, c.round);
          const y = pool(x);
          const dy = tf.tensor4d(values(y.size, 32, 2), y.shape); // positive, so misrouting shows
          return [y, tf.grad(pool)(x, dy)];
        };
        const [cpuY, cpuDx] = await runOn('cpu', run);
        const [y, dx] = await runOn('wasm', run, path);
        assertClose(y, cpuY, 0, `${path} forward max`);
        assertClose(dx, cpuDx, tol, `${path} dx`);
      });
    }
  }

  for (const path of WASM_PATHS) {
    it(`${path}: gives ties to the first maximum in the window, as cpu does`, async () => {
      const run = (): tf.Tensor[] => {
        const x = tf.tensor4d(Array.from({ length: 18 }, (_, i) => (i % 2 === 0 ? -2 : 5)), [1, 3, 3, 2]); // channel 0 all −2, channel 1 all 5
        return [tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 1, 'valid'))(x, tf.ones([1, 2, 2, 2]))];
      };
      const [wasm] = await runOn('wasm', run, path);
      const [cpu] = await runOn('cpu', run);
      assert.deepEqual(Array.from(wasm), Array.from(cpu));
      assert.deepEqual(Array.from(wasm).filter((_, i) => i % 2 === 0), [1, 1, 0, 1, 1, 0, 0, 0, 0]);
      assert.deepEqual(Array.from(wasm).filter((_, i) => i % 2 === 1), [1, 1, 0, 1, 1, 0, 0, 0, 0]);
    });
  }

  it('is bit-identical on 1 and 2 threads, and checks its arguments', () => {
    const addon = nativeKernels() as NativeAddon;
    assert.ok(addon !== undefined, 'native addon expected (built by npm ci)');
    const [B, H, W, C] = [6, 15, 15, 20];
    const geom = [B, H, W, C, 3, 3, 2, 2, 0, 0, 7, 7];
    const x = values(B * H * W * C, 41);
    const dy = values(B * 7 * 7 * C, 42);
    const run = (threads: number): Float32Array[] => {
      const y = new Float32Array(dy.length);
      const dx = new Float32Array(x.length).fill(Number.NaN); // every element must be written
      addon.maxPool(x, y, geom, threads);
      addon.maxPoolGrad(x, dy, dx, geom, threads);
      return [y, dx];
    };
    const one = run(1);
    const two = run(2);
    assert.ok(one[1].every((v) => !Number.isNaN(v)), 'dx fully written');
    one.forEach((a, i) => assert.ok(Buffer.from(a.buffer).equals(Buffer.from(two[i].buffer)), `output ${i} differs between 1 and 2 threads`));
    assert.throws(() => addon.maxPool(x.subarray(1), new Float32Array(dy.length), geom, 1), /x has \d+ elements, needs \d+/);
    assert.throws(() => addon.maxPoolGrad(x, dy, new Float32Array(x.length), [B, H, W, C, 0, 3, 2, 2, 0, 0, 7, 7], 1), /invalid pooling geometry/);
  });
});
