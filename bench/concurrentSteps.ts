/*
 * npm run bench:concurrent-steps — do two single-thread trainers slow each other down?
 *
 * The data-parallel replicas of bench:train (2 replicas × 1 thread vs 1 replica × 1 thread)
 * scale less than bench:core-scaling says the two cores can. This separates the replica
 * machinery (gradient exchange, shared-memory update, barrier) from the trainers themselves:
 * it times plain single-replica training steps of the small model (32², wasm+native when the
 * addon is built), each in a worker_thread with a wasm instance of its own on one thread,
 *   A  one trainer at batch 64 alone,
 *   B  one trainer at batch 32 (a replica's shard) alone,
 *   C  two trainers at batch 32 at once (what two replicas compute, without the replica step),
 * for `--rounds` rounds in the order A B C, and prints img/s and C's per-trainer slowdown
 * against B. No replica code runs here.
 *
 *   npm run bench:concurrent-steps [-- --steps 10 --rounds 3 --model small|alexnet]
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
const FULL = MODEL === 'small' ? 64 : 16;

async function trainer(batch: number): Promise<{ ips: number; backend: string }> {
  const r = await timeStepsInWorker({ spec, batch, steps: STEPS, threads: 1 });
  return { ips: r.imagesPerSecond, backend: r.backend };
}

async function main(): Promise<void> {
  console.log(`bench:concurrent-steps: ${MODEL}, ${STEPS} timed steps per trainer (after one warm-up), ${ROUNDS} rounds`);
  const slowdowns: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const a = await trainer(FULL);
    const b = await trainer(FULL / 2);
    const c = await Promise.all([trainer(FULL / 2), trainer(FULL / 2)]);
    const slow = b.ips / ((c[0].ips + c[1].ips) / 2);
    slowdowns.push(slow);
    console.log(
      `  round ${r + 1} (${a.backend}): A one trainer b${FULL} ${a.ips.toFixed(1)} img/s; B one trainer b${FULL / 2} ${b.ips.toFixed(1)} img/s; ` +
        `C two trainers b${FULL / 2} at once ${c[0].ips.toFixed(1)} + ${c[1].ips.toFixed(1)} = ${(c[0].ips + c[1].ips).toFixed(1)} img/s; ` +
        `C ÷ A ${((c[0].ips + c[1].ips) / a.ips).toFixed(2)}, per-trainer slowdown B ÷ C ${slow.toFixed(2)}`,
    );
  }
  console.log(`concurrent-steps ${MODEL} per_trainer_slowdown=${median(slowdowns).toFixed(3)}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
