import assert from 'node:assert/strict';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ReplicaBarrier } from '../../src/model/ReplicaBarrier';

const barrierSource = path.join(__dirname, '../../src/model/ReplicaBarrier.ts');

/** A worker thread that runs `body` (JavaScript, with `ReplicaBarrier`, `data` and `post` in scope). */
function thread(body: string, data: unknown): { worker: Worker; done: Promise<unknown[]> } {
  const worker = new Worker(
    `require(${JSON.stringify(require.resolve('tsx/cjs'))});
     const { ReplicaBarrier } = require(${JSON.stringify(barrierSource)});
     const { parentPort, workerData: data } = require('node:worker_threads');
     const post = (m) => parentPort.postMessage(m);
     ${body}`,
    { eval: true, workerData: data },
  );
  const done = new Promise<unknown[]>((resolve, reject) => {
    const got: unknown[] = [];
    worker.on('message', (m) => got.push(m));
    worker.on('error', reject);
    worker.on('exit', () => resolve(got));
  });
  return { worker, done };
}

describe('ReplicaBarrier', function () {
  // Worker threads load tsx first: a few seconds on a busy machine.
  this.timeout(60000);

  it('lets no thread past a round before every thread has reached it, round after round', async () => {
    const memory = ReplicaBarrier.allocate();
    const progress = new SharedArrayBuffer(8);
    const rounds = 40;
    // Thread 1 dawdles before arriving in odd rounds: a barrier that let thread 0 through
    // early would show thread 1's progress behind thread 0's.
    const body = `
      const barrier = new ReplicaBarrier(data.memory, 2);
      const progress = new Int32Array(data.progress);
      const other = 1 - data.me;
      let behind = 0;
      for (let k = 1; k <= ${rounds}; k++) {
        if (data.me === 1 && k % 2 === 1) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        Atomics.store(progress, data.me, k);
        barrier.arrive();
        if (Atomics.load(progress, other) < k) behind += 1;
      }
      post(behind);`;
    const threads = [0, 1].map((me) => thread(body, { memory, progress, me }));
    const results = await Promise.all(threads.map((t) => t.done));
    assert.deepEqual(results, [[0], [0]], 'no thread saw the other one a round behind after the barrier');
    assert.deepEqual(Array.from(new Int32Array(progress)), [rounds, rounds]);
  });

  it('releases a waiting thread with an error when aborted', async () => {
    const memory = ReplicaBarrier.allocate();
    const t = thread(`
      const barrier = new ReplicaBarrier(data.memory, 2);
      post('waiting');
      try { barrier.arrive(); post('passed'); } catch (e) { post(e.message); }`, { memory });
    await new Promise<void>((resolve) => t.worker.once('message', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 50));
    new ReplicaBarrier(memory, 2).abort();
    const got = await t.done;
    assert.equal(got.length, 2);
    assert.match(String(got[1]), /aborted: another replica stopped/);
  });

  it('never blocks a barrier of one, and reports a failure for the round it was marked for until cleared', () => {
    const b = new ReplicaBarrier(ReplicaBarrier.allocate(), 1);
    assert.equal(b.failed, false, 'no round passed yet');
    for (let k = 0; k < 3; k++) b.arrive();
    assert.equal(b.failed, false);
    b.markFailed();
    assert.equal(b.failed, false, 'the failure is for the round not yet reached');
    b.arrive();
    assert.equal(b.failed, true);
    b.clearFailure();
    assert.equal(b.failed, false);
    b.markFailed();
    b.arrive();
    b.arrive();
    assert.equal(b.failed, false, 'a failure belongs to its round, not to the rounds after it');
  });

  it('gives every party the same answer for a round when one marks the next round failed before another has looked', async () => {
    // The step's second phase failing on one replica (its update) just as the other wakes from
    // the first round: that one used to read the flag as a failure of the first round, leave
    // the step, and leave the failing replica waiting at the second round for ever.
    const memory = ReplicaBarrier.allocate();
    const marked = new SharedArrayBuffer(4);
    const body = `
      const barrier = new ReplicaBarrier(data.memory, 2);
      const marked = new Int32Array(data.marked);
      barrier.arrive();
      if (data.me === 0) {
        barrier.markFailed();
        Atomics.store(marked, 0, 1);
        Atomics.notify(marked, 0);
      } else {
        Atomics.wait(marked, 0, 0);
      }
      const first = barrier.failed;
      barrier.arrive();
      post({ first, second: barrier.failed });`;
    const threads = [0, 1].map((me) => thread(body, { memory, marked, me }));
    const results = await Promise.all(threads.map((t) => t.done));
    assert.deepEqual(results, [[{ first: false, second: true }], [{ first: false, second: true }]]);
  });

  it('rejects a party count below one and memory too small for its cells', () => {
    assert.throws(() => new ReplicaBarrier(ReplicaBarrier.allocate(), 0), /at least one party, got 0/);
    assert.throws(() => new ReplicaBarrier(ReplicaBarrier.allocate(), 1.5), /at least one party/);
    assert.throws(() => new ReplicaBarrier(new SharedArrayBuffer(8), 2), /barrier memory too small: 8 bytes/);
  });
});
