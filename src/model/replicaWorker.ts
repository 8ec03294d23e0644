import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import type { BatchStats } from './batchNormTrain';
import { initBackend } from './backend';
import { backendLabel } from './backendLabel';
import { readNow, tensorFrom } from './hostArrays';
import { buildNetwork } from './Network';
import { readState, writeState } from './networkState';
import type { ReplicaInit, ReplicaReply, ReplicaRequest, ShardGradResult } from './replicaProtocol';
import { createSgd } from './sgd';
import { applyUpdate, computeGradients, disposeGradients, nllAndCorrect } from './trainStep';

// Entry point of one data-parallel replica (a worker_thread with its own tfjs and backend).
// Loaded by DataParallelTrainer, from dist as JavaScript or from src through tsx.

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
  const net = buildNetwork(init.spec, { seed: init.seed });
  const sgd = createSgd(net.trainable, init.optimizer);
  let grads: Array<Float32Array<SharedArrayBuffer>> = [];
  let avg = new Float32Array(new SharedArrayBuffer(0));
  const mine = (): Float32Array<SharedArrayBuffer> => grads[init.index];

  const handlers: { [K in ReplicaRequest['type']]: (r: Extract<ReplicaRequest, { type: K }>) => Promise<unknown> } = {
    attach: async (r) => {
      grads = r.grads.map((b) => new Float32Array(b));
      avg = new Float32Array(r.avg);
      return null;
    },
    grad: async (r) => {
      const xs = tf.tensor4d(r.xs, r.shape);
      const ys = tf.tensor1d(r.ys, 'int32');
      const g = computeGradients(net, xs, ys, r.seed, r.offset);
      try {
        const out = mine();
        let off = 0;
        for (const t of g.grads) {
          out.set(readNow(t), off);
          off += t.size;
        }
        const counts = g.stats.map((s) => s.count);
        const parts = await Promise.all(g.stats.flatMap((s) => [s.mean.data(), s.variance.data()]));
        const stats = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
        let o = 0;
        for (const p of parts) {
          stats.set(p as Float32Array, o);
          o += p.length;
        }
        const [loss, correct] = await Promise.all([g.loss.data(), g.correct.data()]);
        const result: ShardGradResult = { loss: loss[0], correct: correct[0], n: r.shape[0], counts, stats };
        return result;
      } finally {
        disposeGradients(g);
        xs.dispose();
        ys.dispose();
      }
    },
    reduce: async (r) => {
      const used = r.weights.flatMap((w, i) => (w > 0 ? [{ w, g: grads[i] }] : []));
      for (let j = r.start; j < r.end; j++) {
        let s = 0;
        for (const u of used) s += u.w * u.g[j];
        avg[j] = s;
      }
      return null;
    },
    apply: async (r) => {
      sgd.setLearningRate(r.lr);
      const gs: tf.Tensor[] = [];
      const stats: BatchStats[] = [];
      try {
        let off = 0;
        for (const v of net.trainable) {
          gs.push(tensorFrom(avg.subarray(off, off + v.variable.size) as unknown as Float32Array, v.variable.shape));
          off += v.variable.size;
        }
        let o = 0;
        net.moving.forEach((m, i) => {
          const c = m.mean.size;
          stats.push({ count: r.counts[i], mean: tf.tensor1d(r.stats.slice(o, o + c)), variance: tf.tensor1d(r.stats.slice(o + c, o + 2 * c)) });
          o += 2 * c;
        });
        applyUpdate(net, sgd, gs, stats);
      } finally {
        for (const t of gs) t.dispose();
        for (const s of stats) {
          s.mean.dispose();
          s.variance.dispose();
        }
      }
      return null;
    },
    evaluate: async (r) => {
      const xs = tf.tensor4d(r.xs, r.shape);
      const ys = tf.tensor1d(r.ys, 'int32');
      const { loss, correct } = tf.tidy(() => nllAndCorrect(net.forwardEval(xs), ys));
      try {
        const [l, c] = await Promise.all([loss.data(), correct.data()]);
        return { lossSum: l[0] * r.shape[0], correct: c[0], count: r.shape[0] };
      } finally {
        tf.dispose([xs, ys, loss, correct]);
      }
    },
    predict: async (r) => {
      const xs = tf.tensor4d(r.xs, r.shape);
      const p = tf.tidy(() => net.forwardEval(xs));
      try {
        return new Float32Array((await p.data()) as Float32Array);
      } finally {
        tf.dispose([xs, p]);
      }
    },
    getState: async () => readState(net, sgd),
    setState: async (r) => {
      writeState(net, sgd, r.state);
      return null;
    },
  };

  // One request at a time, in arrival order: the coordinator never overlaps them anyway.
  let chain = Promise.resolve();
  port.on('message', (req: ReplicaRequest) => {
    chain = chain.then(async () => {
      try {
        const handler = handlers[req.type] as (r: ReplicaRequest) => Promise<unknown>;
        const result = await handler(req);
        send({ type: 'ok', id: req.id, result });
      } catch (e) {
        send({ type: 'error', id: req.id, message: e instanceof Error ? e.message : String(e) });
      }
    });
  });
  send({ type: 'ready', backend: backendLabel(info), sizes: net.trainable.map((v) => v.variable.size) });
}

void main().catch((e: unknown) => {
  parentPort?.postMessage({ type: 'fatal', message: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies ReplicaReply);
});
