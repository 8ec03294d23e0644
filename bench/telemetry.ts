/**
 * Telemetry benchmark: what serving the event stream over gRPC costs a training loop.
 *
 * This process runs a synthetic training loop (fixed busy CPU work per step, BatchEnd
 * events, EpochBegin/EpochEnd/CheckpointSaved per epoch) and two telemetry servers (each in
 * its worker thread, as `rxtrain train` runs it):
 *   A  0 subscribers
 *   B  100 subscribers: 90 reading, 10 that never read (their process is SIGSTOPped, like a
 *      monitor suspended with Ctrl-Z). The subscribers live in two child processes so
 *      they do not share the training thread's event loop.
 * The loop alternates blocks of steps between A and B (ABBAAB...), so machine noise hits
 * both alike. It prints the training thread's CPU per step and the wall-clock slowdown of B
 * against A, the emit→receipt latency percentiles seen by the readers, how the frozen
 * subscribers ended, and the process's heap/RSS over the run.
 *
 * Two conditions, each with fresh servers and fresh subscribers:
 *   default  BatchEnd throttled as `rxtrain train` does by default (progress.batchEventsPerSec
 *            = 10: a BatchEnd when ≥ 100 ms have passed since the last one, and at the end of
 *            each epoch), the rate a real run's telemetry server sees at most
 *   stress   a BatchEnd after every step (100 events/s with 10 ms steps)
 *
 * Two harnesses for the 90 readers, each with fresh servers and subscribers, reported side by
 * side (see bench/RESULTS.md, "where the latency goes"):
 *   grpc-js  the original harness: 90 grpc-js clients (the stack `rxtrain monitor` uses) in ONE
 *            process. On this 2-core machine its receipts queue behind each other (30–45 µs of
 *            CPU each), so its tail is mostly the harness, not the server.
 *   lean     90 subscribers, each on its own HTTP/2 connection speaking gRPC by hand (node:http2,
 *            5-byte framing, the same protobuf decoder grpc-js uses), in `--lean-procs` processes
 *            in sessions of their own: a full receipt without grpc-js's call machinery, in a few
 *            processes like monitors on several machines. Whether that is cheaper here depends on
 *            the layout: each process is one more wake-up per event on the same 2 cores (the bench
 *            prints the readers' CPU per receipt).
 *   native   90 subscribers in one C process (bench/telemetryReader.c, built with the system cc):
 *            gRPC over HTTP/2 by hand on its own connection per subscriber, epoll, each message
 *            decoded as far as sequence, wall time, step and kind. A few µs of CPU per receipt, so
 *            the latency it sees is mostly the server's, as with monitors on other machines.
 * Latency is measured on the monotonic clock (CLOCK_MONOTONIC is shared by every process on a
 * host): the bench passes its wall-minus-monotonic offset to the clients, so a wall-clock
 * step between processes cannot bias it; the clients' own offsets are printed as a check.
 *
 * The client processes run in sessions of their own (like monitors started from other
 * terminals); `--same-session 1` keeps them in the bench's session instead.
 *
 *   npm run bench:telemetry [-- --steps 3000 --work-ms 10 --block 50 --readers 90 --frozen 10 --max-queue 256 --conditions default,stress --harness lean,grpc-js,native --lean-procs 1 --same-session 0 --slice-us compute --train-threads 1]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { Subject } from 'rxjs';
import { startTelemetryServer } from '../src/telemetry/startTelemetryServer';
import { compileC } from './compileC';
import type { TrainEvent } from '../src/telemetry/TrainEvent';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const STEPS = Number(args.get('steps') ?? 3000);
const WORK_MS = Number(args.get('work-ms') ?? 10);
const READERS = Number(args.get('readers') ?? 90);
const FROZEN = Number(args.get('frozen') ?? 10);
const STEPS_PER_EPOCH = 100;
const BLOCK = Number(args.get('block') ?? 50);
// Smaller than the default 1024 so that the frozen subscribers overflow within the run.
const MAX_QUEUE = Number(args.get('max-queue') ?? 256);
const ROOT = path.join(__dirname, '..');
/** BatchEnd events per second at most; Infinity = one per step. */
const CONDITIONS: Record<string, number> = { default: 10, stress: Infinity };
const RUN_CONDITIONS = (args.get('conditions') ?? 'default,stress').split(',');
/** `--same-session 1`: keep the client processes in the bench's session (scheduling group). */
const SAME_SESSION = args.get('same-session') === '1';
for (const c of RUN_CONDITIONS) if (!(c in CONDITIONS)) throw new Error(`unknown condition '${c}' (known: ${Object.keys(CONDITIONS).join(', ')})`);
const KNOWN_HARNESSES = ['lean', 'grpc-js', 'native'] as const;
type Harness = (typeof KNOWN_HARNESSES)[number];
const HARNESSES = (args.get('harness') ?? KNOWN_HARNESSES.join(',')).split(',') as Harness[];
for (const h of HARNESSES) if (!KNOWN_HARNESSES.includes(h)) throw new Error(`unknown harness '${String(h)}' (known: ${KNOWN_HARNESSES.join(', ')})`);
/** The native harness's reader, compiled once per bench run (only if that harness is asked for). */
const nativeReader = HARNESSES.includes('native') ? compileC('telemetryReader.c', ['-O2'], ['-lm'], 'pass --harness lean,grpc-js without one') : undefined;
/** Processes the lean harness spreads its readers over (the grpc-js harness keeps its one). */
// 1 by default: 3 processes measured worse here (one more wake-up per event each; RESULTS run 6).
const LEAN_PROCS = Number(args.get('lean-procs') ?? 1);
/** The native addon's scheduling entry points (native/pool.cc), if the addon is built. */
interface SliceAddon {
  setThreadSlice(us: number): number;
  computeSlice(): number;
}
const sliceAddon = ((): SliceAddon | undefined => {
  try {
    const a = createRequire(__filename)(path.join(ROOT, 'build', 'Release', 'rxtrain_native.node')) as Partial<SliceAddon>;
    return typeof a.setThreadSlice === 'function' && typeof a.computeSlice === 'function' ? (a as SliceAddon) : undefined;
  } catch {
    return undefined;
  }
})();
/**
 * Scheduler slices (µs) for the training thread, alternated pair of blocks by pair of blocks;
 * 0 = the kernel's default, 'compute' = what rxtrain's native kernels give the threads that run
 * them (the training thread included: native/pool.cc). One value = that slice throughout.
 */
// Without the addon the default falls back to the kernel's slice (and says so); asked for explicitly, it is an error.
if (args.has('slice-us') && sliceAddon === undefined && args.get('slice-us') !== '0') throw new Error('--slice-us needs the native addon (node native/install.mjs); pass --slice-us 0 without it');
const SLICES = (args.get('slice-us') ?? 'compute').split(',').map((x) => (x === 'compute' ? (sliceAddon?.computeSlice() ?? 0) : Number(x)));
for (const us of SLICES) if (!Number.isInteger(us) || us < 0) throw new Error(`--slice-us: expected µs >= 0 or 'compute', got ${us}`);
if (SLICES.some((us) => us > 0) && sliceAddon === undefined) throw new Error('--slice-us needs the native addon (node native/install.mjs); pass --slice-us 0 without it');
/**
 * The slice variant of a pair of blocks: variants change every two pairs, so each gets as many
 * AB as BA pairs (a B block right after an A block, idle for B's readers, or right after a B block).
 */
const variantOf = (pair: number): number => Math.floor(pair / 2) % SLICES.length;
const sliceName = (us: number): string => (us === 0 ? 'kernel default' : `${us / 1000} ms`);
/** Sets the training (this) thread's slice; returns what the kernel now reports, µs (-1: unsupported). */
function setTrainingSlice(us: number): number {
  helpers.setSlice(us);
  return sliceAddon?.setThreadSlice(us) ?? -1;
}

const now = (): number => performance.timeOrigin + performance.now();
/** CLOCK_MONOTONIC in ms: the same clock in every process on this host. */
const monoMs = (): number => Number(process.hrtime.bigint()) / 1e6;
/** now() − monoMs(): what the clients subtract to put an event's wall time on the monotonic clock. */
const WALL_MINUS_MONO = now() - monoMs();

/**
 * CPU time of this process's main (training) thread in ms, from /proc (Linux): unlike wall
 * time it does not count the time other processes on a busy machine take from us, and
 * unlike process.cpuUsage() it leaves out the telemetry worker thread. 10 ms resolution.
 */
function trainingThreadCpuMs(): number {
  return statCpuMs(`/proc/self/task/${process.pid}/stat`);
}
/** CPU time of the whole process (every thread: training, both telemetry workers, V8/libuv helpers). */
function processCpuMs(): number {
  return statCpuMs('/proc/self/stat');
}
function statCpuMs(file: string): number {
  try {
    const stat = fs.readFileSync(file, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in 100 Hz ticks
  } catch {
    return NaN;
  }
}
/** The process's sched autogroup (Linux), e.g. '/autogroup-38', or '?' where there is none. */
function autogroup(pid: string): string {
  try {
    return fs.readFileSync(`/proc/${pid}/autogroup`, 'utf8').split(' ')[0];
  } catch {
    return '?';
  }
}
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const mb = (b: number): string => (b / 2 ** 20).toFixed(1);

/** Busy work whose iteration count is calibrated to take about WORK_MS. */
let sink = 0;
function spin(iterations: number): void {
  let x = sink;
  for (let i = 0; i < iterations; i += 1) x = (x * 1103515245 + 12345) % 2147483647;
  sink = x;
}
function calibrate(ms: number): number {
  // The least-preempted of several trials: on a busy machine a single timing overestimates.
  let n = 100_000;
  for (;;) {
    let best = Infinity;
    for (let trial = 0; trial < 5; trial += 1) {
      const t0 = performance.now();
      spin(n);
      best = Math.min(best, performance.now() - t0);
    }
    if (best > 50) return Math.round((n * ms) / best);
    n *= 2;
  }
}

const yieldToIo = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * The step's other compute threads (`--train-threads` − 1), as the native kernels' pool runs
 * them next to the training thread: each step, every helper spins as long as the training
 * thread does, and the step ends when all are done (so both cores are busy, as in a real
 * 2-thread step). They take the training thread's scheduler slice. Shared control words:
 * [generation (−1 = quit), helpers still busy, iterations, slice µs (−1 = leave)].
 */
class ComputeHelpers {
  private readonly ctl = new Int32Array(new SharedArrayBuffer(16));
  private readonly workers: Worker[] = [];
  constructor(count: number) {
    const code = `
      const { workerData } = require('node:worker_threads');
      const ctl = new Int32Array(workerData.sab);
      let addon;
      try { addon = require(workerData.addon); } catch {}
      let seen = 0, slice = -1, sink = 0;
      for (;;) {
        Atomics.wait(ctl, 0, seen);
        seen = Atomics.load(ctl, 0);
        if (seen < 0) break;
        const want = Atomics.load(ctl, 3);
        if (want !== slice && want >= 0 && addon && addon.setThreadSlice) { addon.setThreadSlice(want); slice = want; }
        let x = sink;
        for (let i = 0, n = Atomics.load(ctl, 2); i < n; i += 1) x = (x * 1103515245 + 12345) % 2147483647;
        sink = x;
        if (Atomics.sub(ctl, 1, 1) === 1) Atomics.notify(ctl, 1);
      }`;
    for (let i = 0; i < count; i += 1) this.workers.push(new Worker(code, { eval: true, workerData: { sab: this.ctl.buffer, addon: path.join(ROOT, 'build', 'Release', 'rxtrain_native.node') } }));
    this.ctl[3] = -1;
  }
  /** The helpers take this slice (µs; 0 = kernel default) from their next step on. */
  setSlice(us: number): void {
    Atomics.store(this.ctl, 3, us);
  }
  /** One step: the helpers and the calling thread each spin `iterations`. */
  step(iterations: number): void {
    if (this.workers.length === 0) {
      spin(iterations);
      return;
    }
    Atomics.store(this.ctl, 2, iterations);
    Atomics.store(this.ctl, 1, this.workers.length);
    Atomics.add(this.ctl, 0, 1);
    Atomics.notify(this.ctl, 0);
    spin(iterations);
    for (let busy = Atomics.load(this.ctl, 1); busy !== 0; busy = Atomics.load(this.ctl, 1)) Atomics.wait(this.ctl, 1, busy);
  }
  async close(): Promise<void> {
    Atomics.store(this.ctl, 0, -1);
    Atomics.notify(this.ctl, 0);
    await Promise.all(this.workers.map((w) => new Promise((r) => w.once('exit', r))));
  }
}
const TRAIN_THREADS = Number(args.get('train-threads') ?? 1);
if (!Number.isInteger(TRAIN_THREADS) || TRAIN_THREADS < 1) throw new Error(`--train-threads: expected an integer >= 1, got ${args.get('train-threads')}`);
const helpers = new ComputeHelpers(TRAIN_THREADS - 1);

/** Where a loop's BatchEnd throttle stands (as in src/model/train.ts: time since the last BatchEnd). */
interface Throttle {
  readonly perSec: number;
  lastEmit: number;
  emitted: number;
}

/** One training run of `steps` steps; returns the wall time of its steps. */
async function trainLoop(events: Subject<TrainEvent>, steps: number, iterations: number, firstStep: number, throttle: Throttle): Promise<number> {
  const t0 = performance.now();
  const minGapMs = 1000 / throttle.perSec;
  for (let s = 0; s < steps; s += 1) {
    const step = firstStep + s;
    const epoch = Math.floor(step / STEPS_PER_EPOCH);
    const batch = step % STEPS_PER_EPOCH;
    if (batch === 0) events.next({ kind: 'EpochBegin', time: now(), epoch, step, lr: 0.01, steps: STEPS_PER_EPOCH, startBatch: 0 });
    helpers.step(iterations);
    const t = performance.now();
    if (t - throttle.lastEmit >= minGapMs || batch === STEPS_PER_EPOCH - 1) {
      throttle.lastEmit = t;
      throttle.emitted += 1;
      events.next({ kind: 'BatchEnd', time: now(), epoch, step: step + 1, batch, batchSize: 128, loss: 2 / (1 + step / 500), accuracy: Math.min(0.99, step / 5000), imagesPerSec: 128000 / WORK_MS });
    }
    if (batch === STEPS_PER_EPOCH - 1) {
      events.next({ kind: 'EpochEnd', time: now(), epoch, step: step + 1, trainLoss: 1, trainAccuracy: 0.5, valLoss: 1.1, valAccuracy: 0.45, lr: 0.01, durationMs: STEPS_PER_EPOCH * WORK_MS });
      events.next({ kind: 'CheckpointSaved', time: now(), epoch, step: step + 1, path: `runs/bench/checkpoints/epoch-${String(epoch).padStart(4, '0')}`, best: epoch % 2 === 0 });
    }
    // A real loop awaits the backend (tfjs .data()) every step; that is when I/O runs.
    await yieldToIo();
  }
  return performance.now() - t0;
}

/**
 * N subscribers in a child process (plain JS: no TypeScript loader in the child), each on its
 * own connection like separate monitors. `grpc-js`: grpc-js clients; `lean`: gRPC spoken over
 * node:http2 by hand. Both decode every event with proto-loader's decoder, the one grpc-js
 * stubs use, and time a receipt once it is decoded. `native`: bench/telemetryReader.c, the
 * same protocol with the bench and the same report.
 */
function clients(address: string, count: number, harness: Harness): { child: ChildProcess; ready: Promise<void>; report: () => Promise<ClientReport> } {
  const maxReceipts = STEPS + BLOCK + Math.ceil((STEPS + BLOCK) / STEPS_PER_EPOCH) + 10;
  const subscribe =
    harness === 'grpc-js'
      ? `
      const v1 = grpc.loadPackageDefinition(def).rxtrain.telemetry.v1;
      const subscribe = (onEvent, onStatus) => {
        // Its own subchannel pool = its own TCP connection.
        const c = new v1.Telemetry(${JSON.stringify(address)}, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
        const call = c.Subscribe({ fromSequence: 0 });
        call.on('data', onEvent);
        call.on('error', () => {});
        call.on('status', (s) => onStatus(grpc.status[s.code]));
      };`
      : `
      const http2 = require('node:http2');
      const m = def['rxtrain.telemetry.v1.Telemetry'].Subscribe;
      const subscribe = (onEvent, onStatus) => {
        const session = http2.connect('http://${address}');
        session.on('error', () => {});
        const req = session.request({ ':method': 'POST', ':path': m.path, 'content-type': 'application/grpc', te: 'trailers' });
        const body = m.requestSerialize({ fromSequence: 0 });
        const framed = Buffer.alloc(5 + body.length);
        framed.writeUInt32BE(body.length, 1);
        body.copy(framed, 5);
        req.end(framed);
        let pending = Buffer.alloc(0);
        req.on('data', (chunk) => {
          pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
          while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
            const len = pending.readUInt32BE(1);
            onEvent(m.responseDeserialize(pending.subarray(5, 5 + len)));
            pending = pending.subarray(5 + len);
          }
        });
        req.on('trailers', (h) => onStatus('grpc-status ' + h['grpc-status']));
        req.on('error', () => {});
      };`;
  const code = `
    const grpc = require('@grpc/grpc-js');
    const loader = require('@grpc/proto-loader');
    const { performance } = require('node:perf_hooks');
    const def = loader.loadSync(${JSON.stringify(path.join(ROOT, 'proto', 'telemetry.proto'))}, { longs: Number, enums: String, defaults: true, oneofs: true });
    ${subscribe}
    const monoMs = () => Number(process.hrtime.bigint()) / 1e6;
    const OFFSET = ${WALL_MINUS_MONO}; // the bench's wall − monotonic
    const count = ${count};
    // Every BatchEnd receipt as [step, latency (decoded − emitted, ms), queued (ms behind this
    // process's first receipt of the same event; -1 for that first receipt), reader].
    // Preallocated: a growing array's reallocations (megabytes, copied on the reader's thread)
    // would show up as latency. At most one BatchEnd per step (+ the warm-up, the epoch ends).
    const recs = new Float64Array(count * ${maxReceipts} * 4);
    let nRecs = 0;
    const first = new Map(); // sequence -> latency of this process's first receipt of it
    const stats = Array.from({ length: count }, () => ({ n: 0, last: 0, gaps: 0, status: null }));
    let ready = 0;
    let cpu0 = process.cpuUsage();
    for (let i = 0; i < count; i++) {
      const st = stats[i];
      subscribe((e) => {
        const t = monoMs();
        if (st.n === 0 && ++ready === count) {
          cpu0 = process.cpuUsage();
          process.stdout.write('ready\\n');
        }
        if (st.last !== 0 && e.sequence !== st.last + 1) st.gaps++;
        st.last = e.sequence; st.n++;
        if (e.event === 'batchEnd' && nRecs + 4 <= recs.length) {
          const l = t - (e.timeUnixMicros / 1000 - OFFSET);
          const f = first.get(e.sequence);
          if (f === undefined) first.set(e.sequence, l);
          recs[nRecs++] = e.step;
          recs[nRecs++] = l;
          recs[nRecs++] = f === undefined ? -1 : l - f;
          recs[nRecs++] = i;
        }
      }, (s) => { st.status = s; });
    }
    process.stdin.on('end', () => process.exit(0)); // the bench is gone
    process.stdin.on('data', () => {
      const cpu = process.cpuUsage(cpu0);
      process.stdout.write(JSON.stringify({
        recs: Array.from(recs.subarray(0, nRecs), (x) => Math.round(x * 1000) / 1000),
        clockSkewMs: performance.timeOrigin + performance.now() - monoMs() - OFFSET,
        cpuMs: (cpu.user + cpu.system) / 1000, events: stats.map((s) => s.n), gaps: stats.reduce((a, s) => a + s.gaps, 0), statuses: stats.map((s) => s.status),
      }) + '\\n', () => process.exit(0)); // exit once flushed: a pipe takes 64 KiB at a time, the report is larger
    });
  `;
  // A session of its own, like a monitor started from another terminal: with Linux's
  // sched autogroup (on here) each session is a scheduling group with an equal share, so
  // clients in the bench's own session would be charged to the training process's share.
  const spawnOptions = { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] as ['pipe', 'pipe', 'inherit'], detached: !SAME_SESSION };
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), address.slice(address.lastIndexOf(':') + 1)];
  const native = (): string => {
    if (nativeReader === undefined) throw new Error('the native harness was not compiled (it is compiled when --harness names it)');
    return nativeReader;
  };
  const child =
    harness === 'native'
      ? spawn(native(), [host, port, String(count), String(count * maxReceipts), String(WALL_MINUS_MONO)], spawnOptions)
      : spawn(process.execPath, ['-e', code], spawnOptions);
  let out = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (onReady = r));
  let onReport: (r: ClientReport) => void = () => undefined;
  let onFail: (e: Error) => void = () => undefined;
  const reported = new Promise<ClientReport>((resolve, reject) => {
    onReport = resolve;
    onFail = reject;
  });
  // A client process that dies before reporting must fail the bench, not leave it waiting.
  // 'close', not 'exit': the report may still be in the pipe when the process has exited.
  child.on('close', (code, signal) => onFail(new Error(`client process ${child.pid} (${harness}) ended (${code ?? signal}) before it reported (${out.length} chars of output)`)));
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('ready\n')) onReady();
    // Only a complete line: the report is megabytes and arrives in many chunks.
    const line = out.split('\n').slice(0, -1).find((l) => l.startsWith('{'));
    if (line !== undefined) onReport(JSON.parse(line) as ClientReport);
  });
  return {
    child,
    ready,
    report: () => {
      child.stdin?.write('report\n');
      return reported;
    },
  };
}

interface ClientReport {
  /**
   * Every BatchEnd receipt, flat, 4 numbers each: the event's step, its latency (decoded −
   * emitted, monotonic clock, ms), how long after its process's first receipt of the same
   * event it was decoded (-1 for that first receipt), and the reader's index in its process.
   */
  recs: number[];
  /** The client's wall − monotonic offset minus the bench's (how far the wall clocks disagree). */
  clockSkewMs: number;
  /** CPU the client process used since every subscriber had its first event. */
  cpuMs: number;
  events: number[];
  gaps: number;
  statuses: (string | null)[];
}

/** The reports of several reader processes as one. */
function merge(reports: readonly ClientReport[]): ClientReport {
  return {
    // Reader indices made unique across processes.
    recs: reports.flatMap((r, p) => r.recs.map((x, i) => (i % 4 === 3 ? x + p * 1_000_000 : x))),
    clockSkewMs: Math.max(...reports.map((r) => Math.abs(r.clockSkewMs))),
    cpuMs: reports.reduce((a, r) => a + r.cpuMs, 0),
    events: reports.flatMap((r) => r.events),
    gaps: reports.reduce((a, r) => a + r.gaps, 0),
    statuses: reports.flatMap((r) => r.statuses),
  };
}

function quantile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}
const sortedCopy = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

async function runCondition(name: string, perSec: number, iterations: number, harness: Harness): Promise<void> {
  // Two servers in this process for the whole condition: A's has no subscribers, B's has 100.
  // Training alternates blocks between them, so machine noise hits both alike.
  const eventsA = new Subject<TrainEvent>();
  const eventsB = new Subject<TrainEvent>();
  const serverA = await startTelemetryServer(eventsA, { runId: 'bench-a', address: '127.0.0.1:0' });
  const serverB = await startTelemetryServer(eventsB, { runId: 'bench-b', address: '127.0.0.1:0', maxQueue: MAX_QUEUE });
  // The grpc-js harness keeps its original layout (all readers in one process) so its figures
  // stay comparable with earlier runs; the lean one may spread them over LEAN_PROCS processes;
  // the native one serves all its connections from one process with epoll.
  const procs = harness === 'lean' ? Math.max(1, Math.min(LEAN_PROCS, READERS)) : 1;
  const readers = Array.from({ length: procs }, (_, i) => clients(serverB.address, Math.floor((READERS * (i + 1)) / procs) - Math.floor((READERS * i) / procs), harness));
  const frozen = clients(serverB.address, FROZEN, 'grpc-js');
  const begin = (runId: string): TrainEvent => ({ kind: 'TrainBegin', time: now(), epoch: 0, step: 0, runId, backend: 'synthetic', threads: 1, replicas: 1, epochs: 1000, stepsPerEpoch: STEPS_PER_EPOCH, config: { workMs: WORK_MS } });
  while (serverB.subscribers < READERS + FROZEN) {
    eventsB.next(begin('bench-b')); // something for every subscriber to say it is ready with
    await new Promise((r) => setTimeout(r, 50));
  }
  eventsA.next(begin('bench-a'));
  await Promise.all([...readers.map((r) => r.ready), frozen.ready]);
  frozen.child.kill('SIGSTOP'); // from now on these 10 read nothing and acknowledge nothing
  const rate = Number.isFinite(perSec) ? `BatchEnd throttled to ≤ ${perSec}/s (train() default), + 1 at each epoch end` : '1 BatchEnd per step';
  console.log(`\n== condition '${name}', harness '${harness}': ${rate}; EpochBegin/EpochEnd/CheckpointSaved per ${STEPS_PER_EPOCH} steps`);
  console.log(
    `A: server ${serverA.address}, 0 subscribers; B: server ${serverB.address} (maxQueue ${MAX_QUEUE}), ${serverB.subscribers} subscribers (${READERS} ${harness} readers in ${procs} process(es), ${FROZEN} frozen grpc-js in 1); ` +
      `scheduling groups: bench ${autogroup('self')}, readers ${readers.map((r) => autogroup(String(r.child.pid))).join(' ')}, frozen ${autogroup(String(frozen.child.pid))}`,
  );

  const throttles = { A: { perSec, lastEmit: -Infinity, emitted: 0 }, B: { perSec, lastEmit: -Infinity, emitted: 0 } };
  await trainLoop(eventsA, BLOCK, iterations, 0, throttles.A); // warm-up (JIT, allocator)
  await trainLoop(eventsB, BLOCK, iterations, 0, throttles.B);
  const warmEmitted = throttles.B.emitted;
  gc();
  const memStart = process.memoryUsage();
  let heapMax = memStart.heapUsed;
  let rssMax = memStart.rss;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    heapMax = Math.max(heapMax, m.heapUsed);
    rssMax = Math.max(rssMax, m.rss);
  }, 200);
  let timeA = 0;
  let timeB = 0;
  const cpu = { A: 0, B: 0 };
  const otherCpu = { A: 0, B: 0 }; // process CPU minus the training thread's
  const load0 = os.loadavg()[0];
  const blockRatios: number[] = [];
  const rssTrail: number[] = [];
  // Per slice variant (pairs of blocks alternate between them): wall times and B/A ratios.
  const perSlice = SLICES.map(() => ({ timeA: 0, timeB: 0, ratios: [] as number[], batchEnds: 0 }));
  for (let done = 0; done < STEPS; done += BLOCK) {
    const first = BLOCK + done;
    const pair = done / BLOCK;
    const v = variantOf(pair);
    if (SLICES.length > 1) setTrainingSlice(SLICES[v]);
    const order = pair % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const);
    const t: Record<'A' | 'B', number> = { A: 0, B: 0 };
    for (const which of order) {
      // Untimed pause: the previous block's last writes finish before this block's clock starts.
      await new Promise((r) => setTimeout(r, 20));
      const c0 = trainingThreadCpuMs();
      const p0 = processCpuMs();
      const e0 = throttles.B.emitted;
      t[which] = await trainLoop(which === 'A' ? eventsA : eventsB, BLOCK, iterations, first, throttles[which]);
      const c = trainingThreadCpuMs() - c0;
      cpu[which] += c;
      otherCpu[which] += processCpuMs() - p0 - c;
      perSlice[v].batchEnds += throttles.B.emitted - e0;
    }
    timeA += t.A;
    timeB += t.B;
    blockRatios.push(t.B / t.A);
    perSlice[v].timeA += t.A;
    perSlice[v].timeB += t.B;
    perSlice[v].ratios.push(t.B / t.A);
    rssTrail.push(process.memoryUsage().rss);
  }
  if (SLICES.length > 1) setTrainingSlice(SLICES[0]);
  clearInterval(sampler);
  const load1 = os.loadavg()[0];
  const cutOff = serverB.ended.slow;
  const endedB = { ...serverB.ended };
  // Before the reports arrive: their raw latencies (megabytes) would otherwise count as the server's heap.
  gc();
  const memEnd = process.memoryUsage();
  const [report, frozenReport] = await Promise.all([Promise.all(readers.map((r) => r.report())).then(merge), (async () => {
    frozen.child.kill('SIGCONT');
    return frozen.report();
  })()]);

  blockRatios.sort((x, y) => x - y);
  const median = blockRatios[Math.floor(blockRatios.length / 2)];
  const batchEnds = throttles.B.emitted - warmEmitted;
  const epochEvents = Math.floor(STEPS / STEPS_PER_EPOCH) * 3;
  const bSecs = timeB / 1000;
  console.log(`B was sent ${batchEnds} BatchEnd + ~${epochEvents} per-epoch events in ${bSecs.toFixed(1)} s of B time: ${(batchEnds / bSecs).toFixed(1)} BatchEnd/s, ${((batchEnds + epochEvents) / bSecs).toFixed(1)} events/s`);
  const perEvent = (otherCpu.B - otherCpu.A) / (batchEnds + epochEvents);
  console.log(
    `other threads of the training process (both telemetry workers, V8/libuv helpers): A blocks ${otherCpu.A} ms, B blocks ${otherCpu.B} ms of CPU ` +
      `→ B's worker ≈ ${perEvent.toFixed(2)} ms per event for ${READERS + FROZEN} subscribers (${((perEvent * 1000) / (READERS + FROZEN)).toFixed(1)} µs per event per subscriber; 10 ms ticks)`,
  );
  console.log(`A (0 subscribers):   ${(timeA / STEPS).toFixed(3)} ms/step`);
  console.log(`B (100 subscribers): ${(timeB / STEPS).toFixed(3)} ms/step`);
  console.log(`training-thread CPU: A ${(cpu.A / STEPS).toFixed(3)} ms/step, B ${(cpu.B / STEPS).toFixed(3)} ms/step: B costs the training thread ${(((cpu.B - cpu.A) / cpu.A) * 100).toFixed(2)}% more CPU`);
  console.log(`wall-clock slowdown B vs A (includes CPU taken by the worker, the 100 clients and the rest of the machine; load average ${load0.toFixed(1)} → ${load1.toFixed(1)} on ${os.cpus().length} cores): total ${(((timeB - timeA) / timeA) * 100).toFixed(2)}%, median of ${blockRatios.length} block pairs ${((median - 1) * 100).toFixed(2)}%`);
  // Receipts of the measured blocks only: the warm-up blocks' (JIT, first writes) are left out.
  const recs = report.recs;
  const measured = (step: number): boolean => step > BLOCK && step <= BLOCK + STEPS;
  const pairOf = (step: number): number => Math.floor((step - 1 - BLOCK) / BLOCK);
  const latencyLines = (label: string, keep: (step: number) => boolean): void => {
    const lat: number[] = [];
    const firsts: number[] = [];
    const queue: number[] = [];
    const byReader = new Map<number, number[]>();
    for (let i = 0; i < recs.length; i += 4) {
      if (!measured(recs[i]) || !keep(recs[i])) continue;
      lat.push(recs[i + 1]);
      if (recs[i + 2] < 0) firsts.push(recs[i + 1]);
      else queue.push(recs[i + 2]);
      const r = byReader.get(recs[i + 3]) ?? [];
      r.push(recs[i + 1]);
      byReader.set(recs[i + 3], r);
    }
    lat.sort((x, y) => x - y);
    firsts.sort((x, y) => x - y);
    queue.sort((x, y) => x - y);
    const per = [...byReader.values()].map((xs) => sortedCopy(xs));
    const p50s = sortedCopy(per.map((xs) => quantile(xs, 0.5)));
    const p99s = sortedCopy(per.map((xs) => quantile(xs, 0.99)));
    const ms = (x: number): string => x.toFixed(2);
    console.log(
      `${label}latency emit→receipt (${harness} harness, monotonic clock; wall clocks of bench and clients agree within ${(report.clockSkewMs * 1000).toFixed(0)} µs), ` +
        `${lat.length} BatchEnd receipts by ${READERS} readers: p50 ${ms(quantile(lat, 0.5))} ms, p99 ${ms(quantile(lat, 0.99))} ms, max ${quantile(lat, 1).toFixed(1)} ms`,
    );
    console.log(
      `${label}  first reader (per process) to decode each event: p50 ${ms(quantile(firsts, 0.5))} ms, p99 ${ms(quantile(firsts, 0.99))} ms; ` +
        `the others, after their process's first: p50 ${ms(quantile(queue, 0.5))} ms, p99 ${ms(quantile(queue, 0.99))} ms (readers queueing in the harness); ` +
        `per-reader p50 ${ms(p50s[0])}–${ms(p50s[p50s.length - 1])} ms, per-reader p99 ${ms(p99s[0])}–${ms(p99s[p99s.length - 1])} ms`,
    );
  };
  latencyLines('', () => true);
  {
    // Where the tail comes from: a BatchEnd sent in the same turn as EpochEnd + CheckpointSaved
    // (this loop emits them back to back; a real one validates between them), the first
    // BatchEnd of a B block (B's readers idle for the A block before it), and the rest.
    const blockOf = (step: number): number => Math.floor((step - 1) / BLOCK);
    const firstOfBlock = new Map<number, number>();
    for (let i = 0; i < recs.length; i += 4) {
      const b = blockOf(recs[i]);
      firstOfBlock.set(b, Math.min(firstOfBlock.get(b) ?? Infinity, recs[i]));
    }
    const epochEnd = (step: number): boolean => step % STEPS_PER_EPOCH === 0;
    const blockStart = (step: number): boolean => !epochEnd(step) && firstOfBlock.get(blockOf(step)) === step;
    latencyLines('[epoch-end BatchEnd, with EpochEnd + CheckpointSaved] ', epochEnd);
    latencyLines('[first BatchEnd of a B block] ', blockStart);
    latencyLines('[other BatchEnd] ', (step) => !epochEnd(step) && !blockStart(step));
  }
  {
    // What the bench reported before it left the warm-up blocks out, for comparison with older runs.
    const all: number[] = [];
    for (let i = 0; i < recs.length; i += 4) all.push(recs[i + 1]);
    all.sort((x, y) => x - y);
    console.log(`  with the warm-up blocks' receipts too (as runs before 2026-11-26 10:30 counted): ${all.length} receipts, p99 ${quantile(all, 0.99).toFixed(2)} ms`);
  }
  if (SLICES.length > 1) {
    SLICES.forEach((us, v) => {
      const r = sortedCopy(perSlice[v].ratios);
      const label = `[training thread slice ${sliceName(us)}] `;
      console.log(
        `${label}${r.length} block pairs, ${perSlice[v].batchEnds} BatchEnd: A ${((perSlice[v].timeA / r.length) / BLOCK).toFixed(3)} ms/step, B ${((perSlice[v].timeB / r.length) / BLOCK).toFixed(3)} ms/step; ` +
          `slowdown B vs A total ${(((perSlice[v].timeB - perSlice[v].timeA) / perSlice[v].timeA) * 100).toFixed(2)}%, median ${((quantile(r, 0.5) - 1) * 100).toFixed(2)}%`,
      );
      latencyLines(label, (step) => variantOf(pairOf(step)) === v);
    });
  }
  const receipts = report.events.reduce((a, n) => a + n, 0);
  console.log(`reader process CPU: ${((report.cpuMs * 1000) / Math.max(1, receipts)).toFixed(1)} µs per event received (${report.cpuMs.toFixed(0)} ms for ${receipts} receipts, since all were subscribed)`);
  console.log(`readers: events received min ${Math.min(...report.events)} max ${Math.max(...report.events)}, sequence gaps ${report.gaps}`);
  console.log(
    `frozen subscribers: ${cutOff}/${FROZEN} cut off with RESOURCE_EXHAUSTED during the run; B's ended streams during the run: ${JSON.stringify(endedB)} ` +
      `('cancelled' here = dropped by the server's keepalive, 30 s ping + 10 s timeout: a stopped process answers no pings); ` +
      `after SIGCONT at the end they reported ${Math.min(...frozenReport.events)}–${Math.max(...frozenReport.events)} events read (a lower bound: they report before draining their sockets)`,
  );
  const q = (f: number): string => mb(rssTrail[Math.min(rssTrail.length - 1, Math.floor(f * rssTrail.length))]);
  console.log(`process RSS (training thread + both server workers) at 0/25/50/75/100% of the run: ${q(0)} / ${q(0.25)} / ${q(0.5)} / ${q(0.75)} / ${q(1)} MiB`);
  console.log(`training-thread heap (after GC): ${mb(memStart.heapUsed)} → ${mb(memEnd.heapUsed)} MiB (max ${mb(heapMax)}); process RSS ${mb(memStart.rss)} → ${mb(memEnd.rss)} MiB (max ${mb(rssMax)})`);
  // Figures first, then the end of training: a server that does not close is reported, not a silent stall.
  frozen.child.kill();
  eventsA.complete();
  eventsB.complete();
  const slowClose = setTimeout(() => console.log('servers not closed 15 s after the end of training'), 15_000);
  await Promise.all([serverA.closed, serverB.closed]);
  clearTimeout(slowClose);
}

async function main(): Promise<void> {
  // The training thread's scheduling as `rxtrain train` has it with the native kernels (their
  // first call marks the calling thread), or as given; set before calibrating, as in a real run.
  const applied = setTrainingSlice(SLICES[0]);
  const iterations = calibrate(WORK_MS);
  console.log(
    `training: ${TRAIN_THREADS} thread(s) busy per step (--train-threads; the others' CPU counts as 'other threads' below); scheduler slice: ${SLICES.length > 1 ? `alternating ${SLICES.map(sliceName).join(' / ')} by pair of blocks` : sliceName(SLICES[0])} ` +
      `(kernel reports ${applied < 0 ? 'no custom slices (not Linux >= 6.12, or no native addon)' : `${applied / 1000} ms now`})`,
  );
  console.log(
    `telemetry bench: ${STEPS} steps × ${WORK_MS} ms busy work per server per condition, in alternating blocks of ${BLOCK}; ` +
      `conditions ${RUN_CONDITIONS.join(', ')} × harnesses ${HARNESSES.join(', ')}; node ${process.version}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`,
  );
  for (const name of RUN_CONDITIONS) for (const harness of HARNESSES) await runCondition(name, CONDITIONS[name], iterations, harness);
  await helpers.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
