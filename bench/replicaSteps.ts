/*
 * npm run bench:replica-steps — step by step, how unbalanced are two data-parallel replicas?
 *
 * A data-parallel step ends when its slowest replica is done (the replicas meet at a barrier
 * twice per step), so any difference between the two replica threads' speed is idle time
 * for the faster one. This trains the small model (32², wasm with the native addon when
 * built) on 2 single-thread replicas at `--batch` (default 128: 64-image shards), warms up
 * `--warmup` steps, then prints for each of `--steps` steps: the step's wall clock, the
 * slowest and fastest replica's compute, the longest barrier wait, and per replica thread
 * its CPU time, its time waiting for a CPU (both from /proc schedstat) and the CPU it ran on
 * last; then the medians. It shows whether the slower replica is always the same one (a
 * slower vCPU: balancing the shards by speed would pay) or changes from step to step (noise
 * that no split can predict). Replicas load the TypeScript sources through tsx here.
 *
 * `--pin 1` pins the two replica threads to CPUs 0 and 1 after the warm-up (taskset).
 *
 * `--compare N` runs an A/B of `balance: 'even'` and `'speed'` instead (N blocks, ABBA).
 * `--compare-pin N` runs an A/B of pinned and free replica threads instead: one trainer
 * (`--balance`), its two replica threads pinned to CPUs 0 and 1 for one block and allowed on
 * every CPU for the next (taskset), N blocks, ABBA. `--compare-idle N` likewise with the process's
 * other threads (V8's and libuv's helpers) at SCHED_IDLE for one block and normal for the next.
 *
 *   npm run bench:replica-steps [-- --steps 40 --warmup 30 --batch 128 --pin 0|1 --balance even|speed --compare N --compare-pin N --compare-idle N --block 5]
 */
import * as tf from '@tensorflow/tfjs-core';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { initBackend } from '../src/model/backend';
import { createDataParallelTrainer } from '../src/model/DataParallelTrainer';
import { smallAlexNet } from '../src/model/smallAlexNet';
import { median } from './median';
import { schedDelta, threadSchedStats } from './threadSchedStats';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const STEPS = Number(args.get('steps') ?? 40);
const WARMUP = Number(args.get('warmup') ?? 30);
const BATCH = Number(args.get('batch') ?? 128);
/** `--pin 1`: after the warm-up, pin the two replica threads to CPUs 0 and 1 (taskset). */
const PIN = args.get('pin') === '1';
/** `--balance even|speed`: the trainer's shard balancing. */
const BALANCE = (args.get('balance') ?? 'even') as 'even' | 'speed';
if (BALANCE !== 'even' && BALANCE !== 'speed') throw new Error(`--balance ${BALANCE}: expected even or speed`);
/**
 * `--compare N`: instead of a trace, an A/B of the two balances: one trainer each (both kept
 * alive, one runs at a time), N blocks of `--block` steps each, alternating ABBA so that the
 * machine's noise falls on both alike; prints each balance's median step and the median of
 * the per-pair ratios.
 */
const COMPARE = Number(args.get('compare') ?? 0);
/** `--compare-pin N`: an A/B of pinned and free replica threads (one trainer, N blocks, ABBA). */
const COMPARE_PIN = Number(args.get('compare-pin') ?? 0);
/**
 * `--compare-idle N`: an A/B of the process's other threads (all but the main thread and the two
 * replica threads) at SCHED_IDLE, so that they run only where a replica waits at the barrier,
 * against the normal policy (one trainer, N blocks, ABBA).
 */
const COMPARE_IDLE = Number(args.get('compare-idle') ?? 0);
const BLOCK = Number(args.get('block') ?? 5);
for (const [name, v, min] of [['steps', STEPS, 1], ['warmup', WARMUP, 0], ['batch', BATCH, 4]] as const) {
  if (!(Number.isInteger(v) && v >= min)) throw new Error(`--${name} ${args.get(name)}: expected a whole number ≥ ${min}`);
}

/** The CPU a thread of this process last ran on (field 39 of /proc/self/task/<tid>/stat), or -1. */
function lastCpu(tid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[36]);
  } catch {
    return -1;
  }
}

/** The model and the one batch every mode of this bench trains on. */
function fixture(): { spec: ReturnType<typeof smallAlexNet>; xs: tf.Tensor4D; ys: tf.Tensor1D } {
  return {
    spec: smallAlexNet({ numClasses: 10, inputSize: 32 }),
    xs: tf.randomNormal([BATCH, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D,
    ys: tf.tensor1d(Array.from({ length: BATCH }, (_, i) => (i * 37) % 10), 'int32'),
  };
}

/**
 * Runs `blocks` pairs of blocks in ABBA order (A first in even pairs) and returns each pair's
 * two figures (milliseconds per step), so that the host's drift falls on A and B alike.
 */
async function abba(blocks: number, runA: () => Promise<number>, runB: () => Promise<number>, report: (pair: number, a: number, b: number) => void): Promise<{ a: number[]; b: number[]; ratios: number[] }> {
  const out = { a: [] as number[], b: [] as number[], ratios: [] as number[] };
  for (let k = 0; k < blocks; k++) {
    let a: number;
    let b: number;
    if (k % 2 === 0) {
      a = await runA();
      b = await runB();
    } else {
      b = await runB();
      a = await runA();
    }
    out.a.push(a);
    out.b.push(b);
    out.ratios.push(b / a);
    report(k, a, b);
  }
  return out;
}

async function compare(): Promise<void> {
  const { spec, xs, ys } = fixture();
  const trainers = {
    even: await createDataParallelTrainer({ spec, seed: 0, optimizer: {}, replicas: 2, backend: 'wasm', threads: 1, balance: 'even' }),
    speed: await createDataParallelTrainer({ spec, seed: 0, optimizer: {}, replicas: 2, backend: 'wasm', threads: 1, balance: 'speed' }),
  };
  try {
    console.log(`bench:replica-steps --compare: small 32², batch ${BATCH}, 2 replicas × 1 thread (${trainers.even.backend}), even vs speed, ${COMPARE} blocks of ${BLOCK} steps each, ABBA, after ${WARMUP} warm-up steps each`);
    for (const t of Object.values(trainers)) for (let s = 0; s < WARMUP; s++) await t.step(xs, ys, -1 - s);
    const block = async (name: 'even' | 'speed'): Promise<number> => {
      const t = trainers[name];
      t.timings();
      for (let s = 0; s < BLOCK; s++) await t.step(xs, ys, s);
      return t.timings().step;
    };
    const r = await abba(COMPARE, () => block('even'), () => block('speed'), (k, even, speed) =>
      console.log(`block ${k + 1}: even ${even.toFixed(0)} ms/step, speed ${speed.toFixed(0)} ms/step (last shards ${trainers.speed.timings().shards.join('+') || 'n/a'}), even ÷ speed ${(even / speed).toFixed(3)}`),
    );
    const evenOverSpeed = r.ratios.map((x) => 1 / x);
    console.log(`replica-steps compare median even_ms=${median(r.a).toFixed(1)} speed_ms=${median(r.b).toFixed(1)} even_over_speed=${median(evenOverSpeed).toFixed(3)} (> 1: speed balancing is faster)`);
  } finally {
    tf.dispose([xs, ys]);
    await Promise.all(Object.values(trainers).map((t) => t.dispose()));
  }
}

/** Restricts thread `tid` of this process to `cpus` (taskset's list syntax, e.g. "0" or "0-1"). */
function setAffinity(tid: number, cpus: string): void {
  execFileSync('taskset', ['-p', '-c', cpus, String(tid)], { stdio: 'ignore' });
}

/** Sets thread `tid`'s scheduling policy: SCHED_IDLE (runs only on an otherwise idle CPU) or back to SCHED_OTHER. */
function setIdle(tid: number, idle: boolean): void {
  try {
    execFileSync('chrt', [idle ? '-i' : '-o', '-p', '0', String(tid)], { stdio: 'ignore' });
  } catch {
    // The thread ended meanwhile (V8 and libuv start and stop helpers).
  }
}

/**
 * A change of thread placement, tried block against block on one trainer: `apply(true)` puts
 * it in force for a block, `apply(false)` takes it back for the next.
 */
interface Placement {
  readonly flag: string;
  readonly on: string;
  readonly off: string;
  describe(all: string): string;
  apply(on: boolean, replicaTids: readonly number[], all: string): void;
}

const PLACEMENTS: Record<'pin' | 'idle', Placement> = {
  pin: {
    flag: '--compare-pin',
    on: 'pinned',
    off: 'free',
    describe: (all) => `replica threads pinned to cpu0 and cpu1 vs free on ${all}`,
    apply: (on, tids, all) => tids.forEach((tid, i) => setAffinity(tid, on ? String(i) : all)),
  },
  idle: {
    flag: '--compare-idle',
    on: 'idle',
    off: 'normal',
    describe: () => "every other thread of the process but the main one (V8's and libuv's helpers, idle workers) at SCHED_IDLE vs normal",
    apply: (on, tids) => {
      for (const t of fs.readdirSync('/proc/self/task').map(Number)) if (t !== process.pid && !tids.includes(t)) setIdle(t, on);
    },
  },
};

async function comparePlacement(placement: Placement, blocks: number): Promise<void> {
  const { spec, xs, ys } = fixture();
  const dp = await createDataParallelTrainer({ spec, seed: 0, optimizer: {}, replicas: 2, backend: 'wasm', threads: 1, balance: BALANCE });
  const all = `0-${Math.max(1, os.cpus().length - 1)}`;
  const { on, off } = placement;
  let tids: number[] = [];
  try {
    console.log(`bench:replica-steps ${placement.flag}: small 32², batch ${BATCH}, 2 replicas × 1 thread (${dp.backend}), balance ${BALANCE}, ${placement.describe(all)}, ${blocks} blocks of ${BLOCK} steps, ABBA, after ${WARMUP} warm-up steps`);
    const w0 = threadSchedStats();
    for (let s = 0; s < WARMUP; s++) await dp.step(xs, ys, -1 - s);
    // The replica threads are the two that ran most during the warm-up.
    tids = schedDelta(w0, threadSchedStats()).slice(0, 2).map((r) => r.tid);
    const waits = new Map<boolean, number>();
    const block = async (inForce: boolean): Promise<number> => {
      placement.apply(inForce, tids, all);
      let wait = 0;
      let total = 0;
      dp.timings();
      for (let s = 0; s < BLOCK; s++) {
        await dp.step(xs, ys, s);
        const t = dp.timings(); // this step's (timings() restarts its averages)
        total += t.step;
        wait = Math.max(wait, t.wait);
      }
      waits.set(inForce, wait);
      return total / BLOCK;
    };
    const r = await abba(blocks, () => block(true), () => block(false), (k, a, z) =>
      console.log(
        `block ${k + 1}: ${on} ${a.toFixed(0)} ms/step (barrier wait ≤ ${(waits.get(true) ?? 0).toFixed(0)}), ${off} ${z.toFixed(0)} ms/step (${(waits.get(false) ?? 0).toFixed(0)}), ` +
          `last shards ${dp.timings().shards.join('+') || 'n/a'}, ${off} ÷ ${on} ${(z / a).toFixed(3)}`,
      ),
    );
    console.log(`replica-steps ${placement.flag.slice(2)} median ${on}_ms=${median(r.a).toFixed(1)} ${off}_ms=${median(r.b).toFixed(1)} ${off}_over_${on}=${median(r.ratios).toFixed(3)} (> 1: ${on} is faster)`);
  } finally {
    placement.apply(false, tids, all);
    tf.dispose([xs, ys]);
    await dp.dispose();
  }
}

async function main(): Promise<void> {
  await initBackend({ prefer: 'wasm' });
  if (COMPARE > 0) return compare();
  if (COMPARE_PIN > 0) return comparePlacement(PLACEMENTS.pin, COMPARE_PIN);
  if (COMPARE_IDLE > 0) return comparePlacement(PLACEMENTS.idle, COMPARE_IDLE);
  const { spec, xs, ys } = fixture();
  const dp = await createDataParallelTrainer({ spec, seed: 0, optimizer: {}, replicas: 2, backend: 'wasm', threads: 1, balance: BALANCE });
  try {
    console.log(`bench:replica-steps: small 32², batch ${BATCH} on 2 replicas × 1 thread (${dp.backend}), balance ${BALANCE}, ${WARMUP} warm-up steps, ${STEPS} traced`);
    const w0 = threadSchedStats();
    for (let s = 0; s < WARMUP; s++) await dp.step(xs, ys, -1 - s);
    if (PIN) {
      const busiest = schedDelta(w0, threadSchedStats()).slice(0, 2);
      busiest.forEach((r, cpu) => setAffinity(r.tid, String(cpu)));
      console.log(`pinned replica threads ${busiest.map((r, cpu) => `${r.tid}→cpu${cpu}`).join(', ')}`);
    }
    const spread: number[] = [];
    const steps: number[] = [];
    const waits: number[] = [];
    let sameSlower = 0;
    let previous: number | undefined;
    for (let s = 0; s < STEPS; s++) {
      const before = threadSchedStats();
      dp.timings();
      await dp.step(xs, ys, s);
      const t = dp.timings();
      const rows = schedDelta(before, threadSchedStats());
      if (rows.length < 2) throw new Error('no per-thread schedstat in /proc: this bench needs Linux with schedstats');
      const [a, b] = rows.slice(0, 2).sort((x, y) => x.tid - y.tid);
      const slower = a.runMs + a.waitMs >= b.runMs + b.waitMs ? a.tid : b.tid;
      if (previous === slower) sameSlower += 1;
      previous = slower;
      spread.push(t.compute - t.computeFastest);
      steps.push(t.step);
      waits.push(t.wait);
      const others = rows.slice(2).reduce((q, r) => q + r.runMs, 0);
      console.log(
        `step ${String(s + 1).padStart(3)}: ${t.step.toFixed(0)} ms, shards ${t.shards.join('+')}, compute ${t.compute.toFixed(0)} / ${t.computeFastest.toFixed(0)}, barrier wait ≤ ${t.wait.toFixed(0)}; ` +
          [a, b].map((r) => `thread ${r.tid}${r.tid === slower ? '*' : ' '} ran ${r.runMs.toFixed(0)} waited ${r.waitMs.toFixed(0)} on cpu${lastCpu(r.tid)}`).join(' | ') +
          `; other threads ${others.toFixed(0)}`,
      );
    }
    console.log(
      `replica-steps median step_ms=${median(steps).toFixed(1)} compute_spread_ms=${median(spread).toFixed(1)} barrier_wait_ms=${median(waits).toFixed(1)} ` +
        `same_slower_replica_as_previous_step=${sameSlower}/${STEPS - 1}`,
    );
  } finally {
    tf.dispose([xs, ys]);
    await dp.dispose();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
