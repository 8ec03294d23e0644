/**
 * bench:fashion-mnist-epoch — where the time of a Fashion-MNIST recipe epoch goes.
 *
 * Builds a subset of the official files in a temp dir (PNG tree as `import-idx` writes it,
 * and record files with 1 and 3 channels), then:
 *
 * 1. input pipeline alone (no training): one pass of the training dataset, exactly as
 *    `openDatasets` builds it for configs/fashion-mnist.json (pad 2, random 28 crop, flip,
 *    mean/std, batch 64), for PNG files (readFile + sharp decode) and record files, RGB and
 *    grey: wall and process CPU per image;
 * 2. the real `train()` loop, one epoch per variant (alternating rounds), with a checkpoint
 *    store, the event logger, TensorBoard and chart writers subscribed, timing what the loop
 *    waits on: trainer.step, waiting for the next training batch, validation (batches +
 *    evaluate), checkpoint (getState + write), and the rest (events, sinks, loop);
 * 3. scales the per-step / per-image figures to a full epoch (60 000 train images = 938
 *    steps of 64, 10 000 test images, 2 checkpoints per epoch as the recipe's everySteps 500);
 * 4. decode alone: readFile, sharp on an in-memory PNG, readFile + sharp (RGB and grey);
 * 5. the training step alone, RGB vs grey model, alternating step by step, and whether the
 *    event loop runs during a step (5 ms timer ticks counted).
 *
 *   npm run bench:fashion-mnist-epoch [-- --per-class 96 --test-per-class 50 --rounds 2 --variants png3,rec3,png1,rec1 --pair-steps 12]
 *   (--variants none skips 1–3)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/Either';
import { lastValueFrom, merge, Subject } from 'rxjs';
import { initBackend } from '../src/model/backend';
import { openCheckpointStore, type CheckpointStore } from '../src/model/CheckpointStore';
import { createTrainer, networkSpecOf } from '../src/model/createTrainer';
import { openDatasets } from '../src/model/setupFromConfig';
import { train } from '../src/model/train';
import { decodeTrainConfig, type TrainConfig } from '../src/model/TrainConfig';
import type { Trainer } from '../src/model/Trainer';
import type { BatchItem, BatchSource } from '../src/streams/BatchSource';
import { FASHION_MNIST_CLASSES } from '../src/streams/idxClassNames';
import { readIdxDataset } from '../src/streams/idxDataset';
import { idxToFolders } from '../src/streams/idxToFolders';
import { idxToRecordFile } from '../src/streams/idxToRecordFile';
import { decodeBuffer, decodeFile } from '../src/streams/decodeFile';
import { createRng } from '../src/ops/Rng';
import { chartWriter } from '../src/telemetry/chartWriter';
import { createLogger } from '../src/telemetry/createLogger';
import { eventLogger } from '../src/telemetry/eventLogger';
import { graphFromNetworkSpec } from '../src/telemetry/graphFromNetworkSpec';
import { tensorBoardWriter } from '../src/telemetry/tensorBoardWriter';
import type { TrainEvent } from '../src/telemetry/TrainEvent';

const { values } = parseArgs({
  options: {
    'dataset-dir': { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
    'per-class': { type: 'string', default: '96' },
    'test-per-class': { type: 'string', default: '50' },
    rounds: { type: 'string', default: '2' },
    variants: { type: 'string', default: 'png3,rec3,png1,rec1' },
    'pair-steps': { type: 'string', default: '12' },
    'keep-dir': { type: 'boolean', default: false },
    /** An `import-idx --dataset-dir` output (train/ and test/ PNG trees) to time the listing of. */
    'list-tree': { type: 'string' },
  },
});
const perClass = Number(values['per-class']);
const testPerClass = Number(values['test-per-class']);
const rounds = Number(values.rounds);
const EPOCH_TRAIN = 60_000;
const EPOCH_VAL = 10_000;
const BATCH = 64;
const EPOCH_STEPS = Math.ceil(EPOCH_TRAIN / BATCH);
const CKPTS_PER_EPOCH = 2;

type Variant = 'png3' | 'rec3' | 'png1' | 'rec1';
const VARIANT_NAMES: Record<Variant, string> = {
  png3: 'PNG files, RGB (the recipe)',
  rec3: 'record file, RGB',
  png1: 'PNG files, grey',
  rec1: 'record file, grey',
};
const variants = (values.variants === 'none' ? [] : values.variants.split(',')) as Variant[];
for (const v of variants) if (!(v in VARIANT_NAMES)) throw new Error(`unknown variant ${v} (expected ${Object.keys(VARIANT_NAMES).join(', ')})`);

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function buildData(root: string): Promise<void> {
  const dir = values['dataset-dir'];
  for (const [split, prefix, limit] of [['train', 'train', perClass], ['test', 't10k', testPerClass]] as const) {
    const ds = await readIdxDataset(path.join(dir, `${prefix}-images-idx3-ubyte.gz`), path.join(dir, `${prefix}-labels-idx1-ubyte.gz`), { numClasses: 10 });
    const opts = { names: FASHION_MNIST_CLASSES, limitPerClass: limit };
    await idxToFolders(ds, path.join(root, 'png', split), opts);
    await idxToRecordFile(ds, path.join(root, 'rec1', `${split}.rec`), { ...opts, channels: 1 });
    await idxToRecordFile(ds, path.join(root, 'rec3', `${split}.rec`), { ...opts, channels: 3 });
  }
}

/** configs/fashion-mnist.json with the data, channels and run dir of a variant. */
function configFor(root: string, v: Variant, runDir: string): TrainConfig {
  const recipe = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'configs', 'fashion-mnist.json'), 'utf8')) as Record<string, unknown>;
  const channels = v.endsWith('1') ? 1 : 3;
  const data = v.startsWith('png')
    ? { train: path.join(root, 'png', 'train'), val: path.join(root, 'png', 'test'), prefetch: 4 }
    : { train: path.join(root, `rec${channels}`, 'train.rec'), val: path.join(root, `rec${channels}`, 'test.rec'), prefetch: 4 };
  const r = decodeTrainConfig({
    ...recipe,
    data,
    model: { ...(recipe.model as object), channels },
    runDir,
    epochs: 1,
    maxTime: null,
    checkpoint: { everyEpochs: 1, everySteps: Math.max(1, Math.floor((perClass * 10) / BATCH / 2)), keepLast: 3, keepBest: true },
    telemetry: { address: 'off' },
  });
  if (E.isLeft(r)) throw new Error(JSON.stringify(r.left));
  return r.right;
}

interface PipelineFigure {
  images: number;
  wallMs: number;
  cpuMs: number;
}

async function pipelineOnly(root: string, v: Variant): Promise<PipelineFigure> {
  const cfg = configFor(root, v, path.join(root, 'runs', 'unused'));
  const d = await openDatasets(cfg);
  try {
    let images = 0;
    const c0 = cpuMs();
    const t0 = performance.now();
    for await (const item of d.train.epoch(0)) {
      if (item.kind === 'skip') throw new Error(`unexpected skip ${item.path}: ${item.message}`);
      images += item.xs.shape[0];
      item.xs.dispose();
      item.ys.dispose();
    }
    return { images, wallMs: performance.now() - t0, cpuMs: cpuMs() - c0 };
  } finally {
    await d.close();
  }
}

interface LoopTimes {
  wall: number;
  step: number;
  steps: number;
  trainWait: number;
  val: number;
  valImages: number;
  ckpt: number;
  ckpts: number;
  afterEnd: number;
}

function timedSource(src: BatchSource, add: (ms: number) => void): BatchSource {
  return {
    ...src,
    epoch(e, start) {
      const it = src.epoch(e, start);
      const wrapped: AsyncIterableIterator<BatchItem> = {
        [Symbol.asyncIterator]: () => wrapped,
        next: async () => {
          const t = performance.now();
          try {
            return await it.next();
          } finally {
            add(performance.now() - t);
          }
        },
        return: async () => (it.return ? it.return() : { done: true, value: undefined }),
      };
      return wrapped;
    },
    close: () => src.close(),
  };
}

async function loopEpoch(root: string, v: Variant, round: number): Promise<LoopTimes> {
  const runDir = path.join(root, 'runs', `${v}-${round}`);
  const cfg = configFor(root, v, runDir);
  const times: LoopTimes = { wall: 0, step: 0, steps: 0, trainWait: 0, val: 0, valImages: 0, ckpt: 0, ckpts: 0, afterEnd: 0 };
  const d = await openDatasets(cfg);
  const spec = networkSpecOf({ model: cfg.model.name, numClasses: d.classes.length, inputShape: d.inputShape });
  const inner = await createTrainer({ model: spec, seed: cfg.seed, optimizer: cfg.optimizer, backend: 'wasm', replicas: 1 });
  const trainer: Trainer = {
    backend: inner.backend,
    replicas: inner.replicas,
    threads: inner.threads,
    step: async (xs, ys, seed) => {
      const t = performance.now();
      try {
        return await inner.step(xs, ys, seed);
      } finally {
        times.step += performance.now() - t;
        times.steps++;
      }
    },
    evaluate: async (xs, ys) => {
      times.valImages += xs.shape[0];
      const t = performance.now();
      try {
        return await inner.evaluate(xs, ys);
      } finally {
        times.val += performance.now() - t;
      }
    },
    predict: (xs) => inner.predict(xs),
    setLearningRate: (lr) => inner.setLearningRate(lr),
    setState: (st) => inner.setState(st),
    getWeights: () => inner.getWeights(),
    dispose: async () => undefined,
    getState: async () => {
      const t = performance.now();
      try {
        return await inner.getState();
      } finally {
        times.ckpt += performance.now() - t;
      }
    },
  };
  const realStore = await openCheckpointStore(path.join(runDir, 'checkpoints'), { keepLast: 3, keepBest: true });
  const store: CheckpointStore = {
    dir: realStore.dir,
    scan: () => realStore.scan(),
    save: async (ck, o) => {
      const t = performance.now();
      try {
        return await realStore.save(ck, o);
      } finally {
        times.ckpt += performance.now() - t;
        times.ckpts++;
      }
    },
  };
  // Validation = waiting for its batches + evaluate.
  const valSource =
    d.val === undefined
      ? undefined
      : timedSource(d.val, (ms) => {
          times.val += ms;
        });
  const logger = createLogger({ level: 'info', file: path.join(runDir, 'train.log'), console: false });
  const bus = new Subject<TrainEvent>();
  const sinks = [eventLogger(logger), tensorBoardWriter(path.join(runDir, 'tensorboard'), { graph: graphFromNetworkSpec(spec) }), chartWriter(runDir, { title: v })];
  const done = lastValueFrom(merge(...sinks.map((s) => s(bus.asObservable()))), { defaultValue: undefined });
  const t0 = performance.now();
  let tEnd = 0;
  await new Promise<void>((resolve, reject) => {
    train({
      setup: async () => ({
        trainer,
        train: timedSource(d.train, (ms) => {
          times.trainWait += ms;
        }),
        ...(valSource === undefined ? {} : { val: valSource }),
      }),
      epochs: 1,
      seed: cfg.seed,
      lr: cfg.optimizer.lr,
      scheduler: cfg.scheduler.name === 'none' ? null : cfg.scheduler,
      checkpoints: { store, everyEpochs: 1, everySteps: cfg.checkpoint.everySteps },
      batchEvents: { perSec: cfg.progress.batchEventsPerSec, everyBatches: 0 },
    }).subscribe({
      next: (e) => {
        if (e.kind === 'TrainEnd') tEnd = performance.now();
        bus.next(e);
      },
      error: (err: unknown) => {
        bus.error(err);
        reject(err);
      },
      complete: () => {
        bus.complete();
        resolve();
      },
    });
  });
  await done;
  times.wall = performance.now() - t0;
  times.afterEnd = performance.now() - tEnd;
  logger.close();
  await inner.dispose();
  await d.close();
  return times;
}

async function decodeAlone(root: string): Promise<void> {
  const dir = path.join(root, 'png', 'train');
  const files = fs.readdirSync(dir).sort().flatMap((d) => fs.readdirSync(path.join(dir, d)).sort().map((f) => path.join(dir, d, f)));
  const bufs = files.map((f) => fs.readFileSync(f));
  const measure = async (name: string, fn: (i: number) => Promise<unknown>): Promise<void> => {
    let next = 0;
    const c0 = cpuMs();
    const t0 = performance.now();
    // 4 in flight, as fileStore's dataset does by default.
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < files.length) await fn(next++);
    }));
    const wall = performance.now() - t0;
    const c = cpuMs() - c0;
    console.log(`  ${name.padEnd(36)} wall ${((1000 * wall) / files.length).toFixed(0).padStart(5)} µs/img, CPU ${((1000 * c) / files.length).toFixed(0).padStart(5)} µs/img`);
  };
  for (let r = 0; r < 2; r++) {
    console.log(`  pass ${r + 1} over ${files.length} PNGs:`);
    await measure('readFile', (i) => fs.promises.readFile(files[i]));
    await measure('sharp decode of the bytes, RGB', (i) => decodeBuffer(bufs[i], files[i], 0));
    await measure('sharp decode of the bytes, grey', (i) => decodeBuffer(bufs[i], files[i], 0, { channels: 1 }));
    await measure('decodeFile (readFile + sharp), RGB', (i) => decodeFile(files[i], 0));
    await measure('decodeFile (readFile + sharp), grey', (i) => decodeFile(files[i], 0, { channels: 1 }));
  }
}

async function stepAlone(pairs: number): Promise<void> {
  const rng = createRng(1);
  const make = async (c: 1 | 3) => {
    const t = await createTrainer({ model: networkSpecOf({ model: 'small', numClasses: 10, inputShape: [28, 28, c] }), backend: 'wasm', seed: 1 });
    const xs = tf.tensor4d(Float32Array.from({ length: BATCH * 28 * 28 * c }, () => rng.normal()), [BATCH, 28, 28, c]);
    const ys = tf.tensor1d(Int32Array.from({ length: BATCH }, () => rng.int(10)), 'int32');
    await t.step(xs, ys, 0); // warm-up
    return { t, xs, ys, ms: [] as number[] };
  };
  const rgb = await make(3);
  const grey = await make(1);
  for (let i = 0; i < pairs; i++) {
    for (const x of i % 2 === 0 ? [rgb, grey] : [grey, rgb]) {
      const t0 = performance.now();
      await x.t.step(x.xs, x.ys, i + 1);
      x.ms.push(performance.now() - t0);
    }
  }
  const median = (a: number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1];
  const ratios = grey.ms.map((g, i) => g / rgb.ms[i]);
  console.log(
    `  median step: RGB ${median(rgb.ms).toFixed(0)} ms (${((BATCH * 1000) / median(rgb.ms)).toFixed(1)} img/s), grey ${median(grey.ms).toFixed(0)} ms (${((BATCH * 1000) / median(grey.ms)).toFixed(1)} img/s); ` +
      `grey/RGB: ratio of medians ${(median(grey.ms) / median(rgb.ms)).toFixed(3)}, median of the ${pairs} pair ratios ${median(ratios).toFixed(3)} (range ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
  );
  let ticks = 0;
  const h = setInterval(() => ticks++, 5);
  const t0 = performance.now();
  for (let i = 0; i < 3; i++) await rgb.t.step(rgb.xs, rgb.ys, 100 + i);
  const ms = performance.now() - t0;
  clearInterval(h);
  console.log(`  event loop during 3 back-to-back RGB steps (${ms.toFixed(0)} ms): ${ticks} ticks of a 5 ms timer (a free loop: ≈ ${Math.floor(ms / 5)})`);
  for (const x of [rgb, grey]) {
    x.xs.dispose();
    x.ys.dispose();
    await x.t.dispose();
  }
}

function fmt(ms: number): string {
  return ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`;
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-bench-fmnist-'));
  try {
    const t = performance.now();
    await buildData(root);
    console.log(`bench:fashion-mnist-epoch: subset ${perClass * 10} train / ${testPerClass * 10} test images in ${root} (${((performance.now() - t) / 1000).toFixed(1)} s)`);
    console.log(`load average at start: ${os.loadavg().map((x) => x.toFixed(2)).join(', ')} on ${os.cpus().length} cores`);
    const backend = await initBackend({ prefer: 'wasm' });
    console.log(`backend ${backend.name}, ${backend.threads} threads`);

    // Listing cost (readdir of the PNG trees) as openDatasets pays it once per run.
    const listRoot = values['list-tree'];
    if (listRoot !== undefined) {
      const cfg = configFor(root, 'png3', path.join(root, 'runs', 'unused'));
      const tl = performance.now();
      const dl = await openDatasets({ ...cfg, data: { ...cfg.data, train: path.join(listRoot, 'train'), val: path.join(listRoot, 'test') } });
      const listMs = performance.now() - tl;
      console.log(`\nopenDatasets on ${listRoot} (lists ${dl.train.size} + ${dl.val?.size ?? 0} PNG files): ${fmt(listMs)}, once per run (and per resume)`);
      await dl.close();
    }

    console.log('\n1. input pipeline alone (no training), one pass over the training subset:');
    const pipe: Partial<Record<Variant, PipelineFigure>> = {};
    for (const v of variants) {
      await pipelineOnly(root, v); // warm-up: file cache, sharp, workers
      const f = await pipelineOnly(root, v);
      pipe[v] = f;
      const perImgWall = f.wallMs / f.images;
      const perImgCpu = f.cpuMs / f.images;
      console.log(
        `  ${VARIANT_NAMES[v].padEnd(28)} ${(f.images / (f.wallMs / 1000)).toFixed(0).padStart(6)} img/s  wall ${(perImgWall * 1000).toFixed(0).padStart(5)} µs/img  CPU ${(perImgCpu * 1000).toFixed(0).padStart(5)} µs/img → per epoch: wall ${fmt(perImgWall * EPOCH_TRAIN)}, CPU ${fmt(perImgCpu * EPOCH_TRAIN)}`,
      );
    }

    console.log(`\n2. the train() loop, 1 epoch of the subset per variant, ${rounds} round(s) alternating:`);
    const sums: Partial<Record<Variant, LoopTimes[]>> = {};
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? variants : [...variants].reverse();
      for (const v of order) {
        const lt = await loopEpoch(root, v, r);
        (sums[v] ??= []).push(lt);
        console.log(
          `  round ${r + 1} ${v}: wall ${fmt(lt.wall)}, step ${(lt.step / lt.steps).toFixed(0)} ms × ${lt.steps}, batch wait ${(lt.trainWait / lt.steps).toFixed(1)} ms/step, validation ${fmt(lt.val)} (${lt.valImages} img), checkpoints ${lt.ckpts} (${(lt.ckpt / Math.max(1, lt.ckpts)).toFixed(0)} ms each), after TrainEnd ${lt.afterEnd.toFixed(0)} ms; load ${os.loadavg()[0].toFixed(2)}`,
        );
      }
    }

    console.log(`\n3. per epoch of the full recipe (${EPOCH_STEPS} steps of ${BATCH}, ${EPOCH_VAL} validation images, ${CKPTS_PER_EPOCH} checkpoints), from the loop figures:`);
    console.log('  variant                      | step        | batch wait | validation | checkpoints | rest (events, sinks, loop) | total      | img/s');
    for (const v of variants) {
      const ls = sums[v] ?? [];
      const sum = (f: (x: LoopTimes) => number): number => ls.reduce((s, x) => s + f(x), 0);
      const steps = sum((x) => x.steps);
      const stepMs = sum((x) => x.step) / steps;
      const waitMs = sum((x) => x.trainWait) / steps;
      const valPerImg = sum((x) => x.val) / Math.max(1, sum((x) => x.valImages));
      const ckptMs = sum((x) => x.ckpt) / Math.max(1, sum((x) => x.ckpts));
      const restPerStep = sum((x) => x.wall - x.step - x.trainWait - x.val - x.ckpt - x.afterEnd) / steps;
      const epoch = {
        step: stepMs * EPOCH_STEPS,
        wait: waitMs * EPOCH_STEPS,
        val: valPerImg * EPOCH_VAL,
        ckpt: ckptMs * CKPTS_PER_EPOCH,
        rest: restPerStep * EPOCH_STEPS,
      };
      const total = epoch.step + epoch.wait + epoch.val + epoch.ckpt + epoch.rest;
      const pct = (x: number): string => `${((100 * x) / total).toFixed(1)}%`;
      console.log(
        `  ${VARIANT_NAMES[v].padEnd(28)} | ${fmt(epoch.step)} ${pct(epoch.step)} | ${fmt(epoch.wait)} ${pct(epoch.wait)} | ${fmt(epoch.val)} ${pct(epoch.val)} | ${fmt(epoch.ckpt)} ${pct(epoch.ckpt)} | ${fmt(epoch.rest)} ${pct(epoch.rest)} | ${fmt(total)} | ${((EPOCH_TRAIN * 1000) / (epoch.step + epoch.wait + epoch.rest)).toFixed(1)}`,
      );
    }
    const p3 = pipe.png3;
    const r3 = pipe.rec3;
    if (p3 && r3) {
      console.log(
        `\nPNG decode (PNG pipeline − record pipeline, RGB): ${(((p3.cpuMs / p3.images) - (r3.cpuMs / r3.images)) * 1000).toFixed(0)} µs CPU/img → ${fmt((p3.cpuMs / p3.images - r3.cpuMs / r3.images) * EPOCH_TRAIN)} CPU per epoch`,
      );
    }
    console.log(`\n4. decode alone (load ${os.loadavg()[0].toFixed(2)}):`);
    await decodeAlone(root);
    console.log(`\n5. training step alone, RGB vs grey model alternating (load ${os.loadavg()[0].toFixed(2)}):`);
    await stepAlone(Number(values['pair-steps']));
    console.log(`load average at end: ${os.loadavg().map((x) => x.toFixed(2)).join(', ')}; tensors alive: ${tf.memory().numTensors}`);
  } finally {
    if (!values['keep-dir']) fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
