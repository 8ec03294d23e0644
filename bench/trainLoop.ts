/**
 * bench:train-loop — the overhead of the `train()` Observable loop over the backend's own
 * training step. Same trainer, same batches, side by side in one process: a raw
 * `for … await trainer.step()` loop vs `train()` pulling from a BatchSource (events emitted and
 * consumed, BatchEnd throttle at its default). Rounds alternate A/B to spread machine noise.
 * A third variant runs `train()` with the weight EMA on (`ema: { decay: 0.999, everySteps }`):
 * its extra time outside the step is what reading the weights and folding them in costs.
 *
 *   npm run bench:train-loop [-- --model small --size 28 --channels 3 --batch 32 --steps 8 --rounds 3 --backend auto --ema-every 1]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { lastValueFrom, tap } from 'rxjs';
import { createRng } from '../src/ops/Rng';
import { createTrainer } from '../src/model/createTrainer';
import { train } from '../src/model/train';
import type { Trainer } from '../src/model/Trainer';
import type { BatchItem, BatchSource } from '../src/streams/BatchSource';
import type { BackendName } from '../src/model/backend';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'small' },
    size: { type: 'string', default: '28' },
    channels: { type: 'string', default: '3' },
    'ema-every': { type: 'string', default: '1' },
    batch: { type: 'string', default: '32' },
    steps: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    backend: { type: 'string', default: 'auto' },
  },
});
const size = Number(values.size);
const channels = Number(values.channels);
const emaEvery = Number(values['ema-every']);
const batch = Number(values.batch);
const steps = Number(values.steps);
const rounds = Number(values.rounds);
const classes = 10;

// Fixed pixels and labels: both variants build their tensors from the same arrays.
const rng = createRng(1);
const pixels = Array.from({ length: steps }, () => Float32Array.from({ length: batch * size * size * channels }, () => rng.normal()));
const labels = Array.from({ length: steps }, () => Int32Array.from({ length: batch }, () => rng.int(classes)));

function makeBatch(i: number): { xs: tf.Tensor4D; ys: tf.Tensor1D } {
  return { xs: tf.tensor4d(pixels[i], [batch, size, size, channels]), ys: tf.tensor1d(labels[i], 'int32') };
}

function source(): BatchSource {
  return {
    size: steps * batch,
    stepsPerEpoch: steps,
    batchSize: batch,
    imageShape: [size, size, channels],
    epoch(_e: number, start = 0): AsyncIterableIterator<BatchItem> {
      async function* gen(): AsyncGenerator<BatchItem> {
        for (let i = start; i < steps; i++) yield { kind: 'batch', ...makeBatch(i), paths: [] };
      }
      return gen();
    },
    close: async () => undefined,
  };
}

// Time spent inside trainer.step, so the loop's own cost can be separated from the step's
// (which, on a shared machine, varies far more than the loop costs).
let inStepMs = 0;
function timed(trainer: Trainer): Trainer {
  return {
    backend: trainer.backend,
    replicas: trainer.replicas,
    threads: trainer.threads,
    step: async (xs, ys, seed) => {
      const t = performance.now();
      try {
        return await trainer.step(xs, ys, seed);
      } finally {
        inStepMs += performance.now() - t;
      }
    },
    evaluate: (xs, ys) => trainer.evaluate(xs, ys),
    predict: (xs) => trainer.predict(xs),
    setLearningRate: (lr) => trainer.setLearningRate(lr),
    getState: () => trainer.getState(),
    getWeights: () => trainer.getWeights(),
    setState: (st) => trainer.setState(st),
    // The loop disposes what setup returns; the same trainer serves every round.
    dispose: async () => undefined,
  };
}

async function raw(trainer: Trainer): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const b = makeBatch(i);
    await trainer.step(b.xs, b.ys, i);
    b.xs.dispose();
    b.ys.dispose();
  }
  return performance.now() - t0;
}

async function loop(trainer: Trainer, ema: { decay: number; everySteps: number } | null = null): Promise<number> {
  let events = 0;
  const t0 = performance.now();
  await lastValueFrom(train({ setup: async () => ({ trainer, train: source() }), epochs: 1, seed: 1, lr: 0.01, ema }).pipe(tap(() => (events += 1))), {
    defaultValue: undefined,
  });
  const ms = performance.now() - t0;
  if (events < 4) throw new Error(`train() emitted only ${events} events`);
  return ms;
}

// A trainer whose step costs nothing: raw loop vs train() over it isolates the loop's own
// per-step cost (pull, seed, events, bookkeeping), which the noisy real step time hides.
function nullTrainer(): Trainer {
  return {
    backend: tf.getBackend(),
    replicas: 1,
    threads: 1,
    step: async () => ({ loss: 1, accuracy: 0.5 }),
    evaluate: async (xs) => ({ lossSum: 0, correct: 0, count: xs.shape[0] }),
    predict: async () => {
      throw new Error('not used');
    },
    setLearningRate: () => undefined,
    getState: async () => ({ weights: [], optimizer: [] }),
    getWeights: async () => [],
    setState: async () => undefined,
    dispose: async () => undefined,
  };
}

async function main(): Promise<void> {
  const real = await createTrainer({
    model: values.model as 'small' | 'alexnet',
    numClasses: classes,
    inputShape: [size, size, channels],
    backend: values.backend as BackendName | 'auto',
    seed: 1,
  });
  const trainer = timed(real);
  const paramCount = (await real.getWeights()).reduce((a, w) => a + w.data.length, 0);
  console.log(
    `bench:train-loop: model ${values.model} ${size}²×${channels}, batch ${batch}, ${steps} steps × ${rounds} rounds per variant (alternating), backend ${real.backend}, ` +
      `${paramCount} weights incl. BN statistics`,
  );
  await raw(trainer); // warm-up: kernel compilation, allocator
  const measure = async (f: (t: Trainer) => Promise<number>, t: Trainer) => {
    inStepMs = 0;
    const wall = await f(t);
    return { wall, inStep: inStepMs };
  };
  const ema = { decay: 0.999, everySteps: emaEvery };
  const sum = { raw: { wall: 0, inStep: 0 }, loop: { wall: 0, inStep: 0 }, ema: { wall: 0, inStep: 0 } };
  for (let r = 0; r < rounds; r++) {
    const a = await measure(raw, trainer);
    const b = await measure((t) => loop(t), trainer);
    const c = await measure((t) => loop(t, ema), trainer);
    for (const [k, m] of [['raw', a], ['loop', b], ['ema', c]] as const) {
      sum[k].wall += m.wall;
      sum[k].inStep += m.inStep;
    }
    const outside = (m: { wall: number; inStep: number }) => ((m.wall - m.inStep) / steps).toFixed(2);
    console.log(
      `  round ${r + 1}: raw ${(a.wall / steps).toFixed(1)} ms/step (outside step ${outside(a)}), ` +
        `train() ${(b.wall / steps).toFixed(1)} ms/step (outside step ${outside(b)}), ` +
        `train() + EMA ${(c.wall / steps).toFixed(1)} ms/step (outside step ${outside(c)})`,
    );
  }
  const n = rounds * steps;
  const stepMs = (sum.raw.inStep + sum.loop.inStep) / (2 * n);
  const outRaw = (sum.raw.wall - sum.raw.inStep) / n;
  const outLoop = (sum.loop.wall - sum.loop.inStep) / n;
  console.log(`trainer.step itself: ${stepMs.toFixed(1)} ms/step on average (${((batch * 1000) / stepMs).toFixed(1)} img/s)`);
  console.log(`wall per step: raw loop ${(sum.raw.wall / n).toFixed(1)} ms, train() ${(sum.loop.wall / n).toFixed(1)} ms (includes machine noise in the step)`);
  console.log(`outside trainer.step per step (batch tensors, loop): raw ${outRaw.toFixed(2)} ms, train() ${outLoop.toFixed(2)} ms`);
  console.log(`train() overhead over the raw loop: ${(outLoop - outRaw).toFixed(2)} ms/step = ${((100 * (outLoop - outRaw)) / stepMs).toFixed(3)}% of the step (target ≤ 2%)`);
  const outEma = (sum.ema.wall - sum.ema.inStep) / n;
  console.log(
    `weight EMA (decay ${ema.decay}, folded in every ${ema.everySteps} step(s)): outside the step ${outEma.toFixed(2)} ms vs ${outLoop.toFixed(2)} ms without → ` +
      `${(outEma - outLoop).toFixed(2)} ms/step = ${((100 * (outEma - outLoop)) / stepMs).toFixed(2)}% of the step`,
  );
  const idle = nullTrainer();
  let na = 0;
  let nb = 0;
  const nullRounds = 20;
  for (let r = 0; r < nullRounds; r++) {
    na += await raw(idle);
    nb += await loop(idle);
  }
  const perStep = (nb - na) / (nullRounds * steps);
  console.log(
    `null trainer (${nullRounds * steps} steps each, batch tensors still built): raw ${(na / (nullRounds * steps)).toFixed(3)} ms/step, train() ${(nb / (nullRounds * steps)).toFixed(3)} ms/step → loop machinery ${perStep.toFixed(3)} ms/step = ${((100 * perStep) / stepMs).toFixed(3)}% of the real step`,
  );
  console.log(`tensors alive at the end: ${tf.memory().numTensors}`);
  await real.dispose();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
