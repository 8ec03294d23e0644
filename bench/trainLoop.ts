/**
 * bench:train-loop — the overhead of the `train()` Observable loop over the backend's own
 * training step. Same trainer, same batches, side by side in one process: a raw
 * `for … await trainer.step()` loop vs `train()` pulling from a BatchSource (events emitted and
 * consumed, BatchEnd throttle at its default). Rounds alternate A/B to spread machine noise.
 *
 *   npm run bench:train-loop [-- --model small --size 28 --batch 32 --steps 8 --rounds 3 --backend auto]
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
    batch: { type: 'string', default: '32' },
    steps: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    backend: { type: 'string', default: 'auto' },
  },
});
const size = Number(values.size);
const batch = Number(values.batch);
const steps = Number(values.steps);
const rounds = Number(values.rounds);
const classes = 10;

// Fixed pixels and labels: both variants build their tensors from the same arrays.
const rng = createRng(1);
const pixels = Array.from({ length: steps }, () => Float32Array.from({ length: batch * size * size * 3 }, () => rng.normal()));
const labels = Array.from({ length: steps }, () => Int32Array.from({ length: batch }, () => rng.int(classes)));

function makeBatch(i: number): { xs: tf.Tensor4D; ys: tf.Tensor1D } {
  return { xs: tf.tensor4d(pixels[i], [batch, size, size, 3]), ys: tf.tensor1d(labels[i], 'int32') };
}

function source(): BatchSource {
  return {
    size: steps * batch,
    stepsPerEpoch: steps,
    batchSize: batch,
    imageShape: [size, size, 3],
    epoch(_e: number, start = 0): AsyncIterableIterator<BatchItem> {
      async function* gen(): AsyncGenerator<BatchItem> {
        for (let i = start; i < steps; i++) yield { kind: 'batch', ...makeBatch(i), paths: [] };
      }
      return gen();
    },
    close: async () => undefined,
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

async function loop(trainer: Trainer): Promise<number> {
  // The loop disposes what setup returns; hand it a view whose dispose is a no-op so the
  // same trainer (same weights' memory, same warm kernels) serves both variants.
  const view: Trainer = {
    backend: trainer.backend,
    replicas: trainer.replicas,
    step: (xs, ys, seed) => trainer.step(xs, ys, seed),
    evaluate: (xs, ys) => trainer.evaluate(xs, ys),
    predict: (xs) => trainer.predict(xs),
    setLearningRate: (lr) => trainer.setLearningRate(lr),
    getState: () => trainer.getState(),
    setState: (st) => trainer.setState(st),
    dispose: async () => undefined,
  };
  let events = 0;
  const t0 = performance.now();
  await lastValueFrom(train({ setup: async () => ({ trainer: view, train: source() }), epochs: 1, seed: 1, lr: 0.01 }).pipe(tap(() => (events += 1))), {
    defaultValue: undefined,
  });
  const ms = performance.now() - t0;
  if (events < 4) throw new Error(`train() emitted only ${events} events`);
  return ms;
}

async function main(): Promise<void> {
  const trainer = await createTrainer({
    model: values.model as 'small' | 'alexnet',
    numClasses: classes,
    inputShape: [size, size, 3],
    backend: values.backend as BackendName | 'auto',
    seed: 1,
  });
  console.log(`bench:train-loop: model ${values.model} ${size}², batch ${batch}, ${steps} steps × ${rounds} rounds per variant, backend ${trainer.backend}`);
  await raw(trainer); // warm-up: kernel compilation, allocator
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    a.push(await raw(trainer));
    b.push(await loop(trainer));
    console.log(`  round ${r + 1}: raw ${(a[r] / steps).toFixed(1)} ms/step, train() ${(b[r] / steps).toFixed(1)} ms/step`);
  }
  const sa = a.reduce((x, y) => x + y, 0) / (rounds * steps);
  const sb = b.reduce((x, y) => x + y, 0) / (rounds * steps);
  console.log(`raw trainer.step loop: ${sa.toFixed(2)} ms/step (${((batch * 1000) / sa).toFixed(1)} img/s)`);
  console.log(`train() observable:    ${sb.toFixed(2)} ms/step (${((batch * 1000) / sb).toFixed(1)} img/s)`);
  console.log(`loop overhead: ${(sb - sa).toFixed(2)} ms/step = ${((100 * (sb - sa)) / sa).toFixed(2)}% of the step (target ≤ 2%)`);
  console.log(`tensors alive at the end: ${tf.memory().numTensors}`);
  await trainer.dispose();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
