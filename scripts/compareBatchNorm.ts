/*
 * Compares rxtrain's BatchNorm training and inference with PyTorch's on the same model, initial
 * weights and batches (a development check, not part of the package or of `npm test`):
 *
 *   apt-get install -y python3-torch     # Debian's PyTorch, for /usr/bin/python3
 *   npx tsx scripts/compareBatchNorm.ts --model small --batch 8 --steps 13
 *   npx tsx scripts/compareBatchNorm.ts --model alexnet --batch 4 --steps 1
 *
 * It builds the model in rxtrain (wasm, one thread; dropout off, since the two frameworks draw
 * different masks), writes its initial weights and k + 1 random batches (k training steps, one
 * validation batch) to a temporary folder (removed at the end; --out DIR keeps the files),
 * trains k steps (SGD as the recipe: lr 0.01, Nesterov momentum 0.9, weight decay 5e-4), then
 * runs scripts/torch_batchnorm.py on the same files, in float32 and in float64, and prints: the
 * training losses, every BatchNorm layer's running mean and variance, the validation loss in
 * inference mode (running statistics) and with batch statistics (train-mode BatchNorm), and
 * PyTorch's inference of rxtrain's trained state (the inference formula alone, without the
 * runs' divergence). The float64 run shows how far float32 rounding alone carries a run.
 * Options: --model small|alexnet, --batch N, --steps K, --classes C, --size S, --seed N,
 * --scale X (inputs uniform in ±X, default 128: like mean-subtracted 0–255 pixels), --lr X,
 * --weight-decay X, --out DIR, --python PATH (default /usr/bin/python3).
 */
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRng } from '../src/ops/Rng';
import { alexNet } from '../src/model/alexNet';
import { createTrainer } from '../src/model/createTrainer';
import { buildNetwork } from '../src/model/Network';
import { nllAndCorrect } from '../src/model/trainStep';
import { smallAlexNet } from '../src/model/smallAlexNet';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};

interface Blob {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
  readonly offset: number;
}

/** Layers' BatchNorm statistics and the eval outputs, as both sides write them. */
interface Result {
  readonly trainLoss: number[];
  readonly running: Record<string, { mean: number[]; variance: number[] }>;
  readonly valLogProbs: number[];
  readonly valLoss: number;
  readonly valLossBatchStats: number;
  /** PyTorch only: its eval of rxtrain's trained state. */
  readonly crossLogProbs?: number[];
  readonly crossLoss?: number;
  /** PyTorch float64 only: the float32 run's trained tensors against its own, as `weightDiff`. */
  readonly torch32WeightDiff?: Record<string, number>;
  /** PyTorch only: per trained tensor (`conv1/kernel`, `bn1/movingMean`, …), max |rxtrain − torch| / max |torch|. */
  readonly weightDiff?: Record<string, number>;
}

function batch(seed: number, n: number, shape: readonly number[], classes: number, scale: number): { xs: Float32Array; ys: Int32Array } {
  const rng = createRng(seed);
  const per = shape.reduce((a, b) => a * b, 1);
  const xs = new Float32Array(n * per);
  for (let i = 0; i < xs.length; i++) xs[i] = (rng.next() * 2 - 1) * scale;
  const ys = Int32Array.from({ length: n }, () => Math.floor(rng.next() * classes));
  return { xs, ys };
}

function nll(logp: ArrayLike<number>, ys: Int32Array, classes: number): number {
  let s = 0;
  for (let i = 0; i < ys.length; i++) s -= logp[i * classes + ys[i]];
  return s / ys.length;
}

/** Largest |a − b| over the largest |b| (a relative error that ignores near-zero entries). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return m === 0 ? d : d / m;
}

const mean = (a: ArrayLike<number>): number => Array.from(a).reduce((s, v) => s + v, 0) / a.length;

interface Options {
  readonly model: 'small' | 'alexnet';
  readonly n: number;
  readonly steps: number;
  readonly classes: number;
  readonly size: number;
  readonly seed: number;
  readonly scale: number;
  readonly lr: number;
  readonly weightDecay: number;
  readonly python: string;
}

async function main(): Promise<void> {
  const model = opt('--model', 'small');
  if (model !== 'small' && model !== 'alexnet') throw new Error(`--model must be small or alexnet, got ${model}`);
  const o: Options = {
    model,
    n: Number(opt('--batch', model === 'small' ? '8' : '4')),
    steps: Number(opt('--steps', '13')),
    classes: Number(opt('--classes', model === 'small' ? '10' : '257')),
    size: Number(opt('--size', model === 'small' ? '32' : '227')),
    seed: Number(opt('--seed', '1')),
    scale: Number(opt('--scale', '128')),
    lr: Number(opt('--lr', '0.01')),
    weightDecay: Number(opt('--weight-decay', '5e-4')),
    python: opt('--python', '/usr/bin/python3'),
  };
  for (const k of ['n', 'steps', 'classes', 'size', 'scale', 'lr'] as const) {
    if (!(Number.isFinite(o[k]) && o[k] > 0)) throw new Error(`--${k === 'n' ? 'batch' : k} must be a positive number, got ${o[k]}`);
  }
  // AlexNet's files take ≈ 1.2 GB: a temporary folder is removed at the end, --out is kept.
  const keep = opt('--out', '');
  if (keep !== '') fs.mkdirSync(keep, { recursive: true });
  const out = keep || fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-bn-'));
  try {
    await compare(o, out, keep !== '');
  } finally {
    if (keep === '') fs.rmSync(out, { recursive: true, force: true });
  }
}

async function compare(o: Options, out: string, kept: boolean): Promise<void> {
  const { model, n, steps, classes, size, seed, scale, lr, weightDecay, python } = o;
  const dropout = { convDropout: 0, denseDropout: 0 };
  const spec = model === 'small' ? smallAlexNet({ numClasses: classes, inputSize: size, ...dropout }) : alexNet({ numClasses: classes, inputSize: size, ...dropout });
  const trainer = await createTrainer({ model: spec, backend: 'wasm', threads: 1, replicas: 1, seed, optimizer: { lr, momentum: 0.9, nesterov: true, weightDecay } });
  const blobs: Blob[] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  const add = (name: string, shape: readonly number[], data: Float32Array | Int32Array): void => {
    blobs.push({ name, shape, dtype: data instanceof Int32Array ? 'int32' : 'float32', offset });
    const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    chunks.push(Buffer.from(b));
    offset += b.length;
  };
  for (const w of await trainer.getWeights()) add(`init/${w.name}`, w.shape, w.data);
  const batches = Array.from({ length: steps + 1 }, (_, s) => batch(1000 + s, n, spec.inputShape, classes, scale));
  batches.forEach((b, s) => {
    const tag = s < steps ? `train${s}` : 'val';
    add(`${tag}/xs`, [n, ...spec.inputShape], b.xs);
    add(`${tag}/ys`, [n], b.ys);
  });

  const trainLoss: number[] = [];
  const running: Result['running'] = {};
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    const xs = tf.tensor4d(batches[s].xs, [n, ...spec.inputShape] as [number, number, number, number]);
    const ys = tf.tensor1d(batches[s].ys, 'int32');
    const r = await trainer.step(xs, ys, s);
    trainLoss.push(r.loss);
    xs.dispose();
    ys.dispose();
  }
  const trainMs = performance.now() - t0;
  const val = batches[steps];
  const vx = tf.tensor4d(val.xs, [n, ...spec.inputShape] as [number, number, number, number]);
  const lp = await trainer.predict(vx);
  const valLogProbs = Array.from(await lp.data());
  lp.dispose();
  vx.dispose();
  const trained = await trainer.getWeights();
  for (const w of trained) {
    const m = /^(bn\d+)\/moving(Mean|Variance)$/.exec(w.name);
    if (m === null) continue;
    const e = running[m[1]] ?? { mean: [], variance: [] };
    if (m[2] === 'Mean') e.mean = Array.from(w.data);
    else e.variance = Array.from(w.data);
    running[m[1]] = e;
  }
  for (const w of trained) add(`trained/${w.name}`, w.shape, w.data);
  // Train-mode BatchNorm on the validation batch (its own statistics), no update: what the
  // eval-mode figure would be if the running statistics had caught up with the weights.
  const probe = buildNetwork(spec, { seed });
  const byName = new Map(probe.trainable.map((v) => [v.name, v.variable]));
  for (const w of trained) {
    const v = byName.get(w.name);
    if (v !== undefined) tf.tidy(() => v.assign(tf.tensor(w.data, [...w.shape])));
  }
  // The validation batch's own statistics under the trained weights, per layer: how far the
  // running ones lag behind.
  const valStats: Array<{ mean: number; variance: number }> = [];
  const batchStatsLoss = tf.tidy(() => {
    const r = probe.forwardTrain(tf.tensor4d(val.xs, [n, ...spec.inputShape] as [number, number, number, number]), 0);
    for (const st of r.stats) {
      valStats.push({ mean: mean(st.mean.dataSync()), variance: mean(st.variance.dataSync()) });
      st.mean.dispose();
      st.variance.dispose();
    }
    return nllAndCorrect(r.logProbs, tf.tensor1d(val.ys, 'int32')).loss.dataSync()[0];
  });
  probe.dispose();
  await trainer.dispose();
  const rxResult: Result = { trainLoss, running, valLogProbs, valLoss: nll(valLogProbs, val.ys, classes), valLossBatchStats: batchStatsLoss };

  fs.writeFileSync(path.join(out, 'fixture.bin'), Buffer.concat(chunks));
  fs.writeFileSync(path.join(out, 'fixture.json'), JSON.stringify({ model, size, classes, batch: n, steps, lr, momentum: 0.9, nesterov: true, weightDecay, inputShape: spec.inputShape, tensors: blobs }));
  fs.writeFileSync(path.join(out, 'rxtrain.json'), JSON.stringify(rxResult));
  const script = path.join(__dirname, 'torch_batchnorm.py');
  const t1 = performance.now();
  for (const dtype of ['float32', 'float64']) {
    const py = spawnSync(python, [script, out, dtype], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (py.status !== 0) throw new Error(`${python} ${script} ${out} ${dtype} failed (exit ${py.status ?? py.signal}); is python3-torch installed?`);
  }
  const torchMs = performance.now() - t1;
  const t32 = JSON.parse(fs.readFileSync(path.join(out, 'torch.json'), 'utf8')) as Result;
  const t64 = JSON.parse(fs.readFileSync(path.join(out, 'torch-float64.json'), 'utf8')) as Result;

  const f = (x: number, d = 4): string => (Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : x.toFixed(d));
  const three = (a: number, b: number, c: number): string => `${f(a)} / ${f(b)} / ${f(c)}`;
  const steps1 = [0, Math.min(1, steps - 1), steps - 1].filter((v, i, all) => all.indexOf(v) === i);
  console.log(`# ${model} ${size}² batch ${n}, ${classes} classes, ${steps} steps, inputs uniform ±${scale}, lr ${lr}, Nesterov 0.9, wd ${weightDecay}, dropout off`);
  console.log(`# rxtrain wasm 1 thread ${(trainMs / 1000).toFixed(1)} s; torch 1 thread (float32 + float64 runs, start-up included) ${(torchMs / 1000).toFixed(1)} s; ${kept ? `files in ${out}` : 'files deleted (--out DIR keeps them)'}`);
  console.log('# figures: rxtrain / torch float32 / torch float64; rel.diff = max |a − b| / max |b|');
  for (const s of steps1) console.log(`train loss step ${s + 1}: ${three(rxResult.trainLoss[s], t32.trainLoss[s], t64.trainLoss[s])}`);
  console.log(`train loss over all steps, rel.diff rxtrain–torch32 ${f(relErr(rxResult.trainLoss, t32.trainLoss))}, torch32–torch64 ${f(relErr(t32.trainLoss, t64.trainLoss))}`);
  console.log(`BatchNorm running statistics after step ${steps} (channel averages), and the rel.diff of the per-channel values:`);
  console.log(`layer  ${'running mean'.padEnd(32)} rx–t32    t32–t64    ${'running var'.padEnd(32)} rx–t32    t32–t64    val-batch var (rx)`);
  Object.keys(rxResult.running).forEach((name, i) => {
    const [a, b, c] = [rxResult.running[name], t32.running[name], t64.running[name]];
    console.log(`${name.padEnd(6)} ${three(mean(a.mean), mean(b.mean), mean(c.mean)).padEnd(32)} ${f(relErr(a.mean, b.mean)).padEnd(9)} ${f(relErr(b.mean, c.mean)).padEnd(9)}  ${three(mean(a.variance), mean(b.variance), mean(c.variance)).padEnd(32)} ${f(relErr(a.variance, b.variance)).padEnd(9)} ${f(relErr(b.variance, c.variance)).padEnd(9)}  ${f(valStats[i].variance)}`);
  });
  const worst = (d: Record<string, number> | undefined): string => Object.entries(d ?? {}).sort((x, y) => y[1] - x[1]).slice(0, 3).map(([k, v]) => `${k} ${f(v)}`).join(', ');
  console.log(`trained tensors, largest rel.diff: rxtrain–torch64 ${worst(t64.weightDiff)}; torch32–torch64 ${worst(t64.torch32WeightDiff)}`);
  console.log(`val loss, eval mode (running statistics): ${three(rxResult.valLoss, t32.valLoss, t64.valLoss)}`);
  console.log(`val loss, eval mode, of rxtrain's trained state: rxtrain ${f(rxResult.valLoss)}, torch32 ${f(t32.crossLoss ?? NaN)}, torch64 ${f(t64.crossLoss ?? NaN)}; log-probs rel.diff rxtrain–torch32 ${f(relErr(rxResult.valLogProbs, t32.crossLogProbs ?? []))}, rxtrain–torch64 ${f(relErr(rxResult.valLogProbs, t64.crossLogProbs ?? []))}`);
  console.log(`val loss, batch statistics (train-mode BatchNorm): ${three(rxResult.valLossBatchStats, t32.valLossBatchStats, t64.valLossBatchStats)}; chance ln(${classes}) = ${f(Math.log(classes))}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
