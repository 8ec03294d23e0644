import * as tf from '@tensorflow/tfjs';

/** Counts 4-D uploads into the current backend; see {@link countBatchUploads}. */
export interface BatchUploadCounter {
  /** 4-D `backend.write` calls since the start or the last `reset()`. */
  readonly count: number;
  reset(): void;
  /** Puts the backend's own `write` back. */
  restore(): void;
}

/**
 * Wraps the current backend's `write` to count 4-D uploads: batches built from JS arrays go
 * through it with their NHWC shape, batches built in the wasm heap never do.
 *
 * @example
 * ```ts
 * const uploads = countBatchUploads();
 * try { await drain(ds.epoch(0)); assert.equal(uploads.count, 0); } finally { uploads.restore(); }
 * ```
 */
export function countBatchUploads(): BatchUploadCounter {
  const backend = tf.backend() as unknown as { write(v: unknown, shape: number[], dtype: string): unknown };
  const write = backend.write.bind(backend);
  let count = 0;
  backend.write = (v, shape, dtype) => {
    if (shape.length === 4) count++;
    return write(v, shape, dtype);
  };
  return {
    get count() {
      return count;
    },
    reset: () => {
      count = 0;
    },
    restore: () => {
      // The wrapper is an own property over the prototype's method: deleting it restores that.
      delete (backend as { write?: unknown }).write;
    },
  };
}
