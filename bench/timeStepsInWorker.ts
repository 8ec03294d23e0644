import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { StepWorkerJob, StepWorkerResult } from './trainStepWorker';

/**
 * Runs bench/trainStepWorker.ts on `job` in a fresh worker_thread (its own tfjs and wasm
 * instance, so `job.threads` really is the thread count) and resolves with its images per
 * second and backend, or rejects with the worker's error or a thread-count mismatch.
 *
 * @example
 * ```ts
 * const { imagesPerSecond } = await timeStepsInWorker({ spec, batch: 32, steps: 10, threads: 1 });
 * ```
 */
export function timeStepsInWorker(job: StepWorkerJob): Promise<{ imagesPerSecond: number; backend: string }> {
  return new Promise((resolve, reject) => {
    const entry = path.join(__dirname, 'trainStepWorker.ts');
    const worker = new Worker(`require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(entry)});`, { eval: true, workerData: job });
    worker.once('message', (r: StepWorkerResult) => {
      void worker.terminate();
      if ('error' in r) reject(new Error(r.error));
      else if (r.threads !== job.threads) reject(new Error(`worker runs ${r.threads} threads, not ${job.threads}`));
      else resolve({ imagesPerSecond: r.imagesPerSecond, backend: r.backend });
    });
    worker.once('error', reject);
  });
}
