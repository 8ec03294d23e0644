/*
 * npm run bench:profile-step — where one training step's time goes, per tfjs kernel: runs a few
 * SGD steps of the small model (32², batch 64) or AlexNet (227², batch 16) on wasm (+native
 * when built) under tf.profile and prints each kernel's total time over the timed steps.
 * Options: --model small|alexnet (default small), --steps N (default 2), --threads N,
 * --native on|off (default on), --detail (also per kernel and input shapes).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as os from 'node:os';
import { alexNet } from '../src/model/alexNet';
import { createTrainer } from '../src/model/createTrainer';
import { smallAlexNet } from '../src/model/smallAlexNet';
import { setNativeKernelsEnabled } from '../src/model/wasm/nativeKernels';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

async function main(): Promise<void> {
  const model = opt('--model') ?? 'small';
  const steps = Number(opt('--steps') ?? 2);
  const threads = opt('--threads') === undefined ? undefined : Number(opt('--threads'));
  setNativeKernelsEnabled(opt('--native') !== 'off');
  const spec = model === 'alexnet' ? alexNet({ numClasses: 256 }) : smallAlexNet({ numClasses: 10, inputSize: 32 });
  const batch = model === 'alexnet' ? 16 : 64;
  const trainer = await createTrainer({ model: spec, backend: 'wasm', replicas: 1, seed: 0, threads });
  const [h, w, c] = spec.inputShape;
  const xs = tf.randomNormal([batch, h, w, c], 0, 1, 'float32', 1) as tf.Tensor4D;
  const ys = tf.tensor1d(Array.from({ length: batch }, (_, i) => (i * 37) % spec.numClasses), 'int32');
  await trainer.step(xs, ys, 0);
  const tPlain = performance.now();
  for (let s = 0; s < steps; s++) await trainer.step(xs, ys, 1 + s);
  const plain = (performance.now() - tPlain) / steps;
  const t0 = performance.now();
  const info = await tf.profile(async () => {
    for (let s = 0; s < steps; s++) await trainer.step(xs, ys, 1 + s);
  });
  const wall = (performance.now() - t0) / steps;
  const byName = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    // tf.profile also lists ops (customGrad's forward, fused ops) around the kernels they run.
    if (tf.getKernel(k.name, 'wasm') === undefined) continue;
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += ms / steps;
    e.calls += 1 / steps;
    byName.set(k.name, e);
  }
  const total = [...byName.values()].reduce((a, e) => a + e.ms, 0);
  console.log(`# ${new Date().toISOString()} load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${model} b${batch}, ${steps} steps`);
  console.log(`# ${plain.toFixed(1)} ms/step unprofiled (${(batch / (plain / 1000)).toFixed(1)} img/s); profiled ${wall.toFixed(1)} ms/step, kernels ${total.toFixed(1)} ms/step`);
  for (const [name, e] of [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`${name.padEnd(28)} ${e.ms.toFixed(1).padStart(8)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)} %  ${e.calls.toFixed(0).padStart(4)} calls`);
  }
  if (args.includes('--detail')) {
    const byShape = new Map<string, { ms: number; calls: number }>();
    for (const k of info.kernels) {
      if (tf.getKernel(k.name, 'wasm') === undefined) continue;
      const key = `${k.name} ${k.inputShapes.map((s) => `[${(s ?? []).join(',')}]`).join(' ')}`;
      const e = byShape.get(key) ?? { ms: 0, calls: 0 };
      e.ms += (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0) / steps;
      e.calls += 1 / steps;
      byShape.set(key, e);
    }
    console.log('# per kernel and input shapes (top 30)');
    for (const [key, e] of [...byShape.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30)) {
      console.log(`${e.ms.toFixed(1).padStart(8)} ms ${e.calls.toFixed(0).padStart(3)}×  ${key}`);
    }
  }
  tf.dispose([xs, ys]);
  await trainer.dispose();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
