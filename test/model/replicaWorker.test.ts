import assert from 'node:assert/strict';
import type { Worker } from 'node:worker_threads';
import { ReplicaBarrier } from '../../src/model/ReplicaBarrier';
import { STEP_ABANDONED, type ReplicaReply, type ReplicaRequest, type ReplicaShared } from '../../src/model/replicaProtocol';
import { startReplicaWorker } from '../../src/model/startReplicaWorker';
import type { TrainerState } from '../../src/model/Trainer';
import { tinyAlexNet } from './tinySpec';

type Request = ReplicaRequest extends infer R ? (R extends ReplicaRequest ? Omit<R, 'id'> : never) : never;

/** One replica driven by hand through the protocol, as DataParallelTrainer drives it. */
class Driven {
  private next = 1;
  private readonly waiting = new Map<number, (m: ReplicaReply) => void>();
  readonly ready: Promise<readonly number[]>;
  constructor(readonly worker: Worker) {
    this.ready = new Promise((resolve, reject) => {
      worker.on('message', (m: ReplicaReply) => {
        if (m.type === 'ready') resolve(m.sizes);
        else if (m.type === 'fatal') reject(new Error(m.message));
        else this.waiting.get(m.id)?.(m);
      });
    });
  }

  /** The reply's result, or the replica's error message as a rejection. */
  call(req: Request): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (m) => (m.type === 'ok' ? resolve(m.result) : reject(new Error(m.type === 'error' ? m.message : m.type))));
      this.worker.postMessage({ ...req, id });
    });
  }
}

describe('replicaWorker: a step the replicas settle among themselves', function () {
  // Two worker_threads that load tfjs through tsx: a few seconds on a busy machine.
  this.timeout(120000);
  const spec = tinyAlexNet();
  const [h, w, c] = spec.inputShape;
  let replicas: Driven[];
  let barrier: ReplicaBarrier;
  let shared: Omit<ReplicaShared, 'slice'>;
  const images = new SharedArrayBuffer(8 * h * w * c * 4);
  new Float32Array(images).forEach((_, i, a) => { a[i] = Math.sin(i * 0.37); });
  const shard = (k: number, ys: number[]): Request => ({
    type: 'step',
    xs: { buffer: images, offset: k * 4 * h * w * c, shape: [4, h, w, c] },
    ys: Int32Array.from(ys),
    seed: 5,
    offset: 4 * k,
    lr: 0.05,
    gradWeights: [0.5, 0.5],
    used: 2,
  });
  const snapshot = (): Float32Array[] => [shared.params[0], shared.params[1], shared.momentum].map((b) => new Float32Array(b).slice());

  before(async () => {
    replicas = [0, 1].map((index) => new Driven(startReplicaWorker({ spec, seed: 3, optimizer: {}, backend: 'cpu', index })));
    const sizes = await replicas[0].ready;
    await replicas[1].ready;
    const total = sizes.reduce((a, b) => a + b, 0);
    const memory = ReplicaBarrier.allocate();
    barrier = new ReplicaBarrier(memory, 2);
    shared = {
      grads: [new SharedArrayBuffer(total * 4), new SharedArrayBuffer(total * 4)],
      params: [new SharedArrayBuffer(total * 4), new SharedArrayBuffer(total * 4)],
      momentum: new SharedArrayBuffer(total * 4),
      // Generous: the tiny model has far fewer BatchNorm channels.
      stats: [new SharedArrayBuffer(8 * 4096), new SharedArrayBuffer(8 * 4096)],
      barrier: memory,
    };
    const half = Math.floor(total / 2);
    await replicas[0].call({ type: 'attach', shared: { ...shared, slice: [0, half] } });
    await replicas[1].call({ type: 'attach', shared: { ...shared, slice: [half, total] } });
  });

  after(async () => {
    await Promise.all(replicas.map((r) => r.worker.terminate()));
  });

  it('steps when every shard succeeds, and abandons the step everywhere, parameters untouched, when one fails', async () => {
    const before = snapshot();
    const results = await Promise.all([replicas[0].call(shard(0, [0, 1, 2, 0])), replicas[1].call(shard(1, [1, 2, 0, 1]))]);
    for (const r of results as Array<{ loss: number; n: number }>) {
      assert.ok(Number.isFinite(r.loss) && r.n === 4, JSON.stringify(r));
    }
    assert.notDeepEqual(snapshot()[1], before[1], 'the step wrote the new parameters');

    // Replica 1's labels do not match its images: its gradients fail, replica 0's succeed.
    const stepped = snapshot();
    barrier.clearFailure();
    const failed = await Promise.allSettled([replicas[0].call(shard(0, [0, 1, 2, 0])), replicas[1].call(shard(1, [1, 2, 0]))]);
    assert.equal(failed[0].status, 'rejected');
    assert.equal(failed[1].status, 'rejected');
    assert.match(String((failed[0] as PromiseRejectedResult).reason), new RegExp(STEP_ABANDONED));
    assert.doesNotMatch(String((failed[1] as PromiseRejectedResult).reason), new RegExp(STEP_ABANDONED), 'the failing replica says why');
    assert.deepEqual(snapshot(), stepped, 'no parameter or momentum changed');
    const [s0, s1] = (await Promise.all(replicas.map((r) => r.call({ type: 'getState' })))) as TrainerState[];
    assert.deepEqual(s1, s0, 'both replicas still hold the same state');

    // The next step goes through again, and the replicas stay bit-identical.
    barrier.clearFailure();
    await Promise.all([replicas[0].call(shard(0, [2, 1, 0, 0])), replicas[1].call(shard(1, [1, 0, 2, 1]))]);
    assert.notDeepEqual(snapshot(), stepped);
    const [t0, t1] = (await Promise.all(replicas.map((r) => r.call({ type: 'getState' })))) as TrainerState[];
    assert.deepEqual(t1, t0);
  });

  it('releases a replica left alone at the barrier with an error when the step is aborted', async () => {
    barrier.clearFailure();
    // Only replica 0 gets the step, as if replica 1's thread had died.
    const alone = replicas[0].call(shard(0, [0, 1, 2, 0]));
    await new Promise((resolve) => setTimeout(resolve, 300));
    barrier.abort();
    await assert.rejects(alone, /aborted: another replica stopped/);
  });
});
