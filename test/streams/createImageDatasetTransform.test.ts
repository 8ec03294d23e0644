import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Batch, BatchItem } from '../../src/streams/BatchSource';
import { createImageDataset, type ImageDatasetOptions } from '../../src/streams/createImageDataset';
import { createRecordFileWriter } from '../../src/streams/RecordFile';
import { openRecordStore } from '../../src/streams/recordStore';
import type { Sample } from '../../src/streams/Sample';
import type { SampleStore } from '../../src/streams/SampleStore';
import type { SampleTransform, SampleTransformContext } from '../../src/streams/SampleTransform';
import type { Skip } from '../../src/streams/Skip';
import { cropImage } from '../../src/ops/crop';
import { makeImage, type Image } from '../../src/ops/Image';
import { createRng, type Rng } from '../../src/ops/Rng';
import { skipSample } from '../../src/ops/skipSample';
import { colorJitter, colorJitterImage } from '../../src/ops/colorJitter';
import { randomFlip, randomFlipImage } from '../../src/ops/randomFlip';
import { transformFromOperator } from '../../src/ops/transformFromOperator';
import { map, mergeMap, pipe } from 'rxjs';
import { initBackend } from '../../src/model/backend';
import { keepBackend } from '../fixtures/keepBackend';
import { countBatchUploads } from './countBatchUploads';
import { memoryStore, tempDir } from './fixtures';

interface Seen {
  batches: Array<{ paths: string[]; labels: number[]; xs: Float32Array }>;
  skips: Skip[];
}

async function copy(b: Batch): Promise<Seen['batches'][number]> {
  const out = { paths: [...b.paths], labels: Array.from(await b.ys.data()), xs: (await b.xs.data()) as Float32Array };
  tf.dispose([b.xs, b.ys]);
  return out;
}

async function drain(it: AsyncIterable<BatchItem>): Promise<Seen> {
  const seen: Seen = { batches: [], skips: [] };
  for await (const item of it) {
    if (item.kind === 'skip') seen.skips.push(item);
    else seen.batches.push(await copy(item));
  }
  return seen;
}

const train = { kind: 'train', crop: 8, flip: true, mean: [100, 110, 120], std: [50, 60, 70] } as const;

/** Zeroes a random 3×3 square: two draws per image, a new image. */
function cutout(img: Image, rng: Rng): Image {
  const x0 = rng.int(img.width - 2);
  const y0 = rng.int(img.height - 2);
  const data = img.data.slice();
  for (let y = y0; y < y0 + 3; y++) data.fill(0, (y * img.width + x0) * img.channels, (y * img.width + x0 + 3) * img.channels);
  return makeImage(data, img.width, img.height, img.channels);
}

/** One image in three (by its own draw) becomes 6×6: too small for the 8×8 crop. */
function shrinkSome(img: Image, rng: Rng): Image {
  return rng.next() < 1 / 3 ? cropImage(img, { x: 1, y: 1, width: 6, height: 6 }) : img;
}

describe('createImageDataset transform', () => {
  before(() => tf.ready());

  it('is deterministic: the same batches across runs and concurrency, its generator a function of (seed, epoch, sample index)', async () => {
    const calls = new Map<string, { ctx: SampleTransformContext; draw: number }>();
    const record = (tag: string): SampleTransform => (img, rng, ctx) => {
      const r = rng.fork();
      calls.set(`${tag}/${ctx.epoch}/${ctx.index}`, { ctx, draw: r.next() });
      return cutout(img, rng);
    };
    const opts = (tag: string, concurrency: number, seed = 9): ImageDatasetOptions => ({
      store: memoryStore({ size: 30, delayMs: 1 }), batchSize: 7, seed, concurrency, augment: train, transform: record(tag),
    });
    const a = await drain(createImageDataset(opts('a', 1)).epoch(2));
    const b = await drain(createImageDataset(opts('b', 6)).epoch(2));
    assert.deepEqual(b, a);
    await drain(createImageDataset(opts('c', 3)).epoch(3));
    for (let i = 0; i < 30; i++) {
      const ca = calls.get(`a/2/${i}`)!;
      assert.deepEqual(ca.ctx, { epoch: 2, index: i, path: `mem:${i}`, label: i % 5 });
      assert.equal(calls.get(`b/2/${i}`)!.draw, ca.draw, `sample ${i}: same draws whatever the concurrency`);
      assert.notEqual(calls.get(`c/3/${i}`)!.draw, ca.draw, `sample ${i}: other draws in another epoch`);
    }
    const d = await drain(createImageDataset(opts('d', 3, 10)).epoch(2));
    assert.notEqual(calls.get('d/2/0')!.draw, calls.get('a/2/0')!.draw, 'another seed, other draws');
    assert.equal(d.batches.length, 5);
    // It changes the pixels the batches get.
    const plain = await drain(createImageDataset({ ...opts('e', 1), transform: undefined }).epoch(2));
    assert.deepEqual(plain.batches.map((x) => x.paths), a.batches.map((x) => x.paths));
    assert.notDeepEqual(plain.batches[0].xs, a.batches[0].xs);
  });

  it("transformRng 'fixed': one generator per (seed, sample), the same every epoch and apart from the per-epoch ones", async () => {
    const draws = new Map<string, number>();
    const record = (tag: string): SampleTransform => (img, rng, ctx) => {
      draws.set(`${tag}/${ctx.epoch}/${ctx.index}`, rng.fork().next());
      return cutout(img, rng);
    };
    const opts = (tag: string, transformRng?: 'per-epoch' | 'fixed', concurrency = 2): ImageDatasetOptions => ({
      store: memoryStore({ size: 14, delayMs: 1 }), batchSize: 4, seed: 3, concurrency, augment: { kind: 'eval', crop: 8, mean: [100] }, transform: record(tag),
      ...(transformRng === undefined ? {} : { transformRng }),
    });
    const ds = createImageDataset(opts('fixed', 'fixed'));
    const e0 = await drain(ds.epoch(0));
    const e3 = await drain(ds.epoch(3));
    await ds.close();
    assert.deepEqual(e3, e0, 'the same images every epoch');
    assert.deepEqual(await drain(createImageDataset(opts('fixed6', 'fixed', 6)).epoch(1)), e0, 'whatever the concurrency');
    const perEpoch = createImageDataset(opts('epoch'));
    const p0 = await drain(perEpoch.epoch(0));
    assert.notDeepEqual(await drain(perEpoch.epoch(3)), p0, 'the default still changes every epoch');
    await perEpoch.close();
    for (let i = 0; i < 14; i++) {
      assert.equal(draws.get(`fixed/3/${i}`), draws.get(`fixed/0/${i}`));
      assert.notEqual(draws.get(`fixed/0/${i}`), draws.get(`epoch/0/${i}`), `sample ${i}: not the per-epoch generator of epoch 0`);
    }
    assert.throws(() => createImageDataset({ ...opts('x'), transformRng: 'once' as 'fixed' }), /^RangeError: createImageDataset: transformRng must be 'per-epoch' or 'fixed', got "once"$/);
  });

  it('moves no crop or flip: a transform that draws from its generator and keeps the image gives the batches of none', async () => {
    const opts = (transform?: SampleTransform): ImageDatasetOptions => ({
      store: memoryStore({ size: 25, width: 20, height: 20 }), batchSize: 6, seed: 4, augment: { ...train, pad: 2 }, ...(transform ? { transform } : {}),
    });
    const none = await drain(createImageDataset(opts()).epoch(1));
    let calls = 0;
    const drawing = await drain(createImageDataset(opts((img, rng) => {
      calls++;
      for (let k = 0; k < 5; k++) rng.next();
      return img;
    })).epoch(1));
    assert.equal(calls, 25);
    assert.deepEqual(drawing, none);
  });

  it('resumes exactly: epoch(e, k) gives batches k… of epoch(e), also after the dataset met another epoch whose transform skipped other images', async () => {
    // Images fit in even epochs; in odd ones the transform shrinks some below the crop. What the
    // dataset learnt about them in epoch 0 must not steer where a resumed epoch 1 starts.
    const oddShrink: SampleTransform = (img, rng, ctx) => (ctx.epoch % 2 === 1 ? shrinkSome(img, rng) : img);
    const opts = (): ImageDatasetOptions => ({ store: memoryStore({ size: 37, bad: new Set([5, 21]) }), batchSize: 4, seed: 11, augment: train, transform: oddShrink });
    const full = await drain(createImageDataset(opts()).epoch(1));
    assert.ok(full.skips.filter((s) => s.reason === 'unsupported').length >= 5);
    assert.deepEqual((await drain(createImageDataset(opts()).epoch(0))).skips.map((s) => s.reason), ['truncated', 'truncated']);
    for (const k of [1, 3, 6]) {
      assert.deepEqual((await drain(createImageDataset(opts()).epoch(1, k))).batches, full.batches.slice(k), `fresh, startBatch ${k}`);
      const ds = createImageDataset(opts());
      await drain(ds.epoch(0));
      assert.deepEqual((await drain(ds.epoch(1, k))).batches, full.batches.slice(k), `after epoch 0, startBatch ${k}`);
      await ds.close();
    }
  });

  it('a result smaller than the crop is an unsupported skip that names the transform, and the batch is filled from the next samples', async () => {
    const ds = createImageDataset({ store: memoryStore({ size: 30 }), batchSize: 4, seed: 2, augment: train, transform: shrinkSome });
    const { batches, skips } = await drain(ds.epoch(0));
    assert.ok(skips.length > 0);
    for (const s of skips) {
      assert.equal(s.reason, 'unsupported');
      assert.equal(s.message, 'transform shrinkSome turned the 12x10x3 image into 6x6x3: image 6x6 is smaller than the 8x8 crop; the transform must return images of at least 8x8');
    }
    assert.equal(batches.flatMap((b) => b.paths).length + skips.length, 30);
    assert.ok(batches.slice(0, -1).every((b) => b.paths.length === 4));
    // A transform that keeps the shape is not blamed for an image that was too small already.
    const small = createImageDataset({ store: memoryStore({ size: 1, width: 6, height: 6 }), batchSize: 1, augment: train, transform: cutout });
    assert.match((await drain(small.epoch(0))).skips[0].message, /^image 6x6 is smaller than the 8x8 crop; resize when decoding \(rxtrain train --resize N, config augmentation\.resize; in code the resize option of decode or fileStore\) or preprocess$/);
  });

  it('skipSample(reason) leaves the sample out as a transform skip naming the transform, the reason and the file; the batch is filled from the next samples', async () => {
    const decided: number[] = [];
    // Skips by the image and its own draw: about one in four, other ones each epoch.
    function unlucky(img: Image, rng: Rng, ctx: SampleTransformContext): Image | Skip {
      if (rng.next() >= 0.25) return cutout(img, rng);
      decided.push(ctx.index);
      return skipSample(`drew a low number\n  (epoch ${ctx.epoch})`);
    }
    const opts = (): ImageDatasetOptions => ({ store: memoryStore({ size: 30, bad: new Set([7]) }), batchSize: 4, seed: 5, augment: train, transform: unlucky });
    const { batches, skips } = await drain(createImageDataset(opts()).epoch(2));
    const chosen = skips.filter((s) => s.reason === 'transform');
    assert.ok(chosen.length >= 3, `${chosen.length} skipped`);
    assert.deepEqual(chosen.map((s) => s.path), decided.map((i) => `mem:${i}`));
    for (const s of chosen) assert.deepEqual(s, { kind: 'skip', path: s.path, reason: 'transform', message: 'transform unlucky: drew a low number; (epoch 2)' });
    assert.deepEqual(skips.filter((s) => s.reason !== 'transform').map((s) => s.path), ['mem:7'], 'the store\'s own skip, as before');
    const placed = batches.flatMap((b) => b.paths);
    assert.equal(placed.length + skips.length, 30);
    assert.ok(!placed.some((p) => chosen.some((s) => s.path === p)));
    assert.ok(batches.slice(0, -1).every((b) => b.paths.length === 4));
    // Other samples in another epoch: the decision draws from the per-epoch generator.
    const other = (await drain(createImageDataset(opts()).epoch(3))).skips.filter((s) => s.reason === 'transform').map((s) => s.path);
    assert.notDeepEqual(other, chosen.map((s) => s.path));
  });

  it('resumes exactly with a transform that skips: epoch(e, k) leaves out the same samples as epoch(e)', async () => {
    const unlucky: SampleTransform = (img, rng) => (rng.next() < 0.3 ? skipSample('unlucky') : img);
    const opts = (): ImageDatasetOptions => ({ store: memoryStore({ size: 41 }), batchSize: 4, seed: 13, augment: train, transform: unlucky });
    const full = await drain(createImageDataset(opts()).epoch(1));
    assert.ok(full.skips.length >= 6, `${full.skips.length} skipped`);
    for (const k of [1, 4, 7]) {
      const resumed = await drain(createImageDataset(opts()).epoch(1, k));
      assert.deepEqual(resumed.batches, full.batches.slice(k), `startBatch ${k}`);
      const skipped = new Set(full.skips.map((s) => s.path));
      assert.ok(resumed.skips.every((s) => skipped.has(s.path)), 'skips only what the full epoch skipped');
    }
    // And after the same dataset met epoch 0, whose transform skipped other samples.
    const ds = createImageDataset(opts());
    await drain(ds.epoch(0));
    assert.deepEqual((await drain(ds.epoch(1, 5))).batches, full.batches.slice(5));
    await ds.close();
  });

  it('a skip the transform returns without a reason, or skipSample with one that is not a string, errors the epoch', async () => {
    const run = (transform: SampleTransform): Promise<Seen> => drain(createImageDataset({ store: memoryStore({ size: 3 }), batchSize: 2, augment: train, transform }).epoch(0));
    await assert.rejects(run(() => ({ kind: 'skip' }) as Skip), /^TypeError: createImageDataset: the transform on mem:\d returned a skip without a reason and message; return skipSample\('why'\) to leave a sample out$/);
    await assert.rejects(run(function why() {
      return skipSample({ dark: true } as unknown as string);
    }), /^Error: createImageDataset: transform why on mem:\d threw TypeError: skipSample: reason must be a string, got object$/);
    // An empty reason still names the transform.
    const { skips } = await run(function blank() {
      return skipSample('');
    });
    assert.deepEqual(skips.map((s) => s.message), ['transform blank skipped it', 'transform blank skipped it', 'transform blank skipped it']);
  });

  it('transformFromOperator: the built-in operators give the batches of their kernels; skips and broken operators are reported naming the operator', async () => {
    const jitter = { brightness: 0.4, saturation: 0.5 };
    const opts = (transform: SampleTransform): ImageDatasetOptions => ({ store: memoryStore({ size: 23, bad: new Set([6]) }), batchSize: 5, seed: 17, augment: train, transform });
    const kernels: SampleTransform = (img, rng) => colorJitterImage(randomFlipImage(img, rng), rng, jitter);
    const direct = await drain(createImageDataset(opts(kernels)).epoch(2));
    const bridged = await drain(createImageDataset(opts(transformFromOperator((rng) => pipe(randomFlip(rng), colorJitter(rng, jitter))))).epoch(2));
    assert.deepEqual(bridged, direct);
    assert.notDeepEqual(direct, await drain(createImageDataset(opts((img) => img)).epoch(2)), 'the operators changed the images');
    // Resumes as exactly as a kernel.
    const resumed = await drain(createImageDataset(opts(transformFromOperator((rng) => pipe(randomFlip(rng), colorJitter(rng, jitter))))).epoch(2, 2));
    assert.deepEqual(resumed.batches, direct.batches.slice(2));

    const odd = transformFromOperator(function oddOut(rng, ctx) {
      return pipe(randomFlip(rng), map((img: Image) => (ctx.index % 2 === 1 ? skipSample(`odd index ${ctx.index}`) : img)));
    });
    const { skips } = await drain(createImageDataset(opts(odd)).epoch(0));
    assert.deepEqual(skips.filter((k) => k.reason === 'transform').map((k) => k.message).sort(), Array.from({ length: 11 }, (_, k) => `transform oddOut: odd index ${2 * k + 1}`).sort());

    const twice = transformFromOperator((rng, ctx) => pipe(randomFlip(rng), mergeMap((img: Image) => (ctx.index === 0 ? [img, img] : [img]))), { name: 'dup' });
    await assert.rejects(
      drain(createImageDataset({ ...opts(twice), store: memoryStore({ size: 4 }) }).epoch(0)),
      /^Error: createImageDataset: transform dup on mem:0 threw Error: operator dup emitted more than one value for one image; a transform operator must emit exactly one value synchronously and complete: the image, or skipSample\(reason\)$/,
    );
  });

  it('a transform that throws errors the epoch with one line naming it and the file, and leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    const ds = createImageDataset({
      store: memoryStore({ size: 20 }), batchSize: 4, seed: 1, augment: train,
      transform: function invert(img, _rng, ctx) {
        if (ctx.index === 13) throw new RangeError('invert: drop alpha first\n  (details)');
        return img;
      },
    });
    let batches = 0;
    await assert.rejects(
      (async () => {
        for await (const item of ds.epoch(0)) {
          if (item.kind !== 'batch') continue;
          tf.dispose([item.xs, item.ys]);
          batches++;
        }
      })(),
      (e: Error) => {
        assert.equal(e.message, 'createImageDataset: transform invert on mem:13 threw RangeError: invert: drop alpha first; (details)');
        assert.ok(e.cause instanceof RangeError);
        return true;
      },
    );
    assert.ok(batches < 5, 'the epoch stops there');
    assert.equal(tf.memory().numTensors, before);
    // Also when a resume meets it while counting the samples before its start.
    await assert.rejects(drain(ds.epoch(0, 4)), /transform invert on mem:13 threw/);
    await ds.close();
  });

  it('a result that is not an 8-bit image errors the epoch clearly; a transform that is not a function is refused at once', async () => {
    const run = (transform: (img: Image) => unknown): Promise<Seen> =>
      drain(createImageDataset({ store: memoryStore({ size: 3 }), batchSize: 2, augment: train, transform: transform as SampleTransform }).epoch(0));
    await assert.rejects(run(() => undefined), /^TypeError: createImageDataset: the transform on mem:\d returned undefined, not an image \(\{ data: Uint8Array, width, height, channels \}\)$/);
    await assert.rejects(run(async (img) => img), /the transform on mem:\d returned a Promise; a transform must be synchronous/);
    await assert.rejects(run((img) => ({ image: img })), /returned an object with keys \[image\], not an image/);
    await assert.rejects(run((img) => ({ ...img, width: 5 })), /returned a malformed image: image: image buffer has 360 values, expected 5x10x3 = 150/);
    await assert.rejects(run((img) => ({ ...img, data: Float32Array.from(img.data) })), /returned float pixels; return 8-bit ones \(0\.\.255\): the dataset normalises afterwards/);
    assert.throws(
      () => createImageDataset({ store: memoryStore({ size: 3 }), batchSize: 2, augment: train, transform: 'cutout' as unknown as SampleTransform }),
      /transform must be a function \(image, rng, \{ epoch, index, path, label \}\) => image, got string/,
    );
  });

  it('workers: the transform runs on the main thread first, batches bit-identical to no workers', async () => {
    const opts = (workers: number): ImageDatasetOptions => ({
      store: memoryStore({ size: 29, bad: new Set([3]), delayMs: 1 }), batchSize: 6, seed: 21, workers, augment: { ...train, pad: 1 }, transform: cutout,
    });
    const main = await drain(createImageDataset(opts(0)).epoch(1));
    const ds = createImageDataset(opts(1));
    const threaded = await drain(ds.epoch(1));
    await ds.close();
    assert.deepEqual(threaded, main);
    assert.equal(threaded.batches.flatMap((b) => b.paths).length, 28);
    const plain = createImageDataset({ ...opts(1), transform: undefined });
    assert.notDeepEqual(await drain(plain.epoch(1)), threaded, 'the workers cropped the transformed images');
    await plain.close();
  });

  it('leaks no tensors over full epochs and an early break, with and without workers', async () => {
    for (const workers of [0, 1]) {
      let calls = 0;
      const counted: SampleTransform = (img, rng) => {
        calls++;
        return cutout(img, rng);
      };
      const ds = createImageDataset({ store: memoryStore({ size: 40, bad: new Set([4]) }), batchSize: 4, workers, augment: train, transform: counted });
      const before = tf.memory().numTensors;
      await drain(ds.epoch(0));
      assert.equal(tf.memory().numTensors, before);
      let n = 0;
      for await (const item of ds.epoch(1)) {
        if (item.kind === 'batch') tf.dispose([item.xs, item.ys]);
        if (++n === 2) break;
      }
      assert.equal(tf.memory().numTensors, before);
      assert.ok(calls >= 39 + 8, `${calls} transform calls`);
      await ds.close();
    }
  });
});

describe('createImageDataset transform with heap batches (wasm)', () => {
  keepBackend();

  it('batches built in the wasm heap get the transformed images, equal to the cpu backend\'s', async () => {
    const opts = (transform?: SampleTransform): ImageDatasetOptions => ({
      store: memoryStore({ size: 21, bad: new Set([2]) }), batchSize: 4, seed: 6, heapBatches: true, augment: train, ...(transform ? { transform } : {}),
    });
    await tf.setBackend('cpu');
    const cpu = await drain(createImageDataset(opts(cutout)).epoch(2));
    await initBackend({ prefer: 'wasm', threads: 1 });
    const uploads = countBatchUploads();
    try {
      const idsBefore = tf.backend().numDataIds();
      const heap = await drain(createImageDataset(opts(cutout)).epoch(2));
      assert.equal(uploads.count, 0, 'built in the heap, not uploaded');
      assert.deepEqual(heap, cpu);
      assert.notDeepEqual(heap, await drain(createImageDataset(opts()).epoch(2)), 'the transform changed them');
      assert.equal(tf.backend().numDataIds(), idsBefore);
    } finally {
      uploads.restore();
    }
  });
});

describe('createImageDataset transform: who owns the pixels', () => {
  before(() => tf.ready());

  const sum = (d: Uint8Array): number => d.reduce((s, v) => s + v, 0);
  /** Inverts in place and returns its input; keeps every image it returned, with its checksum then. */
  function invertInPlace(): SampleTransform & { kept: Array<{ img: Image; sum: number }> } {
    const kept: Array<{ img: Image; sum: number }> = [];
    const t = (img: Image): Image => {
      for (let k = 0; k < img.data.length; k++) img.data[k] = 255 - img.data[k];
      kept.push({ img, sum: sum(img.data) });
      return img;
    };
    return Object.assign(t, { kept });
  }
  const invertCopy: SampleTransform = (img) => makeImage(img.data.map((v) => 255 - v), img.width, img.height, img.channels);

  it('a store that hands out the same pixels every epoch (a dataset held in memory) is never changed by an in-place transform', async () => {
    const inner = memoryStore({ size: 12 });
    const cache = new Map<number, Awaited<ReturnType<SampleStore['load']>>>();
    const cached: SampleStore = { ...inner, load: async (i) => cache.get(i) ?? (cache.set(i, await inner.load(i)), cache.get(i)!) };
    const inPlace = invertInPlace();
    const ds = createImageDataset({ store: cached, batchSize: 4, seed: 3, augment: train, transform: inPlace });
    await drain(ds.epoch(0));
    assert.equal(inPlace.kept.length, 12);
    const again = await drain(ds.epoch(1));
    const reference = await drain(createImageDataset({ store: memoryStore({ size: 12 }), batchSize: 4, seed: 3, augment: train, transform: invertCopy }).epoch(1));
    assert.deepEqual(again, reference);
  });

  for (const workers of [0, 1]) {
    it(`record store: its reused buffers never reach the transform, every sample goes back once, and workers agree (workers: ${workers})`, async () => {
      const dir = await tempDir();
      try {
        const file = path.join(dir, 'train.rec');
        const w = await createRecordFileWriter(file, { width: 10, height: 10, channels: 3, numClasses: 3 });
        const rng = createRng(5);
        for (let i = 0; i < 26; i++) await w.append(Uint8Array.from({ length: 300 }, () => rng.int(256)), i % 3, `r/${i}`);
        await w.finish();
        const run = async (transform: SampleTransform): Promise<{ seen: Seen; loads: number; recycled: Sample[] }> => {
          const store = await openRecordStore(file);
          const recycled: Sample[] = [];
          let loads = 0;
          const counted: SampleStore = {
            ...store,
            load: (i) => {
              loads++;
              return store.load(i);
            },
            recycle: (s) => {
              recycled.push(s);
              store.recycle?.(s);
            },
          };
          const ds = createImageDataset({ store: counted, batchSize: 4, seed: 8, prefetch: 1, concurrency: 2, workers, augment: train, transform });
          const seen = await drain(ds.epoch(0));
          await ds.close();
          return { seen, loads, recycled };
        };
        const pure = await run(invertCopy);
        const inPlace = invertInPlace();
        const r = await run(inPlace);
        assert.deepEqual(r.seen, pure.seen);
        assert.equal(r.seen.batches.flatMap((b) => b.paths).length, 26);
        // Images the transform kept are its own: the store reading later records did not overwrite them.
        assert.equal(inPlace.kept.length, 26);
        assert.deepEqual(inPlace.kept.map((k) => sum(k.img.data)), inPlace.kept.map((k) => k.sum));
        assert.ok(inPlace.kept.every((k) => !(k.img.data.buffer instanceof SharedArrayBuffer)), 'never the store\'s shared buffer');
        // Every loaded sample went back to the store, once.
        assert.equal(r.recycled.length, r.loads);
        assert.equal(new Set(r.recycled).size, r.loads);
      } finally {
        await fsp.rm(dir, { recursive: true, force: true });
      }
    });
  }
});
