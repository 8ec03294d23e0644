import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/model/backend';
import { createBatchBufferPool } from '../../src/streams/batchBufferPool';
import { keepBackend } from '../fixtures/keepBackend';

describe('batchBufferPool', () => {
  keepBackend();

  it('recycles buffers that never became tensors, up to max', () => {
    const pool = createBatchBufferPool(8, 2);
    const [a, b, c] = [pool.acquire(), pool.acquire(), pool.acquire()];
    assert.equal(a.length, 8);
    for (const x of [a, b, c]) pool.release(x, false);
    assert.equal(pool.size, 2);
    pool.release(a, false);
    pool.release(new Float32Array(3), false);
    assert.equal(pool.size, 2, 'no duplicates, no foreign sizes');
    assert.ok([a, b, c].includes(pool.acquire()));
  });

  it('never recycles a buffer the CPU backend may still expose; recycles it on wasm, which copies', async () => {
    await tf.setBackend('cpu');
    const pool = createBatchBufferPool(4, 4);
    const buf = pool.acquire();
    const t = tf.tensor1d(buf);
    pool.release(buf, true);
    assert.equal(pool.size, 0);
    t.dispose();
    await initBackend({ prefer: 'wasm', threads: 1 });
    const w = pool.acquire();
    const tw = tf.tensor1d(w);
    pool.release(w, true);
    assert.equal(pool.size, 1);
    w.fill(7);
    assert.deepEqual(Array.from(tw.dataSync()), [0, 0, 0, 0], 'the wasm tensor holds its own copy');
    tw.dispose();
  });
});
