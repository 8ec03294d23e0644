import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Augment } from './Augment';
import type { Image } from '../ops/Image';

/**
 * One augmentation for a worker: `augmentInto(image, augment, createRng(seed), out, offset)`.
 *
 * @example
 * ```ts
 * const job: AugmentJob = { id: 1, pixels, width: 256, height: 256, channels: 3, augment, seed: 7, out: sab, offset: 0 };
 * ```
 */
export interface AugmentJob {
  readonly id: number;
  readonly pixels: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly augment: Augment;
  readonly seed: number;
  /** The batch buffer (shared with the main thread). */
  readonly out: SharedArrayBuffer;
  readonly offset: number;
}

/**
 * A small pool of worker threads running the fused crop/flip/normalise kernel into shared
 * batch buffers. Results are bit-identical to the main thread's (same kernel, same seeds).
 *
 * @example
 * ```ts
 * const workers = createAugmentWorkers(2);
 * await workers.run(img, aug, seed, sharedBuffer, offset);
 * await workers.close();
 * ```
 */
export interface AugmentWorkers {
  readonly count: number;
  /** Augments `img` into `out` at `offset` (float32 elements) on the least busy worker. */
  run(img: Image, augment: Augment, seed: number, out: SharedArrayBuffer, offset: number): Promise<void>;
  /** Terminates the workers; pending jobs reject. */
  close(): Promise<void>;
}

/**
 * Starts `count` augmentation workers. In a TypeScript checkout (tests, `tsx`) the worker
 * loads through tsx; in the built package it is plain JavaScript.
 *
 * @example
 * ```ts
 * const workers = createAugmentWorkers(1);
 * ```
 */
export function createAugmentWorkers(count: number): AugmentWorkers {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`augment workers: count must be a positive integer, got ${count}`);
  const ext = path.extname(__filename);
  const entry = path.join(__dirname, `augmentWorker${ext}`);
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void; worker: number }>();
  const busy = new Array<number>(count).fill(0);
  let nextId = 1;
  let closed = false;
  // Why each worker died (undefined while alive): a job must never be posted to a dead one.
  const dead: Array<Error | undefined> = new Array<Error | undefined>(count).fill(undefined);
  const done = (w: number): void => {
    if (--busy[w] === 0) workers[w].unref();
  };
  const workers: Worker[] = Array.from({ length: count }, (_, w) => {
    const worker =
      ext === '.ts'
        ? // A TypeScript checkout: register tsx's require hook in the worker, then load the entry.
          new Worker(`require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(entry)});`, { eval: true, execArgv: [] })
        : new Worker(entry);
    worker.on('message', (m: { id: number; error?: string }) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      done(p.worker);
      if (m.error !== undefined) p.reject(new Error(`augment worker: ${m.error}`));
      else p.resolve();
    });
    const fail = (e: Error): void => {
      dead[w] ??= e;
      for (const [id, p] of pending) {
        if (p.worker !== w) continue;
        pending.delete(id);
        done(w);
        p.reject(e);
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!closed) fail(new Error(`augment worker exited with code ${code}`));
    });
    // Referenced only while it has jobs: an idle pool (e.g. a dataset nobody closed) must not
    // keep the process alive, a pending job must. After the listeners: adding a 'message'
    // listener refs the worker again.
    worker.unref();
    return worker;
  });
  return {
    count,
    run(img, augment, seed, out, offset): Promise<void> {
      if (closed) return Promise.reject(new Error('augment workers are closed'));
      let w = -1;
      for (let i = 0; i < count; i++) if (dead[i] === undefined && (w < 0 || busy[i] < busy[w])) w = i;
      if (w < 0) return Promise.reject(dead[0] ?? new Error('augment workers are gone'));
      const id = nextId++;
      if (busy[w]++ === 0) workers[w].ref();
      return new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject, worker: w });
        // Cloning a view clones its whole ArrayBuffer: send only this image's bytes.
        const d = img.data;
        const pixels = d.byteOffset === 0 && d.byteLength === d.buffer.byteLength ? d : d.slice();
        const job: AugmentJob = { id, pixels, width: img.width, height: img.height, channels: img.channels, augment, seed, out, offset };
        workers[w].postMessage(job);
      });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const [id, p] of pending) {
        pending.delete(id);
        p.reject(new Error('augment workers closed'));
      }
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
