/*
 * Worker-thread entry for bench/train.ts: times single-replica training steps (createTrainer,
 * replicas 1) on a wasm instance of its own with the requested thread count. Needed because
 * tfjs' wasm backend is initialised once per thread: after the benchmark's main thread has
 * loaded the 2-thread binary, `threads: 1` there is ignored (initBackend notes so), and a
 * "1 thread" figure measured in the same thread would really be 2 threads.
 * workerData: StepWorkerJob; posts StepWorkerResult.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../src/model/backend';
import { createTrainer } from '../src/model/createTrainer';
import type { NetworkSpec } from '../src/model/NetworkSpec';
import { nativeKernels } from '../src/model/wasm/nativeKernels';

/**
 * What bench/train.ts asks the worker to measure.
 *
 * @example
 * ```ts
 * const job: StepWorkerJob = { spec, batch: 16, steps: 3, threads: 1 };
 * ```
 */
export interface StepWorkerJob {
  readonly spec: NetworkSpec;
  readonly batch: number;
  readonly steps: number;
  readonly threads: number;
  /** Native im2col/Winograd scratch chunk in KiB for this measurement (process-wide; 0 = default). */
  readonly scratchKb?: number;
}

/**
 * The worker's answer: images per second over the timed steps (after one warm-up step) and
 * the thread count the backend really runs, or the error.
 *
 * @example
 * ```ts
 * worker.on('message', (r: StepWorkerResult) => console.log(r.imagesPerSecond));
 * ```
 */
export type StepWorkerResult =
  | { readonly imagesPerSecond: number; readonly threads: number; readonly backend: string }
  | { readonly error: string };

async function main(): Promise<void> {
  const job = workerData as StepWorkerJob;
  const info = await initBackend({ prefer: 'wasm', threads: job.threads });
  if (job.scratchKb !== undefined) {
    const addon = nativeKernels();
    if (addon?.scratchChunkKb === undefined) throw new Error('scratchKb needs the native addon with scratchChunkKb (rebuild: node native/install.mjs)');
    addon.scratchChunkKb(job.scratchKb);
  }
  const trainer = await createTrainer({ model: job.spec, backend: 'wasm', replicas: 1, seed: 0 });
  const [h, w, c] = job.spec.inputShape;
  const xs = tf.randomNormal([job.batch, h, w, c], 0, 1, 'float32', 1) as tf.Tensor4D;
  const ys = tf.tensor1d(Array.from({ length: job.batch }, (_, i) => (i * 37) % job.spec.numClasses), 'int32');
  try {
    await trainer.step(xs, ys, 0);
    const t = performance.now();
    for (let s = 0; s < job.steps; s++) await trainer.step(xs, ys, 1 + s);
    const imagesPerSecond = (job.batch * job.steps) / ((performance.now() - t) / 1000);
    parentPort?.postMessage({ imagesPerSecond, threads: info.threads, backend: trainer.backend } satisfies StepWorkerResult);
  } finally {
    tf.dispose([xs, ys]);
    await trainer.dispose();
  }
}

main().catch((e: unknown) => {
  parentPort?.postMessage({ error: e instanceof Error ? e.message : String(e) } satisfies StepWorkerResult);
});
