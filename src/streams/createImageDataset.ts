import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../ops/Rng';
import { assertAugment, augmentInto, augmentProblem, type Augment } from './Augment';
import { createAugmentWorkers } from './createAugmentWorkers';
import { createBatchBufferPool } from './batchBufferPool';
import type { Batch, BatchItem, BatchSource } from './BatchSource';
import { deriveSeed } from './deriveSeed';
import { epochOrder } from './epochOrder';
import type { Image } from '../ops/Image';
import type { SampleStore } from './SampleStore';
import { applySampleTransform, transformLabel, type SampleTransform } from './SampleTransform';
import { skip, type Skip } from './Skip';
import { allocWasmHeapBlock, type WasmHeapBlock } from './wasmHeapBlock';
import { tensorBackendProblem } from './tensorBackendProblem';

/**
 * Options of {@link createImageDataset}.
 *
 * @example
 * ```ts
 * const o: ImageDatasetOptions = {
 *   store, batchSize: 64, seed: 1, shuffle: true, prefetch: 2, concurrency: 4,
 *   augment: { kind: 'train', crop: 227, flip: true, mean: [124, 116, 104] },
 * };
 * ```
 */
export interface ImageDatasetOptions {
  /** Where samples come from: {@link fileStore} (image files) or `openRecordStore` (packed file). */
  readonly store: SampleStore;
  readonly batchSize: number;
  /** Seed of the epoch order and of every random crop/flip. Default 0. */
  readonly seed?: number | undefined;
  /** Visit samples in a seeded per-epoch random order. Default true for train, false for eval. */
  readonly shuffle?: boolean | undefined;
  /** Batches prepared ahead of the consumer (the backpressure bound). Default 2. */
  readonly prefetch?: number | undefined;
  /** Samples loaded/decoded at once. Default 4. */
  readonly concurrency?: number | undefined;
  readonly augment: Augment;
  /**
   * Your own per-sample augmentation, applied to each decoded image before `augment`, on the
   * main thread, with a generator of its own per (seed, epoch, sample index): see
   * {@link SampleTransform}. A `skipSample(reason)` result is a `transform` skip, a result
   * smaller than the crop an `unsupported` one; a throw or a result that is not an 8-bit image
   * errors the epoch, naming the transform and the file.
   */
  readonly transform?: SampleTransform | undefined;
  /**
   * How the transform's generators are seeded. `'per-epoch'`: one per (seed, epoch, sample), so
   * a random augmentation differs from epoch to epoch (training). `'fixed'`: one per (seed,
   * sample), the same in every epoch and apart from the per-epoch ones: validation data must
   * be the same images at every validation pass. Default `'per-epoch'`.
   */
  readonly transformRng?: 'per-epoch' | 'fixed' | undefined;
  /** Drop the last, smaller batch of an epoch. Default false. */
  readonly dropLast?: boolean | undefined;
  /**
   * Drop the last batch of an epoch when it holds fewer samples than this. Default 1 (keep
   * every batch). Training with BatchNorm needs 2: a batch of one image has no batch
   * statistics, and 17 images in batches of 4 (or 18 with one file skipped) would otherwise end
   * every epoch on a step that cannot run. The left-out sample is a different one each epoch
   * when the order is shuffled, so none is left out for good.
   */
  readonly minLastBatch?: number | undefined;
  /** Channels of the images (1 or 3). Default: the store's header if it has one, else 3. */
  readonly channels?: number | undefined;
  /** Close the store in {@link BatchSource.close}. Default true. */
  readonly closeStore?: boolean | undefined;
  /**
   * Worker threads that run the crop/flip/normalise kernel (0 = on the main thread). Workers
   * give bit-identical batches and help when a core is idle (e.g. benchmarking the input
   * pipeline); during training the model usually has the cores busy. Default 0.
   */
  readonly workers?: number | undefined;
  /**
   * On the wasm backend, assemble each batch directly in the wasm heap, in the memory its `xs`
   * tensor then owns (no 40 MB upload copy per batch at 227², no JS-side batch buffers). With
   * `workers` this needs the threaded wasm binary, whose heap is shared memory; otherwise, and on
   * other backends, batches are assembled in JS arrays and uploaded. Same values either way.
   * Default true.
   */
  readonly heapBatches?: boolean | undefined;
}

// Keeps per-sample augmentation draws apart from the epoch-order stream.
const AUGMENT_SALT = 0xa06;
// And the transform's draws apart from the crop/flip ones: adding a transform moves no crop.
const TRANSFORM_SALT = 0x7f0;
// And a fixed transform's (transformRng 'fixed'): its own stream, not epoch 0's.
const FIXED_TRANSFORM_SALT = 0x7f1;
// Epochs whose sample validity a dataset with a transform remembers (for resuming).
const VALIDITY_EPOCHS = 2;

const UNKNOWN = 0;
const VALID = 1;
const INVALID = 2;

/** Where a batch's pixels are assembled: the wasm heap (the tensor adopts it) or a JS array. */
type Target = { readonly kind: 'heap'; readonly block: WasmHeapBlock } | { readonly kind: 'array'; readonly xs: Float32Array };
/** A batch being filled or ready; `pending` counts augmentations still running in workers. */
type Prepared = { readonly kind: 'prepared'; readonly out: Target; readonly ys: Int32Array; readonly paths: string[]; n: number; pending: number };
type Loaded = { settled: boolean; result?: Awaited<ReturnType<SampleStore['load']>>; error?: unknown; readonly index: number; done?: Promise<void> };
type Loadable = Extract<Awaited<ReturnType<SampleStore['load']>>, { kind: 'sample' }>;

function storeChannels(store: SampleStore): number | undefined {
  const h = (store as { header?: { channels?: unknown } }).header;
  return h && typeof h.channels === 'number' ? h.channels : undefined;
}

function isSkip(x: Image | Skip): x is Skip {
  return (x as Partial<Skip>).kind === 'skip';
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`createImageDataset: ${name} must be a positive integer, got ${v}`);
  return v;
}

/**
 * A pull-based, backpressured {@link BatchSource} over a {@link SampleStore}: the training
 * loop's dataset.
 *
 * - **Backpressure.** Nothing runs until the consumer pulls. Then at most `concurrency`
 *   samples are loading at once, and loads stop when `prefetch` batches' worth of samples are
 *   prepared or loading ahead of the consumer: memory is bounded by `prefetch` batches
 *   whatever the dataset size or consumer speed. `return()` (e.g. `break` in `for await`)
 *   stops starting work, waits for the loads already running, and drops the prepared
 *   buffers.
 * - **Ownership.** A batch's tensors are created when the consumer receives it (never
 *   before, so nothing leaks on early exit); the receiver owns `xs` and `ys` and disposes them.
 * - **Determinism.** Epoch order is {@link epochOrder}(size, seed, epoch); the crop/flip of
 *   sample i in epoch e draws from `createRng(deriveSeed(seed, e, i, …))`, independent of
 *   timing and concurrency. `epoch(e, startBatch)` gives exactly the batches `startBatch…` of
 *   `epoch(e)` (batch boundaries depend on skipped samples, so resuming first re-checks the
 *   samples before `startBatch` it has not seen yet; checks are remembered for the dataset's life).
 * - **Bad samples** become {@link Skip} items, yielded before the batch they would have been
 *   in; the batch is filled from the next samples, so no valid sample is lost. Images of the
 *   wrong channel count or smaller than the crop are skipped as `unsupported`.
 * - **`transform`** ({@link SampleTransform}) runs on each loaded image first, with
 *   `createRng(deriveSeed(seed, e, i, …))` of its own (`transformRng: 'fixed'`: one per
 *   (seed, i), the same every epoch, for validation), so all of the above holds with it,
 *   the samples it skips ({@link skipSample}) included.
 *
 * `stepsPerEpoch` is counted before skips (ceil, or floor with `dropLast` or when the last
 * batch would be smaller than `minLastBatch`).
 *
 * @example
 * ```ts
 * const ds = createImageDataset({ store, batchSize: 64, seed: 7, augment: { kind: 'train', crop: 227, flip: true, mean } });
 * for await (const item of ds.epoch(0)) {
 *   if (item.kind === 'skip') { console.warn(item.reason, item.path); continue; }
 *   await trainStep(item.xs, item.ys);
 *   item.xs.dispose(); item.ys.dispose();
 * }
 * await ds.close();
 * ```
 */
export function createImageDataset(opts: ImageDatasetOptions): BatchSource {
  const { store, augment } = opts;
  const batchSize = positiveInt('batchSize', opts.batchSize);
  const prefetch = positiveInt('prefetch', opts.prefetch ?? 2);
  const concurrency = positiveInt('concurrency', opts.concurrency ?? 4);
  const seed = opts.seed ?? 0;
  if (!Number.isFinite(seed)) throw new RangeError(`createImageDataset: seed must be a finite number, got ${seed}`);
  const shuffle = opts.shuffle ?? augment.kind === 'train';
  const dropLast = opts.dropLast ?? false;
  const minLastBatch = positiveInt('minLastBatch', opts.minLastBatch ?? 1);
  const channels = opts.channels ?? storeChannels(store) ?? 3;
  // A store of raw images in code (grey ones, say) meets the default of 3 without having asked
  // for it: say where the count came from and what to change. A record file's header sets the
  // count to that of its images, so only a transform can differ from it (and is blamed for it).
  const channelsHint = opts.channels === undefined && storeChannels(store) !== undefined ? undefined
    : (n: number): string => `${opts.channels === undefined ? "createImageDataset's channels option defaults to 3" : `createImageDataset was given channels: ${channels}`}: `
      + (n === 1 || n === 3 || n === 4 ? `pass channels: ${n} for these images (with a model of inputShape [h, w, ${n}]), or ` : '')
      + `make them ${channels}-channel images (the channels option of fileStore and decode, greyToRgb, rgbToGrey)`;
  const transform = opts.transform;
  if (transform !== undefined && typeof transform !== 'function') {
    throw new TypeError(`createImageDataset: transform must be a function (image, rng, { epoch, index, path, label }) => image, got ${transform === null ? 'null' : typeof transform}`);
  }
  const transformRng = opts.transformRng ?? 'per-epoch';
  if (transformRng !== 'per-epoch' && transformRng !== 'fixed') {
    throw new RangeError(`createImageDataset: transformRng must be 'per-epoch' or 'fixed', got ${JSON.stringify(transformRng)}`);
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new RangeError(`createImageDataset: channels must be 1, 3 or 4, got ${channels}`);
  assertAugment(augment, channels);
  const crop = augment.crop;
  const perImage = crop * crop * channels;
  const size = store.size;
  const stepsPerEpoch = dropLast || size % batchSize < minLastBatch ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
  // What we learnt about each sample (valid / skipped), for resuming mid-epoch. A transform may
  // make a sample too small in one epoch and not in another (a random resize), so with one
  // validity is per epoch, kept for the last few.
  const sharedValidity = new Uint8Array(size);
  const epochValidity = new Map<number, Uint8Array>();
  function validityOf(epoch: number): Uint8Array {
    if (transform === undefined) return sharedValidity;
    let v = epochValidity.get(epoch);
    if (v === undefined) {
      v = new Uint8Array(size);
      epochValidity.set(epoch, v);
      for (const e of epochValidity.keys()) if (epochValidity.size > VALIDITY_EPOCHS) epochValidity.delete(e);
    }
    return v;
  }
  // Enough for the prepared batches, the one being filled and the one the consumer holds.
  const workerCount = opts.workers ?? 0;
  if (!Number.isInteger(workerCount) || workerCount < 0) throw new RangeError(`createImageDataset: workers must be a non-negative integer, got ${workerCount}`);
  const workers = workerCount > 0 ? createAugmentWorkers(workerCount) : undefined;
  const pool = createBatchBufferPool(batchSize * perImage, prefetch + 2, workers !== undefined);
  const heapBatches = opts.heapBatches ?? true;

  function acquireTarget(): Target {
    if (heapBatches) {
      const block = allocWasmHeapBlock(batchSize * perImage);
      // Workers can only write into a shared heap (threaded binary).
      if (block !== undefined && (workers === undefined || block.shared)) return { kind: 'heap', block };
      block?.free();
    }
    return { kind: 'array', xs: pool.acquire() };
  }

  function releaseTarget(t: Target): void {
    if (t.kind === 'heap') t.block.free();
    else pool.release(t.xs, false);
  }
  let closed = false;
  const live = new Set<EpochIterator>();

  class EpochIterator implements AsyncIterableIterator<BatchItem> {
    private readonly order: Uint32Array;
    private pos = 0;
    private readonly inflight: Loaded[] = [];
    private readonly ready: Array<Prepared | Skip> = [];
    private cur: Prepared | undefined;
    // A last batch left out (dropLast, minLastBatch): its buffer goes back in stop(), after any
    // worker still writing into it has finished.
    private dropped: Prepared | undefined;
    private readonly jobs = new Set<Promise<void>>();
    /** Valid samples taken into batches so far (delivered or not). */
    private placed = 0;
    private delivered = 0;
    private finished = false;
    private stopped = false;
    private failure: { error: unknown } | undefined;
    private readySkips = 0;
    private wakers: Array<() => void> = [];
    private readonly startup: Promise<void>;
    private readonly validity: Uint8Array;

    constructor(
      private readonly epochIndex: number,
      startBatch: number,
    ) {
      this.order = epochOrder(size, seed, epochIndex, shuffle);
      this.validity = validityOf(epochIndex);
      this.startup = this.seek(startBatch * batchSize).catch((e: unknown) => {
        this.failure = { error: e };
      });
    }

    [Symbol.asyncIterator](): AsyncIterableIterator<BatchItem> {
      return this;
    }

    /** Finds the position after the first `validBefore` valid samples, probing unknown ones. */
    private async seek(validBefore: number): Promise<void> {
      let valid = 0;
      let p = 0;
      while (valid < validBefore && p < size && !this.stopped) {
        const unknown: number[] = [];
        // Probe a window of unknown samples ahead; known ones cost nothing.
        for (let q = p; q < size && unknown.length < concurrency && valid + (q - p) < validBefore + concurrency; q++) {
          if (this.validity[this.order[q]] === UNKNOWN) unknown.push(this.order[q]);
        }
        await Promise.all(unknown.map((i) => this.probe(i)));
        while (p < size && valid < validBefore && this.validity[this.order[p]] !== UNKNOWN) {
          if (this.validity[this.order[p]] === VALID) valid++;
          p++;
        }
      }
      this.pos = p;
      this.placed = valid;
      this.delivered = Math.floor(valid / batchSize);
    }

    private async probe(index: number): Promise<void> {
      let r: Awaited<ReturnType<SampleStore['load']>>;
      try {
        r = await store.load(index);
      } catch (e) {
        throw loadFailed(index, e);
      }
      if (r.kind !== 'sample') {
        this.validity[index] = INVALID;
        return;
      }
      try {
        const img = this.prepared(index, r);
        this.validity[index] = !isSkip(img) && this.problem(r, img) === undefined ? VALID : INVALID;
      } finally {
        if (transform === undefined) store.recycle?.(r);
      }
    }

    /**
     * The image that goes into the batch: the loaded one, or the transform's result (which may
     * be its decision to skip the sample). With a transform the loaded sample goes back to the
     * store here (the transform had a copy); without, only once its pixels are cropped.
     */
    private prepared(index: number, r: Loadable): Image | Skip {
      if (transform === undefined) return r.image;
      try {
        const rng = createRng(transformRng === 'fixed' ? deriveSeed(seed, index, FIXED_TRANSFORM_SALT) : deriveSeed(seed, this.epochIndex, index, TRANSFORM_SALT));
        return applySampleTransform(transform, r.image, rng, { epoch: this.epochIndex, index, path: r.path, label: r.label });
      } finally {
        store.recycle?.(r);
      }
    }

    /** Why `img` (prepared from `r`) cannot go into a batch; blames the transform when it changed the shape. */
    private problem(r: Loadable, img: Image): string | undefined {
      if (transform === undefined || (img.width === r.image.width && img.height === r.image.height && img.channels === r.image.channels)) {
        return augmentProblem(img, augment, channels, undefined, channelsHint);
      }
      const need = Math.max(1, crop - 2 * (augment.kind === 'train' ? (augment.pad ?? 0) : 0));
      const problem = augmentProblem(img, augment, channels, `the transform must return images of at least ${need}x${need}`);
      const shape = (i: Image): string => `${i.width}x${i.height}x${i.channels}`;
      return problem === undefined ? undefined : `${transformLabel(transform)} turned the ${shape(r.image)} image into ${shape(img)}: ${problem}`;
    }

    private budget(): number {
      // Undelivered skips count too, so a run of bad files cannot make loading run away.
      return (this.delivered + prefetch) * batchSize - this.placed - this.inflight.length - this.readySkips;
    }

    private pump(): void {
      if (this.stopped || this.failure) return;
      while (this.inflight.length < concurrency && this.pos < size && this.budget() > 0) {
        const index = this.order[this.pos++];
        const slot: Loaded = { settled: false, index };
        this.inflight.push(slot);
        let p: Promise<Awaited<ReturnType<SampleStore['load']>>>;
        try {
          p = store.load(index);
        } catch (e) {
          p = Promise.reject(e);
        }
        slot.done = p.then(
          (r) => {
            slot.settled = true;
            slot.result = r;
            this.settle();
          },
          (e: unknown) => {
            slot.settled = true;
            slot.error = loadFailed(index, e);
            this.settle();
          },
        );
      }
      if (this.pos >= size && this.inflight.length === 0 && !this.finished) {
        if (this.cur && this.cur.n > 0 && !dropLast && this.cur.n >= minLastBatch) this.ready.push(this.cur);
        else this.dropped = this.cur;
        this.cur = undefined;
        this.finished = true;
        this.signal();
      }
    }

    /** Takes finished loads off the head of the window, in order, into batches. */
    private settle(): void {
      if (this.stopped) {
        this.signal();
        return;
      }
      try {
        while (this.inflight.length > 0 && this.inflight[0].settled) {
          const slot = this.inflight.shift()!;
          if (slot.error !== undefined) throw slot.error;
          this.take(slot.index, slot.result!);
        }
      } catch (e) {
        this.failure = { error: e };
      }
      this.pump();
      this.signal();
    }

    private take(index: number, r: NonNullable<Loaded['result']>): void {
      if (r.kind === 'skip') {
        this.validity[index] = INVALID;
        this.ready.push(r);
        this.readySkips++;
        return;
      }
      const img = this.prepared(index, r);
      if (isSkip(img)) {
        this.validity[index] = INVALID;
        this.ready.push(img);
        this.readySkips++;
        return;
      }
      // The loaded sample, while its pixels are still to be cropped (a transform had a copy).
      const held = transform === undefined ? r : undefined;
      const problem = this.problem(r, img);
      if (problem !== undefined) {
        if (held) store.recycle?.(held);
        this.validity[index] = INVALID;
        this.ready.push(skip(r.path, 'unsupported', problem));
        this.readySkips++;
        return;
      }
      this.validity[index] = VALID;
      this.cur ??= { kind: 'prepared', out: acquireTarget(), ys: new Int32Array(batchSize), paths: [], n: 0, pending: 0 };
      const c = this.cur;
      const out = c.out;
      const sampleSeed = deriveSeed(seed, this.epochIndex, index, AUGMENT_SALT);
      if (workers) {
        c.pending++;
        // Heap blocks: the buffer is re-read per job, since the heap may have grown meanwhile.
        const [sab, base] = out.kind === 'heap' ? [out.block.buffer(), out.block.byteOffset / 4] : [out.xs.buffer, 0];
        const job = workers.run(img, augment, sampleSeed, sab as SharedArrayBuffer, base + c.n * perImage).then(
          () => {
            c.pending--;
            if (held) store.recycle?.(held);
          },
          (e: unknown) => {
            this.failure ??= { error: e };
          },
        );
        this.jobs.add(job);
        void job.finally(() => {
          this.jobs.delete(job);
          this.signal();
        });
      } else {
        augmentInto(img, augment, createRng(sampleSeed), out.kind === 'heap' ? out.block.view() : out.xs, c.n * perImage);
        if (held) store.recycle?.(held);
      }
      c.ys[c.n] = r.label;
      c.paths.push(r.path);
      c.n++;
      this.placed++;
      if (c.n === batchSize) {
        this.ready.push(c);
        this.cur = undefined;
      }
    }

    private signal(): void {
      const ws = this.wakers;
      this.wakers = [];
      for (const w of ws) w();
    }

    async next(): Promise<IteratorResult<BatchItem>> {
      await this.startup;
      for (;;) {
        if (this.stopped) return { done: true, value: undefined };
        // A batch whose images are still being written by workers is not ready yet.
        const head = this.ready[0];
        const item = head !== undefined && !(head.kind === 'prepared' && head.pending > 0) ? this.ready.shift() : undefined;
        if (item !== undefined) {
          if (item.kind === 'skip') this.readySkips--;
          else this.delivered++;
          // Refill once the consumer has taken the item: its own continuation (e.g. starting
          // a training step) runs first, and the bound holds from the consumer's view too.
          setImmediate(() => this.pump());
          if (item.kind === 'skip') return { done: false, value: item };
          let batch: Batch;
          try {
            batch = toBatch(item);
          } catch (e) {
            // No tensors for this batch (no backend set up yet, say): the epoch ends with the error
            // like a failed load, its loads awaited and its buffers returned.
            await this.stop();
            throw e;
          }
          return { done: false, value: batch };
        }
        if (this.failure) {
          const { error } = this.failure;
          await this.stop();
          throw error;
        }
        if (this.finished && this.ready.length === 0) {
          await this.stop();
          return { done: true, value: undefined };
        }
        this.pump();
        const waiting = this.ready.length === 0 || (this.ready[0].kind === 'prepared' && this.ready[0].pending > 0);
        if (waiting && !(this.finished && this.ready.length === 0) && !this.failure) {
          await new Promise<void>((resolve) => this.wakers.push(resolve));
        }
      }
    }

    private async stop(): Promise<void> {
      this.stopped = true;
      const targets = [...this.ready, ...(this.cur ? [this.cur] : []), ...(this.dropped ? [this.dropped] : [])].flatMap((r) => (r.kind === 'prepared' ? [r.out] : []));
      this.ready.length = 0;
      this.cur = undefined;
      this.dropped = undefined;
      live.delete(this);
      // Let the loads already started finish, so no work outlives the iterator, and no
      // worker may still write into a buffer that goes back to the pool.
      await Promise.all(this.inflight.map((s) => s.done));
      await Promise.all([...this.jobs]);
      for (const t of targets) releaseTarget(t);
      this.inflight.length = 0;
      this.readySkips = 0;
      this.signal();
    }

    async return(): Promise<IteratorResult<BatchItem>> {
      this.stopped = true; // also ends a resume seek in progress
      await this.startup;
      await this.stop();
      return { done: true, value: undefined };
    }

    async throw(e?: unknown): Promise<IteratorResult<BatchItem>> {
      await this.stop();
      throw e;
    }
  }

  function toBatch(p: Prepared): Batch {
    const shape: [number, number, number, number] = [p.n, crop, crop, channels];
    const out = p.out;
    const problem = tensorBackendProblem('createImageDataset');
    if (problem !== undefined) {
      releaseTarget(out);
      throw new Error(problem);
    }
    let ys: tf.Tensor1D | undefined;
    let xs: tf.Tensor4D;
    try {
      ys = tf.tensor1d(p.n === batchSize ? p.ys : p.ys.subarray(0, p.n), 'int32');
      if (out.kind === 'heap') {
        xs = out.block.toTensor(shape) as tf.Tensor4D;
      } else {
        xs = tf.tensor4d(p.n === batchSize ? out.xs : out.xs.subarray(0, p.n * perImage), shape, 'float32');
        pool.release(out.xs, true);
      }
    } catch (e) {
      ys?.dispose();
      releaseTarget(out);
      throw e;
    }
    return { kind: 'batch', xs, ys, paths: p.paths };
  }

  return {
    size,
    stepsPerEpoch,
    batchSize,
    imageShape: [crop, crop, channels],
    epoch(epoch: number, startBatch = 0): AsyncIterableIterator<BatchItem> {
      if (closed) throw new Error('createImageDataset: epoch() called after close()');
      if (!Number.isInteger(epoch) || epoch < 0) throw new RangeError(`epoch must be a non-negative integer, got ${epoch}`);
      if (!Number.isInteger(startBatch) || startBatch < 0) throw new RangeError(`startBatch must be a non-negative integer, got ${startBatch}`);
      const it = new EpochIterator(epoch, startBatch);
      live.add(it);
      return it;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.all([...live].map((it) => it.return()));
      await workers?.close();
      if (opts.closeStore ?? true) await store.close();
    },
  };
}

/**
 * A store's `load` that rejects (or throws) errors the epoch, as a bug or a broken disk should;
 * its bare message ("ENOENT: no such file …", "disk on fire") would not say that the dataset's
 * store failed, nor for which sample. The original stays the `cause`.
 */
function loadFailed(index: number, e: unknown): Error {
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new Error(`createImageDataset: the store's load(${index}) failed: ${what} (a store returns a Skip for a file it cannot use; a rejection ends the epoch)`, { cause: e });
}
