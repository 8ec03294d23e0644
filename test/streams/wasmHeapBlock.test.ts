import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/model/backend';
import { allocWasmHeapBlock } from '../../src/streams/wasmHeapBlock';
import { keepBackend } from '../fixtures/keepBackend';

/** The backend's count of live data ids (tensors and their memory). */
const dataIds = (): number => tf.backend().numDataIds();

describe('wasmHeapBlock', () => {
  keepBackend();

  it('is undefined on a backend without a wasm heap (cpu)', async () => {
    await tf.setBackend('cpu');
    assert.equal(allocWasmHeapBlock(16), undefined);
    assert.throws(() => allocWasmHeapBlock(0), /positive integer/);
  });

  it('hands its memory to a tensor without a copy; disposing the tensor frees it', async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
    const before = { tensors: tf.memory().numTensors, ids: dataIds() };
    const block = allocWasmHeapBlock(2 * 3 * 2)!;
    assert.ok(block);
    block.view().set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const t = block.toTensor([2, 3, 2]);
    assert.deepEqual(t.shape, [2, 3, 2]);
    assert.equal(t.dtype, 'float32');
    assert.deepEqual(Array.from(t.dataSync()), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.equal((tf.backend() as unknown as { getMemoryOffset(id: object): number }).getMemoryOffset(t.dataId), block.byteOffset, 'the tensor lives in the block');
    assert.throws(() => block.view(), /already handed to a tensor/);
    block.free(); // no-op: the tensor owns the memory now
    assert.equal(tf.memory().numTensors, before.tensors + 1);
    t.dispose();
    assert.deepEqual({ tensors: tf.memory().numTensors, ids: dataIds() }, before);
  });

  it('a tensor may use fewer values than the block (a short last batch); more is an error', async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
    const block = allocWasmHeapBlock(8)!;
    block.view().set([0, 1, 2, 3, 4, 5, 6, 7]);
    assert.throws(() => block.toTensor([3, 3]), /cannot back a tensor of shape \[3, 3\]/);
    const t = block.toTensor([1, 2, 2]);
    assert.deepEqual(Array.from(t.dataSync()), [0, 1, 2, 3]);
    t.dispose();
  });

  it('free() without a tensor returns the memory (the allocator hands it out again)', async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
    const a = allocWasmHeapBlock(1 << 16)!;
    const offset = a.byteOffset;
    a.free();
    a.free();
    assert.throws(() => a.buffer(), /freed/);
    const b = allocWasmHeapBlock(1 << 16)!;
    assert.equal(b.byteOffset, offset);
    b.free();
  });

  it('survives a growth of the heap: view() follows the new buffer and keeps the values', async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
    const block = allocWasmHeapBlock(1024)!;
    const v = block.view();
    for (let i = 0; i < 1024; i++) v[i] = i * 0.5;
    const bufferBefore = block.buffer();
    const bytesBefore = bufferBefore.byteLength;
    // Bigger than anything free in the heap: forces memory.grow.
    const big = allocWasmHeapBlock(bytesBefore / 4 + (16 << 20))!;
    assert.notEqual(block.buffer(), bufferBefore, 'the heap grew (new buffer)');
    assert.ok(block.buffer().byteLength > bytesBefore);
    const after = block.view();
    assert.equal(after.length, 1024);
    assert.equal(after[1023], 1023 * 0.5);
    const t = block.toTensor([1024]);
    assert.equal(t.dataSync()[7], 3.5);
    t.dispose();
    big.free();
  });

  it('shared: true exactly on the threaded binary (its heap is a SharedArrayBuffer workers can write into)', async () => {
    // Whichever binary this process loaded first: threads > 1 means the threaded one.
    const info = await initBackend({ prefer: 'wasm', threads: 1 });
    const block = allocWasmHeapBlock(4)!;
    assert.equal(block.shared, info.threads > 1);
    assert.equal(block.buffer() instanceof SharedArrayBuffer, info.threads > 1);
    block.free();
  });

  it('copies into a tensor of the new backend if the backend changed before hand-over', async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
    const wasm = tf.backend();
    const idsBefore = wasm.numDataIds();
    const block = allocWasmHeapBlock(4)!;
    block.view().set([9, 8, 7, 6]);
    await tf.setBackend('cpu');
    const t = block.toTensor([2, 2]);
    assert.equal(tf.getBackend(), 'cpu');
    assert.deepEqual(Array.from(t.dataSync()), [9, 8, 7, 6]);
    t.dispose();
    assert.throws(() => block.view(), /freed/);
    assert.equal(wasm.numDataIds(), idsBefore);
  });
});
