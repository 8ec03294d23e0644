import * as tf from '@tensorflow/tfjs-core';

// Backends whose tensor creation copies the values (into wasm memory), so the source buffer
// is free again as soon as the tensor exists. The CPU backend keeps the very array (and
// hands it out again from `tensor.data()`, even after dispose); WebGL and tfjs-node upload
// lazily. On those a buffer is never reused.
const COPYING_BACKENDS = new Set(['wasm']);

/**
 * Reusable batch buffers. Writing into a freshly allocated 40 MB Float32Array costs a page
 * fault per 4 KiB (4–5× slower than the crop/normalise kernel itself on this machine), so
 * batches are assembled in recycled buffers — but only where that is invisible: a buffer
 * given to a tensor is recycled only if the active backend copied it (wasm); buffers that
 * never became a tensor (an epoch stopped early) are always recycled.
 *
 * @example
 * ```ts
 * const pool = createBatchBufferPool(64 * 227 * 227 * 3, 4);
 * const buf = pool.acquire();
 * const xs = tf.tensor4d(buf, [64, 227, 227, 3]);
 * pool.release(buf, true);
 * ```
 */
export interface BatchBufferPool {
  /** A buffer of the pool's length (contents undefined: every value must be written). */
  acquire(): Float32Array;
  /** Hands `buf` back; `madeTensor` says whether a tensor was created from it. */
  release(buf: Float32Array, madeTensor: boolean): void;
  /** Free buffers kept. */
  readonly size: number;
}

/**
 * Creates a {@link BatchBufferPool} of `length`-value buffers that keeps at most `max` free;
 * `shared` backs them with SharedArrayBuffers, for worker threads to write into.
 *
 * @example
 * ```ts
 * const pool = createBatchBufferPool(64 * 227 * 227 * 3, 4);
 * ```
 */
export function createBatchBufferPool(length: number, max: number, shared = false): BatchBufferPool {
  const free: Float32Array[] = [];
  return {
    acquire: () => free.pop() ?? (shared ? new Float32Array(new SharedArrayBuffer(length * 4)) : new Float32Array(length)),
    release(buf: Float32Array, madeTensor: boolean): void {
      if (buf.length !== length || free.length >= max || free.includes(buf)) return;
      if (!madeTensor || COPYING_BACKENDS.has(tf.getBackend())) free.push(buf);
    },
    get size(): number {
      return free.length;
    },
  };
}
