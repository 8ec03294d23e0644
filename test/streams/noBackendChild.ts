// Run by createImageDataset.test.ts and batch.test.ts in a process of its own: a program that
// imports rxtrain (which registers tfjs's wasm backend) and makes batches without setting a
// backend up first, which no process that ran initBackend() can show. Prints one JSON line.
import * as tf from '@tensorflow/tfjs-core';
import { lastValueFrom, of, toArray } from 'rxjs';
import { batch, createImageDataset, initBackend, makeImage } from '../../src/index';
import { memoryStore } from './fixtures';

/** Emscripten's rethrowing handlers, which tfjs's own start of the wasm backend installs. */
function glueHandlers(): number {
  return [...process.listeners('uncaughtException'), ...process.listeners('unhandledRejection')].filter((fn) => /ExitStatus|throw\s+reason/.test(String(fn))).length;
}

async function main(): Promise<void> {
  const which = process.argv[2];
  let error = '';
  let loadsRunning = -1;
  if (which === 'dataset') {
    const store = memoryStore({ size: 20 });
    const ds = createImageDataset({ store, batchSize: 4, seed: 1, augment: { kind: 'eval', crop: 8, mean: [100] } });
    try {
      for await (const item of ds.epoch(0)) if (item.kind === 'batch') tf.dispose([item.xs, item.ys]);
    } catch (e) {
      error = String(e);
    }
    loadsRunning = store.probe.inflight;
    await ds.close();
  } else {
    const sample = (i: number) => ({ image: makeImage(new Uint8Array(12), 2, 2, 3), label: i, path: `s${i}.png` });
    await lastValueFrom(of(sample(0), sample(1)).pipe(batch({ batchSize: 2 }), toArray())).catch((e: unknown) => {
      error = String(e);
    });
  }
  const before = { backend: tf.getBackend() ?? null, glueHandlers: glueHandlers() };
  // Set up as the message says, the same process then makes tensors.
  await initBackend({ prefer: 'wasm', threads: 1 });
  const t = tf.tensor1d([1, 2, 3]);
  const after = Array.from(await t.data());
  t.dispose();
  process.stdout.write(`${JSON.stringify({ error, loadsRunning, ...before, after })}\n`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
