/**
 * Core-scaling benchmark: can this machine's CPUs run two compute threads at full speed each?
 *
 * The replica target (2 replicas ≥ 1.8× one) assumes two independent cores. A virtual
 * machine's vCPUs may instead be hyperthreads of one host core (sharing its FMA pipes and
 * caches) or share memory bandwidth, and then no software reaches 2×. This compiles
 * bench/coreScaling.c with the system C compiler and, for each kernel (register-only AVX2
 * FMAs, scalar integer work, L2-, L3- and DRAM-sized streaming sums), measures one copy
 * pinned to CPU 0 alone, then one copy on each CPU at once, alternating solo and pair
 * `--rounds` times so machine noise hits both. It prints the rates, the pair's total over the
 * solo rate (2.0 = two independent cores), and the hypervisor's steal time over each phase
 * (/proc/stat), which shows the host taking the vCPUs away.
 *
 *   npm run bench:core-scaling [-- --seconds 3 --rounds 3 --kernels fma,fma512,int,l2,l3,mem]
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileC } from './compileC';
import { median } from './median';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const SECONDS = Number(args.get('seconds') ?? 3);
const ROUNDS = Number(args.get('rounds') ?? 3);
const KERNELS = (args.get('kernels') ?? 'fma,fma512,int,l2,l3,mem').split(',');
const UNITS: Record<string, string> = { fma: 'GFLOP/s', fma512: 'GFLOP/s', int: 'G steps/s', l2: 'GB/s', l3: 'GB/s', mem: 'GB/s' };

function compile(): string {
  return compileC('coreScaling.c', ['-O2', '-mavx2', '-mfma'], [], 'bench:core-scaling needs one with AVX2 support');
}

/** Total and steal jiffies over all CPUs. */
function cpuTimes(): { total: number; steal: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  return { total: f.reduce((a, b) => a + b, 0), steal: f[7] ?? 0 };
}

function runOn(bin: string, cpu: number, kernel: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn('taskset', ['-c', String(cpu), bin, kernel, String(SECONDS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`${kernel} on CPU ${cpu} exited ${code}: ${err.trim()}`))));
  });
}

async function phase<T>(f: () => Promise<T>): Promise<{ value: T; stealPct: number }> {
  const a = cpuTimes();
  const value = await f();
  const b = cpuTimes();
  return { value, stealPct: (100 * (b.steal - a.steal)) / Math.max(1, b.total - a.total) };
}


async function main(): Promise<void> {
  if (os.cpus().length < 2) throw new Error('bench:core-scaling needs at least 2 CPUs');
  const bin = compile();
  console.log(`bench:core-scaling: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} CPUs, ${SECONDS} s per run, ${ROUNDS} rounds of solo (CPU 0) then pair (CPUs 0 and 1)`);
  for (const k of KERNELS) {
    if (!(k in UNITS)) throw new Error(`unknown kernel ${k} (known: ${Object.keys(UNITS).join(', ')})`);
    const solo: number[] = [];
    const pair: number[] = [];
    const steal = { solo: [] as number[], pair: [] as number[] };
    for (let r = 0; r < ROUNDS; r++) {
      const s = await phase(() => runOn(bin, 0, k));
      solo.push(s.value);
      steal.solo.push(s.stealPct);
      const p = await phase(() => Promise.all([runOn(bin, 0, k), runOn(bin, 1, k)]));
      pair.push(p.value[0] + p.value[1]);
      steal.pair.push(p.stealPct);
    }
    const ratios = solo.map((s, i) => pair[i] / s);
    console.log(
      `  ${k.padEnd(4)} solo ${solo.map((x) => x.toFixed(2)).join(' / ')} ${UNITS[k]}; pair total ${pair.map((x) => x.toFixed(2)).join(' / ')}; ` +
        `pair/solo ${ratios.map((x) => x.toFixed(2)).join(' / ')} (median ${median(ratios).toFixed(2)}; 2.00 = two independent cores); ` +
        `steal solo ${median(steal.solo).toFixed(1)} %, pair ${median(steal.pair).toFixed(1)} %`,
    );
    console.log(`core-scaling ${k} pair_over_solo=${median(ratios).toFixed(3)}`);
  }
  fs.rmSync(path.dirname(bin), { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
