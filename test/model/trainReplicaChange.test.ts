import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { initBackend } from '../../src/model/backend';
import { decodeCheckpoint, type RunIdentity } from '../../src/model/Checkpoint';
import { openCheckpointStore } from '../../src/model/CheckpointStore';
import { createTrainer } from '../../src/model/createTrainer';
import type { DataParallelTrainer } from '../../src/model/DataParallelTrainer';
import { train } from '../../src/model/train';
import type { TrainerState } from '../../src/model/Trainer';
import { createRng } from '../../src/ops/Rng';
import type { TrainEvent } from '../../src/telemetry/TrainEvent';
import { keepBackend } from '../fixtures/keepBackend';
import { memorySource, type TinyData } from './fixtures/tinyTraining';
import { tinyAlexNet } from './tinySpec';

/** 24 noisy 16×16 grey images of 3 classes (a bright row per class). */
function rows(n: number, seed: number): TinyData {
  const rng = createRng(seed);
  const shape = [16, 16, 1] as const;
  const px = 16 * 16;
  const images = new Float32Array(n * px);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (let j = 0; j < px; j++) images[i * px + j] = (Math.floor(j / 16) % 3 === i % 3 ? 1 : 0) + 0.3 * rng.normal();
  }
  return { images, labels, shape };
}

const identity = (replicas: number): RunIdentity => ({
  config: { model: 'tinyAlexNet', batchSize: 8, seed: 3, replicas },
  data: { train: 'rows-24' },
  changes: [{ path: 'config.replicas', action: 'accept', note: 'allowed' }],
});

interface Observed {
  events: TrainEvent[];
  /** Per step: the seed and the labels the trainer got. */
  steps: Array<{ seed: number; labels: number[] }>;
  /** The state a resume loaded and the trainer's state read right after. */
  loaded?: { given: TrainerState; read: TrainerState };
  /** Every replica's state at the end (data-parallel trainers only). */
  replicaStates?: TrainerState[];
}

async function run(dir: string | undefined, replicas: number, epochs: number): Promise<Observed> {
  const seen: Observed = { events: [], steps: [] };
  const store = dir === undefined ? undefined : await openCheckpointStore(dir, { keepLast: 3, keepBest: false });
  const events$ = train({
    setup: async () => {
      const trainer = await createTrainer({ model: tinyAlexNet(), backend: 'cpu', replicas, seed: 5, optimizer: { lr: 0.05 } });
      const { step, setState, dispose } = trainer;
      trainer.step = async (xs, ys, seed) => {
        seen.steps.push({ seed, labels: Array.from(await ys.data()) });
        return step.call(trainer, xs, ys, seed);
      };
      trainer.setState = async (state) => {
        await setState.call(trainer, state);
        // The first setState is the resume; later ones are the EMA's validation lending weights.
        if (seen.loaded === undefined) seen.loaded = { given: state, read: await trainer.getState() };
      };
      trainer.dispose = async () => {
        if ('replicaStates' in trainer) seen.replicaStates = await (trainer as DataParallelTrainer).replicaStates();
        await dispose.call(trainer);
      };
      return {
        trainer,
        train: memorySource(rows(24, 1), { batchSize: 8, seed: 2, shuffle: true }),
        val: memorySource(rows(6, 9), { batchSize: 6, seed: 0, shuffle: false }),
      };
    },
    epochs,
    seed: 3,
    lr: 0.05,
    scheduler: { patience: 0, factor: 0.5, threshold: 0.5 },
    ema: { decay: 0.9, everySteps: 2 },
    identity: identity(replicas),
    checkpoints: store === undefined ? null : { store, everyEpochs: 1, everySteps: 0 },
  });
  seen.events = await lastValueFrom(events$.pipe(toArray()));
  return seen;
}

function newest(dir: string): ReturnType<typeof decodeCheckpoint> {
  const f = fs.readdirSync(dir).filter((n) => n.startsWith('ckpt-')).sort().at(-1);
  assert.ok(f !== undefined);
  return decodeCheckpoint(fs.readFileSync(path.join(dir, f)));
}

function assertSameState(a: TrainerState, b: TrainerState, what: string): void {
  assert.deepEqual(a.weights.map((w) => w.name), b.weights.map((w) => w.name), what);
  assert.deepEqual(a.optimizer.map((w) => w.name), b.optimizer.map((w) => w.name), what);
  a.weights.forEach((w, i) => assert.deepEqual(w.data, b.weights[i].data, `${what}: ${w.name}`));
  a.optimizer.forEach((w, i) => assert.deepEqual(w.data, b.optimizer[i].data, `${what}: ${w.name}`));
}

describe('train: resuming on another replica count (allowed by the identity)', function () {
  // Replica workers load tfjs through tsx: a few seconds each on a busy machine.
  this.timeout(300_000);
  keepBackend();
  let tmp: string;
  let straight: Observed;
  before(async () => {
    await initBackend({ prefer: 'cpu' });
    // Step seeds and data order do not depend on the trainer: one replica shows what they must be.
    straight = await run(undefined, 1, 2);
  });
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-replica-change-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const [from, to] of [[2, 1], [1, 2]] as const) {
    it(`${from} → ${to} replicas: continues at the next epoch with the checkpoint's momentum, lr, average, step seeds and data order, and says so`, async () => {
      const first = await run(tmp, from, 1);
      assert.equal(first.events.at(-1)?.kind === 'TrainEnd' && first.events.at(-1)?.kind, 'TrainEnd');
      const saved = newest(tmp);
      assert.equal(saved.epoch, 1);
      assert.equal(saved.ema?.updates, 1, '3 steps, folded in every 2');

      const second = await run(tmp, to, 2);
      assert.ok(second.events.every((e) => e.kind !== 'Error' || !e.fatal), JSON.stringify(second.events.filter((e) => e.kind === 'Error')));
      const begin = second.events[0];
      assert.ok(begin.kind === 'TrainBegin' && begin.resumedFrom !== undefined && begin.epoch === 1 && begin.step === 3 && begin.replicas === to, JSON.stringify(begin));
      const warning = second.events[1];
      assert.ok(warning.kind === 'Error' && !warning.fatal, JSON.stringify(warning));
      assert.equal(warning.message, `resuming with a config that differs from the checkpoint's: config.replicas: checkpoint ${from}, now ${to}: allowed`);
      assert.deepEqual(second.events.flatMap((e) => (e.kind === 'EpochEnd' ? [e.epoch] : [])), [1], 'only the second epoch is trained');
      const end = second.events.at(-1);
      assert.ok(end?.kind === 'TrainEnd' && end.reason === 'completed' && end.step === 6, JSON.stringify(end));
      const epochBegin = second.events.find((e) => e.kind === 'EpochBegin');
      assert.ok(epochBegin?.kind === 'EpochBegin' && epochBegin.lr === saved.lr, 'the checkpoint\'s lr (the scheduler state goes on)');

      // Weights and momentum go into the new count's trainer as they were saved.
      assert.ok(second.loaded !== undefined);
      assert.ok(second.loaded.given.optimizer.length > 0, 'the checkpoint has momentum');
      assertSameState(second.loaded.read, second.loaded.given, 'state read back after the resume');
      // The RNG and the data cursor do not depend on the count: the same seeds and batches as a straight run.
      assert.deepEqual(second.steps, straight.steps.slice(3));
      assert.deepEqual(first.steps, straight.steps.slice(0, 3));
      const last = newest(tmp);
      assert.equal(last.ema?.updates, 3, 'the average goes on: steps 2, 4 and 6');
      assert.equal((last.identity.config as { replicas: number }).replicas, to, 'later checkpoints record the count now used');
      if (to > 1) {
        const states = second.replicaStates ?? [];
        assert.equal(states.length, to);
        for (const s of states.slice(1)) assertSameState(s, states[0], 'replica vs replica 0 after the resumed epoch');
      }
    });
  }
});
