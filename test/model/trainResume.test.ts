import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { decodeCheckpoint, type RunIdentity } from '../../src/model/Checkpoint';
import { openCheckpointStore } from '../../src/model/CheckpointStore';
import { runIdentity } from '../../src/model/setupFromConfig';
import { DEFAULT_TRAIN_CONFIG } from '../../src/model/TrainConfig';
import { train, type TrainOptions } from '../../src/model/train';
import type { TrainEvent } from '../../src/telemetry/TrainEvent';
import { resumeSetup } from './fixtures/resumeSetup';
import { useCpu } from './fixtures/tinyTraining';

type Metrics = Record<number, { trainLoss: number; trainAccuracy: number; valLoss?: number; valAccuracy?: number; lr: number }>;

function metricsOf(...runs: TrainEvent[][]): Metrics {
  const out: Metrics = {};
  // A later run's epoch replaces an earlier one (a kill after EpochEnd but before the save repeats it).
  for (const e of runs.flat()) {
    if (e.kind === 'EpochEnd') out[e.epoch] = { trainLoss: e.trainLoss, trainAccuracy: e.trainAccuracy, valLoss: e.valLoss, valAccuracy: e.valAccuracy, lr: e.lr };
  }
  return out;
}

async function runInProcess(
  dir: string | undefined,
  epochs: number,
  opts: { signal?: AbortSignal; batchSize?: number; everySteps?: number; identity?: RunIdentity; ema?: TrainOptions['ema'] } = {},
): Promise<TrainEvent[]> {
  const store = dir === undefined ? undefined : await openCheckpointStore(dir, { keepLast: 2, keepBest: true });
  const events$ = train({
    ...resumeSetup({ batchSize: opts.batchSize }),
    ...(opts.identity === undefined ? {} : { identity: opts.identity }),
    epochs,
    signal: opts.signal,
    ema: opts.ema ?? null,
    checkpoints: store === undefined ? null : { store, everyEpochs: 1, everySteps: opts.everySteps ?? 0 },
  });
  return lastValueFrom(events$.pipe(toArray()));
}

const CHILD = path.join(__dirname, 'fixtures', 'trainChild.ts');

interface Child {
  readonly events: TrainEvent[];
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  kill(): void;
  /** Resolves when an event matching `pred` has been printed. */
  waitFor(pred: (e: TrainEvent) => boolean): Promise<void>;
}

function startChild(dir: string, epochs: number, env: NodeJS.ProcessEnv = {}): Child {
  const proc = spawn(process.execPath, ['--require', 'tsx/cjs', CHILD, dir, String(epochs)], {
    cwd: path.join(__dirname, '..', '..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: TrainEvent[] = [];
  const waiters: Array<{ pred: (e: TrainEvent) => boolean; resolve: () => void }> = [];
  let buf = '';
  let stderr = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    buf += chunk.toString('utf8');
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const e = JSON.parse(buf.slice(0, nl)) as TrainEvent;
      buf = buf.slice(nl + 1);
      events.push(e);
      for (const w of waiters.filter((x) => x.pred(e))) w.resolve();
    }
  });
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return {
    events,
    exit,
    kill: () => proc.kill('SIGKILL'),
    waitFor: (pred) =>
      new Promise<void>((resolve, reject) => {
        if (events.some(pred)) return resolve();
        waiters.push({ pred, resolve });
        void exit.then((x) => reject(new Error(`child exited (${x.code}/${x.signal}) before the awaited event: ${x.stderr}`)));
      }),
  };
}

async function waitForFile(file: string, child: Child): Promise<void> {
  let exited = false;
  void child.exit.then(() => (exited = true));
  while (!fs.existsSync(file)) {
    if (exited) throw new Error(`child exited before pausing: ${(await child.exit).stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('train: checkpoints and exact resume', function () {
  this.timeout(120_000);
  let tmp: string;
  let straight: Metrics;

  before(async () => {
    await useCpu();
    straight = metricsOf(await runInProcess(undefined, 4));
    assert.equal(Object.keys(straight).length, 4);
  });
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-resume-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('2 epochs + resume 2 gives exactly the metrics of 4 straight epochs', async () => {
    const first = await runInProcess(tmp, 2);
    const second = await runInProcess(tmp, 4);
    const begin = second[0];
    assert.ok(begin.kind === 'TrainBegin' && begin.resumedFrom !== undefined && begin.epoch === 2 && begin.step === 10);
    // TrainBegin carries the epochs done, as their EpochEnd events said them (sinks fill in what a kill lost).
    const ends = first.filter((e) => e.kind === 'EpochEnd');
    assert.deepEqual(begin.history, ends.map(({ kind: _k, time: _t, step: _s, ...r }) => r));
    assert.deepEqual(metricsOf(first, second), straight);
    // The lr must have moved for this test to cover the scheduler state.
    assert.ok(new Set(Object.values(straight).map((m) => m.lr)).size > 1, 'the scheduler changed the lr');
  });

  it('a graceful stop mid-epoch checkpoints the cursor and resumes exactly', async () => {
    const ac = new AbortController();
    const store = await openCheckpointStore(tmp, { keepLast: 2, keepBest: true });
    const first: TrainEvent[] = [];
    await new Promise<void>((resolve, reject) =>
      train({ ...resumeSetup(), epochs: 4, signal: ac.signal, checkpoints: { store, everyEpochs: 1, everySteps: 0 } }).subscribe({
        next: (e) => {
          first.push(e);
          if (e.kind === 'BatchEnd' && e.step === 7) ac.abort();
        },
        error: reject,
        complete: resolve,
      }),
    );
    const end = first[first.length - 1];
    assert.equal(end.kind === 'TrainEnd' && end.reason, 'stopped');
    assert.ok(first.some((e) => e.kind === 'CheckpointSaved' && /-e0001-b000002\.rxckpt$/.test(e.path)), 'cursor epoch 1 batch 2');
    const second = await runInProcess(tmp, 4);
    assert.deepEqual(metricsOf(first, second), straight);
  });

  it('with a moving average of the weights: a mid-epoch checkpoint carries it, and 2 epochs + resume give the straight run\'s metrics', async () => {
    const ema = { decay: 0.7, everySteps: 2 };
    const straightEma = metricsOf(await runInProcess(undefined, 4, { ema }));
    assert.notDeepEqual(straightEma, straight, 'validation scores the average');
    // Steps 3 and 8 are odd and even checkpoints inside an epoch (5 steps per epoch).
    const first = await runInProcess(tmp, 2, { ema, everySteps: 3 });
    const saved = decodeCheckpoint(fs.readFileSync(path.join(tmp, fs.readdirSync(tmp).filter((f) => f.startsWith('ckpt-s0000000009')).sort()[0])));
    assert.equal(saved.ema?.updates, 4, 'step 9: folded in at steps 2, 4, 6, 8');
    const second = await runInProcess(tmp, 4, { ema, everySteps: 3 });
    assert.deepEqual(metricsOf(first, second), straightEma);
  });

  it('falls back to the previous checkpoint, with a warning event, when the newest is truncated', async () => {
    await runInProcess(tmp, 3);
    const files = fs.readdirSync(tmp).filter((f) => f.startsWith('ckpt-')).sort();
    assert.equal(files.length, 2, 'keepLast 2');
    const newest = path.join(tmp, files[1]);
    fs.truncateSync(newest, Math.floor(fs.statSync(newest).size / 3));
    const second = await runInProcess(tmp, 4);
    const warn = second.find((e) => e.kind === 'Error');
    assert.ok(warn && warn.kind === 'Error' && !warn.fatal && warn.message.includes(files[1]), JSON.stringify(warn));
    const begin = second.find((e) => e.kind === 'TrainBegin');
    assert.ok(begin && begin.kind === 'TrainBegin' && begin.resumedFrom?.endsWith(files[0]));
    const first = await runInProcess(undefined, 2);
    assert.deepEqual(metricsOf(first, second), straight);
  });

  it('repairs best.rxckpt when a kill cut the save off between the checkpoint and its best link', async () => {
    await runInProcess(tmp, 1);
    const saved = path.join(tmp, fs.readdirSync(tmp).find((f) => f.startsWith('ckpt-')) as string);
    assert.equal(decodeCheckpoint(fs.readFileSync(saved)).best?.epoch, 0, 'precondition: the first epoch is the best so far');
    const best = path.join(tmp, 'best.rxckpt');
    // What a kill -9 between writing the epoch's checkpoint and linking it leaves: no (or an older) best.rxckpt.
    fs.rmSync(best);
    const resumed = await runInProcess(tmp, 1);
    const warning = resumed.find((e) => e.kind === 'Error');
    assert.ok(warning?.kind === 'Error' && !warning.fatal && /best\.rxckpt did not hold the best checkpoint/.test(warning.message), JSON.stringify(warning));
    assert.equal(fs.statSync(best).ino, fs.statSync(saved).ino, 'best.rxckpt is the best epoch\'s checkpoint again');
    const again = await runInProcess(tmp, 1);
    assert.ok(!again.some((e) => e.kind === 'Error'), 'nothing to repair the next time');
  });

  it('refuses to start afresh when every checkpoint is damaged, and leaves them in place', async () => {
    await runInProcess(tmp, 2);
    const files = fs.readdirSync(tmp).filter((f) => f.startsWith('ckpt-')).sort();
    for (const f of files) fs.truncateSync(path.join(tmp, f), 100);
    const events: TrainEvent[] = [];
    const store = await openCheckpointStore(tmp, { keepLast: 2, keepBest: true });
    const run$ = train({ ...resumeSetup(), epochs: 4, checkpoints: { store, everyEpochs: 1, everySteps: 0 } });
    await assert.rejects(
      new Promise((resolve, reject) => run$.subscribe({ next: (e) => events.push(e), error: reject, complete: () => resolve(undefined) })),
      /refusing to start afresh: none of the 2 checkpoints in .* is usable \(see the warnings above\)\.\nMove or delete that folder \(or use a new run directory\)/,
    );
    const warnings = events.flatMap((e) => (e.kind === 'Error' && !e.fatal ? [e.message] : []));
    assert.equal(warnings.length, 2);
    assert.match(warnings[0], /falling back to the previous one$/);
    assert.match(warnings[1], /unusable .*; it is the oldest one$/);
    assert.ok(!events.some((e) => e.kind === 'TrainBegin'), 'nothing trained');
    assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.startsWith('ckpt-')).sort(), files, 'nothing pruned');
  });

  it('refuses a checkpoint made with a different config, naming the field', async () => {
    await runInProcess(tmp, 1);
    await assert.rejects(runInProcess(tmp, 2, { batchSize: 4 }), (e: Error) => {
      assert.match(e.message, /refusing to resume/);
      assert.match(e.message, /config\.batchSize: checkpoint 8, now 4/);
      return true;
    });
  });

  it('says what differs from the checkpoint, the config, the data or both, in a refusal and in the warning of an accepted change', async () => {
    const identity = (seed: number, fp: Record<string, string>, changes: RunIdentity['changes'] = []): RunIdentity => ({ config: { batchSize: 8, seed }, data: fp, changes });
    await runInProcess(tmp, 1, { identity: identity(21, { train: 'tiny-40-4' }) });
    const refusal = async (id: RunIdentity): Promise<string> => {
      let header = '';
      await assert.rejects(runInProcess(tmp, 2, { identity: id }), (e: Error) => {
        header = e.message.split('\n')[0].replace(/^.*\.rxckpt: /, '');
        return true;
      });
      return header;
    };
    assert.equal(await refusal(identity(22, { train: 'tiny-40-4' })), 'it was made with a different config:');
    assert.equal(await refusal(identity(21, { train: 'tiny-41-4' })), 'it was made with different data:');
    assert.equal(await refusal(identity(22, { train: 'tiny-41-4' })), 'it was made with a different config and different data:');
    // A fingerprint entry the checkpoint predates, accepted: a warning about the data, not the config.
    const later = await runInProcess(tmp, 2, { identity: identity(21, { train: 'tiny-40-4', info: 'c0de' }, [{ path: 'data.info', from: undefined, action: 'accept', note: 'predates it' }]) });
    const warnings = later.flatMap((e) => (e.kind === 'Error' && !e.fatal ? [e.message] : []));
    assert.deepEqual(warnings, ['resuming with data that differs from the checkpoint\'s: data.info: checkpoint (absent), now "c0de": predates it']);
  });

  it('refuses a checkpoint made with other transforms when the run names them (runIdentity transformId)', async () => {
    const cfg = { ...DEFAULT_TRAIN_CONFIG, data: { ...DEFAULT_TRAIN_CONFIG.data, train: '/work/data' }, replicas: 1 };
    const identity = (transformId?: string): RunIdentity => runIdentity(cfg, { train: 'tiny-40-4' }, transformId === undefined ? {} : { transformId });
    await runInProcess(tmp, 1, { identity: identity('cutout-v1') });
    await assert.rejects(runInProcess(tmp, 2, { identity: identity('cutout-v2') }), (e: Error) => {
      assert.match(e.message, /refusing to resume/);
      assert.match(e.message, /config\.transform: checkpoint "cutout-v1", now "cutout-v2"/);
      return true;
    });
    await assert.rejects(runInProcess(tmp, 2, { identity: identity() }), /config\.transform: checkpoint "cutout-v1", now \(absent\)/);
    const resumed = await runInProcess(tmp, 2, { identity: identity('cutout-v1') });
    assert.ok(resumed[0].kind === 'TrainBegin' && resumed[0].resumedFrom !== undefined, JSON.stringify(resumed[0]));
  });

  describe('after the project moved', () => {
    // What the CLI records: absolute data paths (relocatable) plus a fingerprint of the data.
    const identity = (root: string, fingerprint = 'tiny-40-4', relocatable = true): RunIdentity => ({
      config: { batchSize: 8, seed: 21, model: 'tiny', data: { train: `${root}/data/train`, val: null } },
      data: { train: fingerprint },
      ...(relocatable ? { relocatable: ['config.data.train', 'config.data.val'] } : {}),
    });

    it('resumes exactly when the same data is at a new path', async () => {
      const first = await runInProcess(tmp, 2, { identity: identity('/work/main') });
      const second = await runInProcess(tmp, 4, { identity: identity('/mnt/elsewhere/main') });
      const begin = second[0];
      assert.ok(begin.kind === 'TrainBegin' && begin.resumedFrom !== undefined && begin.step === 10, JSON.stringify(begin));
      assert.deepEqual(metricsOf(first, second), straight);
    });

    it('still refuses different data at the new path, saying so', async () => {
      await runInProcess(tmp, 1, { identity: identity('/work/main') });
      await assert.rejects(runInProcess(tmp, 2, { identity: identity('/mnt/elsewhere/main', 'tiny-41-4') }), (e: Error) => {
        assert.match(e.message, /refusing to resume/);
        assert.match(e.message, /the data is not what the checkpoint was trained on/);
        assert.match(e.message, /data\.train: checkpoint "tiny-40-4", now "tiny-41-4"/);
        return true;
      });
    });

    it('accepts a checkpoint written before data paths were relocatable', async () => {
      const first = await runInProcess(tmp, 2, { identity: identity('/work/main', 'tiny-40-4', false) });
      const saved = first.filter((e) => e.kind === 'CheckpointSaved');
      assert.ok(saved.length > 0);
      const second = await runInProcess(tmp, 4, { identity: identity('/work/fmnist') });
      assert.ok(second[0].kind === 'TrainBegin' && second[0].resumedFrom !== undefined);
      assert.deepEqual(metricsOf(first, second), straight);
    });
  });

  it('resumes exactly after kill -9 of a real training process', async () => {
    const child = startChild(tmp, 4);
    await child.waitFor((e) => e.kind === 'CheckpointSaved' && e.epoch === 2);
    child.kill();
    const killed = await child.exit;
    assert.equal(killed.signal, 'SIGKILL');
    const resumed = startChild(tmp, 4);
    const done = await resumed.exit;
    assert.equal(done.code, 0, done.stderr);
    const begin = resumed.events[0];
    assert.ok(begin.kind === 'TrainBegin' && begin.resumedFrom !== undefined);
    assert.deepEqual(metricsOf(child.events, resumed.events), straight);
  });

  it('survives kill -9 in the middle of a checkpoint write: the previous checkpoint loads', async () => {
    const marker = path.join(tmp, '..', `${path.basename(tmp)}.paused`);
    // The third save (end of epoch 2) pauses after writing half of the temp file.
    const child = startChild(tmp, 4, { RXTRAIN_TEST_CHECKPOINT_PAUSE_AT: '3', RXTRAIN_TEST_CHECKPOINT_PAUSE_MARKER: marker });
    try {
      await waitForFile(marker, child);
      child.kill();
      await child.exit;
    } finally {
      fs.rmSync(marker, { force: true });
    }
    const leftovers = fs.readdirSync(tmp);
    assert.ok(leftovers.some((f) => f.endsWith('.tmp')), `half-written temp file present: ${leftovers}`);
    assert.ok(!leftovers.some((f) => /^ckpt-.*-e0003-/.test(f)), `${leftovers} ` + 'the interrupted checkpoint never appeared under its real name');
    const resumed = startChild(tmp, 4);
    const done = await resumed.exit;
    assert.equal(done.code, 0, done.stderr);
    // Warnings found at start-up come before TrainBegin.
    const begin = resumed.events.find((e) => e.kind === 'TrainBegin');
    assert.ok(begin?.kind === 'TrainBegin' && /-e0002-b000000\.rxckpt$/.test(begin.resumedFrom ?? ''), JSON.stringify(begin));
    // The steps since that checkpoint are trained again: said once, with the step whose write was cut off.
    const warnings = resumed.events.filter((e) => e.kind === 'Error');
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    const [cut] = warnings;
    assert.ok(cut.kind === 'Error' && !cut.fatal && cut.step === 0, JSON.stringify(cut));
    // The child was killed saving the epoch it ended last, after the checkpoint of the one before.
    const ends = child.events.filter((e) => e.kind === 'EpochEnd');
    const [beforeLast, last] = ends.slice(-2);
    assert.equal(
      cut.message.replace(/\d+(\.\d)? (bytes|kB|MB)/, 'SIZE'),
      `the previous run was cut off while writing the checkpoint of step ${last.step} (SIZE of it written, now removed): resuming from ${begin.resumedFrom} at step ${beforeLast.step} instead`,
    );
    assert.ok(!fs.readdirSync(tmp).some((f) => f.endsWith('.tmp')), 'stale temp file cleaned up');
    assert.deepEqual(metricsOf(child.events, resumed.events), straight);
  });
});
