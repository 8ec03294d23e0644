import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import type { Batch, BatchItem } from '../../src/streams/BatchSource';
import { initBackend } from '../../src/model/backend';
import { createImageDataset, type ImageDatasetOptions } from '../../src/streams/createImageDataset';
import type { Skip } from '../../src/streams/Skip';
import type { Sample } from '../../src/streams/Sample';
import type { SampleStore } from '../../src/streams/SampleStore';
import { makeImage } from '../../src/ops/Image';
import { allocWasmHeapBlock } from '../../src/streams/wasmHeapBlock';
import { memoryStore, pixelOf } from './fixtures';
import { keepBackend } from '../fixtures/keepBackend';
import { countBatchUploads } from './countBatchUploads';

interface Seen {
  batches: Array<{ paths: string[]; labels: number[]; xs: Float32Array; shape: number[] }>;
  skips: Skip[];
}

/** Pulls a whole epoch, copying batches out and disposing their tensors. */
async function drain(it: AsyncIterable<BatchItem>): Promise<Seen> {
  const seen: Seen = { batches: [], skips: [] };
  for await (const item of it) {
    if (item.kind === 'skip') seen.skips.push(item);
    else seen.batches.push(await copy(item));
  }
  return seen;
}

async function copy(b: Batch): Promise<Seen['batches'][number]> {
  const out = { paths: [...b.paths], labels: Array.from(await b.ys.data()), xs: (await b.xs.data()) as Float32Array, shape: b.xs.shape };
  assert.equal(b.xs.dtype, 'float32');
  assert.equal(b.ys.dtype, 'int32');
  b.xs.dispose();
  b.ys.dispose();
  return out;
}

const execFileAsync = promisify(execFile);

const train = { kind: 'train', crop: 8, flip: true, mean: [100, 110, 120], std: [50, 60, 70] } as const;
const evalAug = { kind: 'eval', crop: 8, mean: [128] } as const;

describe('createImageDataset', () => {
  before(async () => {
    await tf.ready();
  });

  it('yields NHWC float32 batches and int32 labels covering every sample once per epoch', async () => {
    const ds = createImageDataset({ store: memoryStore({ size: 23 }), batchSize: 5, seed: 3, augment: train });
    assert.deepEqual([ds.size, ds.stepsPerEpoch, ds.batchSize, [...ds.imageShape]], [23, 5, 5, [8, 8, 3]]);
    const { batches, skips } = await drain(ds.epoch(0));
    assert.equal(skips.length, 0);
    assert.deepEqual(batches.map((b) => b.shape), [[5, 8, 8, 3], [5, 8, 8, 3], [5, 8, 8, 3], [5, 8, 8, 3], [3, 8, 8, 3]]);
    const paths = batches.flatMap((b) => b.paths);
    assert.deepEqual([...paths].sort(), Array.from({ length: 23 }, (_, i) => `mem:${i}`).sort());
    assert.notDeepEqual(paths, Array.from({ length: 23 }, (_, i) => `mem:${i}`), 'train data is shuffled by default');
    for (const b of batches) b.paths.forEach((p, k) => assert.equal(b.labels[k], Number(p.slice(4)) % 5));
    await ds.close();
  });

  it('dropLast drops the short last batch', async () => {
    const ds = createImageDataset({ store: memoryStore({ size: 23 }), batchSize: 5, augment: train, dropLast: true });
    assert.equal(ds.stepsPerEpoch, 4);
    assert.deepEqual((await drain(ds.epoch(0))).batches.map((b) => b.shape[0]), [5, 5, 5, 5]);
  });

  it('minLastBatch leaves out a last batch smaller than it, also one a skipped file made small, a different sample each epoch', async () => {
    const ds = createImageDataset({ store: memoryStore({ size: 17 }), batchSize: 4, seed: 2, augment: train, minLastBatch: 2 });
    assert.equal(ds.stepsPerEpoch, 4);
    const e0 = await drain(ds.epoch(0));
    assert.deepEqual(e0.batches.map((b) => b.shape[0]), [4, 4, 4, 4]);
    const left = (s: Seen): string[] => Array.from({ length: 17 }, (_, i) => `mem:${i}`).filter((p) => !s.batches.some((b) => b.paths.includes(p)));
    assert.equal(left(e0).length, 1);
    const others = await Promise.all([1, 2, 3].map(async (e) => left(await drain(ds.epoch(e)))[0]));
    assert.ok(new Set([left(e0)[0], ...others]).size > 1, 'the shuffle leaves out other samples in other epochs');
    // 18 samples make a last batch of 2, which the skipped one makes a batch of 1.
    const skipped = createImageDataset({ store: memoryStore({ size: 18, bad: new Set([3]) }), batchSize: 4, augment: evalAug, minLastBatch: 2 });
    assert.equal(skipped.stepsPerEpoch, 5);
    const s = await drain(skipped.epoch(0));
    assert.deepEqual([s.batches.map((b) => b.shape[0]), s.skips.map((k) => k.path)], [[4, 4, 4, 4], ['mem:3']]);
    const kept = await drain(createImageDataset({ store: memoryStore({ size: 18 }), batchSize: 4, augment: evalAug, minLastBatch: 2 }).epoch(0));
    assert.deepEqual(kept.batches.map((b) => b.shape[0]), [4, 4, 4, 4, 2]);
  });

  it('eval: centre crop, normalised, in store order, no randomness', async () => {
    const ds = createImageDataset({ store: memoryStore({ size: 4, width: 12, height: 10 }), batchSize: 4, augment: evalAug });
    const [b] = (await drain(ds.epoch(5))).batches;
    assert.deepEqual(b.paths, ['mem:0', 'mem:1', 'mem:2', 'mem:3']);
    // Centre 8x8 of 12x10 starts at (2, 1).
    for (const i of [0, 3]) {
      for (const [y, x, c] of [[0, 0, 0], [7, 7, 2], [3, 5, 1]]) {
        const src = ((y + 1) * 12 + (x + 2)) * 3 + c;
        assert.equal(b.xs[i * 192 + (y * 8 + x) * 3 + c], pixelOf(i, src) - 128);
      }
    }
  });

  it('epoch order and augmentation are pure in (seed, epoch): same across datasets and concurrency, different across epochs', async () => {
    const mk = (concurrency: number, seed = 9): ReturnType<typeof createImageDataset> =>
      createImageDataset({ store: memoryStore({ size: 30, delayMs: 1 }), batchSize: 7, seed, concurrency, augment: train });
    const a = await drain(mk(1).epoch(2));
    const b = await drain(mk(6).epoch(2));
    assert.deepEqual(a, b);
    const c = await drain(mk(3).epoch(3));
    assert.notDeepEqual(c.batches[0].paths, a.batches[0].paths);
    const d = await drain(mk(3, 10).epoch(2));
    assert.notDeepEqual(d.batches[0].paths, a.batches[0].paths);
  });

  it('random crops and flips differ between samples and epochs', async () => {
    const ds = createImageDataset({ store: memoryStore({ size: 1, width: 20, height: 20 }), batchSize: 1, augment: train });
    const xs = await Promise.all([0, 1, 2, 3, 4, 5].map(async (e) => (await drain(ds.epoch(e))).batches[0].xs));
    assert.ok(new Set(xs.map((x) => x.join(','))).size > 1);
  });

  it('skips come through as items and batches are filled from the next samples', async () => {
    const bad = new Set([1, 2, 7, 18]);
    const ds = createImageDataset({ store: memoryStore({ size: 20, bad }), batchSize: 4, augment: evalAug });
    const items: Array<string> = [];
    for await (const it of ds.epoch(0)) {
      items.push(it.kind === 'skip' ? `skip:${it.path}:${it.reason}` : `batch:${it.paths.join(',')}`);
      if (it.kind === 'batch') tf.dispose([it.xs, it.ys]);
    }
    assert.deepEqual(items, [
      'skip:mem:1:truncated',
      'skip:mem:2:truncated',
      'batch:mem:0,mem:3,mem:4,mem:5',
      'skip:mem:7:truncated',
      'batch:mem:6,mem:8,mem:9,mem:10',
      'batch:mem:11,mem:12,mem:13,mem:14',
      'skip:mem:18:truncated',
      'batch:mem:15,mem:16,mem:17,mem:19',
    ]);
  });

  it('images smaller than the crop or with other channel counts are unsupported skips, not errors', async () => {
    const ds = createImageDataset({ store: memoryStore({ size: 2, width: 6, height: 6 }), batchSize: 2, augment: evalAug });
    const { batches, skips } = await drain(ds.epoch(0));
    assert.equal(batches.length, 0);
    assert.deepEqual(skips.map((s) => s.reason), ['unsupported', 'unsupported']);
    assert.match(skips[0].message, /smaller than the 8x8 crop/);
    const grey = createImageDataset({ store: memoryStore({ size: 1, channels: 1 }), batchSize: 1, augment: evalAug });
    assert.match((await drain(grey.epoch(0))).skips[0].message, /1 channel, the batches have 3/);
  });

  // Grey images in a store of your own meet the default of 3 channels without having asked for it.
  it('a skip for another channel count says where the batches\' count came from and what to change', async () => {
    const grey = createImageDataset({ store: memoryStore({ size: 1, channels: 1 }), batchSize: 1, augment: evalAug });
    assert.equal((await drain(grey.epoch(0))).skips[0].message,
      "image has 1 channel, the batches have 3; createImageDataset's channels option defaults to 3: pass channels: 1 for these images "
      + '(with a model of inputShape [h, w, 1]), or make them 3-channel images (the channels option of fileStore and decode, greyToRgb, rgbToGrey)');
    const rgb = createImageDataset({ store: memoryStore({ size: 1 }), batchSize: 1, channels: 1, augment: evalAug });
    assert.match((await drain(rgb.epoch(0))).skips[0].message,
      /^image has 3 channels, the batches have 1; createImageDataset was given channels: 1: pass channels: 3 for these images \(with a model of inputShape \[h, w, 3\]\), or make them 1-channel images \(the channels option of fileStore and decode/);
  });

  it('resume: epoch(e, k) on a fresh dataset yields exactly batches k… of epoch(e), skips before k included in the count', async () => {
    const bad = new Set([0, 5, 6, 13, 21, 30]);
    const opts = (): ImageDatasetOptions => ({ store: memoryStore({ size: 37, bad }), batchSize: 4, seed: 11, augment: train });
    const full = await drain(createImageDataset(opts()).epoch(4));
    for (const k of [1, 3, 7]) {
      const resumed = await drain(createImageDataset(opts()).epoch(4, k));
      assert.deepEqual(resumed.batches, full.batches.slice(k), `startBatch ${k}`);
    }
    assert.deepEqual((await drain(createImageDataset(opts()).epoch(4, 50))).batches, []);
  });

  it('backpressure: a slow consumer never has more than prefetch batches prepared or loading ahead of it', async () => {
    const batchSize = 8;
    const prefetch = 2;
    const concurrency = 3;
    const store = memoryStore({ size: 5000, bad: new Set([3, 40, 41, 42, 77]) });
    const ds = createImageDataset({ store, batchSize, prefetch, concurrency, seed: 1, augment: train });
    let consumed = 0; // samples and skips the consumer has received
    let worstAhead = 0;
    store.probe.onStart = () => {
      worstAhead = Math.max(worstAhead, store.probe.started - consumed);
    };
    let batches = 0;
    for await (const item of ds.epoch(0)) {
      if (item.kind === 'batch') {
        consumed += item.paths.length;
        tf.dispose([item.xs, item.ys]);
        batches++;
        await new Promise((r) => setTimeout(r, 15)); // slow training step
      } else consumed++;
      if (batches === 10) break;
    }
    assert.ok(store.probe.maxInflight <= concurrency, `max in flight ${store.probe.maxInflight}`);
    assert.ok(worstAhead <= prefetch * batchSize, `loaded ${worstAhead} samples ahead of the consumer`);
    assert.ok(worstAhead >= batchSize, 'it does prefetch while the consumer is busy');
    // break → return(): nothing running, nothing started afterwards.
    assert.equal(store.probe.inflight, 0);
    const started = store.probe.started;
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(store.probe.started, started);
    assert.ok(started <= consumed + prefetch * batchSize, `${started} loads for ${consumed} consumed`);
    await ds.close();
    assert.equal(store.probe.closed, true);
  });

  it('leaks no tensors: full epochs, early exit, and skips', async () => {
    const ds = createImageDataset({ store: memoryStore({ size: 30, bad: new Set([4]) }), batchSize: 4, augment: train });
    const before = tf.memory().numTensors;
    await drain(ds.epoch(0));
    assert.equal(tf.memory().numTensors, before);
    const it = ds.epoch(1);
    const first = await it.next();
    assert.equal(first.done, false);
    if (!first.done && first.value.kind === 'batch') tf.dispose([first.value.xs, first.value.ys]);
    await it.return?.();
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(await it.next(), { done: true, value: undefined });
    await ds.close();
    assert.throws(() => ds.epoch(0), /after close/);
  });

  it('a store that throws fails the iterator with that error (not a hang), saying it was the store\'s load and of which sample', async () => {
    const store = memoryStore({ size: 10 });
    const fire = new Error('disk on fire');
    const ds = createImageDataset({ store: { ...store, load: (i) => (i === 6 ? Promise.reject(fire) : store.load(i)) }, batchSize: 2, augment: evalAug });
    const want = "createImageDataset: the store's load(6) failed: Error: disk on fire (a store returns a Skip for a file it cannot use; a rejection ends the epoch)";
    await assert.rejects(drain(ds.epoch(0)), (e: Error) => e.message === want && e.cause === fire);
    // A resumed epoch meets it while finding where batch 4 starts, and says the same.
    await assert.rejects(drain(ds.epoch(0, 4)), (e: Error) => e.message === want && e.cause === fire);
    // A load that throws instead of rejecting, likewise.
    const throws = createImageDataset({ store: { ...store, load: (i) => { if (i === 6) throw fire; return store.load(i); } }, batchSize: 2, augment: evalAug });
    await assert.rejects(drain(throws.epoch(0)), (e: Error) => e.message === want);
    await assert.rejects(drain(throws.epoch(0, 4)), (e: Error) => e.message === want);
  });

  it('rejects bad options with readable errors', () => {
    const store = memoryStore({ size: 3 });
    assert.throws(() => createImageDataset({ store, batchSize: 0, augment: train }), /batchSize must be a positive integer/);
    assert.throws(() => createImageDataset({ store, batchSize: 2, prefetch: 0, augment: train }), /prefetch/);
    assert.throws(() => createImageDataset({ store, batchSize: 2, augment: { ...train, mean: [1, 2] } }), /mean needs 1 or 3 values/);
    assert.throws(() => createImageDataset({ store, batchSize: 2, channels: 1, augment: { ...train, mean: [1, 2, 3], std: undefined } }), /augment\.mean needs 1 value, got 3$/);
    assert.throws(() => createImageDataset({ store, batchSize: 2, augment: { ...train, std: [0] } }), /std must be positive/);
    const ds = createImageDataset({ store, batchSize: 2, augment: train });
    assert.throws(() => ds.epoch(-1), /epoch must be/);
  });
});

describe('createImageDataset buffer reuse', () => {
  keepBackend();

  // Batches are assembled in recycled buffers where the backend copies them (wasm): a batch
  // the consumer holds, or an array it read from one, must never change afterwards.
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`batches and arrays read from them never change later (${backend} backend)`, async () => {
      if (backend === 'wasm') await initBackend({ prefer: 'wasm', threads: 1 });
      else await tf.setBackend('cpu');
      assert.equal(tf.getBackend(), backend);
      const opts = (): ImageDatasetOptions => ({ store: memoryStore({ size: 40 }), batchSize: 4, prefetch: 1, seed: 5, augment: train });
      const reference = await drain(createImageDataset(opts()).epoch(0));
      const held: Batch[] = [];
      for await (const item of createImageDataset(opts()).epoch(0)) if (item.kind === 'batch') held.push(item);
      const before = tf.memory().numTensors;
      const seen = await Promise.all(held.map(copy));
      assert.deepEqual(seen, reference.batches);
      assert.equal(tf.memory().numTensors, before - 2 * held.length);
      // and the arrays read from disposed batches survive further epochs
      const again = await drain(createImageDataset(opts()).epoch(1));
      assert.deepEqual(seen, reference.batches);
      assert.notDeepEqual(again.batches[0].xs, reference.batches[0].xs);
    });
  }
});

describe('createImageDataset with worker threads', () => {
  before(() => tf.ready());

  it('gives bit-identical batches to the main-thread kernel, skips included', async () => {
    const opts = (workers: number): ImageDatasetOptions => ({
      store: memoryStore({ size: 45, bad: new Set([2, 17]), delayMs: 1 }),
      batchSize: 8,
      seed: 21,
      workers,
      augment: { ...train, pad: 1 },
    });
    const main = await drain(createImageDataset(opts(0)).epoch(1));
    const ds = createImageDataset(opts(2));
    const threaded = await drain(ds.epoch(1));
    assert.deepEqual(threaded, main);
    assert.equal(threaded.skips.length, 2);
    await ds.close();
  });

  it('sends only the image bytes of a view into a larger buffer', async () => {
    const big = new Uint8Array(4096 + 12 * 10 * 3).fill(200);
    const store = { ...memoryStore({ size: 1 }), load: async () => ({ kind: 'sample' as const, image: { data: big.subarray(4096), width: 12, height: 10, channels: 3 }, label: 0, path: 'view' }) };
    const ds = createImageDataset({ store, batchSize: 1, workers: 1, augment: evalAug });
    const { batches } = await drain(ds.epoch(0));
    assert.ok(batches[0].xs.every((v) => v === 72));
    await ds.close();
  });

  it('early return waits for running worker jobs and leaks no tensors', async () => {
    const store = memoryStore({ size: 400 });
    const ds = createImageDataset({ store, batchSize: 8, prefetch: 2, workers: 2, augment: train });
    const before = tf.memory().numTensors;
    let n = 0;
    for await (const item of ds.epoch(0)) {
      if (item.kind === 'batch') tf.dispose([item.xs, item.ys]);
      if (++n === 3) break;
    }
    assert.equal(store.probe.inflight, 0);
    assert.ok(store.probe.started <= 3 * 8 + 2 * 8);
    assert.equal(tf.memory().numTensors, before);
    await ds.close();
  });
});

describe('createImageDataset heap batches (wasm)', () => {
  keepBackend();

  it('on wasm, batches are built in the heap (no upload), equal to the array path and to cpu, with no leaks on early exit', async () => {
    const opts = (heapBatches: boolean, workers = 0): ImageDatasetOptions => ({
      store: memoryStore({ size: 29, bad: new Set([5]) }), batchSize: 4, seed: 9, heapBatches, workers, augment: { ...train, pad: 2 },
    });
    await tf.setBackend('cpu');
    const cpu = await drain(createImageDataset(opts(true)).epoch(3));
    await initBackend({ prefer: 'wasm', threads: 1 });
    const uploads = countBatchUploads();
    try {
      const idsBefore = tf.backend().numDataIds();
      const heap = await drain(createImageDataset(opts(true)).epoch(3));
      assert.equal(uploads.count, 0, 'heap batches are never uploaded');
      const arrays = await drain(createImageDataset(opts(false)).epoch(3));
      assert.equal(uploads.count, arrays.batches.length, 'heapBatches: false uploads every batch');
      assert.deepEqual(heap, arrays);
      assert.deepEqual(heap, cpu);
      // Early exit: blocks of prepared batches go back to the heap, none leaks.
      const ds = createImageDataset({ ...opts(true), prefetch: 3 });
      for await (const item of ds.epoch(0)) {
        if (item.kind === 'batch') tf.dispose([item.xs, item.ys]);
        break;
      }
      await ds.close();
      assert.equal(tf.backend().numDataIds(), idsBefore);
      // A last batch left out (dropLast, minLastBatch) gives its heap block back too.
      const wasm = (tf.backend() as unknown as { wasm: { _malloc(n: number): number; _free(p: number): void } }).wasm;
      const [malloc, free] = [wasm._malloc, wasm._free];
      const outstanding = new Set<number>();
      wasm._malloc = (n) => {
        const p = malloc.call(wasm, n);
        outstanding.add(p);
        return p;
      };
      wasm._free = (p) => {
        outstanding.delete(p);
        free.call(wasm, p);
      };
      try {
        for (const last of [{ dropLast: true }, { minLastBatch: 2 }]) {
          const dropping = createImageDataset({ ...opts(true), store: memoryStore({ size: 9 }), ...last });
          assert.equal((await drain(dropping.epoch(0))).batches.length, 2);
          await dropping.close();
          assert.equal(outstanding.size, 0, `${JSON.stringify(last)}: heap blocks left allocated`);
        }
      } finally {
        wasm._malloc = malloc;
        wasm._free = free;
      }
      // Workers need a shared heap (threaded binary); on the single-threaded one they fall back to arrays.
      uploads.reset();
      const ws = createImageDataset(opts(true, 1));
      const viaWorkers = await drain(ws.epoch(3));
      await ws.close();
      const probe = allocWasmHeapBlock(1)!;
      assert.equal(uploads.count, probe.shared ? 0 : viaWorkers.batches.length);
      probe.free();
      assert.deepEqual(viaWorkers, cpu);
    } finally {
      uploads.restore();
    }
  });

  it('threaded binary: workers write into the shared heap, bit-identical to the main thread, nothing left behind', async function () {
    this.timeout(120_000);
    const child = path.join(__dirname, 'heapBatchesChild.ts');
    const { stdout } = await execFileAsync(process.execPath, ['--require', require.resolve('tsx/cjs'), child], { maxBuffer: 64 << 20 });
    const r = JSON.parse(stdout) as {
      binary: string; shared: boolean; tensorsLeft: number; dataIds: number;
      result: Record<string, { uploads: number; items: unknown[] }>;
    };
    assert.match(r.binary, /threaded-simd/);
    assert.equal(r.shared, true);
    assert.deepEqual([r.tensorsLeft, r.dataIds], [0, 0]);
    const { result } = r;
    assert.deepEqual(Object.keys(result).sort(), ['main-arrays', 'main-heap', 'workers-arrays', 'workers-heap']);
    // 43 valid samples in batches of 8: 6 batches in epoch 1 and one in the early-exit epoch 2.
    assert.deepEqual(Object.values(result).map((v) => v.uploads), [7, 0, 0, 7]);
    for (const name of ['main-heap', 'workers-heap', 'workers-arrays']) assert.deepEqual(result[name].items, result['main-arrays'].items, name);
    assert.equal(result['main-heap'].items.length, 8);
  });
});

describe('createImageDataset and SampleStore.recycle', () => {
  before(() => tf.ready());

  /** A store whose recycle() scribbles over the pixels: recycling too early would change batches. */
  function scribblingStore(opts: Parameters<typeof memoryStore>[0]): ReturnType<typeof memoryStore> & { recycled: number } {
    const inner = memoryStore(opts);
    const s = {
      ...inner,
      recycled: 0,
      recycle(sample: Sample): void {
        s.recycled++;
        sample.image.data.fill(255);
      },
    };
    return s;
  }

  for (const workers of [0, 2]) {
    it(`hands every loaded sample back only after its pixels are used (workers: ${workers})`, async () => {
      const opts = (store: SampleStore): ImageDatasetOptions => ({ store, batchSize: 6, seed: 4, workers, augment: { ...train, pad: 1 } });
      const reference = await drain(createImageDataset(opts(memoryStore({ size: 31, bad: new Set([3]), delayMs: 1 }))).epoch(2));
      const store = scribblingStore({ size: 31, bad: new Set([3]), delayMs: 1 });
      const ds = createImageDataset(opts(store));
      const seen = await drain(ds.epoch(2));
      await ds.close();
      assert.deepEqual(seen, reference);
      assert.equal(store.recycled, 30, 'each valid sample once');
    });
  }

  it('hands back samples that only probed validity (resume) or were unusable', async () => {
    const store = scribblingStore({ size: 20 });
    const small = { ...store, load: async (i: number) => (i === 7 ? { ...(await store.load(i)), image: makeImage(new Uint8Array(3 * 3 * 3), 3, 3, 3) } : store.load(i)) };
    const ds = createImageDataset({ store: small, batchSize: 4, seed: 1, augment: train });
    const seen = await drain(ds.epoch(0, 2));
    await ds.close();
    assert.equal(seen.batches.length, 3);
    // Every load was handed back: the probes before batch 2 and the unusable image too.
    assert.ok(store.probe.started >= 20);
    assert.equal(store.recycled, store.probe.started);
  });
});

describe('createImageDataset before a backend is set up', () => {
  it('an epoch ends with one line saying to await initBackend(), its loads stopped, and tfjs starts no wasm by itself', async function () {
    this.timeout(120_000);
    // A process of its own: this one set its backend up long ago.
    const child = path.join(__dirname, 'noBackendChild.ts');
    const { stdout } = await execFileAsync(process.execPath, ['--require', require.resolve('tsx/cjs'), child, 'dataset']);
    const r = JSON.parse(stdout) as { error: string; loadsRunning: number; backend: string | null; glueHandlers: number; after: number[] };
    assert.match(r.error, /^Error: createImageDataset: no tfjs backend is set up to hold the tensors; await initBackend\(\) before the first batch/);
    assert.doesNotMatch(r.error, /\n/);
    // The epoch stopped: no load left running after the error.
    assert.equal(r.loadsRunning, 0);
    // Nothing was started behind the program's back: no backend, no rethrowing wasm glue handlers.
    assert.deepEqual([r.backend, r.glueHandlers], [null, 0]);
    assert.deepEqual(r.after, [1, 2, 3]);
  });
});
