import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { concatMap, defer, from, lastValueFrom, mergeMap, Observable, toArray, type ObservableInput } from 'rxjs';
import sharp from 'sharp';
import { makeImage } from '../ops/Image';
import type { Category } from './Category';
import { createPacedSource } from './createPacedSource';
import { createPreprocessWorkers, PREPROCESS_IN_FLIGHT_PER_WORKER, type PreprocessWorkers } from './createPreprocessWorkers';
import { decodeFile, DEFAULT_MAX_PIXELS, FAST_JPEG, transcodeFile, type DecodedSample } from './decodeFile';
import { DEFAULT_IMAGE_EXTENSIONS, folderSource } from './folderSource';
import { listCategories } from './listCategories';
import { ioErrorReason } from './ioErrorReason';
import { mapOrdered } from './mapOrdered';
import { preprocessSplit } from './preprocessSplit';
import { CATEGORIES_FILE, writeCategories } from './readCategories';
import { writeManifest, type ManifestRow, type Split } from './readManifest';
import { PREPROCESS_INFO_FILE, writePreprocessInfo } from './readPreprocessInfo';
import { RGB_MEAN_FILE, writeRgbMean, type RgbMean } from './readRgbMean';
import { createRecordFileWriter, type RecordFileWriter } from './RecordFile';
import type { Skip } from './Skip';
import type { SourceItem } from './SourceItem';

/**
 * Options of {@link preprocess}.
 *
 * @example
 * ```ts
 * const o: PreprocessOptions = { src: 'data/caltech256', out: 'data/pre', size: 256, valRatio: 0.2, seed: 0, records: true };
 * ```
 */
export interface PreprocessOptions {
  /** Folder-per-class dataset (`src/<class>/…/<image>`). */
  readonly src: string;
  /** Output folder; created if missing. Must be empty, or a previous preprocess output (rerun). */
  readonly out: string;
  /** Side of the square output images. Default 256. */
  readonly size?: number | undefined;
  /** Fraction of each class that goes to val, in [0, 1). Default 0.2. */
  readonly valRatio?: number | undefined;
  /** Seed of the train/val split. Default 0. */
  readonly seed?: number | undefined;
  /**
   * Images in flight at once. Default: 16 per worker thread with the fast JPEG path (it runs
   * min(concurrency, cores) worker threads), the number of cores with sharp alone.
   */
  readonly concurrency?: number | undefined;
  /** JPEG quality of the output images, 1..100. Default 90. */
  readonly quality?: number | undefined;
  /** Also write `train.rec` / `val.rec`, packed pre-decoded pixels. Default false. */
  readonly records?: boolean | undefined;
  /** Image extensions to pick up. Default {@link DEFAULT_IMAGE_EXTENSIONS}. */
  readonly extensions?: readonly string[] | undefined;
  /** Decompression-bomb guard (pixels). Default {@link DEFAULT_MAX_PIXELS}. */
  readonly maxPixels?: number | undefined;
  /** Colour transparent pixels are flattened onto. Default black. */
  readonly background?: 'black' | 'white' | undefined;
  /**
   * `'auto'` (default): ordinary JPEGs take the fast path (libjpeg-turbo in worker threads,
   * area/bilinear resize), everything else sharp; `'sharp'`: sharp for every file (lanczos3
   * resize, as before the fast path existed). The fast path needs the optional
   * `@julusian/jpeg-turbo` package; without it `'auto'` is sharp.
   */
  readonly decoder?: 'auto' | 'sharp' | undefined;
  /**
   * A fast-path worker pool the caller started (see `createPreprocessWorkers`), used instead
   * of starting one: the CLI starts it before loading the rest of its modules so the threads
   * boot meanwhile. It stays the caller's: preprocess does not close it. Ignored with
   * `decoder: 'sharp'`.
   */
  readonly workers?: PreprocessWorkers | undefined;
  /** Clock in ms for the summary's timing (default `performance.now`), injectable for tests. */
  readonly now?: (() => number) | undefined;
}

/**
 * Emitted once, after listing and splitting, before any image is processed.
 *
 * @example
 * ```ts
 * const e: PreprocessStart = { kind: 'start', categories: 20, total: 2000, train: 1600, val: 400 };
 * ```
 */
export interface PreprocessStart {
  readonly kind: 'start';
  readonly categories: number;
  /** Images to process (train + val). */
  readonly total: number;
  readonly train: number;
  readonly val: number;
}

/**
 * Emitted after each image, processed or skipped, in input order. With `records`, once the
 * image's record write has started, not finished: the record files are complete at `done`.
 *
 * @example
 * ```ts
 * const e: PreprocessProgress = { kind: 'progress', done: 10, total: 2000, split: 'train', path: 'src/001.a/1.jpg', ok: true };
 * ```
 */
export interface PreprocessProgress {
  readonly kind: 'progress';
  readonly done: number;
  readonly total: number;
  readonly split: Split;
  /** Source path of the image just finished. */
  readonly path: string;
  readonly ok: boolean;
}

/**
 * The result of a run: counts, mean, skips and timing.
 *
 * @example
 * ```ts
 * const s: PreprocessSummary = { out: 'pre', categories: 2, train: 8, val: 2, skipped: [], mean: { r: 1, g: 2, b: 3 }, seconds: 1, imagesPerSecond: 10, records: [], classesWithoutVal: [], classesWithoutImages: [] };
 * ```
 */
export interface PreprocessSummary {
  readonly out: string;
  readonly categories: number;
  /** Images written per split. */
  readonly train: number;
  readonly val: number;
  /** Every file left out, from listing or decoding, in input order. */
  readonly skipped: readonly Skip[];
  /** Mean RGB of the processed train images (0..255), as written to rgb_val.json. */
  readonly mean: RgbMean;
  /**
   * From the first image to the end of the run: the record files complete on disk (their last
   * writes and fsync), the manifests written. Listing the source is excluded.
   */
  readonly seconds: number;
  /** Images written per second of {@link seconds}. */
  readonly imagesPerSecond: number;
  /** Record files written (absolute paths), empty without `records`. */
  readonly records: readonly string[];
  /**
   * Classes with training images but none in val although a val split was asked for: a class
   * of one image (a split never takes a class's last image), or whose val images were skipped.
   * Their validation accuracy cannot be measured.
   */
  readonly classesWithoutVal: readonly string[];
  /**
   * Classes with no image in either split: an empty class folder, or one whose every file was
   * skipped. They are still classes (categories.csv lists them, so the model gets an output for
   * each) that training never shows the model.
   */
  readonly classesWithoutImages: readonly string[];
}

/** Names of the classes that have no row at all. */
function classesWithNoImages(categories: readonly Category[], rows: readonly ManifestRow[]): string[] {
  const seen = new Set(rows.map((r) => r.classId));
  return categories.filter((c) => !seen.has(c.id)).map((c) => c.name);
}

/** Names of the classes that have rows in `train` but none in `val`. */
function classesWithout(categories: readonly Category[], train: readonly ManifestRow[], val: readonly ManifestRow[]): string[] {
  const inTrain = new Set(train.map((r) => r.classId));
  const inVal = new Set(val.map((r) => r.classId));
  return categories.filter((c) => inTrain.has(c.id) && !inVal.has(c.id)).map((c) => c.name);
}

/**
 * Emitted last, when every output file is in place.
 *
 * @example
 * ```ts
 * if (e.kind === 'done') console.log(e.summary.train, e.summary.mean);
 * ```
 */
export interface PreprocessDone {
  readonly kind: 'done';
  readonly summary: PreprocessSummary;
}

/**
 * What {@link preprocess} emits: start, then per image a progress event (and a {@link Skip}
 * before it when the image was left out), then done. Listing skips come before start.
 *
 * @example
 * ```ts
 * const onEvent = (e: PreprocessEvent) => { if (e.kind === 'skip') console.warn(e.reason, e.path); };
 * ```
 */
export type PreprocessEvent = PreprocessStart | PreprocessProgress | Skip | PreprocessDone;

/**
 * With {@link PreprocessOptions.records}, how many images beyond `concurrency` a preprocess
 * run may have between starting one and its record being written: the writes run alongside
 * the decoding (each waits in libuv's thread pool behind sharp's queued jobs; one at a time, the
 * run went at the pace of that queue and its progress came in bursts), and this bounds the
 * decoded pixels waiting for them (196,608 bytes an image at 256²).
 *
 * @example
 * ```ts
 * const images = 8 + PREPROCESS_RECORD_WRITES_AHEAD; // at --concurrency 8
 * console.log(`at most ${images * 256 * 256 * 3} bytes of pixels wait for their record write`);
 * ```
 */
export const PREPROCESS_RECORD_WRITES_AHEAD = 16;

/** Files and folders a preprocess run owns in its output folder. */
const OWNED = new Set(['train', 'val', CATEGORIES_FILE, 'train.csv', 'val.csv', RGB_MEAN_FILE, PREPROCESS_INFO_FILE, 'train.rec', 'val.rec']);
const GENERATED_IMAGE = /^\d{6,}\.jpg$/;

interface Job {
  readonly item: SourceItem;
  readonly split: Split;
  /** Output file, relative to `out` ('train/000001.jpg'). */
  readonly file: string;
}

/**
 * A decoded image, or `written` when only its file was needed (val without records, or the
 * fast path without records), with the RGB sums of its pixels when they were computed elsewhere.
 */
type Outcome = {
  readonly job: Job;
  readonly result: DecodedSample | Skip | { readonly kind: 'written' };
  readonly sums?: readonly [number, number, number];
  /** Gives the pixels' buffer back to the worker pool once they are written. */
  readonly release?: () => void;
};

function checkInt(name: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${name} must be an integer in ${lo}..${hi}, got ${v}`);
  return v;
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

async function prepareOut(src: string, out: string): Promise<void> {
  const [absSrc, absOut] = [path.resolve(src), path.resolve(out)];
  if (isInside(absOut, absSrc)) throw new Error(`output folder ${out} is inside the dataset folder ${src}: it would be read as a class`);
  if (isInside(absSrc, absOut)) throw new Error(`dataset folder ${src} is inside the output folder ${out}`);
  let entries: string[];
  try {
    entries = await fsp.readdir(absOut);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') entries = [];
    else if (err.code === 'ENOTDIR') throw new Error(`output ${out} exists and is not a folder`);
    else throw new Error(`cannot read output folder ${out}: ${err.message}`);
  }
  const foreign = entries.filter((e) => !OWNED.has(e) && !e.startsWith('.train.rec.') && !e.startsWith('.val.rec.'));
  if (foreign.length > 0) {
    throw new Error(
      `output folder ${out} is not empty and not a previous preprocess output (found ${foreign.slice(0, 3).map((f) => JSON.stringify(f)).join(', ')}${foreign.length > 3 ? ', …' : ''}); choose an empty or new folder`,
    );
  }
  // A rerun invalidates what the previous run wrote: without its manifests and record files
  // an interrupted rerun leaves nothing that names images of the wrong run. Temporary record
  // files of a crashed run go too.
  const stale = entries.filter((e) => !['train', 'val'].includes(e));
  await Promise.all(stale.map((e) => fsp.rm(path.join(absOut, e), { force: true })));
  await fsp.mkdir(path.join(absOut, 'train'), { recursive: true });
  await fsp.mkdir(path.join(absOut, 'val'), { recursive: true });
}

/** Removes generated images a previous run left that this run did not write. */
async function removeStale(out: string, split: Split, keep: ReadonlySet<string>): Promise<void> {
  const dir = path.join(out, split);
  for (const name of await fsp.readdir(dir)) {
    if (GENERATED_IMAGE.test(name) && !keep.has(`${split}/${name}`)) await fsp.rm(path.join(dir, name), { force: true });
  }
}

/**
 * The seed's image_dir_preprocessor as a cold Observable: lists a folder-per-class dataset,
 * splits it per class into train and val (seeded, stratified), and for each image decodes it
 * (EXIF-rotated, 8-bit RGB), centre-crops it to a square, resizes it to `size`² and writes it
 * as JPEG. Ordinary JPEGs take the fast path (libjpeg-turbo in worker threads, see
 * `decoder`); everything else, and every file with `decoder: 'sharp'`, goes through sharp
 * (8-bit sRGB, shrink-on-load, lanczos3). When all images are done it writes
 * `categories.csv` (id,name), `train.csv`/`val.csv` (file,class,source: the original image, relative
 * to `out`), `rgb_val.json` (mean RGB of the
 * train split's processed pixels), `preprocess.json` (the `background` transparent pixels were
 * flattened onto) and, with `records`, `train.rec`/`val.rec`.
 *
 * Nothing crashes on bad input: unreadable or undecodable files become {@link Skip} events
 * and are left out of the manifests. Reruns with the same inputs and seed give byte-identical
 * manifests, images and record files (results are written in input order whatever the
 * concurrency). Decoding and encoding run off the event loop (worker threads for the fast
 * path, libuv's thread pool for sharp).
 * Unsubscribing stops starting new images and discards unfinished record files.
 *
 * @example
 * ```ts
 * preprocess({ src: 'data/caltech256', out: 'data/pre', records: true }).subscribe((e) => {
 *   if (e.kind === 'skip') console.warn(`${e.reason}: ${e.path}`);
 *   if (e.kind === 'done') console.log(`${e.summary.train} train, ${e.summary.val} val images`);
 * });
 * ```
 */
export function preprocess(opts: PreprocessOptions): Observable<PreprocessEvent> {
  return defer(() => {
    const size = checkInt('size', opts.size ?? 256, 1, 16384);
    const quality = checkInt('quality', opts.quality ?? 90, 1, 100);
    const cores = os.availableParallelism();
    const decoder = opts.decoder ?? 'auto';
    if (decoder !== 'auto' && decoder !== 'sharp') throw new RangeError(`decoder must be 'auto' or 'sharp', got ${JSON.stringify(decoder)}`);
    const workerCount = opts.workers?.count ?? Math.min(opts.concurrency ?? cores, cores);
    const valRatio = opts.valRatio ?? 0.2;
    if (!(valRatio >= 0 && valRatio < 1)) throw new RangeError(`val ratio must be at least 0 and below 1, got ${valRatio}`);
    const seed = opts.seed ?? 0;
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    const out = path.resolve(opts.out);
    const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
    const decodeOpts = { resize: size, maxPixels, background: opts.background ?? 'black' } as const;

    return new Observable<PreprocessEvent>((subscriber) => {
      const writers: RecordFileWriter[] = [];
      const skipped: Skip[] = [];
      let finished = false;
      // Unsubscribed: the jobs the worker pool hands back as `fallback` on close must not go
      // on through sharp, writing images after the run has ended.
      let stopped = false;
      // Started with the run so the workers boot while the dataset is listed; closed with the
      // run whatever its end.
      const own = decoder === 'auto' && opts.workers === undefined;
      let pool: PreprocessWorkers | undefined = decoder === 'auto' ? (opts.workers ?? createPreprocessWorkers(workerCount)) : undefined;
      const closePool = (): void => {
        if (own) void pool?.close();
        pool = undefined;
      };
      const sub = defer(async () => {
        // Categories first: a bad src is an error before anything is written.
        const categories = await listCategories(opts.src);
        if (categories.length === 0) {
          throw new Error(`dataset folder ${opts.src} has no class folders: expected one sub-folder per class (e.g. ${path.join(opts.src, '001.ak47', 'img.jpg')})`);
        }
        await prepareOut(opts.src, out);
        const listed = await lastValueFrom(folderSource(opts.src, { extensions: opts.extensions ?? DEFAULT_IMAGE_EXTENSIONS }).pipe(toArray()));
        return { categories, listed };
      })
        .pipe(
          mergeMap(({ categories, listed }) => {
            const items = listed.filter((x): x is SourceItem => x.kind === 'item');
            const listSkips = listed.filter((x): x is Skip => x.kind === 'skip');
            const { train, val } = preprocessSplit(items, valRatio, seed);
            const jobs: Job[] = [
              ...train.map((item, i): Job => ({ item, split: 'train', file: `train/${String(i + 1).padStart(6, '0')}.jpg` })),
              ...val.map((item, i): Job => ({ item, split: 'val', file: `val/${String(i + 1).padStart(6, '0')}.jpg` })),
            ];
            return from(openWriters(categories)).pipe(
              mergeMap(() => run(categories, listSkips, jobs, train.length, val.length)),
            );
          }),
        )
        .subscribe({
          next: (e) => subscriber.next(e),
          error: (e: unknown) => {
            closePool();
            void Promise.allSettled(writers.map((w) => w.abort())).then(() => subscriber.error(e));
          },
          complete: () => {
            closePool();
            finished = true;
            subscriber.complete();
          },
        });

      async function openWriters(categories: readonly Category[]): Promise<void> {
        if (opts.records !== true) return;
        for (const split of ['train', 'val'] as const) {
          writers.push(
            await createRecordFileWriter(path.join(out, `${split}.rec`), {
              width: size,
              height: size,
              channels: 3,
              numClasses: categories.length,
              classes: categories.map((c) => c.name),
            }),
          );
        }
      }

      function run(categories: readonly Category[], listSkips: Skip[], jobs: Job[], nTrain: number, nVal: number): Observable<PreprocessEvent> {
        // The fast path keeps several images queued per worker so no worker waits for the main thread.
        const concurrency = checkInt('concurrency', opts.concurrency ?? (pool ? pool.count * PREPROCESS_IN_FLIGHT_PER_WORKER : cores), 1, 1024);
        const sums = new Float64Array(3);
        let trainPixels = 0;
        const rows: Record<Split, ManifestRow[]> = { train: [], val: [] };
        let done = 0;
        const now = opts.now ?? (() => performance.now());
        const t0 = now();
        const encode = async (job: Job): Promise<Outcome> => {
          const dest = path.join(out, job.file);
          if (pool) {
            const r = await pool.run({ src: job.item.path, dest, size, quality, maxPixels, wantPixels: writers.length > 0 });
            if (stopped) throw new Error('preprocess: stopped');
            if (r.kind === 'written') {
              const result = r.pixels
                ? { kind: 'sample' as const, image: makeImage(r.pixels, size, size, 3), label: job.item.label, path: job.item.path }
                : { kind: 'written' as const };
              return { job, result, sums: r.sums, release: r.release };
            }
            // Not an ordinary JPEG, or a bad file: sharp's path decides, exactly as without workers.
          }
          // Each sharp call costs far more than the pixels it touches (libvips thread hand-offs,
          // fresh output buffers), so an image whose pixels nothing reads (the mean is of train
          // images only) goes file to file in one call. Same bytes either way (see transcodeFile).
          if (job.split === 'val' && writers.length === 0) {
            return { job, result: await transcodeFile(job.item.path, dest, quality, decodeOpts).catch((e: unknown) => Promise.reject(outputWriteError(dest, e))) };
          }
          const result = await decodeFile(job.item.path, job.item.label, decodeOpts);
          if (result.kind === 'sample') {
            const { data, width, height } = result.image;
            // To memory, then written by Node: libvips' own write errors come from a buffer its
            // threads share, so a failed write could be reported with another image's message.
            const jpeg = await sharp(data, { raw: { width, height, channels: 3 } })
              .jpeg({ ...FAST_JPEG, quality })
              .toBuffer();
            await writeOutputFile(dest, jpeg);
          }
          return { job, result };
        };
        // The first record write that fails ends the run (the stream errors at once).
        let appendFailed: ((e: unknown) => void) | undefined;
        const head: PreprocessEvent[] = [...listSkips, { kind: 'start', categories: categories.length, total: jobs.length, train: nTrain, val: nVal }];
        // A loop, not push(...listSkips): a spread of more than ~120 000 arguments (a dataset
        // with that many sidecar files) overflows the call stack.
        for (const s of listSkips) skipped.push(s);
        // An image is done (`took`) at its progress event, or with records once its record is
        // written. A job starts only while fewer than `ahead` images are started but not done:
        // record writes are not awaited here, so without this the decoded images would pile up
        // waiting for them (on sharp's path nothing else bounds them).
        const paced = createPacedSource(jobs, concurrency + (writers.length > 0 ? PREPROCESS_RECORD_WRITES_AHEAD : 0));
        const events = paced.source.pipe(
          mapOrdered(encode, concurrency),
          // In order, one at a time: the record files and manifests follow input order. Arrays
          // come out synchronously (no Promise per image beyond a record append's own).
          concatMap(({ job, result, sums: imageSums, release }): ObservableInput<PreprocessEvent> => {
            done++;
            const progress: PreprocessProgress = { kind: 'progress', done, total: jobs.length, split: job.split, path: job.item.path, ok: result.kind !== 'skip' };
            if (result.kind === 'skip') {
              skipped.push(result);
              paced.took();
              return [result, progress];
            }
            // Relative like `file`, so the output folder and its dataset can move together. A name with
            // a line break cannot be a CSV field the manifest reader takes (it splits lines first).
            const source = path.relative(out, path.resolve(job.item.path));
            rows[job.split].push({ file: job.file, classId: job.item.category.id, ...(/[\r\n]/.test(source) ? {} : { source }) });
            if (job.split === 'train' && imageSums !== undefined) {
              sums[0] += imageSums[0];
              sums[1] += imageSums[1];
              sums[2] += imageSums[2];
              trainPixels += size * size;
            }
            if (result.kind === 'written') {
              paced.took();
              return [progress];
            }
            const px = result.image.data;
            if (job.split === 'train' && imageSums === undefined) {
              let r = 0;
              let g = 0;
              let b = 0;
              for (let i = 0; i < px.length; i += 3) {
                r += px[i];
                g += px[i + 1];
                b += px[i + 2];
              }
              sums[0] += r;
              sums[1] += g;
              sums[2] += b;
              trainPixels += px.length / 3;
            }
            if (writers.length === 0) {
              release?.();
              paced.took();
              return [progress];
            }
            // The append takes its record's place now, and the image is reported now; the pixels
            // (a pool slot on the fast path) stay untouched until its write is done.
            writers[job.split === 'train' ? 0 : 1].append(px, job.item.label, job.file).then(
              () => {
                release?.();
                paced.took();
              },
              (e: unknown) => {
                release?.();
                appendFailed?.(outputWriteError(path.join(out, `${job.split}.rec`), e));
              },
            );
            return [progress];
          }),
        );
        const body = new Observable<PreprocessEvent>((s) => {
          appendFailed = (e) => s.error(e);
          const inner = events.subscribe(s);
          return () => {
            appendFailed = undefined;
            inner.unsubscribe();
          };
        });
        const tail = defer(async (): Promise<PreprocessEvent> => {
          closePool();
          const mean: RgbMean =
            trainPixels > 0 ? { r: sums[0] / trainPixels, g: sums[1] / trainPixels, b: sums[2] / trainPixels } : { r: 0, g: 0, b: 0 };
          const records: string[] = [];
          for (const [i, w] of writers.entries()) {
            const file = path.join(out, i === 0 ? 'train.rec' : 'val.rec');
            try {
              await w.finish();
            } catch (e) {
              // A failed run leaves no record file: train.rec may be in place already, and no
              // manifest will name its images.
              await fsp.rm(path.join(out, 'train.rec'), { force: true });
              throw outputWriteError(file, e);
            }
          }
          if (writers.length > 0) records.push(path.join(out, 'train.rec'), path.join(out, 'val.rec'));
          await removeStale(out, 'train', new Set(rows.train.map((r) => r.file)));
          await removeStale(out, 'val', new Set(rows.val.map((r) => r.file)));
          // Manifests last (prepareOut removed the old ones): they only ever name images of this run.
          await writeCategories(out, categories);
          await writeManifest(out, 'train', rows.train);
          await writeManifest(out, 'val', rows.val);
          await writeRgbMean(out, mean);
          // Scoring new images must flatten them as these were: the checkpoint carries this on.
          await writePreprocessInfo(out, { background: decodeOpts.background });
          // At the real end: the record files' last writes and fsync (finish) took a good part
          // of a --records run, which the summary's img/s left out.
          const seconds = (now() - t0) / 1000;
          return {
            kind: 'done',
            summary: {
              out,
              categories: categories.length,
              train: rows.train.length,
              val: rows.val.length,
              skipped,
              mean,
              seconds,
              imagesPerSecond: seconds > 0 ? (rows.train.length + rows.val.length) / seconds : 0,
              records,
              classesWithoutVal: valRatio > 0 ? classesWithout(categories, rows.train, rows.val) : [],
              classesWithoutImages: classesWithNoImages(categories, [...rows.train, ...rows.val]),
            },
          };
        });
        return from([from(head), body, tail]).pipe(concatMap((o) => o));
      }

      return () => {
        stopped = true;
        closePool();
        sub.unsubscribe();
        if (!finished) void Promise.allSettled(writers.map((w) => w.abort()));
      };
    });
  });
}

/** Writes one output image; a failure names the file and the reason in one line. */
async function writeOutputFile(dest: string, bytes: Buffer): Promise<void> {
  try {
    await fsp.writeFile(dest, bytes);
  } catch (e) {
    throw outputWriteError(dest, e);
  }
}

// A full disk or a folder in the file's place fails the run (not a skip of this image), with the
// file and why: `cannot write out/train/000001.jpg: no space left on device`.
function outputWriteError(dest: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  const reason = err?.code === 'ENOSPC' ? 'no space left on device (disk full)' : err?.code === 'EISDIR' ? 'a folder is in its place' : ioErrorReason(e);
  return new Error(`cannot write ${dest}: ${reason}`, { cause: e });
}
