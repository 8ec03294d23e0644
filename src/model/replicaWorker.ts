import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import type { BatchStats } from './batchNormTrain';
import { initBackend } from './backend';
import { backendLabel } from './backendLabel';
import { readNow, tensorFrom } from './hostArrays';
import { buildNetwork } from './Network';
import { readState, readWeights, writeState } from './networkState';
import { combineShardStats, type ShardStats } from './combineShardStats';
import { batchNormChannels } from './NetworkSpec';
import { ReplicaBarrier } from './ReplicaBarrier';
import { STEP_ABANDONED, type ReplicaImages, type ReplicaInit, type ReplicaReply, type ReplicaRequest, type ReplicaTimings, type ShardStepResult } from './replicaProtocol';
import { checkSgdOptions, type Sgd, type SgdSlot } from './sgd';
import { sgdSlice } from './sgdSlice';
import { nativeKernels } from './wasm/nativeKernels';
import { applyUpdate, computeGradients, disposeGradients, nllAndCorrect } from './trainStep';

// Entry point of one data-parallel replica (a worker_thread with its own tfjs and backend).
// Loaded by DataParallelTrainer, from dist as JavaScript or from src through tsx.

interface Shared {
  readonly grads: ReadonlyArray<Float32Array<SharedArrayBuffer>>;
  /** Double-buffered parameters: `params[current]` holds the latest. */
  readonly params: readonly [Float32Array<SharedArrayBuffer>, Float32Array<SharedArrayBuffer>];
  current: 0 | 1;
  readonly momentum: Float32Array<SharedArrayBuffer>;
  readonly start: number;
  readonly end: number;
  /** Every replica's shard statistics: [counts per BatchNorm layer…, packed means and variances…]. */
  readonly stats: ReadonlyArray<Float64Array<SharedArrayBuffer>>;
  readonly barrier: ReplicaBarrier;
}

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('replicaWorker must run in a worker_thread');
  const init = workerData as ReplicaInit;
  const send = (m: ReplicaReply): void => port.postMessage(m);
  let info;
  try {
    info = await initBackend({ prefer: init.backend, threads: init.threads });
  } catch (e) {
    send({ type: 'fatal', message: e instanceof Error ? e.message : String(e) });
    return;
  }
  const options = checkSgdOptions(init.optimizer);
  const net = buildNetwork(init.spec, { seed: init.seed });
  const layerChannels = batchNormChannels(init.spec);
  const layers = layerChannels.length;
  let shared: Shared | undefined;
  let slots: SgdSlot[] = [];
  let ms: Record<string, number> = {};
  const attached = (): Shared => {
    if (shared === undefined) throw new Error('replica used before its shared memory was attached');
    return shared;
  };
  const images = (x: ReplicaImages): tf.Tensor4D => {
    const n = x.shape.reduce((a, b) => a * b, 1);
    return tensorFrom(new Float32Array(x.buffer, x.offset * 4, n), x.shape) as tf.Tensor4D;
  };
  // Copies this replica's slice of the parameters from its tensors into shared memory (at
  // attach and after setState; afterwards shared memory is the master copy).
  const publishSlice = (): void => {
    const s = attached();
    let off = 0;
    for (const { variable } of net.trainable) {
      const lo = Math.max(s.start, off);
      const hi = Math.min(s.end, off + variable.size);
      if (lo < hi) s.params[s.current].set(readNow(variable).subarray(lo - off, hi - off), lo);
      off += variable.size;
    }
  };
  // The optimizer as networkState and trainStep see it: the momentum buffers are views of
  // shared memory, and the update itself has already been computed there by the replicas
  // together (`update`, sgdSlice), so `apply` only copies the new parameters into the tensors.
  let lr = options.lr;
  const sgd: Sgd = {
    options,
    get lr() {
      return lr;
    },
    setLearningRate(next) {
      lr = next;
    },
    apply(grads) {
      if (grads.length !== 0) throw new Error('replica sgd.apply takes no gradients: the update is computed in shared memory');
      const s = attached();
      const params = s.params[s.current];
      let off = 0;
      for (const { variable } of net.trainable) {
        tf.tidy(() => variable.assign(tensorFrom(params.subarray(off, off + variable.size), variable.shape)));
        off += variable.size;
      }
    },
    get slots() {
      return slots;
    },
    dispose() {
      // Shared memory belongs to the coordinator.
    },
  };

  // This replica's shard: gradients into its shared array, BatchNorm statistics into its
  // shared statistics array (timings into `ms`).
  const shardGradients = async (s: Shared, x: ReplicaImages, y: Int32Array, seed: number, offset: number): Promise<ShardStepResult> => {
    const t0 = performance.now();
    const xs = images(x);
    const ys = tf.tensor1d(y, 'int32');
    const t1 = performance.now();
    const g = computeGradients(net, xs, ys, seed, offset, init.labelSmoothing ?? 0);
    const t2 = performance.now();
    try {
      const out = s.grads[init.index];
      let off = 0;
      for (const t of g.grads) {
        out.set(readNow(t), off);
        off += t.size;
      }
      const t3 = performance.now();
      const mine = s.stats[init.index];
      g.stats.forEach((st, l) => {
        mine[l] = st.count;
      });
      const parts = await Promise.all(g.stats.flatMap((st) => [st.mean.data(), st.variance.data()]));
      let o = layers;
      for (const p of parts) {
        mine.set(p as Float32Array, o);
        o += p.length;
      }
      const [loss, correct] = await Promise.all([g.loss.data(), g.correct.data()]);
      ms = { upload: t1 - t0, compute: t2 - t1, copy: t3 - t2 };
      return { loss: loss[0], correct: correct[0], n: x.shape[0] };
    } finally {
      disposeGradients(g);
      xs.dispose();
      ys.dispose();
    }
  };

  const handlers: { [K in ReplicaRequest['type']]: (r: Extract<ReplicaRequest, { type: K }>) => Promise<unknown> } = {
    attach: async (r) => {
      const momentum = new Float32Array(r.shared.momentum);
      shared = {
        grads: r.shared.grads.map((b) => new Float32Array(b)),
        params: [new Float32Array(r.shared.params[0]), new Float32Array(r.shared.params[1])],
        current: 0,
        momentum,
        start: r.shared.slice[0],
        end: r.shared.slice[1],
        stats: r.shared.stats.map((b) => new Float64Array(b)),
        barrier: new ReplicaBarrier(r.shared.barrier, r.shared.grads.length),
      };
      let off = 0;
      slots = options.momentum > 0
        ? net.trainable.map((v) => {
          const slot = { name: `${v.name}/momentum`, shape: [...v.variable.shape], data: momentum.subarray(off, off + v.variable.size) };
          off += v.variable.size;
          return slot;
        })
        : [];
      publishSlice();
      return null;
    },
    step: async (r) => {
      const s = attached();
      const t0 = performance.now();
      let failure: unknown;
      // This replica's part of a phase; a failure is flagged for all instead of thrown, so
      // that this replica still arrives at the barrier and nobody waits for it forever.
      const attempt = async <T>(work: () => T | Promise<T>): Promise<T | undefined> => {
        try {
          return await work();
        } catch (e) {
          failure = e;
          s.barrier.markFailed();
          return undefined;
        }
      };
      // Waits for every replica's part; if any failed, every replica leaves the step here.
      const meet = (): void => {
        s.barrier.arrive();
        if (s.barrier.failed) throw failure ?? new Error(STEP_ABANDONED);
      };
      const { xs, ys } = r;
      const result = xs !== undefined && ys !== undefined ? await attempt(() => shardGradients(s, xs, ys, r.seed, r.offset)) : null;
      const t1 = performance.now();
      // Every replica's gradients and statistics are in shared memory (or the step failed).
      meet();
      const t2 = performance.now();
      const next = s.current === 0 ? 1 : 0;
      await attempt(() => sgdSlice({
        grads: s.grads, gradWeights: r.gradWeights, params: s.params[s.current], out: s.params[next], momentum: s.momentum,
        start: s.start, end: s.end, lr: r.lr, options, native: nativeKernels(), scratch: init.index,
      }));
      const t3 = performance.now();
      // Every slice of the new parameters is written.
      meet();
      const t4 = performance.now();
      // Every replica swaps at the same step, so they all agree on which buffer is current.
      s.current = next;
      const shards: ShardStats[] = s.stats.slice(0, r.used).map((a) => ({ counts: Array.from(a.subarray(0, layers)), stats: a.subarray(layers) }));
      const { counts, stats: packed } = combineShardStats(shards, layerChannels);
      const stats: BatchStats[] = [];
      try {
        let o = 0;
        net.moving.forEach((m, i) => {
          const c = m.mean.size;
          stats.push({ count: counts[i], mean: tf.tensor1d(packed.subarray(o, o + c)), variance: tf.tensor1d(packed.subarray(o + c, o + 2 * c)) });
          o += 2 * c;
        });
        // sgd.apply (above) loads the parameters; applyUpdate adds the BatchNorm moving statistics.
        applyUpdate(net, sgd, [], stats);
      } finally {
        for (const st of stats) {
          st.mean.dispose();
          st.variance.dispose();
        }
      }
      const t5 = performance.now();
      ms = { ...ms, wait: t2 - t1 + (t4 - t3), update: t3 - t2, load: t5 - t4, total: t5 - t0 };
      return result ?? null;
    },
    evaluate: async (r) => {
      const xs = images(r.xs);
      const ys = tf.tensor1d(r.ys, 'int32');
      const { loss, correct } = tf.tidy(() => nllAndCorrect(net.forwardEval(xs), ys));
      try {
        const [l, c] = await Promise.all([loss.data(), correct.data()]);
        return { lossSum: l[0] * r.xs.shape[0], correct: c[0], count: r.xs.shape[0] };
      } finally {
        tf.dispose([xs, ys, loss, correct]);
      }
    },
    predict: async (r) => {
      const xs = images(r.xs);
      const p = tf.tidy(() => net.forwardEval(xs));
      try {
        return new Float32Array((await p.data()) as Float32Array);
      } finally {
        tf.dispose([xs, p]);
      }
    },
    getState: async () => readState(net, sgd),
    getWeights: async () => readWeights(net, sgd),
    setState: async (r) => {
      // The coordinator sends setState to one replica at a time: every replica writes the
      // (identical) momentum into shared memory, never two at once.
      writeState(net, sgd, r.state);
      publishSlice();
      return null;
    },
  };

  // One request at a time, in arrival order: the coordinator never overlaps them anyway.
  let chain = Promise.resolve();
  port.on('message', (req: ReplicaRequest) => {
    chain = chain.then(async () => {
      try {
        ms = {};
        const handler = handlers[req.type] as (r: ReplicaRequest) => Promise<unknown>;
        const result = await handler(req);
        send({ type: 'ok', id: req.id, result, ms: ms satisfies ReplicaTimings });
      } catch (e) {
        send({ type: 'error', id: req.id, message: e instanceof Error ? e.message : String(e) });
      }
    });
  });
  send({ type: 'ready', backend: backendLabel(info), threads: info.threads, sizes: net.trainable.map((v) => v.variable.size) });
}

void main().catch((e: unknown) => {
  parentPort?.postMessage({ type: 'fatal', message: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies ReplicaReply);
});
