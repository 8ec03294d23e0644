/**
 * `npm run bench:dataset`: the training input pipeline's own cost, side by side in one run.
 *
 * 256 real 256×256 images (cut from /work/shared/photos) → random crop 227 → flip → mean
 * subtraction → batches of 64 float32 tensors on the default backend (wasm here), via
 *  (a) createImageDataset over an in-memory store (no I/O: the fused kernel + batching),
 *  (b) createImageDataset over a record file (what training reads after `preprocess --records`),
 *  (c) the push pipeline of separate operators: randomCrop → randomFlip → normalize → batch(),
 *  (d) (a) and (b) with batches assembled in JS arrays and uploaded (`heapBatches: false`, the
 *      behaviour before batches were built in the wasm heap),
 *  (e) (a) and (b) with the kernel in 1 and 2 worker threads (`workers: 1 | 2`).
 * Prints `<what> images_per_s=<N> cpu_ms_per_image=<M>` per variant (CPU = the whole process,
 * all threads: a figure that stays meaningful when the machine is shared) and the ratios.
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { from, lastValueFrom, mergeMap, range, tap } from 'rxjs';
import sharp from 'sharp';
import { initBackend } from '../src/model/backend';
import { makeImage, type Image } from '../src/ops/Image';
import { normalize } from '../src/ops/normalize';
import { randomCrop } from '../src/ops/randomCrop';
import { randomFlip } from '../src/ops/randomFlip';
import { createRng } from '../src/ops/Rng';
import { batch } from '../src/streams/batch';
import { createImageDataset } from '../src/streams/createImageDataset';
import { createRecordFileWriter } from '../src/streams/RecordFile';
import { openRecordStore } from '../src/streams/recordStore';
import type { SampleStore } from '../src/streams/SampleStore';

const N = 256;
const BATCH = 64;
const CROP = 227;
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 4);
const MEAN = [124, 116, 104];
const PHOTOS = '/work/shared/photos';

async function images(): Promise<Image[]> {
  const files = (await fsp.readdir(PHOTOS)).sort();
  const out: Image[] = [];
  for (let i = 0; i < N; i++) {
    const f = files[i % files.length];
    const meta = await sharp(path.join(PHOTOS, f)).metadata();
    const s = Math.min(meta.width ?? 256, meta.height ?? 256);
    const left = (i * 37) % Math.max(1, (meta.width ?? s) - s + 1);
    const { data } = await sharp(path.join(PHOTOS, f))
      .extract({ left, top: 0, width: s, height: s })
      .resize(256, 256)
      .flatten()
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    out.push(makeImage(new Uint8Array(data), 256, 256, 3));
  }
  return out;
}

function memoryStore(imgs: Image[]): SampleStore {
  return {
    size: imgs.length,
    numClasses: 10,
    label: (i) => i % 10,
    load: async (i) => ({ kind: 'sample', image: imgs[i], label: i % 10, path: `mem:${i}` }),
    close: async () => undefined,
  };
}

interface Rate {
  readonly ips: number;
  /** Process CPU (user + system, all threads) per image, ms. */
  readonly cpuMs: number;
}

async function timeDataset(store: SampleStore, workers = 0, heapBatches = true): Promise<Rate> {
  const ds = createImageDataset({ store, batchSize: BATCH, seed: 1, prefetch: 2, concurrency: 8, closeStore: false, workers, heapBatches, augment: { kind: 'train', crop: CROP, flip: true, mean: MEAN } });
  // Worker start-up is not what is measured.
  if (workers > 0) for await (const b of ds.epoch(99)) if (b.kind === 'batch') tf.dispose([b.xs, b.ys]);
  let n = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let e = 0; e < EPOCHS; e++) {
    for await (const b of ds.epoch(e)) {
      if (b.kind !== 'batch') continue;
      n += b.xs.shape[0];
      tf.dispose([b.xs, b.ys]);
    }
  }
  const rate = n / ((performance.now() - t0) / 1000);
  const cpu = process.cpuUsage(c0);
  await ds.close();
  return { ips: rate, cpuMs: (cpu.user + cpu.system) / 1000 / n };
}

async function timeOperators(imgs: Image[]): Promise<Rate> {
  const rng = createRng(1);
  let n = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await lastValueFrom(
    range(0, EPOCHS).pipe(
      mergeMap(() => from(imgs.map((image, i) => ({ kind: 'sample' as const, image, label: i % 10, path: `mem:${i}` }))), 1),
      randomCrop(CROP, rng),
      randomFlip(rng),
      normalize(MEAN),
      batch({ batchSize: BATCH }),
      tap((b) => {
        if (b.kind !== 'batch') return;
        n += b.xs.shape[0];
        tf.dispose([b.xs, b.ys]);
      }),
    ),
  );
  const ips = n / ((performance.now() - t0) / 1000);
  const cpu = process.cpuUsage(c0);
  return { ips, cpuMs: (cpu.user + cpu.system) / 1000 / n };
}

async function main(): Promise<void> {
  const backend = await initBackend();
  process.stderr.write(`[bench:dataset] backend ${backend.name} (${backend.threads} threads), ${os.availableParallelism()} cores, load ${os.loadavg()[0].toFixed(1)}\n`);
  const imgs = await images();
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rxtrain-bench-dataset-'));
  const recFile = path.join(dir, 'train.rec');
  const w = await createRecordFileWriter(recFile, { width: 256, height: 256, channels: 3, numClasses: 10 });
  for (let i = 0; i < imgs.length; i++) await w.append(imgs[i].data, i % 10, `img${i}`);
  await w.finish();
  const rec = await openRecordStore(recFile);
  // Warm-up (JIT, wasm heap, page cache), then the measured runs.
  await timeDataset(memoryStore(imgs.slice(0, BATCH * 2)));
  await timeDataset(memoryStore(imgs.slice(0, BATCH * 2)), 0, false);
  const memory = await timeDataset(memoryStore(imgs));
  const records = await timeDataset(rec);
  const ops = await timeOperators(imgs);
  const memoryA = await timeDataset(memoryStore(imgs), 0, false);
  const recordsA = await timeDataset(rec, 0, false);
  const memoryW1 = await timeDataset(memoryStore(imgs), 1);
  const recordsW1 = await timeDataset(rec, 1);
  const memoryW2 = await timeDataset(memoryStore(imgs), 2);
  const recordsW2 = await timeDataset(rec, 2);
  await rec.close();
  await fsp.rm(dir, { recursive: true, force: true });
  const detail = `${N} images 256x256 -> crop ${CROP} + flip + mean, batch ${BATCH}, ${EPOCHS} epochs, ${backend.name}, load ${os.loadavg()[0].toFixed(1)}`;
  const line = (what: string, r: Rate, extra = ''): void => console.log(`${what} images_per_s=${r.ips.toFixed(0)} cpu_ms_per_image=${r.cpuMs.toFixed(3)}${extra}`);
  line('dataset memory-store', memory, ` (${detail})`);
  line('dataset record-file', records);
  line('operators randomCrop+randomFlip+normalize+batch', ops);
  line('dataset memory-store heapBatches=false', memoryA);
  line('dataset record-file heapBatches=false', recordsA);
  line('dataset memory-store workers=1', memoryW1);
  line('dataset record-file workers=1', recordsW1);
  line('dataset memory-store workers=2', memoryW2);
  line('dataset record-file workers=2', recordsW2);
  const r = (a: Rate, b: Rate): string => `${(a.ips / b.ips).toFixed(2)} (cpu ${(b.cpuMs / a.cpuMs).toFixed(2)})`;
  console.log(
    `ratio (images/s, and cpu-per-image inverted) fused-dataset/operators=${r(memory, ops)} record-file/memory=${r(records, memory)}\n` +
      `ratio heap/arrays memory=${r(memory, memoryA)} records=${r(records, recordsA)}\n` +
      `ratio workers=1/main-thread memory=${r(memoryW1, memory)} records=${r(recordsW1, records)}\n` +
      `ratio workers=2/main-thread memory=${r(memoryW2, memory)} records=${r(recordsW2, records)}`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
