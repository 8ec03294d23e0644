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

/** The worker's messages: ready after the warm-up (or the error), then one per `run`. */
type StepWorkerMessage =
  | { readonly type: 'ready'; readonly threads: number; readonly backend: string }
  | { readonly type: 'ran'; readonly ms: number }
  | { readonly type: 'error'; readonly error: string };

/**
 * The worker, in plain JavaScript on the compiled product (dist/): nothing in it goes through
 * tsx, exactly like a data-parallel replica, so that a replica and the one-thread baseline it is
 * compared with carry the same heap. tfjs' wasm backend is initialised once per thread: after
 * the benchmark's main thread has loaded the 2-thread binary, `threads: 1` there would be
 * ignored, hence a worker of its own. It warms up, says `ready`, then runs `steps` training
 * steps per request and answers with the milliseconds they took.
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
    const w0 = performance.now();
    const cap = (job.warmupSeconds ?? Infinity) * 1000;
    for (let s = 0; s < (job.warmup ?? 1) && (s === 0 || performance.now() - w0 < cap); s++) await trainer.step(xs, ys, -1 - s);
    let seed = 1;
    parentPort.on('message', (m) => {
      void (async () => {
        const t = performance.now();
        for (let s = 0; s < m.steps; s++) await trainer.step(xs, ys, seed++);
        parentPort.postMessage({ type: 'ran', ms: performance.now() - t });
      })().catch((e) => parentPort.postMessage({ type: 'error', error: e instanceof Error ? e.message : String(e) }));
    });
    parentPort.postMessage({ type: 'ready', threads: info.threads, backend: trainer.backend });
  })().catch((e) => parentPort.postMessage({ type: 'error', error: e instanceof Error ? e.message : String(e) }));
`;

/**
 * A warmed-up single-replica trainer in a worker_thread of its own, kept alive so that its
 * steps can be interleaved with another configuration's (ABBA blocks under the same noise).
 *
 * @example
 * ```ts
 * const one = await startStepWorker({ spec, batch: 128, steps: 0, threads: 1, warmup: 30 });
 * const msPerStep = (await one.run(5)) / 5;
 * await one.dispose();
 * ```
 */
export interface StepWorker {
  readonly backend: string;
  /** Runs `steps` training steps; resolves with the milliseconds they took. */
  run(steps: number): Promise<number>;
  dispose(): Promise<void>;
}

/**
 * Starts `job`'s trainer in a fresh worker_thread (its own tfjs and wasm instance, so
 * `job.threads` really is the thread count) on the compiled product (dist/, built first if
 * needed), warms it up (`job.warmup`, `job.warmupSeconds`) and resolves once it is ready; rejects
 * with the worker's error or a thread-count mismatch. `job.steps` is not used here.
 *
 * @example
 * ```ts
 * const w = await startStepWorker({ spec, batch: 32, steps: 0, threads: 1 });
 * ```
 */
export function startStepWorker(job: StepWorkerJob): Promise<StepWorker> {
  buildDist();
  const worker = new Worker(WORKER_CODE, { eval: true, workerData: job });
  let pending: { resolve(ms: number): void; reject(e: Error): void } | undefined;
  let failure: Error | undefined;
  const fail = (e: Error): void => {
    failure ??= e;
    pending?.reject(e);
    pending = undefined;
  };
  return new Promise((resolve, reject) => {
    worker.on('message', (m: StepWorkerMessage) => {
      if (m.type === 'ready') {
        if (m.threads !== job.threads) {
          void worker.terminate();
          reject(new Error(`worker runs ${m.threads} threads, not ${job.threads}`));
          return;
        }
        resolve({
          backend: m.backend,
          run: (steps) => {
            if (failure !== undefined) return Promise.reject(failure);
            return new Promise<number>((res, rej) => {
              pending = { resolve: res, reject: rej };
              worker.postMessage({ type: 'run', steps });
            });
          },
          dispose: async () => {
            await worker.terminate();
          },
        });
      } else if (m.type === 'ran') {
        pending?.resolve(m.ms);
        pending = undefined;
      } else {
        const e = new Error(m.error);
        fail(e);
        void worker.terminate();
        reject(e);
      }
    });
    worker.once('error', (e) => {
      fail(e);
      reject(e);
    });
  });
}

/**
 * Times `job` in a fresh worker_thread ({@link startStepWorker}) and resolves with its images
 * per second over `job.steps` timed steps and its backend.
 *
 * @example
 * ```ts
 * const { imagesPerSecond } = await timeStepsInWorker({ spec, batch: 32, steps: 10, threads: 1 });
 * ```
 */
export async function timeStepsInWorker(job: StepWorkerJob): Promise<{ imagesPerSecond: number; backend: string }> {
  const w = await startStepWorker(job);
  try {
    const ms = await w.run(job.steps);
    return { imagesPerSecond: (job.batch * job.steps) / (ms / 1000), backend: w.backend };
  } finally {
    await w.dispose();
  }
}
