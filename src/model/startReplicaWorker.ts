import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ReplicaInit } from './replicaProtocol';

/**
 * Starts one data-parallel replica (`replicaWorker`) in a worker_thread: the compiled
 * JavaScript next to this file, or the TypeScript source through tsx when running from
 * sources (mocha, `tsx`). The worker answers the `ReplicaRequest` protocol.
 *
 * @example
 * ```ts
 * const worker = startReplicaWorker({ spec, seed: 1, optimizer: {}, backend: 'cpu', index: 0 });
 * worker.once('message', (m: ReplicaReply) => m.type === 'ready' && console.log(m.sizes));
 * ```
 */
export function startReplicaWorker(init: ReplicaInit): Worker {
  if (__filename.endsWith('.ts')) {
    const entry = path.join(__dirname, 'replicaWorker.ts');
    const tsx = require.resolve('tsx/cjs');
    return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(entry)});`, { eval: true, workerData: init });
  }
  return new Worker(path.join(__dirname, 'replicaWorker.js'), { workerData: init });
}
