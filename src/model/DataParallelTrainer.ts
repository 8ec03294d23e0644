import * as tf from '@tensorflow/tfjs-core';
import type { Worker } from 'node:worker_threads';
import type { BackendName } from './backend';
import { checkBatch } from './checkBatch';
import { batchNormChannels, type NetworkSpec } from './NetworkSpec';
import { readNow } from './hostArrays';
import { ReplicaBarrier } from './ReplicaBarrier';
import { shardSizes } from './shardSizes';
import { startReplicaWorker } from './startReplicaWorker';
import { BARRIER_ABORTED, STEP_ABANDONED, type ReplicaImages, type ReplicaInit, type ReplicaReply, type ReplicaRequest, type ReplicaTimings, type ShardStepResult } from './replicaProtocol';
import { checkSgdOptions, type SgdOptions } from './sgd';
import type { OptionalFields } from './withDefaults';
import type { EvalResult, StepResult, Trainer, TrainerState } from './Trainer';
import { checkLabelSmoothing } from './trainStep';

/**
 * Options of {@link createDataParallelTrainer}.
 *
 * @example
 * ```ts
 * const o: DataParallelOptions = { spec: alexNet({ numClasses: 256 }), seed: 0, optimizer: {}, replicas: 2, backend: 'wasm' };
 * ```
 */
export interface DataParallelOptions {
  readonly spec: NetworkSpec;
  readonly seed: number;
  readonly optimizer: OptionalFields<SgdOptions>;
  readonly replicas: number;
  readonly backend: BackendName | 'auto';
  /** Compute threads per replica (default: the backend's default inside a worker, 1). */
  readonly threads?: number | undefined;
  /** Label smoothing of the training loss, in [0, 1) (default 0; evaluation is plain NLL). */
  readonly labelSmoothing?: number | undefined;
  /**
   * How a training batch is split between the replicas. `even` (default): equal shards, so a
   * run is bit-reproducible. `speed`: shards in proportion to each replica's measured speed
   * (images per ms of compute, averaged over recent steps; `shardSizes`), for machines whose
   * cores run at different speeds (a shared cloud host where another tenant slows one vCPU,
   * big.LITTLE): a step waits for its slowest replica, so an even split leaves the faster
   * ones idle. The split then depends on timing, and with it each shard's BatchNorm
   * statistics, so runs are no longer bit-reproducible (the replicas still agree bit for bit).
   */
  readonly balance?: 'even' | 'speed' | undefined;
}

/**
 * Where the time of the data-parallel steps went: mean milliseconds per step since the last
 * call of `timings()`. `step` and `input` are the coordinating thread's wall clock; the rest
 * is measured inside the replicas (the slowest replica's figure unless said otherwise).
 * `step ≈ input + replica + messaging`.
 *
 * @example
 * ```ts
 * const t = trainer.timings();
 * console.log(`compute ${t.compute} ms, update ${t.update}, load ${t.load}, waits ≤ ${t.wait} of ${t.step}`);
 * ```
 */
export interface DataParallelTimings {
  /** Steps measured. */
  readonly steps: number;
  /** Whole step, wall clock. */
  readonly step: number;
  /** Writing the batch into shared memory (coordinator). */
  readonly input: number;
  /** The longest a replica worked on the step request, from its arrival to the reply. */
  readonly replica: number;
  /** `step − input − replica`: posting the requests, waking the replicas, their replies. */
  readonly messaging: number;
  /** Forward and backward pass of the slowest replica (its shard). */
  readonly compute: number;
  /** The same for the fastest replica: far below `compute`, the replicas are unbalanced. */
  readonly computeFastest: number;
  /** Copying gradients from the replica's tensors into shared memory (slowest replica). */
  readonly copy: number;
  /** The longest a replica waited at the two barriers (the shards' imbalance). */
  readonly wait: number;
  /** Averaging plus SGD update of the replica's slice in shared memory. */
  readonly update: number;
  /** Copying the new parameters and BatchNorm statistics into the replica's tensors. */
  readonly load: number;
  /** The last step's shard sizes, in replica order (uneven with `balance: 'speed'`). */
  readonly shards: readonly number[];
}

/**
 * A data-parallel {@link Trainer} plus test and benchmark hooks.
 *
 * @example
 * ```ts
 * const states = await trainer.replicaStates(); // one per replica, bit-identical
 * ```
 */
export interface DataParallelTrainer extends Trainer {
  /** The full state of every replica (to check that they are in lockstep). */
  replicaStates(): Promise<TrainerState[]>;
  /** Per-step time breakdown since the previous call (then starts over). */
  timings(): DataParallelTimings;
}

/** A request without its id (distributive, so each variant keeps its fields). */
type Request = ReplicaRequest extends infer R ? (R extends ReplicaRequest ? Omit<R, 'id'> : never) : never;

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

class Replica {
  private next = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | undefined;
  /** The replica's own phase timings from its latest reply. */
  ms: ReplicaTimings = {};
  readonly ready: Promise<{ backend: string; threads: number; sizes: readonly number[] }>;

  constructor(readonly index: number, readonly worker: Worker) {
    this.ready = new Promise((resolve, reject) => {
      worker.on('message', (m: ReplicaReply) => {
        if (m.type === 'ready') {
          // Idle replicas must not keep the process alive (a forgotten dispose() would hang
          // the program); `call` refs the worker while a request is outstanding.
          worker.unref();
          resolve({ backend: m.backend, threads: m.threads, sizes: m.sizes });
        }
        else if (m.type === 'fatal') this.fail(new Error(`replica ${index} failed to start: ${m.message}`), reject);
        else {
          const p = this.pending.get(m.id);
          this.pending.delete(m.id);
          if (this.pending.size === 0) worker.unref();
          if (m.type === 'ok') {
            this.ms = m.ms ?? {};
            p?.resolve(m.result);
          }
          else p?.reject(new Error(`replica ${index}: ${m.message}`));
        }
      });
      worker.on('error', (e) => this.fail(new Error(`replica ${index} crashed: ${e.message}`), reject));
      worker.on('exit', (code) => this.fail(new Error(`replica ${index} exited (code ${code})`), reject));
    });
    // The failure is reported through the calls that await it.
    this.ready.catch(() => undefined);
  }

  private fail(e: Error, rejectReady: (e: Error) => void): void {
    if (this.failure !== undefined) return;
    this.failure = e;
    rejectReady(e);
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  call<R>(req: Request, transfer: ArrayBuffer[] = []): Promise<R> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.next++;
    return new Promise<R>((resolve, reject) => {
      this.worker.ref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...req, id }, transfer);
    });
  }
}

/** Weight of the latest step in a replica's speed estimate (`balance: 'speed'`). */
const SPEED_SMOOTHING = 0.5;

/** Splits `n` items into `parts` contiguous runs as even as possible: [offset, size][]. */
function split(n: number, parts: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let off = 0;
  for (let i = 0; i < parts; i++) {
    const size = Math.floor(n / parts) + (i < n % parts ? 1 : 0);
    out.push([off, size]);
    off += size;
  }
  return out;
}

/**
 * Data parallelism like PyTorch's DataParallel, over worker_threads: `replicas` workers, each
 * with its own tfjs and backend (`initBackend` in the worker) and a bit-identical copy of the
 * model (same initialisation seed). A step splits the batch into contiguous shards (at least
 * 2 images each; surplus replicas sit the step out) and every replica computes the gradients
 * of its shard into shared memory. Then the replicas update the one shared copy of the
 * parameters and momentum together, each its own slice (gradients averaged weighted by shard
 * size in replica order, then SGD: `sgdSlice`), so the update is computed once, on every
 * core, and finally each replica copies the new parameters into its tensors: the weights
 * stay bit-identical by construction. The replicas coordinate these phases among themselves
 * at a barrier in shared memory (`ReplicaBarrier`): a step is one message to each replica
 * and one reply. If any replica's part fails, every replica abandons the step before the
 * parameters change. BatchNorm normalises each shard with its own statistics
 * (as DataParallel does without SyncBatchNorm); the moving statistics are updated from the
 * exact whole-batch mean and variance combined from the shards, identically everywhere.
 * Dropout masks depend on the sample's index in the whole batch, not on the split.
 *
 * Calls are serialised (a step, an evaluation and a state read never interleave), because
 * they share the input buffer and the parameters.
 *
 * @example
 * ```ts
 * const t = await createDataParallelTrainer({ spec: smallAlexNet({ numClasses: 10 }), seed: 1, optimizer: {}, replicas: 2, backend: 'wasm' });
 * const { loss } = await t.step(xs, ys, 7);
 * await t.dispose();
 * ```
 */
export async function createDataParallelTrainer(options: DataParallelOptions): Promise<DataParallelTrainer> {
  const { spec } = options;
  if (!(Number.isInteger(options.replicas) && options.replicas >= 1)) {
    throw new RangeError(`replicas must be a positive integer, got ${options.replicas}`);
  }
  const opt = checkSgdOptions(options.optimizer);
  const labelSmoothing = options.labelSmoothing ?? 0;
  checkLabelSmoothing(labelSmoothing);
  const balance = options.balance ?? 'even';
  if (balance !== 'even' && balance !== 'speed') throw new RangeError(`balance must be 'even' or 'speed', got ${String(balance)}`);
  let lr = opt.lr;
  const replicas: Replica[] = [];
  for (let index = 0; index < options.replicas; index++) {
    const init: ReplicaInit = { spec, seed: options.seed, optimizer: opt, backend: options.backend, threads: options.threads, index, labelSmoothing };
    replicas.push(new Replica(index, startReplicaWorker(init)));
  }
  const terminate = async (): Promise<void> => {
    await Promise.all(replicas.map((r) => r.worker.terminate()));
  };
  let ready: Array<{ backend: string; threads: number; sizes: readonly number[] }>;
  try {
    ready = await Promise.all(replicas.map((r) => r.ready));
  } catch (e) {
    await terminate();
    throw e;
  }
  const total = ready[0].sizes.reduce((a, b) => a + b, 0);
  const grads = replicas.map(() => new SharedArrayBuffer(total * 4));
  const params: [SharedArrayBuffer, SharedArrayBuffer] = [new SharedArrayBuffer(total * 4), new SharedArrayBuffer(total * 4)];
  const momentum = new SharedArrayBuffer(opt.momentum > 0 ? total * 4 : 0);
  const slices = split(total, replicas.length);
  // Per replica: its shard's count per BatchNorm layer, then the packed means and variances.
  const layerChannels = batchNormChannels(spec);
  const statsLength = layerChannels.length + 2 * layerChannels.reduce((a, b) => a + b, 0);
  const stats = replicas.map(() => new SharedArrayBuffer(statsLength * 8));
  const barrierMemory = ReplicaBarrier.allocate();
  const barrier = new ReplicaBarrier(barrierMemory, replicas.length);
  // A replica whose thread dies must not leave the others waiting at the barrier forever.
  for (const r of replicas) {
    r.worker.on('error', () => barrier.abort());
    r.worker.on('exit', () => barrier.abort());
  }
  try {
    await Promise.all(replicas.map((r, i) => r.call({
      type: 'attach',
      shared: { grads, params, momentum, slice: [slices[i][0], slices[i][0] + slices[i][1]], stats, barrier: barrierMemory },
    })));
  } catch (e) {
    await terminate();
    throw e;
  }

  let disposed = false;
  const alive = (): void => {
    if (disposed) throw new Error('trainer was disposed');
  };
  // One call at a time: they share the input buffer and the parameters.
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(f: () => Promise<T>): Promise<T> => {
    const run = queue.then(() => {
      alive();
      return f();
    });
    queue = run.catch(() => undefined);
    return run;
  };

  const [h, w, c] = spec.inputShape;
  const per = h * w * c;
  // The batch goes to the replicas through one reusable shared buffer: no per-step arrays
  // (fresh large arrays cost page faults on this kind of VM) and nothing to transfer.
  let input = new SharedArrayBuffer(0);
  const share = (xs: tf.Tensor4D): SharedArrayBuffer => {
    const n = xs.size;
    if (input.byteLength < n * 4) input = new SharedArrayBuffer(n * 4);
    let values: Float32Array;
    try {
      values = readNow(xs);
    } catch {
      // A tensor still held by another backend (created before a backend switch) is not in
      // the wasm heap: let tfjs move it.
      values = xs.dataSync() as Float32Array;
    }
    new Float32Array(input, 0, n).set(values);
    return input;
  };
  const shard = (buffer: SharedArrayBuffer, off: number, n: number): ReplicaImages => ({ buffer, offset: off * per, shape: [n, h, w, c] });
  const labels = async (ys: tf.Tensor1D): Promise<Int32Array> => Int32Array.from(await ys.data());

  const speeds: number[] = replicas.map(() => Number.NaN);
  let lastShards: readonly number[] = [];
  const zero = { steps: 0, step: 0, input: 0, replica: 0, messaging: 0, compute: 0, computeFastest: 0, copy: 0, wait: 0, update: 0, load: 0 };
  let sums = { ...zero };
  const slowest = (key: string, n: number): number => Math.max(...replicas.slice(0, n).map((r) => r.ms[key] ?? 0));
  const fastest = (key: string, n: number): number => Math.min(...replicas.slice(0, n).map((r) => r.ms[key] ?? 0));

  const trainer: DataParallelTrainer = {
    backend: ready[0].backend,
    replicas: replicas.length,
    threads: ready[0].threads,
    step: (xs, ys, seed) => exclusive(async () => {
      checkBatch(spec, xs, ys, true);
      const t0 = performance.now();
      const batch = xs.shape[0];
      const buffer = share(xs);
      const y = await labels(ys);
      const used = Math.min(replicas.length, Math.floor(batch / 2));
      // Equal speeds give the even split.
      const sizes = shardSizes(batch, balance === 'speed' ? speeds.slice(0, used) : new Array<number>(used).fill(1));
      const shards = sizes.map((n, i): [number, number] => [sizes.slice(0, i).reduce((a, b) => a + b, 0), n]);
      const t1 = performance.now();
      const gradWeights = replicas.map((_, i) => (i < used ? shards[i][1] / batch : 0));
      barrier.clearFailure();
      const settled = await Promise.allSettled(replicas.map((r, i) => r.call<ShardStepResult | null>({
        type: 'step',
        ...(i < used ? { xs: shard(buffer, shards[i][0], shards[i][1]), ys: y.slice(shards[i][0], shards[i][0] + shards[i][1]) } : {}),
        seed,
        offset: i < used ? shards[i][0] : 0,
        lr,
        gradWeights,
        used,
      })));
      const t2 = performance.now();
      const failures = settled.flatMap((o) => (o.status === 'rejected' ? [o.reason as Error] : []));
      // The replica that failed (or whose thread died) says why; the others only that they
      // abandoned the step or were released from the barrier.
      const secondary = (e: Error): boolean => e.message.includes(STEP_ABANDONED) || e.message.includes(BARRIER_ABORTED);
      if (failures.length > 0) throw failures.find((e) => !secondary(e)) ?? failures[0];
      const results = settled.slice(0, used).map((o) => (o as PromiseFulfilledResult<ShardStepResult>).value);
      // Images per ms of each replica's compute, averaged so that one disturbed step does not
      // swing the next split; the wall clock counts, time lost to other threads included.
      for (let i = 0; i < used; i++) {
        const ms = replicas[i].ms.compute;
        if (ms === undefined || !(ms > 0)) continue;
        const v = sizes[i] / ms;
        speeds[i] = Number.isFinite(speeds[i]) && speeds[i] > 0 ? SPEED_SMOOTHING * v + (1 - SPEED_SMOOTHING) * speeds[i] : v;
      }
      lastShards = sizes;
      const replica = slowest('total', replicas.length);
      sums = {
        steps: sums.steps + 1,
        step: sums.step + (t2 - t0),
        input: sums.input + (t1 - t0),
        replica: sums.replica + replica,
        messaging: sums.messaging + (t2 - t1 - replica),
        compute: sums.compute + slowest('compute', used),
        computeFastest: sums.computeFastest + fastest('compute', used),
        copy: sums.copy + slowest('copy', used),
        wait: sums.wait + slowest('wait', replicas.length),
        update: sums.update + slowest('update', replicas.length),
        load: sums.load + slowest('load', replicas.length),
      };
      const loss = results.reduce((s, r) => s + r.loss * r.n, 0) / batch;
      const correct = results.reduce((s, r) => s + r.correct, 0);
      return { loss, accuracy: correct / batch } satisfies StepResult;
    }),
    evaluate: (xs, ys) => exclusive(async () => {
      checkBatch(spec, xs, ys, false);
      const buffer = share(xs);
      const y = await labels(ys);
      const shards = split(xs.shape[0], Math.min(replicas.length, xs.shape[0])).filter(([, n]) => n > 0);
      const parts = await Promise.all(shards.map(([off, n], i) => replicas[i].call<EvalResult>(
        { type: 'evaluate', xs: shard(buffer, off, n), ys: y.slice(off, off + n) },
      )));
      return parts.reduce((a, p) => ({ lossSum: a.lossSum + p.lossSum, correct: a.correct + p.correct, count: a.count + p.count }), { lossSum: 0, correct: 0, count: 0 });
    }),
    predict: (xs) => exclusive(async () => {
      checkBatch(spec, xs, undefined, false);
      const buffer = share(xs);
      const shards = split(xs.shape[0], Math.min(replicas.length, xs.shape[0])).filter(([, n]) => n > 0);
      const parts = await Promise.all(shards.map(([off, n], i) => replicas[i].call<Float32Array>(
        { type: 'predict', xs: shard(buffer, off, n) },
      )));
      const out = new Float32Array(xs.shape[0] * spec.numClasses);
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return tf.tensor2d(out, [xs.shape[0], spec.numClasses]);
    }),
    setLearningRate(next) {
      alive();
      if (!(Number.isFinite(next) && next > 0)) throw new RangeError(`learning rate must be a positive number, got ${next}`);
      lr = next;
    },
    getState: () => exclusive(() => replicas[0].call<TrainerState>({ type: 'getState' })),
    getWeights: () => exclusive(() => replicas[0].call<TrainerState['weights']>({ type: 'getWeights' })),
    setState: (state) => exclusive(async () => {
      // One replica at a time: each writes the (same) momentum into shared memory.
      for (const r of replicas) await r.call({ type: 'setState', state });
    }),
    replicaStates: () => exclusive(() => Promise.all(replicas.map((r) => r.call<TrainerState>({ type: 'getState' })))),
    timings() {
      const n = Math.max(1, sums.steps);
      const mean = { ...Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, k === 'steps' ? v : v / n])), shards: lastShards } as unknown as DataParallelTimings;
      sums = { ...zero };
      return mean;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      // Not `await queue`: a caller may abandon a step that takes too long (the benchmark's
      // cpu budget) and dispose; terminating rejects whatever is still outstanding.
      await terminate();
    },
  };
  return trainer;
}
