import * as tf from '@tensorflow/tfjs-core';

interface HeapBackend {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

function heapBackend(): HeapBackend | undefined {
  const b = tf.backend() as unknown as Partial<HeapBackend>;
  return tf.getBackend() === 'wasm' && typeof b.typedArrayFromHeap === 'function' ? (b as HeapBackend) : undefined;
}

/**
 * The float32 values of `t` for immediate reading: on wasm a view onto the tensor's memory
 * in the wasm heap (no copy), elsewhere `dataSync()`. Fresh large allocations are costly
 * (first-touch page faults: ~0.7 s per 150 MB on a sandboxed VM), and an AlexNet step reads
 * ~230 MB of gradients. The view is valid only until the next tensor allocation (the heap
 * may grow and move): read it at once, never keep it.
 *
 * @example
 * ```ts
 * const g = readNow(grad);
 * for (let j = 0; j < g.length; j++) sum += g[j];
 * ```
 */
export function readNow(t: tf.Tensor): Float32Array {
  if (t.dtype !== 'float32') throw new Error(`readNow expects a float32 tensor, got ${t.dtype}`);
  const heap = heapBackend();
  return heap !== undefined ? heap.typedArrayFromHeap(t) : (t.dataSync() as Float32Array);
}

/**
 * An owned copy of the float32 values of `t`, which the caller may keep and change: on wasm
 * one copy straight out of the wasm heap; elsewhere `data()` and a copy of that, because the
 * cpu backend may hand out its own storage. Half the copying of `new Float32Array(await
 * t.data())` on wasm, which matters where whole models are read often (checkpoints, the
 * weight EMA: ≈ 18 MB per read for the small model).
 *
 * @example
 * ```ts
 * const kept = await readCopy(weights);
 * kept[0] = 0; // weights is unaffected
 * ```
 */
export async function readCopy(t: tf.Tensor): Promise<Float32Array> {
  if (t.dtype !== 'float32') throw new Error(`readCopy expects a float32 tensor, got ${t.dtype}`);
  const heap = heapBackend();
  if (heap !== undefined) return heap.typedArrayFromHeap(t).slice();
  return new Float32Array((await t.data()) as Float32Array);
}

/**
 * Whether {@link tensorFrom} copies its input, so that the caller may reuse the array
 * (true on wasm, whose tensors live in the wasm heap; the cpu backend keeps the array).
 *
 * @example
 * ```ts
 * const scratch = tensorCopiesInput() ? shared : undefined;
 * ```
 */
export function tensorCopiesInput(): boolean {
  return heapBackend() !== undefined;
}

/**
 * A float32 tensor with the values of `data`, which the caller may overwrite afterwards:
 * passed straight through on wasm (which copies into its heap), copied first elsewhere.
 *
 * @example
 * ```ts
 * const t = tensorFrom(scratch.subarray(0, n), [n]);
 * scratch.fill(0); // t is unaffected
 * ```
 */
export function tensorFrom(data: Float32Array, shape: readonly number[]): tf.Tensor {
  return tf.tensor(tensorCopiesInput() ? data : data.slice(), [...shape], 'float32');
}
