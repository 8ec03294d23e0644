import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadJpegTurbo } from './loadJpegTurbo';

/**
 * One image for a preprocess worker: read `src`, run the fast JPEG path, write `dest`.
 *
 * @example
 * ```ts
 * const job: PreprocessJob = { src: 'data/001.ak47/1.jpg', dest: 'out/train/000001.jpg', size: 256, quality: 90, maxPixels: 1e8, wantPixels: true };
 * ```
 */
export interface PreprocessJob {
  readonly src: string;
  readonly dest: string;
  readonly size: number;
  readonly quality: number;
  readonly maxPixels: number;
  /** Send the RGB pixels back (record files). */
  readonly wantPixels: boolean;
}

/**
 * What a worker did with a {@link PreprocessJob}: `written` (with the RGB sums of the output
 * pixels and, if asked, the pixels themselves), or `fallback` when the fast path did not take
 * the file (not a JPEG it handles, unreadable, corrupt…): nothing was written and the caller
 * must run sharp's path, which decides between an image and a typed skip.
 *
 * @example
 * ```ts
 * const r = await workers.run(job);
 * if (r.kind === 'fallback') await decodeFile(job.src, label, opts);
 * ```
 */
export type PreprocessJobResult =
  | {
      readonly kind: 'written';
      readonly sums: readonly [number, number, number];
      /**
       * With `wantPixels`: the RGB pixels, a view of a shared slot that stays the caller's
       * until it calls `release` (then the pool reuses it; fresh 200 kB buffers per image
       * cost more than the whole resize on this class of VM).
       */
      readonly pixels: Uint8Array | undefined;
      readonly release: () => void;
    }
  | { readonly kind: 'fallback'; readonly why: string };

/**
 * A worker's reply to a job, tagged with the job id (`slot` is where it put the pixels).
 *
 * @example
 * ```ts
 * const m: PreprocessWorkerReply = { id: 1, kind: 'written', sums: [1, 2, 3], slot: 0 };
 * ```
 */
export type PreprocessWorkerReply =
  | { readonly id: number; readonly kind: 'written'; readonly sums: readonly [number, number, number]; readonly slot: number | undefined }
  | { readonly id: number; readonly kind: 'fallback'; readonly why: string }
  | { readonly id: number; readonly kind: 'error'; readonly message: string };

/**
 * What the pool posts to a worker: the jobs gathered during one event-loop turn (one message,
 * not one per image), and where to put the pixels of the jobs that asked for them. The worker
 * answers with arrays of {@link PreprocessWorkerReply}, a few images per message.
 *
 * @example
 * ```ts
 * const m: PreprocessWorkerMessage = { ring: new SharedArrayBuffer(196608 * 8), jobs: [{ id: 1, job, slot: 3 }] };
 * ```
 */
export interface PreprocessWorkerMessage {
  readonly ring: SharedArrayBuffer | undefined;
  readonly jobs: ReadonlyArray<{ readonly id: number; readonly job: PreprocessJob; readonly slot: number | undefined }>;
}

/**
 * What a preprocess worker starts with: `stop`, one shared Int32 the pool sets to 1 on
 * `close()`, so the worker drops the jobs still queued in its thread (the pool has answered
 * them) and ends after the image in hand.
 *
 * @example
 * ```ts
 * const data: PreprocessWorkerData = { stop: new Int32Array(new SharedArrayBuffer(4)) };
 * if (Atomics.load(data.stop, 0) !== 0) return;
 * ```
 */
export interface PreprocessWorkerData {
  readonly stop: Int32Array;
}

/**
 * Results per reply message a worker sends at most (and at the end of each batch): fewer
 * messages mean fewer cross-thread wake-ups, which cost far more than the copying on this
 * class of VM; more would leave the main thread too long without results to hand out new work.
 *
 * @example
 * ```ts
 * if (outbox.length >= PREPROCESS_REPLY_EVERY) port.postMessage(outbox.splice(0));
 * ```
 */
export const PREPROCESS_REPLY_EVERY = 4;

/**
 * Images in flight per worker that preprocess keeps by default: enough that a worker always
 * has queued work while its finished results wait for the main thread (which shares the cores
 * with the workers and may be descheduled for milliseconds).
 *
 * @example
 * ```ts
 * const concurrency = workers.count * PREPROCESS_IN_FLIGHT_PER_WORKER;
 * ```
 */
export const PREPROCESS_IN_FLIGHT_PER_WORKER = 16;

// Long enough for the largest image preprocess takes (maxPixels) on a loaded machine, and for a
// thread still starting (tsx in a checkout takes seconds under load).
const PREPROCESS_CLOSE_GRACE_MS = 30_000;

/**
 * A pool of worker threads running the fast JPEG path of preprocessing
 * (see `fastJpegPreprocess`): file in, file out, off the main thread on every core.
 *
 * @example
 * ```ts
 * const workers = createPreprocessWorkers(2);
 * if (workers) { const r = await workers.run(job); await workers.close(); }
 * ```
 */
export interface PreprocessWorkers {
  readonly count: number;
  /**
   * Runs a job on the least busy worker. Rejects only when the output cannot be written (a
   * full disk is an error of the run); a worker that died turns its jobs into `fallback`.
   */
  run(job: PreprocessJob): Promise<PreprocessJobResult>;
  /**
   * Ends the workers; pending jobs resolve as `fallback` at once. Resolves when every thread
   * has ended: each ends itself after the image in hand (a thread stopped inside the
   * libjpeg-turbo binding's code would abort the process), and is terminated only if it has
   * not ended after a grace period (a read hung on a dead network mount).
   */
  close(): Promise<void>;
}

/**
 * Starts `count` preprocess workers, or returns undefined when the libjpeg-turbo binding does
 * not load here (then preprocessing uses sharp alone). In a TypeScript checkout (tests, `tsx`)
 * the worker loads through tsx; in the built package it is plain JavaScript.
 *
 * @example
 * ```ts
 * const workers = createPreprocessWorkers(os.availableParallelism());
 * ```
 */
export function createPreprocessWorkers(count: number): PreprocessWorkers | undefined {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`preprocess workers: count must be a positive integer, got ${count}`);
  if (loadJpegTurbo() === undefined) return undefined;
  const ext = path.extname(__filename);
  const entry = path.join(__dirname, `preprocessWorker${ext}`);
  const workerData: PreprocessWorkerData = { stop: new Int32Array(new SharedArrayBuffer(4)) };
  type Pending = { resolve: (r: PreprocessJobResult) => void; reject: (e: Error) => void; worker: number; slot: number | undefined };
  // Pixel slots shared with the workers, reused across images (allocated for the first job
  // that wants pixels; a job waits for a free slot, and the earliest job always holds one,
  // so in-order consumers cannot deadlock).
  let ring: { buf: SharedArrayBuffer; slotBytes: number; free: number[] } | undefined;
  const slotWaiters: Array<() => void> = [];
  const slotCount = (PREPROCESS_IN_FLIGHT_PER_WORKER + 4) * count;
  const release = (slot: number | undefined): void => {
    if (slot === undefined || ring === undefined) return;
    ring.free.push(slot);
    slotWaiters.shift()?.();
  };
  const acquire = async (bytes: number): Promise<number> => {
    if (ring === undefined || (ring.slotBytes !== bytes && ring.free.length === slotCount)) {
      ring = { buf: new SharedArrayBuffer(bytes * slotCount), slotBytes: bytes, free: Array.from({ length: slotCount }, (_, i) => i) };
    }
    if (ring.slotBytes !== bytes) throw new Error(`preprocess workers: pixel slots are ${ring.slotBytes} bytes, a job wants ${bytes}`);
    while (ring.free.length === 0) await new Promise<void>((r) => slotWaiters.push(r));
    return ring.free.shift() as number;
  };
  const pending = new Map<number, Pending>();
  const busy = new Array<number>(count).fill(0);
  const dead = new Array<string | undefined>(count).fill(undefined);
  let nextId = 1;
  let closed = false;
  let closing: Promise<void> | undefined;
  const settle = (id: number, f: (p: Pending) => void): void => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    busy[p.worker]--;
    f(p);
  };
  const workers = Array.from({ length: count }, (_, w) => {
    const worker =
      ext === '.ts'
        ? new Worker(`require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(entry)});`, { eval: true, execArgv: [], workerData })
        : new Worker(entry, { workerData });
    worker.unref();
    worker.on('message', (replies: readonly PreprocessWorkerReply[]) => {
      for (const m of replies) onReply(m);
    });
    const onReply = (m: PreprocessWorkerReply): void => {
      settle(m.id, (p) => {
        if (m.kind === 'written' && p.slot !== undefined && ring !== undefined) {
          const slot = p.slot;
          const pixels = new Uint8Array(ring.buf, slot * ring.slotBytes, ring.slotBytes);
          let released = false;
          p.resolve({ kind: 'written', sums: m.sums, pixels, release: () => (released ? undefined : ((released = true), release(slot))) });
          return;
        }
        release(p.slot);
        if (m.kind === 'error') p.reject(new Error(m.message));
        else p.resolve(m.kind === 'written' ? { kind: 'written', sums: m.sums, pixels: undefined, release: () => undefined } : { kind: 'fallback', why: m.why });
      });
    };
    // A dead worker must not lose images: its jobs go to sharp's path.
    const fail = (why: string): void => {
      dead[w] ??= why;
      for (const [id, p] of pending) {
        if (p.worker === w) {
          settle(id, (q) => {
            release(q.slot);
            q.resolve({ kind: 'fallback', why });
          });
        }
      }
    };
    worker.on('error', (e) => fail(`preprocess worker failed: ${e.message}`));
    const exited = new Promise<void>((resolve) =>
      worker.on('exit', (code) => {
        fail(`preprocess worker exited with code ${code}`);
        resolve();
      }),
    );
    return { worker, exited };
  });
  // Jobs gathered per worker until the end of this event-loop turn, then posted as one message.
  const outbox: Array<Array<PreprocessWorkerMessage['jobs'][number]>> = Array.from({ length: count }, () => []);
  let flushScheduled = false;
  const flush = (): void => {
    flushScheduled = false;
    if (closed) return;
    for (let w = 0; w < count; w++) {
      if (outbox[w].length === 0) continue;
      const message: PreprocessWorkerMessage = { ring: ring?.buf, jobs: outbox[w] };
      outbox[w] = [];
      workers[w].worker.postMessage(message);
    }
  };
  const endAll = async (): Promise<void> => {
    closed = true;
    for (const id of [...pending.keys()]) settle(id, (p) => p.resolve({ kind: 'fallback', why: 'preprocess workers closed' }));
    for (const wake of slotWaiters.splice(0)) wake();
    Atomics.store(workerData.stop, 0, 1);
    await Promise.all(
      workers.map(async ({ worker, exited }) => {
        // Queued after the thread's start-up and its current batch of jobs: a thread still
        // loading its modules reads it once they are loaded.
        worker.postMessage('close');
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), PREPROCESS_CLOSE_GRACE_MS)));
        if ((await Promise.race([exited, late])) === 'late') await worker.terminate();
        clearTimeout(timer);
      }),
    );
  };
  return {
    count,
    async run(job: PreprocessJob): Promise<PreprocessJobResult> {
      const slot = job.wantPixels && !closed ? await acquire(job.size * job.size * 3) : undefined;
      let w = -1;
      for (let i = 0; i < count; i++) if (dead[i] === undefined && (w < 0 || busy[i] < busy[w])) w = i;
      if (closed || w < 0) {
        release(slot);
        return { kind: 'fallback', why: closed ? 'preprocess workers closed' : (dead[0] ?? 'no worker') };
      }
      const id = nextId++;
      busy[w]++;
      return new Promise<PreprocessJobResult>((resolve, reject) => {
        pending.set(id, { resolve, reject, worker: w, slot });
        outbox[w].push({ id, job, slot });
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flush);
        }
      });
    },
    close(): Promise<void> {
      // Every caller waits for the threads' end, not only the first (a second Ctrl-C, say).
      closing ??= endAll();
      return closing;
    },
  };
}
