/*
 * npm run bench:train — images/s of one training step (forward, backward, SGD update) for
 * the seed's AlexNet at 227² batch 16 (256 classes, torch_train.py's defaults) and the small
 * variant at 32² batch 64 (10 classes), on every backend that loads here, with 1 and N
 * worker_thread replicas, side by side with the PyTorch reference
 * (/work/shared/reference/torch_train.py) in the same run.
 *
 * Also measured: one replica on one wasm thread (in a worker_thread with a wasm instance of
 * its own: the main thread's wasm already runs `cores` threads and cannot be re-initialised
 * with 1), and the per-step time breakdown of the replicas. The replica speed-up is printed
 * against one replica on one thread AND against the best single-replica configuration.
 * wasm runs twice when rxtrain's native addon is built: `wasm+native` (its GEMMs) and `wasm`
 * (pure wasm, RXTRAIN_NATIVE=0), side by side; `--native on|off|both` (default both).
 * Options: --steps N (timed steps, default 3), --only alexnet|small, --replicas N (default:
 * cores), --batch N (the global batch of every selected model, PyTorch's too; e.g. 128 for the
 * small model gives each of 2 replicas a 64-image shard, as large as one replica's default
 * batch), --no-torch, --cpu-budget S (seconds one cpu-backend step may take, default 120; the cpu
 * figure is that one step), --rounds N (default 1: N > 1 measures the replicas and the
 * one-thread baseline N - 1 more times, alternating, and prints every round's ratio and the
 * ratio of the medians, since one pair of runs swings by ±10 % on a shared machine), --warmup N
 * and --warmup-s S (untimed steps before each measurement: N steps, default 30, but stop after
 * S seconds, default 20, and always at least one; V8 keeps compiling tfjs's engine for 20–40
 * steps, on helper threads that two busy replicas have to share their cores with, so the
 * timed steps are a long run's steady state; the pure-wasm AlexNet gets the seconds' worth).
 * --balance even|speed|even,speed (how the replicas split a batch, `createTrainer`'s `balance`;
 * with a list and --rounds, every round measures the replicas under each in turn, list order and reverse alternating),
 * --ab N and --ab-steps K (default 4): after everything else, the replica speed-up measured
 * block against block: the replicas (one trainer per balance) and the one-thread baseline are
 * all kept alive and run K steps each in turn, N times, the order rotating; prints the median
 * of the N per-block speed-ups, which the host's drift over minutes cannot skew the way it
 * skews runs a minute apart.
 * The product runs compiled (dist/, built first), as `npx rxtrain` runs it, the replicas and
 * the one-thread baseline included. Every figure is printed as
 * `<model> <backend> replicas=<n> images_per_s=<x>`, followed by the achieved GFLOP/s
 * (3 × analytic forward FLOPs per image) against the machine's peak.
 */
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { alexNet } from '../src/model/alexNet';
import type { BackendName } from '../src/model/backend';
import type { DataParallelTrainer } from '../src/model/DataParallelTrainer';
import type { Trainer } from '../src/model/Trainer';
import { forwardFlops, type NetworkSpec } from '../src/model/NetworkSpec';
import { smallAlexNet } from '../src/model/smallAlexNet';
import { compiledProduct } from './compiledProduct';
import { median } from './median';
import { schedDelta, threadSchedStats } from './threadSchedStats';
import { startStepWorker, timeStepsInWorker, type StepWorker } from './timeStepsInWorker';

interface Workload {
  readonly name: 'alexnet' | 'small';
  readonly spec: NetworkSpec;
  readonly batch: number;
  readonly torchArgs: string[];
}

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const steps = Number(opt('--steps') ?? 3);
const only = opt('--only');
const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
const replicasN = Number(opt('--replicas') ?? cores);
const cpuBudget = Number(opt('--cpu-budget') ?? 120);
const warmup = Number(opt('--warmup') ?? 30);
if (!(Number.isInteger(warmup) && warmup >= 1)) throw new Error(`--warmup ${opt('--warmup')}: expected a whole number ≥ 1`);
const warmupSeconds = Number(opt('--warmup-s') ?? 20);
if (!(Number.isFinite(warmupSeconds) && warmupSeconds >= 0)) throw new Error(`--warmup-s ${opt('--warmup-s')}: expected a number of seconds ≥ 0`);
/** `--balance even|speed|even,speed`: how the replicas split a batch; a list is measured side by side in every round. */
const balances = (opt('--balance') ?? 'even').split(',') as Array<'even' | 'speed'>;
for (const b of balances) if (b !== 'even' && b !== 'speed') throw new Error(`--balance ${String(b)}: expected even, speed or a list of them`);
let balanceNow = balances[0];
/** `--ab N`: N blocks of `--ab-steps` steps, replicas and the one-thread baseline interleaved (ABBA), both kept alive. */
const abBlocks = Number(opt('--ab') ?? 0);
if (!(Number.isInteger(abBlocks) && abBlocks >= 0)) throw new Error(`--ab ${opt('--ab')}: expected a whole number of blocks ≥ 0`);
const abSteps = Number(opt('--ab-steps') ?? 4);
if (!(Number.isInteger(abSteps) && abSteps >= 1)) throw new Error(`--ab-steps ${opt('--ab-steps')}: expected a whole number ≥ 1`);
const rounds = Number(opt('--rounds') ?? 1);
if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`--rounds ${opt('--rounds')}: expected a whole number ≥ 1`);
const torchScript = '/work/shared/reference/torch_train.py';
const nativeMode = opt('--native') ?? 'both';
if (!['on', 'off', 'both'].includes(nativeMode)) throw new Error(`--native ${nativeMode}: expected on, off or both`);
const batchArg = opt('--batch');
const batchOverride = batchArg === undefined ? undefined : Number(batchArg);
if (batchOverride !== undefined && !(Number.isInteger(batchOverride) && batchOverride >= 1)) throw new Error(`--batch ${batchArg}: expected a whole number ≥ 1`);

// The product as users run it (dist/, compiled): under tsx every replica worker would compile
// its modules in memory and carry a heap nearly twice as large (see compiledProduct).
const { initBackend, createTrainer, createDataParallelTrainer, nativeKernelState, setNativeKernelsEnabled } = compiledProduct();

/** A backend as measured: `wasm+native` is wasm with rxtrain's native GEMM addon active. */
type Variant = BackendName | 'wasm+native';

/** Runs f with the native kernels on or off, here and in replica workers (via the environment). */
async function withNative<T>(on: boolean, f: () => Promise<T>): Promise<T> {
  const saved = process.env.RXTRAIN_NATIVE;
  process.env.RXTRAIN_NATIVE = on ? '1' : '0';
  setNativeKernelsEnabled(on);
  try {
    return await f();
  } finally {
    if (saved === undefined) delete process.env.RXTRAIN_NATIVE;
    else process.env.RXTRAIN_NATIVE = saved;
    setNativeKernelsEnabled(saved === undefined || !['0', 'false', 'off', 'no'].includes(saved.trim().toLowerCase()));
  }
}

function variants(backends: readonly BackendName[]): Variant[] {
  const native = nativeKernelState().available;
  return backends.flatMap((b): Variant[] => {
    if (b !== 'wasm' || !native || nativeMode === 'off') return [b];
    return nativeMode === 'on' ? ['wasm+native'] : ['wasm+native', 'wasm'];
  });
}

function measureVariant(w: Workload, v: Variant, replicas: number, threads?: number): Promise<number | undefined> {
  if (v === 'wasm+native') return withNative(true, () => measure(w, 'wasm', replicas, threads));
  if (v === 'wasm') return withNative(false, () => measure(w, 'wasm', replicas, threads));
  return measure(w, v, replicas, threads);
}

/** One replica on `threads` wasm threads, measured in a worker_thread with its own wasm instance. */
function measureInWorker(w: Workload, v: Variant, threads: number): Promise<number> {
  const run = async (): Promise<number> => (await timeStepsInWorker({ spec: w.spec, batch: w.batch, steps, threads, warmup, warmupSeconds })).imagesPerSecond;
  return withNative(v === 'wasm+native', run);
}

const workloads: Workload[] = (
  [
    { name: 'alexnet', spec: alexNet({ numClasses: 256 }), batch: 16, torchArgs: [] },
    { name: 'small', spec: smallAlexNet({ numClasses: 10, inputSize: 32 }), batch: 64, torchArgs: ['--small', '--size', '32', '--classes', '10', '--batch', '64'] },
  ] as Workload[]
)
  .filter((w) => only === undefined || w.name === only)
  .map((w) => (batchOverride === undefined ? w : withBatch(w, batchOverride)));

/** The workload at another global batch, the PyTorch reference's `--batch` included. */
function withBatch(w: Workload, batch: number): Workload {
  const i = w.torchArgs.indexOf('--batch');
  const torchArgs = i >= 0 ? w.torchArgs.map((x, j) => (j === i + 1 ? String(batch) : x)) : [...w.torchArgs, '--batch', String(batch)];
  return { ...w, batch, torchArgs };
}

function peakGflops(): { value: number; text: string } {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const mhz = Number(/cpu MHz\s*:\s*([\d.]+)/.exec(cpuinfo)?.[1] ?? 0);
  // The native GEMM uses AVX-512 where the CPU has it; bench:core-scaling measured full-width
  // 512-bit FMA pipes on this machine's Zen 5 (220 GFLOP/s per core, twice its AVX2 rate).
  const lanes = /\bavx512f\b/.test(cpuinfo) ? 16 : 8;
  const perCycle = 2 * 2 * lanes;
  const value = (mhz / 1000) * perCycle * cores;
  // Over 100 % is possible and not an error: FLOPs are counted as a direct convolution (the
  // Winograd path does fewer multiplies) and /proc/cpuinfo gives the nominal clock, not boost.
  return {
    value,
    text: `${cores} cores × ${(mhz / 1000).toFixed(2)} GHz × ${perCycle} FLOP/cycle (2 FMA × ${lanes} fp32 lanes ${lanes === 16 ? 'AVX-512' : 'AVX2'}) = ${value.toFixed(0)} GFLOP/s ` +
      '(nominal clock, `npm run bench:core-scaling` measures the real FMA rate; FLOPs counted as direct convolution, so boost clocks and Winograd can exceed 100 %)',
  };
}

/** Untimed steps: `--warmup` of them, but stop after `--warmup-s` seconds (always at least one). */
async function warmUp(trainer: Trainer, xs: tf.Tensor4D, ys: tf.Tensor1D): Promise<void> {
  const w0 = performance.now();
  for (let s = 0; s < warmup && (s === 0 || performance.now() - w0 < warmupSeconds * 1000); s++) await trainer.step(xs, ys, -1 - s);
}

async function measure(w: Workload, backend: BackendName, replicas: number, threads?: number): Promise<number | undefined> {
  // The cpu backend is pure JavaScript and can need minutes per step: it runs in replica
  // workers (also for one replica) so that a step over the budget can be abandoned.
  const trainer = backend === 'cpu'
    ? await createDataParallelTrainer({ spec: w.spec, seed: 0, optimizer: {}, replicas, backend, threads: 1 })
    : await createTrainer({ model: w.spec, backend, replicas, seed: 0, threads, balance: balanceNow });
  const [h, wd, c] = w.spec.inputShape;
  const xs = tf.randomNormal([w.batch, h, wd, c], 0, 1, 'float32', 1) as tf.Tensor4D;
  const ys = tf.tensor1d(Array.from({ length: w.batch }, (_, i) => (i * 37) % w.spec.numClasses), 'int32');
  const timed = async (n: number, seed: number): Promise<number | undefined> => {
    const t = performance.now();
    const run = (async () => {
      for (let s = 0; s < n; s++) await trainer.step(xs, ys, seed + s);
    })();
    if (backend !== 'cpu') {
      await run;
      return (w.batch * n) / ((performance.now() - t) / 1000);
    }
    let timer: NodeJS.Timeout | undefined;
    const over = new Promise<'over'>((resolve) => {
      timer = setTimeout(() => resolve('over'), cpuBudget * 1000);
    });
    const r = await Promise.race([run.then(() => 'done' as const), over]);
    clearTimeout(timer);
    if (r === 'over') {
      run.catch(() => undefined);
      console.log(`# ${w.name} ${backend} replicas=${replicas}: one step takes over ${cpuBudget} s (--cpu-budget), abandoned`);
      return undefined;
    }
    return (w.batch * n) / ((performance.now() - t) / 1000);
  };
  try {
    if (backend === 'cpu') return await timed(1, 0);
    await warmUp(trainer, xs, ys);
    const dp = 'timings' in trainer ? (trainer as DataParallelTrainer) : undefined;
    dp?.timings();
    const sched0 = threadSchedStats();
    const ips = await timed(steps, 1);
    if (dp !== undefined) {
      const t = dp.timings();
      const f = (x: number): string => x.toFixed(0);
      console.log(`#   ${w.name} ${backend} replicas=${replicas} per step (ms, mean of ${t.steps}): step ${f(t.step)} = input ${f(t.input)} + replicas ${f(t.replica)} `
        + `(slowest: compute ${f(t.compute)} (fastest ${f(t.computeFastest)}), copy to shared ${t.copy.toFixed(1)}, shared update ${t.update.toFixed(1)}, load ${t.load.toFixed(1)}; `
        + `barrier waits up to ${f(t.wait)}) + messaging ${t.messaging.toFixed(1)}; balance ${balanceNow}, last shards ${t.shards.join(' + ')}`);
      // Where the CPU went: the replica threads are the busiest; the rest is the main thread
      // and V8's helpers (GC marking, compilation) for every isolate of the process.
      const rows = schedDelta(sched0, threadSchedStats());
      if (rows.length >= replicas) {
        const per = (x: number): string => (x / steps).toFixed(0);
        const busy = rows.slice(0, replicas);
        const others = rows.slice(replicas);
        const main = others.find((r) => r.tid === process.pid);
        console.log(`#   ${w.name} ${backend} replicas=${replicas} threads per step (ms, /proc schedstat): replica threads ran ${busy.map((r) => per(r.runMs)).join(' / ')} `
          + `and waited for a CPU ${busy.map((r) => per(r.waitMs)).join(' / ')}; the other ${others.length} threads ran ${per(others.reduce((a, r) => a + r.runMs, 0))} in all `
          + `(main thread ${per(main?.runMs ?? 0)}, the busiest helper ${per(others.find((r) => r !== main)?.runMs ?? 0)})`);
      }
    }
    return ips;
  } finally {
    tf.dispose([xs, ys]);
    await trainer.dispose();
  }
}

/**
 * The replica speed-up measured block against block: a replicas trainer per balance (this
 * thread, alive throughout) and the one-thread baseline (a worker, alive throughout), all
 * warmed up, then `abBlocks` blocks of `abSteps` steps each, the order rotating every block, so
 * that the host's slow drift falls on every configuration alike. Prints each block and the
 * median of the per-block speed-ups.
 */
async function interleaved(w: Workload, v: Variant): Promise<void> {
  await withNative(v === 'wasm+native', async () => {
    const many = new Map<string, Trainer>();
    let one: StepWorker | undefined;
    try {
      for (const b of balances) many.set(b, await createTrainer({ model: w.spec, backend: 'wasm', replicas: replicasN, seed: 0, balance: b }));
      const [h, wd, c] = w.spec.inputShape;
      const xs = tf.randomNormal([w.batch, h, wd, c], 0, 1, 'float32', 1) as tf.Tensor4D;
      const ys = tf.tensor1d(Array.from({ length: w.batch }, (_, i) => (i * 37) % w.spec.numClasses), 'int32');
      try {
        for (const t of many.values()) await warmUp(t, xs, ys);
        one = await startStepWorker({ spec: w.spec, batch: w.batch, steps: 0, threads: 1, warmup, warmupSeconds });
        const names = [...many.keys(), 'one'];
        const ms = new Map(names.map((n) => [n, [] as number[]]));
        let seed = 1;
        for (let b = 0; b < abBlocks; b++) {
          // Rotate the order, so each configuration runs first, middle and last equally often.
          const order = names.map((_, k) => names[(k + b) % names.length]);
          for (const n of order) {
            const trainer = many.get(n);
            const t0 = performance.now();
            if (trainer === undefined) await one.run(abSteps);
            else for (let s = 0; s < abSteps; s++) await trainer.step(xs, ys, seed++);
            ms.get(n)?.push((performance.now() - t0) / abSteps);
          }
          const base = ms.get('one')?.[b] ?? Number.NaN;
          console.log(`#   ${w.name} ${v} block ${b + 1}: ` + names.map((n) => `${n === 'one' ? '1 replica × 1 thread' : `${replicasN} replicas (${n})`} ${(ms.get(n)?.[b] ?? 0).toFixed(0)} ms/step`).join(', ')
            + '; speed-up ' + [...many.keys()].map((n) => `${n} ${(base / (ms.get(n)?.[b] ?? Number.NaN)).toFixed(2)}×`).join(', '));
        }
        const baseAll = ms.get('one') ?? [];
        for (const n of many.keys()) {
          const runs = ms.get(n) ?? [];
          const ups = runs.map((m, k) => baseAll[k] / m);
          console.log(`# ${w.name}: ${v} ${replicasN} replicas × 1 thread (balance ${n}) / 1 replica × 1 thread, interleaved: median of ${ups.length} block speed-ups ${median(ups).toFixed(2)}× `
            + `(range ${Math.min(...ups).toFixed(2)}–${Math.max(...ups).toFixed(2)}; ${w.batch} images per step: ${(w.batch / (median(runs) / 1000)).toFixed(1)} vs ${(w.batch / (median(baseAll) / 1000)).toFixed(1)} img/s at the medians) (target ≥ 1.8)`);
        }
      } finally {
        tf.dispose([xs, ys]);
      }
    } finally {
      await one?.dispose();
      for (const t of many.values()) await t.dispose();
    }
  });
}

function torch(w: Workload): number | undefined {
  if (!fs.existsSync(torchScript)) return undefined;
  const r = spawnSync('/usr/bin/python3', [torchScript, ...w.torchArgs, '--threads', String(cores)], { encoding: 'utf8' });
  const m = /images_per_s=([\d.]+)/.exec(r.stdout ?? '');
  if (m === null) {
    console.log(`# torch reference failed: ${(r.stderr ?? '').trim().split('\n').pop() ?? r.status}`);
    return undefined;
  }
  return Number(m[1]);
}

async function main(): Promise<void> {
  const peak = peakGflops();
  console.log(`# ${new Date().toISOString()} load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; peak ${peak.text}`);
  const backends: BackendName[] = [];
  for (const b of ['tensorflow', 'wasm', 'cpu'] as const) {
    try {
      const info = await initBackend({ prefer: b });
      backends.push(b);
      console.log(`# backend ${b}: ${info.package}, ${info.threads} thread(s), simd=${info.simd}${info.notes.length > 0 ? `; ${info.notes.join('; ')}` : ''}`);
    } catch (e) {
      console.log(`# backend ${b} unavailable: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
    }
  }
  for (const w of workloads) {
    const gflopPerImage = (3 * forwardFlops(w.spec)) / 1e9;
    const report = (backend: string, replicas: number, ips: number | undefined): void => {
      if (ips === undefined) return;
      console.log(`${w.name} ${backend} replicas=${replicas} images_per_s=${ips.toFixed(2)}`);
      const g = ips * gflopPerImage;
      console.log(`#   ${(g).toFixed(1)} GFLOP/s = ${((100 * g) / peak.value).toFixed(1)}% of peak (${gflopPerImage.toFixed(2)} GFLOP per image per step)`);
    };
    const results: Record<string, number> = {};
    const all = variants(backends);
    for (const b of all) {
      if (b === 'cpu' && w.name === 'alexnet') {
        console.log('# alexnet on cpu skipped: the pure-JavaScript backend needs minutes per step');
        continue;
      }
      for (const r of [...new Set([1, replicasN])]) {
        try {
          const ips = await measureVariant(w, b, r);
          report(b, r, ips);
          if (ips !== undefined) results[`${b}/${r}`] = ips;
        } catch (e) {
          console.log(`# ${w.name} ${b} replicas=${r} failed: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
        }
      }
    }
    // One replica on one thread: the baseline the replicas scale from (one replica above runs
    // `cores` threads, the single-replica default), in a worker with a wasm instance of its own.
    for (const v of all.filter((b) => b === 'wasm' || b === 'wasm+native')) {
      if (replicasN <= 1) break;
      try {
        const ips = await measureInWorker(w, v, 1);
        report(`${v}-1thread`, 1, ips);
        results[`${v}/1thread`] = ips;
        const many = results[`${v}/${replicasN}`];
        if (many !== undefined) {
          const single = results[`${v}/1`];
          const best = Math.max(ips, single ?? 0);
          console.log(`# ${w.name}: ${v} ${replicasN} replicas × 1 thread / 1 replica × 1 thread = ${(many / ips).toFixed(2)}×`);
          console.log(`# ${w.name}: ${v} ${replicasN} replicas × 1 thread / best single replica (${best === ips ? '1 thread' : `${cores} threads`}) = ${(many / best).toFixed(2)}×`);
          if (rounds > 1) {
            // Every round: the replicas under each balance in turn (the order alternating), then the one-thread baseline.
            const manyRuns = new Map(balances.map((b, k) => [b, k === 0 ? [many] : [] as number[]]));
            const oneRuns = [ips];
            for (const b of balances.slice(1)) {
              balanceNow = b;
              const m = await measureVariant(w, v, replicasN);
              if (m !== undefined) manyRuns.get(b)?.push(m);
            }
            for (let k = 1; k < rounds; k++) {
              // Round 0 measured the balances in list order; odd rounds take them in reverse, so
              // that with two balances each goes first in as many rounds as the other.
              for (const b of k % 2 === 1 ? [...balances].reverse() : balances) {
                balanceNow = b;
                const m = await measureVariant(w, v, replicasN);
                if (m !== undefined) manyRuns.get(b)?.push(m);
              }
              oneRuns.push(await measureInWorker(w, v, 1));
            }
            balanceNow = balances[0];
            for (const [b, runs] of manyRuns) {
              if (runs.length !== oneRuns.length) continue;
              const ratios = runs.map((m, k) => (m / oneRuns[k]).toFixed(2));
              console.log(`# ${w.name}: ${v} rounds, balance ${b}: ${replicasN} replicas ${runs.map((x) => x.toFixed(1)).join(' / ')}, 1 replica × 1 thread ${oneRuns.map((x) => x.toFixed(1)).join(' / ')} img/s; per round ${ratios.join(' / ')}×`);
              console.log(`# ${w.name}: ${v} ${replicasN} replicas × 1 thread (balance ${b}) / 1 replica × 1 thread, medians of ${runs.length} rounds = ${(median(runs) / median(oneRuns)).toFixed(2)}× (target ≥ 1.8)`);
            }
          }
        }
      } catch (e) {
        console.log(`# ${w.name} ${v}-1thread failed: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
      }
    }
    if (abBlocks > 0 && replicasN > 1) {
      for (const v of all.filter((b) => b === 'wasm' || b === 'wasm+native')) await interleaved(w, v);
    }
    if (!args.includes('--no-torch')) {
      const t = torch(w);
      report('torch-cpu', 1, t);
      for (const v of all.filter((b) => b !== 'cpu')) {
        if (t === undefined) break;
        for (const r of [...new Set([1, replicasN])]) {
          const ips = results[`${v}/${r}`];
          if (ips !== undefined) console.log(`# ${w.name}: ${v} replicas=${r} / PyTorch = ${(ips / t).toFixed(2)}×`);
        }
      }
    }
    const best = all.find((b) => b !== 'cpu');
    if (best !== undefined && results[`${best}/1`] !== undefined && results[`${best}/${replicasN}`] !== undefined && replicasN > 1) {
      console.log(`# ${w.name}: ${best} ${replicasN} replicas / 1 replica × ${cores} threads (the single-replica default) = ${(results[`${best}/${replicasN}`] / results[`${best}/1`]).toFixed(2)}×`);
    }
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
