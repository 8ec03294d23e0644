/*
 * npm run bench:concurrent-steps — do two single-thread trainers slow each other down?
 *
 * The data-parallel replicas of bench:train (2 replicas × 1 thread vs 1 replica × 1 thread)
 * scale less than bench:core-scaling says the two cores can. This separates the replica
 * machinery (gradient exchange, shared-memory update, barrier) from the trainers themselves:
 * it times plain single-replica training steps of the small model (32², wasm+native when the
 * addon is built), each in a worker_thread with a wasm instance of its own on one thread,
 *   A  one trainer at batch 64 (`--batch`) alone,
 *   B  one trainer at batch 32 (a replica's shard: half of it) alone,
 *   C  two trainers at batch 32 at once (what two replicas compute, without the replica step),
 * for `--rounds` rounds in the order A B C, and prints img/s and C's per-trainer slowdown
 * against B. No replica code runs here.
 *
 * `--scratch-kb 8192,1024` repeats A B C per round for each native scratch chunk size (the
 * im2col/Winograd buffers; 0 = default) and prints each size's medians and their ratios to the
 * first: does a smaller working set let two trainers share the caches better?
 *
 *   npm run bench:concurrent-steps [-- --steps 10 --rounds 3 --model small|alexnet --batch 64 --warmup 1 --scratch-kb 8192,1024]
 */
import { alexNet } from '../src/model/alexNet';
import { smallAlexNet } from '../src/model/smallAlexNet';
import { median } from './median';
import { timeStepsInWorker } from './timeStepsInWorker';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const STEPS = Number(args.get('steps') ?? 10);
const ROUNDS = Number(args.get('rounds') ?? 3);
const MODEL = args.get('model') ?? 'small';
if (MODEL !== 'small' && MODEL !== 'alexnet') throw new Error(`--model ${MODEL}: expected small or alexnet`);
const spec = MODEL === 'small' ? smallAlexNet({ numClasses: 10, inputSize: 32 }) : alexNet({ numClasses: 256 });
/** `--batch N`: A's batch (B and C train on half of it, as N split over two replicas). */
const FULL = Number(args.get('batch') ?? (MODEL === 'small' ? 64 : 16));
if (!(Number.isInteger(FULL) && FULL >= 4 && FULL % 2 === 0)) throw new Error(`--batch ${args.get('batch')}: expected an even whole number ≥ 4`);
/** `--warmup N`: untimed steps before each trainer's timed ones (tfjs's JIT settles over ≈ 20–40 steps). */
const WARMUP = Number(args.get('warmup') ?? 1);
if (!(Number.isInteger(WARMUP) && WARMUP >= 1)) throw new Error(`--warmup ${args.get('warmup')}: expected a whole number ≥ 1`);

/** `--scratch-kb 8192,1024`: native scratch chunk sizes to compare, each round in turn (undefined = as built). */
const SCRATCH: ReadonlyArray<number | undefined> = (args.get('scratch-kb') ?? '')
  .split(',')
  .filter((x) => x !== '')
  .map((x) => {
    const n = Number(x);
    if (!(Number.isInteger(n) && (n === 0 || n >= 64))) throw new Error(`--scratch-kb ${x}: expected 0 (default) or a whole number of KiB ≥ 64`);
    return n;
  });
const SETTINGS = SCRATCH.length > 0 ? SCRATCH : [undefined];
const label = (kb: number | undefined): string => (kb === undefined ? 'as built' : kb === 0 ? 'scratch default' : `scratch ${kb} KiB`);

async function trainer(batch: number, scratchKb: number | undefined): Promise<{ ips: number; backend: string }> {
  const r = await timeStepsInWorker({ spec, batch, steps: STEPS, threads: 1, warmup: WARMUP, ...(scratchKb === undefined ? {} : { scratchKb }) });
  return { ips: r.imagesPerSecond, backend: r.backend };
}

async function main(): Promise<void> {
  console.log(`bench:concurrent-steps: ${MODEL}, ${STEPS} timed steps per trainer (after ${WARMUP} warm-up), ${ROUNDS} rounds${SCRATCH.length > 0 ? `, settings in turn: ${SETTINGS.map(label).join(' / ')}` : ''}`);
  const per = SETTINGS.map(() => ({ slow: [] as number[], a: [] as number[], b: [] as number[], c: [] as number[] }));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, kb] of SETTINGS.entries()) {
      const a = await trainer(FULL, kb);
      const b = await trainer(FULL / 2, kb);
      const c = await Promise.all([trainer(FULL / 2, kb), trainer(FULL / 2, kb)]);
      const slow = b.ips / ((c[0].ips + c[1].ips) / 2);
      per[i].slow.push(slow);
      per[i].a.push(a.ips);
      per[i].b.push(b.ips);
      per[i].c.push(c[0].ips + c[1].ips);
      console.log(
        `  round ${r + 1}${SCRATCH.length > 0 ? `, ${label(kb)}` : ''} (${a.backend}): A one trainer b${FULL} ${a.ips.toFixed(1)} img/s; B one trainer b${FULL / 2} ${b.ips.toFixed(1)} img/s; ` +
          `C two trainers b${FULL / 2} at once ${c[0].ips.toFixed(1)} + ${c[1].ips.toFixed(1)} = ${(c[0].ips + c[1].ips).toFixed(1)} img/s; ` +
          `C ÷ A ${((c[0].ips + c[1].ips) / a.ips).toFixed(2)}, per-trainer slowdown B ÷ C ${slow.toFixed(2)}`,
      );
    }
  }
  for (const [i, kb] of SETTINGS.entries()) {
    const p = per[i];
    const tag = SCRATCH.length > 0 ? ` scratch_kb=${kb}` : '';
    console.log(`concurrent-steps ${MODEL}${tag} per_trainer_slowdown=${median(p.slow).toFixed(3)}`);
    if (SCRATCH.length > 0) {
      const vs = (xs: number[], ys: number[]): string => median(xs.map((x, k) => x / ys[k])).toFixed(3);
      console.log(
        `concurrent-steps ${MODEL}${tag} A_images_per_s=${median(p.a).toFixed(1)} B_images_per_s=${median(p.b).toFixed(1)} C_images_per_s=${median(p.c).toFixed(1)}` +
          (i > 0 ? ` vs_${SETTINGS[0]}: A ${vs(p.a, per[0].a)} B ${vs(p.b, per[0].b)} C ${vs(p.c, per[0].c)} (medians of per-round ratios)` : ''),
      );
    }
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
