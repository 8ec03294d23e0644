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
 * The client processes run in sessions of their own (like monitors started from other
 * terminals); `--same-session 1` keeps them in the bench's session instead.
 *
 *   npm run bench:telemetry [-- --steps 3000 --work-ms 10 --block 50 --readers 90 --frozen 10 --max-queue 256 --conditions default,stress --same-session 0]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Subject } from 'rxjs';
import { startTelemetryServer } from '../src/telemetry/startTelemetryServer';
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

const now = (): number => performance.timeOrigin + performance.now();

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
    spin(iterations);
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

/** N grpc-js subscribers in a child process (plain JS: no TypeScript loader in the child). */
function clients(address: string, count: number): { child: ChildProcess; ready: Promise<void>; report: () => Promise<ClientReport> } {
  const code = `
    const grpc = require('@grpc/grpc-js');
    const loader = require('@grpc/proto-loader');
    const { performance } = require('node:perf_hooks');
    const def = loader.loadSync(${JSON.stringify(path.join(ROOT, 'proto', 'telemetry.proto'))}, { longs: Number, enums: String, defaults: true, oneofs: true });
    const v1 = grpc.loadPackageDefinition(def).rxtrain.telemetry.v1;
    const count = ${count};
    const lat = [];
    const first = new Map(); // sequence -> latency of the first reader in this process to get it
    const stats = Array.from({ length: count }, () => ({ n: 0, last: 0, gaps: 0, status: null }));
    let ready = 0;
    let cpu0 = process.cpuUsage();
    for (let i = 0; i < count; i++) {
      // Its own subchannel pool = its own TCP connection, like separate monitors.
      const c = new v1.Telemetry(${JSON.stringify(address)}, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
      const call = c.Subscribe({ fromSequence: 0 });
      const st = stats[i];
      call.on('data', (e) => {
        const t = performance.timeOrigin + performance.now();
        if (st.n === 0 && ++ready === count) {
          cpu0 = process.cpuUsage();
          process.stdout.write('ready\\n');
        }
        if (st.last !== 0 && e.sequence !== st.last + 1) st.gaps++;
        st.last = e.sequence; st.n++;
        if (e.event === 'batchEnd' && lat.length < 2e6) {
          const l = t - e.timeUnixMicros / 1000;
          lat.push(l);
          if (!first.has(e.sequence)) first.set(e.sequence, l);
        }
      });
      call.on('error', () => {});
      call.on('status', (s) => { st.status = grpc.status[s.code]; });
    }
    process.stdin.on('end', () => process.exit(0)); // the bench is gone
    process.stdin.on('data', () => {
      lat.sort((a, b) => a - b);
      const firsts = [...first.values()].sort((a, b) => a - b);
      const q = (xs, p) => xs.length ? xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] : NaN;
      const cpu = process.cpuUsage(cpu0);
      process.stdout.write(JSON.stringify({ latencies: lat.length, p50: q(lat, 0.5), p99: q(lat, 0.99), max: lat[lat.length - 1], firstP50: q(firsts, 0.5), firstP99: q(firsts, 0.99), cpuMs: (cpu.user + cpu.system) / 1000, events: stats.map((s) => s.n), gaps: stats.reduce((a, s) => a + s.gaps, 0), statuses: stats.map((s) => s.status) }) + '\\n');
      process.exit(0);
    });
  `;
  // A session of its own, like a monitor started from another terminal: with Linux's
  // sched autogroup (on here) each session is a scheduling group with an equal share, so
  // clients in the bench's own session would be charged to the training process's share.
  const child = spawn(process.execPath, ['-e', code], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'], detached: !SAME_SESSION });
  let out = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (onReady = r));
  let onReport: (r: ClientReport) => void = () => undefined;
  const reported = new Promise<ClientReport>((r) => (onReport = r));
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('ready\n')) onReady();
    const line = out.split('\n').find((l) => l.startsWith('{'));
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
  latencies: number;
  p50: number;
  p99: number;
  max: number;
  /** Latency of the first reader (in that process) to receive each BatchEnd. */
  firstP50: number;
  firstP99: number;
  /** CPU the client process used since every subscriber had its first event. */
  cpuMs: number;
  events: number[];
  gaps: number;
  statuses: (string | null)[];
}

async function runCondition(name: string, perSec: number, iterations: number): Promise<void> {
  // Two servers in this process for the whole condition: A's has no subscribers, B's has 100.
  // Training alternates blocks between them, so machine noise hits both alike.
  const eventsA = new Subject<TrainEvent>();
  const eventsB = new Subject<TrainEvent>();
  const serverA = await startTelemetryServer(eventsA, { runId: 'bench-a', address: '127.0.0.1:0' });
  const serverB = await startTelemetryServer(eventsB, { runId: 'bench-b', address: '127.0.0.1:0', maxQueue: MAX_QUEUE });
  const readers = clients(serverB.address, READERS);
  const frozen = clients(serverB.address, FROZEN);
  const begin = (runId: string): TrainEvent => ({ kind: 'TrainBegin', time: now(), epoch: 0, step: 0, runId, backend: 'synthetic', threads: 1, replicas: 1, epochs: 1000, stepsPerEpoch: STEPS_PER_EPOCH, config: { workMs: WORK_MS } });
  while (serverB.subscribers < READERS + FROZEN) {
    eventsB.next(begin('bench-b')); // something for every subscriber to say it is ready with
    await new Promise((r) => setTimeout(r, 50));
  }
  eventsA.next(begin('bench-a'));
  await Promise.all([readers.ready, frozen.ready]);
  frozen.child.kill('SIGSTOP'); // from now on these 10 read nothing and acknowledge nothing
  const rate = Number.isFinite(perSec) ? `BatchEnd throttled to ≤ ${perSec}/s (train() default), + 1 at each epoch end` : '1 BatchEnd per step';
  console.log(`\n== condition '${name}': ${rate}; EpochBegin/EpochEnd/CheckpointSaved per ${STEPS_PER_EPOCH} steps`);
  console.log(
    `A: server ${serverA.address}, 0 subscribers; B: server ${serverB.address} (maxQueue ${MAX_QUEUE}), ${serverB.subscribers} subscribers (${READERS} reading, ${FROZEN} frozen) in 2 child processes; ` +
      `scheduling groups: bench ${autogroup('self')}, readers ${autogroup(String(readers.child.pid))}, frozen ${autogroup(String(frozen.child.pid))}`,
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
  for (let done = 0; done < STEPS; done += BLOCK) {
    const first = BLOCK + done;
    const order = (done / BLOCK) % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const);
    const t: Record<'A' | 'B', number> = { A: 0, B: 0 };
    for (const which of order) {
      // Untimed pause: the previous block's last writes finish before this block's clock starts.
      await new Promise((r) => setTimeout(r, 20));
      const c0 = trainingThreadCpuMs();
      const p0 = processCpuMs();
      t[which] = await trainLoop(which === 'A' ? eventsA : eventsB, BLOCK, iterations, first, throttles[which]);
      const c = trainingThreadCpuMs() - c0;
      cpu[which] += c;
      otherCpu[which] += processCpuMs() - p0 - c;
    }
    timeA += t.A;
    timeB += t.B;
    blockRatios.push(t.B / t.A);
    rssTrail.push(process.memoryUsage().rss);
  }
  clearInterval(sampler);
  const load1 = os.loadavg()[0];
  const cutOff = serverB.ended.slow;
  const endedB = { ...serverB.ended };
  const [report, frozenReport] = await Promise.all([readers.report(), (async () => {
    frozen.child.kill('SIGCONT');
    return frozen.report();
  })()]);
  gc();
  const memEnd = process.memoryUsage();
  frozen.child.kill();
  eventsA.complete();
  eventsB.complete();
  await Promise.all([serverA.closed, serverB.closed]);

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
  console.log(`latency emit→receipt, ${report.latencies} BatchEnd receipts by ${READERS} readers: p50 ${report.p50.toFixed(2)} ms, p99 ${report.p99.toFixed(2)} ms, max ${report.max.toFixed(1)} ms; first reader to get each event: p50 ${report.firstP50.toFixed(2)} ms, p99 ${report.firstP99.toFixed(2)} ms`);
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
}

async function main(): Promise<void> {
  const iterations = calibrate(WORK_MS);
  console.log(
    `telemetry bench: ${STEPS} steps × ${WORK_MS} ms busy work per server per condition, in alternating blocks of ${BLOCK}; ` +
      `conditions ${RUN_CONDITIONS.join(', ')}; node ${process.version}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`,
  );
  for (const name of RUN_CONDITIONS) await runCondition(name, CONDITIONS[name], iterations);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
