// Run by createImageDataset.test.ts in a process of its own: which wasm binary loads is fixed
// by the first initialisation in a process, and this needs the threaded one (shared heap) with
// augmentation workers writing into it. Prints one JSON line.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/model/backend';
import type { BatchItem } from '../../src/streams/BatchSource';
import { createImageDataset, type ImageDatasetOptions } from '../../src/streams/createImageDataset';
import { allocWasmHeapBlock } from '../../src/streams/wasmHeapBlock';
import { countBatchUploads } from './countBatchUploads';
import { memoryStore } from './fixtures';

async function collect(it: AsyncIterable<BatchItem>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const item of it) {
    if (item.kind === 'skip') out.push(item.path);
    else {
      out.push({ paths: item.paths, ys: Array.from(await item.ys.data()), xs: Array.from(await item.xs.data()), shape: item.xs.shape });
      tf.dispose([item.xs, item.ys]);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const info = await initBackend({ prefer: 'wasm', threads: 2 });
  const probe = allocWasmHeapBlock(1)!;
  const shared = probe.shared;
  probe.free();
  const uploads = countBatchUploads();
  const opts = (workers: number, heapBatches: boolean): ImageDatasetOptions => ({
    store: memoryStore({ size: 45, bad: new Set([2, 17]), delayMs: 1 }),
    batchSize: 8,
    seed: 21,
    workers,
    heapBatches,
    augment: { kind: 'train', crop: 8, flip: true, mean: [100, 110, 120], std: [50, 60, 70], pad: 1 },
  });
  const before = tf.memory().numTensors;
  const result: Record<string, { uploads: number; items: unknown[] }> = {};
  for (const [name, workers, heap] of [['main-arrays', 0, false], ['main-heap', 0, true], ['workers-heap', 2, true], ['workers-arrays', 1, false]] as const) {
    uploads.reset();
    const ds = createImageDataset(opts(workers, heap));
    const items = await collect(ds.epoch(1));
    // An early exit with worker jobs running frees the blocks (checked by the data ids below).
    for await (const item of ds.epoch(2)) {
      if (item.kind === 'batch') tf.dispose([item.xs, item.ys]);
      break;
    }
    await ds.close();
    result[name] = { uploads: uploads.count, items };
  }
  const dataIds = tf.backend().numDataIds();
  process.stdout.write(JSON.stringify({ binary: info.notes.find((n) => n.startsWith('binary')), shared, tensorsLeft: tf.memory().numTensors - before, dataIds, result }) + '\n');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
