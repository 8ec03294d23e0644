import { Worker } from 'node:worker_threads';
import type { NetworkSpec } from '../src/model/NetworkSpec';
import { buildDist, distModule } from './compiledProduct';

/**
 * What to measure: single-replica training steps (createTrainer, replicas 1) on a wasm
 * instance of the worker's own with `threads` threads.
 *
 * @example
 * ```ts
 * const job: StepWorkerJob = { spec, batch: 16, steps: 3, threads: 1, warmup: 8 };
 * ```
 */
export interface StepWorkerJob {
  readonly spec: NetworkSpec;
  readonly batch: number;
  readonly steps: number;
  readonly threads: number;
  /** Untimed steps first (default 1): V8 keeps compiling tfjs's engine for 20–40 steps. */
  readonly warmup?: number;
  /** Stop the warm-up after this many seconds (at least one step; default: no limit). */
  readonly warmupSeconds?: number;
  /** Native im2col/Winograd scratch chunk in KiB for this measurement (process-wide; 0 = default). */
  readonly scratchKb?: number;
}

/** The worker's answer: images per second over the timed steps and the threads really run, or the error. */
type StepWorkerResult = { readonly imagesPerSecond: number; readonly threads: number; readonly backend: string } | { readonly error: string };

/**
 * The worker, in plain JavaScript on the compiled product (dist/): nothing in it goes through
 * tsx, exactly like a data-parallel replica, so that a replica and the one-thread baseline it is
 * compared with carry the same heap. tfjs' wasm backend is initialised once per thread: after
 * the benchmark's main thread has loaded the 2-thread binary, `threads: 1` there would be
 * ignored, hence a worker of its own.
 */
const WORKER_CODE = `
  const tf = require(${JSON.stringify(require.resolve('@tensorflow/tfjs-core'))});
  const { parentPort, workerData: job } = require('node:worker_threads');
  const { initBackend } = require(${JSON.stringify(distModule('model/backend.js'))});
  const { createTrainer } = require(${JSON.stringify(distModule('model/createTrainer.js'))});
  const { nativeKernels } = require(${JSON.stringify(distModule('model/wasm/nativeKernels.js'))});
  (async () => {
    const info = await initBackend({ prefer: 'wasm', threads: job.threads });
    if (job.scratchKb !== undefined) {
      const addon = nativeKernels();
      if (!addon || addon.scratchChunkKb === undefined) throw new Error('scratchKb needs the native addon with scratchChunkKb (rebuild: node native/install.mjs)');
      addon.scratchChunkKb(job.scratchKb);
    }
    const trainer = await createTrainer({ model: job.spec, backend: 'wasm', replicas: 1, seed: 0 });
    const [h, w, c] = job.spec.inputShape;
    const xs = tf.randomNormal([job.batch, h, w, c], 0, 1, 'float32', 1);
    const ys = tf.tensor1d(Array.from({ length: job.batch }, (_, i) => (i * 37) % job.spec.numClasses), 'int32');
    try {
      const w0 = performance.now();
      const cap = (job.warmupSeconds ?? Infinity) * 1000;
      for (let s = 0; s < (job.warmup ?? 1) && (s === 0 || performance.now() - w0 < cap); s++) await trainer.step(xs, ys, -1 - s);
      const t = performance.now();
      for (let s = 0; s < job.steps; s++) await trainer.step(xs, ys, 1 + s);
      const imagesPerSecond = (job.batch * job.steps) / ((performance.now() - t) / 1000);
      parentPort.postMessage({ imagesPerSecond, threads: info.threads, backend: trainer.backend });
    } finally {
      tf.dispose([xs, ys]);
      await trainer.dispose();
    }
  })().catch((e) => parentPort.postMessage({ error: e instanceof Error ? e.message : String(e) }));
`;

/**
 * Times `job` in a fresh worker_thread (its own tfjs and wasm instance, so `job.threads`
 * really is the thread count) on the compiled product (dist/, built first if needed) and
 * resolves with its images per second and backend, or rejects with the worker's error or a
 * thread-count mismatch.
 *
 * @example
 * ```ts
 * const { imagesPerSecond } = await timeStepsInWorker({ spec, batch: 32, steps: 10, threads: 1 });
 * ```
 */
export function timeStepsInWorker(job: StepWorkerJob): Promise<{ imagesPerSecond: number; backend: string }> {
  buildDist();
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_CODE, { eval: true, workerData: job });
    worker.once('message', (r: StepWorkerResult) => {
      void worker.terminate();
      if ('error' in r) reject(new Error(r.error));
      else if (r.threads !== job.threads) reject(new Error(`worker runs ${r.threads} threads, not ${job.threads}`));
      else resolve({ imagesPerSecond: r.imagesPerSecond, backend: r.backend });
    });
    worker.once('error', reject);
  });
}
