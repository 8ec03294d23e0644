/**
 * `npm run bench:pipeline`: the image pipeline against the PyTorch reference, in one run.
 *
 * Measures, side by side on the same corpus:
 *  (a) preprocessing: `rxtrain preprocess SRC OUT` (the reference's work: centre crop, 256²,
 *      JPEG files; plus our manifests and mean) vs torch_pipeline.py preprocess (PIL, cv2); and,
 *      as extra figures, with `--records` (also the packed record file, which (b) reads) and
 *      with `--decoder sharp`. The CLI runs compiled (dist/), as `npx rxtrain` does.
 *  (b) the training input pipeline: 256² images → random crop 227 → flip → mean subtraction →
 *      batches of 64 float32 tensors, from the record file and from the JPEGs, vs a PyTorch
 *      DataLoader (torch_pipeline.py train, PIL and cv2)
 *  (c) RSS flatness: 10 passes with a consumer 10× slower than the source.
 *
 * The like-for-like preprocessing figures (rxtrain JPEG files, torch PIL, torch cv2) are
 * measured in `--rounds N` interleaved rounds (default 3; one round is ≈ 1–3 s per side on the
 * 2,000-image corpus, short enough for one noisy second to swing a single figure by 25 %):
 * each figure is the median of its rounds, and every round's figures and ratio are printed.
 *
 *   npm run bench:pipeline [-- --rounds 3]
 *
 * Corpus: `.bench-cache/corpus-20x100-s0`, made once with /work/shared/reference/make_corpus.py,
 * or `RXTRAIN_BENCH_DIR=<folder-per-class dataset of 256² JPEGs>`. Every figure is printed as
 * `<what> images_per_s=<N>`; the training input pipeline's line comes last.
 */
import { spawn } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/model/backend';
import { datasetFromManifest } from '../src/streams/datasetFromManifest';
import { buildDist } from './compiledProduct';
import { median } from './median';

const ROOT = path.resolve(__dirname, '..');
const CACHE = path.join(ROOT, '.bench-cache');
const PYTHON = '/usr/bin/python3';
// Where the PyTorch reference scripts live (read-only material, never needed by the product).
const REFERENCE = process.env.RXTRAIN_REFERENCE_DIR ?? '/work/shared/reference';
const BATCH = 64;
const CROP = 227;
const EPOCHS = 2;
const RSS_PASSES = 10;
const RSS_LIMIT_MB = 50;
const RSS_PASS_BATCHES = 4;
const argv = process.argv.slice(2);
const ROUNDS = argv[0] === '--rounds' ? Number(argv[1]) : 3;
if (!(Number.isInteger(ROUNDS) && ROUNDS > 0)) {
  console.error(`bench:pipeline: --rounds must be a positive integer, got ${argv[1]}`);
  process.exit(2);
}

interface Figure {
  readonly what: string;
  readonly imagesPerSecond: number;
  readonly detail: string;
}

function log(msg: string): void {
  process.stderr.write(`[bench:pipeline] ${msg}\n`);
}

function fail(msg: string): never {
  process.stderr.write(`bench:pipeline: ${msg}\n`);
  process.exit(1);
}

/** Runs a command, returns its stdout; rejects with its stderr on a non-zero exit. */
function exec(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${path.basename(cmd)} ${args.join(' ')} exited ${code}:\n${err.slice(-2000)}`))));
  });
}

function parseRate(out: string, re: RegExp, what: string): number {
  const m = re.exec(out);
  if (!m) throw new Error(`could not find the rate in the output of ${what}:\n${out}`);
  return Number(m[1]);
}

async function hasTorch(): Promise<boolean> {
  if (!existsSync(PYTHON) || !existsSync(path.join(REFERENCE, 'torch_pipeline.py'))) return false;
  return exec(PYTHON, ['-c', 'import torch, torchvision, cv2']).then(
    () => true,
    () => false,
  );
}

/** The raw (Caltech-sized) corpus, built once and cached. */
async function ensureCorpus(): Promise<string> {
  const dir = path.join(CACHE, 'corpus-20x100-s0');
  if (existsSync(path.join(dir, '.complete'))) return dir;
  const script = path.join(REFERENCE, 'make_corpus.py');
  if (!existsSync(PYTHON) || !existsSync(script)) {
    fail(
      `the benchmark corpus is not cached (${dir}) and cannot be built: ${!existsSync(PYTHON) ? PYTHON : script} is missing.\n` +
        `Set RXTRAIN_BENCH_DIR=<folder-per-class dataset of 256x256 JPEGs> to benchmark your own images.`,
    );
  }
  log(`building corpus ${dir} with make_corpus.py (20 classes × 100 images, seed 0)`);
  await fsp.rm(dir, { recursive: true, force: true });
  await exec(PYTHON, [script, dir, '--classes', '20', '--per-class', '100', '--seed', '0']);
  await fsp.writeFile(path.join(dir, '.complete'), '');
  return dir;
}

function rssMb(): number {
  return process.memoryUsage().rss / 2 ** 20;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// Output folders are renamed aside during the timed runs and deleted only after the last of
// them. ext4 skips the inodes freed in the last ~30 s one by one when it allocates new ones
// (`recently_deleted`), so a run that creates 2,000 files right after another run's 2,000 were
// deleted pays kernel time set by the order of the runs, not by the preprocessor: on
// 2026-12-06 rxtrain's round 1 (nothing freed before it) ran 1.5x faster than its rounds 2-3.
const ASIDE = '.aside-';
const setAside: string[] = [];
async function clearLater(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  const aside = `${dir}${ASIDE}${process.pid}-${Date.now()}-${setAside.length}`;
  await fsp.rename(dir, aside);
  setAside.push(aside);
}
async function deleteSetAside(): Promise<void> {
  const stale = (await fsp.readdir(CACHE).catch(() => [] as string[])).filter((n) => n.includes(ASIDE)).map((n) => path.join(CACHE, n));
  for (const dir of new Set([...setAside.splice(0), ...stale])) await fsp.rm(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const benchDir = process.env.RXTRAIN_BENCH_DIR;
  const torch = await hasTorch();
  if (!torch) log(`${PYTHON} with torch, torchvision and cv2 (or ${REFERENCE}) is not available: the PyTorch references are skipped`);
  const src = benchDir ? path.resolve(benchDir) : await ensureCorpus();
  if (!existsSync(src)) fail(`RXTRAIN_BENCH_DIR=${src} does not exist`);
  log(`corpus ${src}; ${os.availableParallelism()} cores; node ${process.version}`);
  const figures: Figure[] = [];
  const loadStart = os.loadavg().map((l) => l.toFixed(2)).join(' ');

  // (a) preprocessing, as a user runs it: the compiled CLI (`npx rxtrain` runs dist/) in its own
  // process. Under tsx every worker thread would first compile TypeScript inside the timed window.
  log('preprocess: building dist/ (tsc -p tsconfig.build.json)');
  buildDist();
  const cli = path.join(ROOT, 'dist', 'cli', 'main.js');
  const preprocessRun = async (what: string, out: string, extra: readonly string[]): Promise<Figure> => {
    await clearLater(out);
    log(`preprocess: rxtrain preprocess ${extra.join(' ')}`.trimEnd());
    const text = await exec(process.execPath, [cli, 'preprocess', src, out, ...extra]);
    return { what, imagesPerSecond: parseRate(text, /\((\d+(?:\.\d+)?) img\/s\)/, `rxtrain preprocess ${extra.join(' ')}`), detail: text.split('\n')[0] };
  };
  // Like for like with the reference: JPEG files out (and our small manifests and mean),
  // interleaved with the references round by round so that machine noise hits every side.
  const plainOut = path.join(CACHE, 'pipeline-pre-plain');
  const torchPreRun = async (lib: string): Promise<Figure> => {
    const out = path.join(CACHE, `pipeline-torch-pre-${lib}`);
    await clearLater(out);
    log(`preprocess: torch_pipeline.py preprocess --workers 2 --lib ${lib}`);
    const text = await exec(PYTHON, [path.join(REFERENCE, 'torch_pipeline.py'), 'preprocess', src, out, '--workers', '2', '--lib', lib]);
    await clearLater(out);
    return { what: `preprocess torch-${lib}`, imagesPerSecond: parseRate(text, /images_per_s=([\d.]+)/, 'torch preprocess'), detail: text.trim() };
  };
  const rounds: Array<{ ours: Figure; refs: Figure[] }> = [];
  for (let r = 0; r < ROUNDS; r++) {
    log(`preprocess: round ${r + 1} of ${ROUNDS}`);
    const ours = await preprocessRun('preprocess rxtrain', plainOut, []);
    await clearLater(plainOut);
    const refs: Figure[] = [];
    if (torch) for (const lib of ['pil', 'cv2']) refs.push(await torchPreRun(lib));
    rounds.push({ ours, refs });
  }
  const medianFigure = (figs: Figure[]): Figure => {
    return { what: figs[0].what, imagesPerSecond: median(figs.map((f) => f.imagesPerSecond)), detail: `median of ${figs.length}: ${figs.map((f) => f.imagesPerSecond.toFixed(0)).join(', ')} img/s; last: ${figs[figs.length - 1].detail.split('\n')[0]}` };
  };
  const plain = medianFigure(rounds.map((r) => r.ours));
  figures.push(plain);
  const oursPre = plain.imagesPerSecond;
  const torchPre: Figure[] = torch ? ['pil', 'cv2'].map((_, i) => medianFigure(rounds.map((r) => r.refs[i]))) : [];
  // Also the record file (≈ 400 MB more to write), which the training pipeline below reads.
  const pre = path.join(CACHE, 'pipeline-pre');
  const withRecords = await preprocessRun('preprocess rxtrain-records', pre, ['--records']);
  figures.push(withRecords);
  // The same CLI with every file through sharp (what it did before the fast JPEG path).
  const preSharp = path.join(CACHE, 'pipeline-pre-sharp');
  const sharpOnly = await preprocessRun('preprocess rxtrain-sharp-only', preSharp, ['--decoder', 'sharp']);
  figures.push(sharpOnly);
  const oursSharp = sharpOnly.imagesPerSecond;
  await clearLater(preSharp);
  await deleteSetAside();
  figures.push(...torchPre);

  // (b) the training input pipeline over the preprocessed train split.
  const backend = await initBackend();
  log(`tfjs backend ${backend.name} (${backend.threads} threads): batches are created as ${backend.name} tensors`);
  const open = (records: boolean) =>
    datasetFromManifest(pre, 'train', { batchSize: BATCH, seed: 1, records, concurrency: 8, prefetch: 2, augment: { kind: 'train', crop: CROP, flip: true } });

  async function measure(records: boolean): Promise<{ ips: number; msPerBatch: number; images: number }> {
    const ds = await open(records);
    let images = 0;
    let batches = 0;
    const t0 = performance.now();
    for (let e = 0; e < EPOCHS; e++) {
      for await (const item of ds.epoch(e)) {
        if (item.kind !== 'batch') continue;
        if (item.xs.shape[1] !== CROP || item.xs.dtype !== 'float32') throw new Error(`unexpected batch ${item.xs.shape} ${item.xs.dtype}`);
        images += item.xs.shape[0];
        batches++;
        item.xs.dispose();
        item.ys.dispose();
      }
    }
    const s = (performance.now() - t0) / 1000;
    await ds.close();
    return { ips: images / s, msPerBatch: (s * 1000) / batches, images };
  }

  log('train pipeline: rxtrain from JPEG files');
  const fromJpeg = await measure(false);
  log('train pipeline: rxtrain from the record file');
  const fromRecords = await measure(true);
  const tensorsLeft = tf.memory().numTensors;

  const torchTrain: Figure[] = [];
  if (torch) {
    for (const lib of ['pil', 'cv2']) {
      log(`train pipeline: torch_pipeline.py train --workers 2 --batch ${BATCH} --lib ${lib}`);
      // The DataLoader reads the user's 256² folder as is, or our preprocessed train split.
      const text = await exec(PYTHON, [path.join(REFERENCE, 'torch_pipeline.py'), 'train', benchDir ? src : path.join(pre, 'train'), '--workers', '2', '--batch', String(BATCH), '--epochs', String(EPOCHS), '--lib', lib]);
      const f = { what: `train-pipeline torch-dataloader-${lib}`, imagesPerSecond: parseRate(text, /images_per_s=([\d.]+)/, 'torch train'), detail: text.trim() };
      torchTrain.push(f);
      figures.push(f);
    }
  }

  // (c) RSS flatness: a consumer 10× slower than the source, 10 passes (each capped at RSS_PASS_BATCHES batches).
  const consumerMs = Math.max(5, 10 * fromRecords.msPerBatch);
  const ds = await open(true);
  const passBatches = Math.min(ds.stepsPerEpoch, RSS_PASS_BATCHES);
  log(`RSS: ${RSS_PASSES} passes of ${passBatches} batches, consumer ${consumerMs.toFixed(0)} ms per batch (10× the source)`);
  const rss: number[] = [];
  let peak = 0;
  for (let p = 0; p < RSS_PASSES; p++) {
    let n = 0;
    for await (const item of ds.epoch(p)) {
      if (item.kind !== 'batch') continue;
      item.xs.dispose();
      item.ys.dispose();
      await sleep(consumerMs);
      peak = Math.max(peak, rssMb());
      if (++n >= passBatches) break;
    }
    rss.push(rssMb());
  }
  await ds.close();
  const spread = Math.max(...rss) - Math.min(...rss);
  const drift = rss[rss.length - 1] - rss[0];

  // Report.
  const best = (fs: Figure[]) => fs.reduce((a, b) => (b.imagesPerSecond > a.imagesPerSecond ? b : a));
  const lines: string[] = [];
  lines.push('', `corpus: ${src}`, `preprocessed: ${pre}`);
  lines.push(`rxtrain preprocess: ${plain.detail}`, `rxtrain preprocess --records: ${withRecords.detail}`, `rxtrain preprocess --decoder sharp: ${sharpOnly.detail}`);
  lines.push(`load average at start ${loadStart}, at end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  // The raw reference lines say images_per_s= too: renamed so each figure has exactly one such line.
  for (const f of [...torchPre, ...torchTrain]) lines.push(`reference: ${f.detail.replace(/images_per_s=/g, 'rate=')}`);
  lines.push(`rxtrain train pipeline: ${EPOCHS} epochs, ${fromRecords.images} images, batch ${BATCH}, crop ${CROP}, backend ${backend.name}; tensors left: ${tensorsLeft}`);
  if (torchPre.length > 0) {
    const ref = best(torchPre);
    lines.push(`ratio preprocess rxtrain / ${ref.what} = ${(oursPre / ref.imagesPerSecond).toFixed(2)} (medians of ${ROUNDS} rounds; target ≥ 2; the same output: JPEG files)`);
    const perRound = rounds.map((r) => r.ours.imagesPerSecond / Math.max(...r.refs.map((f) => f.imagesPerSecond)));
    lines.push(`ratio preprocess rxtrain / faster reference, per round: ${perRound.map((x) => x.toFixed(2)).join(', ')}`);
    lines.push(`ratio preprocess rxtrain --records / ${ref.what} = ${(withRecords.imagesPerSecond / ref.imagesPerSecond).toFixed(2)} (also writes the record file)`);
    lines.push(`ratio preprocess rxtrain fast path / sharp only = ${(oursPre / oursSharp).toFixed(2)}`);
  }
  if (torchTrain.length > 0) {
    const ref = best(torchTrain);
    lines.push(`ratio train-pipeline records / ${ref.what} = ${(fromRecords.ips / ref.imagesPerSecond).toFixed(2)} (target ≥ 5)`);
    lines.push(`ratio train-pipeline jpeg / ${ref.what} = ${(fromJpeg.ips / ref.imagesPerSecond).toFixed(2)}`);
  }
  lines.push(`train-pipeline records target ≥ 1333 img/s: ${fromRecords.ips >= 1333 ? 'met' : 'MISSED'}`);
  lines.push(
    `rss_mb per pass: ${rss.map((r) => r.toFixed(0)).join(' ')}; peak ${peak.toFixed(0)}; spread ${spread.toFixed(1)} MB, drift first→last ${drift.toFixed(1)} MB ` +
      `(limit ±${RSS_LIMIT_MB}): ${Math.abs(drift) <= RSS_LIMIT_MB && spread <= 2 * RSS_LIMIT_MB ? 'flat' : 'NOT FLAT'}`,
  );
  lines.push('');
  for (const f of figures) lines.push(`${f.what} images_per_s=${f.imagesPerSecond.toFixed(1)}`);
  lines.push(`train-pipeline rxtrain-jpeg images_per_s=${fromJpeg.ips.toFixed(1)}`);
  lines.push(`train-pipeline rxtrain-records images_per_s=${fromRecords.ips.toFixed(1)}`);
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((e: unknown) => fail(e instanceof Error ? (e.stack ?? e.message) : String(e)));
