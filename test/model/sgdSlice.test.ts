import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/model/backend';
import { checkSgdOptions, createSgd, type SgdOptions } from '../../src/model/sgd';
import { sgdSlice, type SgdSliceNative } from '../../src/model/sgdSlice';
import { nativeKernels, nativeKernelState } from '../../src/model/wasm/nativeKernels';
import { createRng } from '../../src/ops/Rng';

function randomArray(n: number, seed: number, shared = false): Float32Array {
  const rng = createRng(seed);
  const a = new Float32Array(shared ? new SharedArrayBuffer(n * 4) : new ArrayBuffer(n * 4));
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

/** The update written out independently: float64 average, then createSgd's float32 steps. */
function reference(grads: Float32Array[], ws: number[], p: Float32Array, buf: Float32Array, lr: number, o: SgdOptions): void {
  const f = Math.fround;
  for (let j = 0; j < p.length; j++) {
    const terms = grads.flatMap((g, k) => (ws[k] > 0 ? [ws[k] * g[j]] : []));
    let gj = f(terms.slice(1).reduce((s, t) => s + t, terms[0]));
    if (o.weightDecay !== 0) gj = f(gj + f(p[j] * f(o.weightDecay)));
    if (o.momentum > 0) {
      const b = f(f(buf[j] * f(o.momentum)) + gj);
      buf[j] = b;
      gj = o.nesterov ? f(gj + f(b * f(o.momentum))) : b;
    }
    p[j] = f(p[j] + f(gj * f(-lr)));
  }
}

const recipes: Array<[string, Partial<SgdOptions>]> = [
  ['Nesterov', {}],
  ['Nesterov + weight decay', { weightDecay: 5e-4 }],
  ['plain momentum', { nesterov: false, momentum: 0.5 }],
  ['no momentum', { nesterov: false, momentum: 0 }],
];

describe('sgdSlice', () => {
  before(async () => {
    await initBackend({ prefer: 'cpu' });
  });

  for (const [name, options] of recipes) {
    it(`with one gradient of weight 1 is bit-identical to createSgd().apply (${name})`, () => {
      const o = checkSgdOptions({ ...options, lr: 0.05 });
      const w0 = randomArray(37, 1);
      const v = tf.variable(tf.tensor1d(w0));
      const sgd = createSgd([{ name: 'w', variable: v }], o);
      const params = new Float32Array(w0);
      const momentum = new Float32Array(37);
      for (let step = 0; step < 3; step++) {
        const g = randomArray(37, 10 + step);
        tf.tidy(() => sgd.apply([tf.tensor1d(g)]));
        sgdSlice({ grads: [g], gradWeights: [1], params, momentum, start: 0, end: 37, lr: 0.05, options: o });
      }
      assert.deepEqual(params, v.dataSync());
      if (o.momentum > 0) assert.deepEqual(momentum, sgd.slots[0].data);
      v.dispose();
    });
  }

  for (const [name, options] of recipes) {
    for (const sources of [2, 3]) {
      it(`averages ${sources} replicas' gradients like the reference, however the elements are sliced (${name})`, () => {
        const o = checkSgdOptions({ ...options, lr: 0.01 });
        const n = 1001;
        const grads = Array.from({ length: sources }, (_, k) => randomArray(n, 20 + k, true));
        const ws = sources === 2 ? [0.5625, 0.4375] : [0.4, 0.3, 0.3];
        const [p0, b0] = [randomArray(n, 2), randomArray(n, 3)];
        const [pr, br] = [new Float32Array(p0), new Float32Array(b0)];
        reference(grads, ws, pr, br, 0.01, o);
        for (const cuts of [[0, n], [0, 500, n], [0, 1, 333, 334, n]]) {
          const p = new Float32Array(new SharedArrayBuffer(n * 4));
          const b = new Float32Array(new SharedArrayBuffer(n * 4));
          p.set(p0);
          b.set(b0);
          for (let i = 0; i + 1 < cuts.length; i++) {
            sgdSlice({ grads, gradWeights: ws, params: p, momentum: b, start: cuts[i], end: cuts[i + 1], lr: 0.01, options: o });
          }
          assert.deepEqual(p, pr, `params, cuts ${cuts.join(',')}`);
          if (o.momentum > 0) assert.deepEqual(b, br, `momentum, cuts ${cuts.join(',')}`);
        }
      });
    }
  }

  for (const [name, options] of recipes) {
    it(`on the native addon (weighted sum and update) gives the same bits as in JavaScript, into a second buffer (${name})`, () => {
      const addon = nativeKernels();
      if (addon === undefined) {
        // Without the addon (not built, or RXTRAIN_NATIVE=0) there is no second path to compare.
        assert.equal(nativeKernelState().active, false);
        return;
      }
      const o = checkSgdOptions({ ...options, lr: 0.02 });
      const n = 777;
      const run = (ws: number[], native: SgdSliceNative | undefined): { out: Float32Array; buf: Float32Array; params: Float32Array } => {
        const grads = ws.map((_, k) => randomArray(n, 30 + k, true));
        const params = randomArray(n, 32, true);
        const out = new Float32Array(new SharedArrayBuffer(n * 4));
        const buf = randomArray(n, 33, true);
        for (const [start, end] of [[0, 400], [400, n]]) {
          sgdSlice({ grads, gradWeights: ws, params, out, momentum: buf, start, end, lr: 0.02, options: o, native, scratch: 1 });
        }
        return { out, buf, params };
      };
      for (const ws of [[0.625, 0.375], [0.5, 0.25, 0.25]]) {
        const js = run(ws, undefined);
        const nat = run(ws, addon);
        assert.deepEqual(nat.out, js.out, `${ws.length} sources: params`);
        assert.deepEqual(nat.buf, js.buf, `${ws.length} sources: momentum`);
        assert.deepEqual(nat.params, js.params, 'params (the input) untouched');
      }
    });
  }

  it('leaves out replicas with weight 0 (they sat the step out; their arrays hold stale values)', () => {
    const o = checkSgdOptions({});
    const g = randomArray(16, 5);
    const stale = new Float32Array(16).fill(Number.NaN);
    const [p1, p2] = [randomArray(16, 6), randomArray(16, 6)];
    const [b1, b2] = [new Float32Array(16), new Float32Array(16)];
    sgdSlice({ grads: [g, stale], gradWeights: [1, 0], params: p1, momentum: b1, start: 0, end: 16, lr: 0.1, options: o });
    sgdSlice({ grads: [g], gradWeights: [1], params: p2, momentum: b2, start: 0, end: 16, lr: 0.1, options: o });
    assert.deepEqual(p1, p2);
    assert.ok(p1.every(Number.isFinite));
  });

  it('touches only its slice', () => {
    const o = checkSgdOptions({});
    const p = randomArray(10, 7);
    const before = new Float32Array(p);
    sgdSlice({ grads: [randomArray(10, 8), randomArray(10, 9)], gradWeights: [0.5, 0.5], params: p, momentum: new Float32Array(10), start: 3, end: 6, lr: 0.1, options: o });
    for (let j = 0; j < 10; j++) {
      if (j >= 3 && j < 6) assert.notEqual(p[j], before[j], `element ${j} updated`);
      else assert.equal(p[j], before[j], `element ${j} untouched`);
    }
  });

  it('rejects a slice outside the arrays, a short momentum buffer and all-zero weights', () => {
    const o = checkSgdOptions({});
    const g = new Float32Array(4);
    const args = { grads: [g], gradWeights: [1], params: new Float32Array(4), momentum: new Float32Array(4), start: 0, end: 4, lr: 0.1, options: o };
    assert.throws(() => sgdSlice({ ...args, end: 5 }), /slice \[0, 5\) outside 0\.\.4/);
    assert.throws(() => sgdSlice({ ...args, start: 3, end: 2 }), /slice \[3, 2\)/);
    assert.throws(() => sgdSlice({ ...args, momentum: new Float32Array(2) }), /momentum has 2 values/);
    assert.throws(() => sgdSlice({ ...args, gradWeights: [0] }), /no replica has a positive gradient weight/);
  });
});
