import * as tf from '@tensorflow/tfjs-core';

/**
 * The parts of tfjs-backend-wasm's `BackendWasm` (4.x) a heap block needs. Duck-typed so that
 * this file never loads the wasm package (importing it registers a backend as a side effect).
 */
interface WasmBackendLike extends tf.KernelBackend {
  wasm: {
    _malloc(bytes: number): number;
    _free(ptr: number): void;
    HEAPU8: Uint8Array;
    /** Threaded binary: the shared memory object (its `buffer` is always the current one). */
    wasmMemory?: { buffer: ArrayBufferLike };
    /** Single-threaded binaries export their memory here. */
    asm?: { memory?: { buffer: ArrayBufferLike } };
  } | null;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): tf.TensorInfo;
}

function activeWasmBackend(): WasmBackendLike | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const b = tf.backend() as Partial<WasmBackendLike>;
  const w = b.wasm;
  const usable =
    typeof b.makeOutput === 'function' &&
    w != null &&
    typeof w._malloc === 'function' &&
    typeof w._free === 'function' &&
    w.HEAPU8 instanceof Uint8Array;
  return usable ? (b as WasmBackendLike) : undefined;
}

function memoryBuffer(w: NonNullable<WasmBackendLike['wasm']>): ArrayBufferLike {
  // After a growth `HEAPU8` may still be the old view (the threaded build refreshes it lazily);
  // the Memory object's buffer is always the current one.
  return w.wasmMemory?.buffer ?? w.asm?.memory?.buffer ?? w.HEAPU8.buffer;
}

/**
 * A float32 block allocated in the wasm backend's heap, for assembling a batch in the memory
 * its tensor will live in: no upload copy, and the backend's allocator recycles the (warm)
 * pages of disposed batches. One owner at a time: the block until {@link WasmHeapBlock.toTensor}
 * or {@link WasmHeapBlock.free}, then the tensor (disposing it frees the memory).
 *
 * @example
 * ```ts
 * const block = allocWasmHeapBlock(64 * 227 * 227 * 3);
 * if (block) {
 *   block.view().fill(0);
 *   const xs = block.toTensor([64, 227, 227, 3]); // the tensor now owns the memory
 * }
 * ```
 */
export interface WasmHeapBlock {
  /** Floats in the block. */
  readonly length: number;
  /** Byte offset of the block in the heap. */
  readonly byteOffset: number;
  /** True when the heap is a SharedArrayBuffer (threaded binary): worker threads may write into it. */
  readonly shared: boolean;
  /**
   * The heap's current buffer. A growth of the heap replaces it (and detaches a non-shared
   * one), so ask again rather than keeping it across anything that may allocate.
   */
  buffer(): ArrayBufferLike;
  /** A Float32Array over the block in the current heap buffer (same caveat as {@link buffer}). */
  view(): Float32Array;
  /**
   * Makes a float32 tensor of `shape` (at most `length` values) from the block's first values
   * and hands the memory to it. If the active backend changed since allocation, the values are
   * copied into a tensor of the new backend and the block is freed.
   */
  toTensor(shape: number[]): tf.Tensor;
  /** Frees the block without making a tensor. Safe to call once; later calls do nothing. */
  free(): void;
}

/**
 * Allocates `length` float32 values in the active wasm backend's heap, or returns undefined when
 * the active backend is not tfjs-backend-wasm (then assemble batches in ordinary arrays).
 *
 * @example
 * ```ts
 * const block = allocWasmHeapBlock(1024);
 * const out = block ? block.view() : new Float32Array(1024);
 * ```
 */
export function allocWasmHeapBlock(length: number): WasmHeapBlock | undefined {
  if (!Number.isInteger(length) || length < 1) throw new RangeError(`allocWasmHeapBlock: length must be a positive integer, got ${length}`);
  const backend = activeWasmBackend();
  if (backend === undefined) return undefined;
  const w = backend.wasm!;
  // `>>> 0`: _malloc returns a signed int32, wrong above 2 GiB.
  const byteOffset = w._malloc(length * 4) >>> 0;
  if (byteOffset === 0) throw new RangeError(`allocWasmHeapBlock: the wasm heap cannot hold another ${(length * 4) / 2 ** 20} MiB`);
  const shared = typeof SharedArrayBuffer === 'function' && memoryBuffer(w) instanceof SharedArrayBuffer;
  let owned = true;
  let cached: Float32Array | undefined;
  const heap = (): NonNullable<WasmBackendLike['wasm']> => {
    if (!owned) throw new Error('wasm heap block was already handed to a tensor or freed');
    if (backend.wasm == null) throw new Error('the wasm backend holding this batch block was disposed');
    return backend.wasm;
  };
  const block: WasmHeapBlock = {
    length,
    byteOffset,
    shared,
    buffer: () => memoryBuffer(heap()),
    view() {
      const buf = memoryBuffer(heap());
      if (cached === undefined || cached.buffer !== buf) cached = new Float32Array(buf, byteOffset, length);
      return cached;
    },
    toTensor(shape) {
      const size = shape.reduce((a, b) => a * b, 1);
      if (size > length) throw new RangeError(`wasm heap block of ${length} floats cannot back a tensor of shape [${shape.join(', ')}]`);
      if (tf.backend() !== backend) {
        const t = tf.tensor(block.view().slice(0, size), shape, 'float32');
        block.free();
        return t;
      }
      heap();
      owned = false;
      cached = undefined;
      const info = backend.makeOutput(shape, 'float32', byteOffset);
      return tf.engine().makeTensorFromTensorInfo(info, backend);
    },
    free() {
      if (!owned) return;
      owned = false;
      cached = undefined;
      backend.wasm?._free(byteOffset);
    },
  };
  return block;
}
