import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import type { Augment } from '../streams/Augment';
import type { BatchSource } from '../streams/BatchSource';
import type { Category } from '../streams/Category';
import { createImageDataset } from '../streams/createImageDataset';
import { fileStore } from '../streams/fileStore';
import { folderSource } from '../streams/folderSource';
import { isFile, isReadable, pathExists } from '../streams/fsPredicates';
import { listCategories } from '../streams/listCategories';
import { readCategories, CATEGORIES_FILE } from '../streams/readCategories';
import { readJpegHeader } from '../streams/readJpegHeader';
import { manifestPath, readManifest } from '../streams/readManifest';
import { PREPROCESS_INFO_FILE, readPreprocessInfo } from '../streams/readPreprocessInfo';
import { readRgbMean, RGB_MEAN_FILE } from '../streams/readRgbMean';
import { notRecordFile } from '../streams/notRecordFile';
import { openRecordStore, type RecordStore } from '../streams/recordStore';
import type { SampleStore } from '../streams/SampleStore';
import type { SampleTransform } from '../streams/SampleTransform';
import type { Skip } from '../streams/Skip';
import type { SourceItem } from '../streams/SourceItem';
import { sameClasses } from '../streams/sameClasses';
import { classesDifference } from '../streams/classesDifference';
import type { DecodeOptions } from '../streams/decodeFile';
import type { IdentityChangeRule, RunIdentity } from './Checkpoint';
import { canonicalInitSource } from './canonicalInitSource';
import { initSourceSpellings } from './initSourceSpellings';
import type { InferenceInfo } from './InferenceInfo';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from './TrainConfig';

/**
 * The datasets a config describes, opened: train (and validation) BatchSources, class names,
 * the files left out while listing, and the hash of what was read (for resume checks).
 *
 * @example
 * ```ts
 * const d = await openDatasets(cfg);
 * console.log(d.classes.length, d.train.size, d.val?.size);
 * ```
 */
export interface OpenedDatasets {
  readonly train: BatchSource;
  readonly val?: BatchSource;
  /** Set instead of `val` when `tenCrop` is on: uncropped validation images. */
  readonly tenCrop?: { readonly source: BatchSource; readonly cropSize: number };
  readonly classes: readonly string[];
  /** Input [height, width, channels] the model gets. */
  readonly inputShape: readonly [number, number, number];
  /** Files skipped while listing (bad labels, hidden junk…): the loop reports them as events. */
  readonly skipped: readonly Skip[];
  /**
   * The part of `skipped` listed in the validation data: what a score of it leaves out (a
   * class folder it may not read, say), for `rxtrain evaluate` to report with its own skips.
   */
  readonly valSkipped: readonly Skip[];
  /**
   * Where the data came from and a hash of its listing, or of a preprocess output's manifests,
   * class list, mean and `preprocess.json`, and of the record files the run reads (their
   * header and index, which hold a CRC-32 of every record), or `not read (--no-records)`.
   */
  readonly fingerprint: Record<string, string>;
  /** Human-readable notes (record file used or not, mean used…). */
  readonly notes: readonly string[];
  /** Class names and the normalisation validation applies: what checkpoints store for scoring. */
  readonly inference: InferenceInfo;
  /**
   * The original image of a preprocessed validation image, by the path its batches carry
   * (from the manifest's `source` column), or undefined when the manifest does not say.
   */
  originalOf(imagePath: string): string | undefined;
  close(): Promise<void>;
}

/**
 * What {@link openDatasets} takes besides the config: what a JSON file cannot hold.
 *
 * @example
 * ```ts
 * const o: OpenDatasetsOptions = { transform: (img, rng) => cutoutImage(img, 8, rng) };
 * ```
 */
export interface OpenDatasetsOptions {
  /**
   * Your own per-sample augmentation of the training images ({@link SampleTransform}), before
   * the config's pad/crop/flip/normalise. Validation data gets `valTransform`, not this.
   * Checkpoints cannot record code: name your transforms in the run identity
   * (`runIdentity(cfg, fingerprint, { transformId })`) to have a resume with others refused.
   */
  readonly transform?: SampleTransform | undefined;
  /**
   * The transform of the validation images (also the uncropped ones of `tenCrop`), before the
   * centre crop: what the model must see at validation too, such as a deterministic colour
   * conversion or histogram equalisation the training transform applies. Its generator is one
   * per (seed, sample), the same at every validation pass (`transformRng: 'fixed'`).
   */
  readonly valTransform?: SampleTransform | undefined;
  /**
   * What a `too-many-pixels` skip (an image file over `data.maxPixels`) tells the user to raise,
   * such as `--max-pixels` for a command of its own ({@link DecodeOptions.maxPixelsSetting}).
   * Default: the `maxPixels` option and the `--max-pixels` flags that set it.
   */
  readonly maxPixelsSetting?: string | undefined;
}

/**
 * Options of {@link openEvalData}: the validation transform and the decode limit of image files.
 *
 * @example
 * ```ts
 * const o: OpenEvalDataOptions = { maxPixels: 250_000_000, maxPixelsSetting: '--max-pixels' };
 * ```
 */
export interface OpenEvalDataOptions extends Pick<OpenDatasetsOptions, 'valTransform' | 'maxPixelsSetting'> {
  /**
   * Image files larger than this many pixels are skipped as `too-many-pixels` (a guard against
   * decompression bombs). Default 100,000,000 (`DEFAULT_MAX_PIXELS`), not the run's
   * `data.maxPixels`: the data scored is not the run's. Record files are not decoded.
   */
  readonly maxPixels?: number | undefined;
}

function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Whether `data.train` is a `rxtrain preprocess` output (has train.csv), a folder-per-class
 * tree, or a record file (a file, e.g. `train.rec` from `rxtrain import-idx --records`;
 * `format: "auto"` only).
 *
 * @example
 * ```ts
 * detectDataFormat(cfg.data); // 'manifest' | 'folder' | 'records'
 * ```
 */
export function detectDataFormat(data: TrainConfig['data']): 'manifest' | 'folder' | 'records' {
  if (data.format !== 'auto') return data.format;
  if (isFile(data.train)) return 'records';
  return pathExists(manifestPath(data.train, 'train')) ? 'manifest' : 'folder';
}

/**
 * A hash of what a record file holds without reading its pixels: the 64-byte header (its
 * shape and checksum) and the index after the records (labels, every record's CRC-32,
 * names, classes). Any change of pixels changes a record CRC, hence this hash; the file's
 * size and time would not (the same count of same-sized records, a copy), and hashing the
 * pixels themselves would read gigabytes at every start.
 */
async function recordFileHash(file: string): Promise<string> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const pre = Buffer.alloc(64);
    await fh.read(pre, 0, 64, 0);
    const indexOffset = Number(pre.readBigUInt64LE(48));
    const index = Buffer.alloc(pre.readUInt32LE(56));
    await fh.read(index, 0, index.length, indexOffset);
    return createHash('sha256').update(pre).update(index).digest('hex');
  } finally {
    await fh.close();
  }
}

/** What a file given as the training data may be instead, for the message saying it is none of them. */
const TRAIN_DATA_FORMS = 'a folder-per-class tree, a rxtrain preprocess output folder, or a record file (.rec, from rxtrain preprocess --records or import-idx --records)';
/** The same for validation data (a preprocess output is given as its val.rec). */
const VAL_DATA_FORMS = 'a folder-per-class tree with the training classes, or a record file (.rec, from rxtrain preprocess --records or import-idx --records)';

/** Up to this many classes a side, a record file whose classes differ is shown with both lists. */
const SHORT_CLASS_LIST = 20;

/**
 * The message for a file given as `data.train` with `data.format` "manifest" or "folder", which
 * read folders: what the file is and what the format expects, where reading
 * `<file>/categories.csv` failed with ENOTDIR. A record file is read by `"auto"`: said so.
 */
async function fileForFolderFormat(file: string, format: 'manifest' | 'folder'): Promise<string> {
  const kind = (await notRecordFile(file)) ?? (isReadable(file) ? 'a record file' : 'a file');
  const expects = format === 'manifest' ? 'a rxtrain preprocess output folder (with categories.csv and train.csv)' : 'a folder-per-class tree';
  const records = kind === 'a record file' ? '; data.format "auto" (the default) reads a record file' : '';
  return `data.train: ${file} is ${kind}, not a folder: data.format "${format}" (--format ${format}) expects ${expects}${records}`;
}

/**
 * Opens a record file of `field`. `forms`, for a file the user named: what else the field
 * takes, said with what the file is when it is no record file at all (an image given as the
 * data), where "bad magic" would say neither.
 */
async function openRecordSplit(file: string, field: string, channels: number, forms?: string): Promise<RecordStore> {
  if (forms !== undefined) {
    const kind = await notRecordFile(file);
    if (kind !== undefined) throw new Error(`${field}: ${file} is ${kind}, not a folder or a record file: expected ${forms}`);
  }
  const store = await openRecordStore(file).catch((e: unknown) => {
    throw new Error(`${field}: ${(e as Error).message}`);
  });
  if (store.header.channels !== channels) {
    await store.close();
    throw new Error(
      `${field}: ${file} holds ${store.header.channels}-channel images but model.channels is ${channels} (set model.channels to ${store.header.channels}, or rewrite the file with that many channels)`,
    );
  }
  return store;
}

/**
 * Why a folder without class folders is refused when it is a split of a `rxtrain preprocess`
 * output (`pre/val` beside `pre/val.csv`), or undefined when it is not one: its images are
 * named by number and their classes are in the manifest, so read as a class tree it would only
 * say "no class folders", not what to pass instead. Paths as given (`pre/val` → `pre`).
 */
async function preprocessSplitProblem(dir: string, field: string, instead: (output: string, split: 'train' | 'val') => string): Promise<string | undefined> {
  const split = path.basename(path.resolve(dir));
  if (split !== 'train' && split !== 'val') return undefined;
  const output = path.join(dir, '..');
  if (!pathExists(manifestPath(output, split))) return undefined;
  // A class tree that happens to sit beside a manifest of that name is still a class tree.
  if ((await listCategories(dir)).length > 0) return undefined;
  return `${field}: ${dir} is the ${split} split of the rxtrain preprocess output ${output}, not a folder-per-class tree (its images' classes are in ${manifestPath(output, split)}): ${instead(output, split)}`;
}

interface Split {
  readonly store: SampleStore;
  readonly items: readonly SourceItem[];
  readonly skipped: readonly Skip[];
}

async function listFolder(dir: string): Promise<{ items: SourceItem[]; skipped: Skip[]; categories: Category[] }> {
  const categories = await listCategories(dir);
  const all = await lastValueFrom(folderSource(dir).pipe(toArray()));
  return {
    items: all.filter((x): x is SourceItem => x.kind === 'item'),
    skipped: all.filter((x): x is Skip => x.kind === 'skip'),
    categories,
  };
}

/**
 * Originals by the paths a split's batches carry: the image file's own path (image files) and
 * its name relative to the preprocess folder (what record files store, e.g. `val/000017.jpg`).
 */
function originalsOf(dir: string, items: readonly SourceItem[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const item of items) {
    if (item.source === undefined) continue;
    m.set(item.path, item.source);
    m.set(path.relative(dir, item.path), item.source);
  }
  return m;
}

/**
 * The originals of a record file that a preprocess run wrote next to its manifest
 * (`pre/val.rec` beside `pre/val.csv`). A nicety for naming images: anything unreadable gives none.
 */
async function originalsBeside(recordFile: string): Promise<Map<string, string>> {
  const dir = path.dirname(recordFile);
  const split = path.basename(recordFile, '.rec');
  if (split !== 'train' && split !== 'val') return new Map();
  try {
    const listed = await readManifest(dir, split);
    return originalsOf(dir, listed.filter((x): x is SourceItem => x.kind === 'item'));
  } catch {
    return new Map();
  }
}

/**
 * Opens validation (or test) data: a record file, or a folder-per-class tree whose classes must
 * be `classes` (as folders spell them). `field` names the data in errors (`data.val`).
 */
async function openValData(
  where: string,
  field: string,
  classes: readonly string[],
  channels: 1 | 3,
  decode: DecodeOptions,
): Promise<{ split: Split; fingerprint: string; note: string; originals: Map<string, string> }> {
  if (isFile(where)) {
    const store = await openRecordSplit(where, field, channels, VAL_DATA_FORMS);
    const valClasses = store.classes ?? classes;
    if (store.numClasses !== classes.length || !sameClasses(valClasses, classes)) {
      await store.close();
      // A record file without names (an earlier version's) has only its count to compare.
      if (store.classes === undefined) throw new Error(`${field}: ${where} has ${store.numClasses} classes; the training data has ${classes.length}`);
      // Two short lists are read at a glance; of Caltech's 257 classes only the difference is.
      const lists = valClasses.length <= SHORT_CLASS_LIST && classes.length <= SHORT_CLASS_LIST;
      throw new Error(lists ? `${field}: ${where} has classes ${valClasses.join(', ')}; the training data has ${classes.join(', ')}` : `${field}: ${where} has ${valClasses.length} classes, the training data ${classes.length}, and they differ (${classesDifference(valClasses, classes)})`);
    }
    return { split: { store, items: [], skipped: [] }, fingerprint: await recordFileHash(where), note: `val: packed records ${where} (${store.size} images)`, originals: await originalsBeside(where) };
  }
  if (!pathExists(where)) throw new Error(`${field}: ${where} does not exist`);
  // Read as a class tree, a preprocess output's train/ and val/ would be refused as two
  // unknown classes, which says nothing about what to pass instead.
  if (pathExists(manifestPath(where, 'val')) || pathExists(manifestPath(where, 'train'))) {
    const rec = path.join(where, 'val.rec');
    throw new Error(`${field}: ${where} is a rxtrain preprocess output, not a folder-per-class tree: give ${pathExists(rec) ? `its record file ${rec}` : 'its val.rec (written by rxtrain preprocess --records)'} or the folder-per-class tree it was made from`);
  }
  const split = await preprocessSplitProblem(where, field, (output, name) => {
    const rec = path.join(output, `${name}.rec`);
    return `give ${pathExists(rec) ? `its record file ${rec}` : `its ${name}.rec (written by rxtrain preprocess --records)`} or the folder-per-class tree it was made from`;
  });
  if (split !== undefined) throw new Error(split);
  const listed = await listFolder(where);
  if (listed.categories.length === 0) {
    throw new Error(`${field}: ${where} has no class folders (one sub-folder per class expected: ${classes.slice(0, 2).join('/, ')}/, …)`);
  }
  const valClasses = listed.categories.map((c) => c.name);
  if (!sameClasses(valClasses, classes)) {
    throw new Error(`${field}: its class folders differ from the training classes (${classesDifference(valClasses, classes)})`);
  }
  const store = fileStore(listed.items, { ...decode, numClasses: classes.length });
  return { split: { store, items: listed.items, skipped: listed.skipped }, fingerprint: listingHash(where, listed.items), note: `val: ${listed.items.length} image files`, originals: new Map() };
}

/** The validation pass's source: centre crops, or (tenCrop) the uncropped images the 10-crop pass cuts. */
function evalSources(
  cfg: TrainConfig,
  store: SampleStore,
  normalise: { readonly mean: readonly number[]; readonly std?: readonly number[] },
  transform: SampleTransform | undefined,
): { val?: BatchSource; tenCrop?: { readonly source: BatchSource; readonly cropSize: number } } {
  const common = {
    batchSize: cfg.batchSize, seed: cfg.seed, prefetch: cfg.data.prefetch, channels: cfg.model.channels, store, shuffle: false,
    ...(transform === undefined ? {} : { transform, transformRng: 'fixed' as const }),
  };
  const crop = cfg.model.inputSize;
  if (!cfg.tenCrop) return { val: createImageDataset({ ...common, augment: { kind: 'eval', crop, ...normalise } }) };
  const side = imageSide(store) ?? cfg.augmentation.resize;
  if (side === undefined || side === null) {
    throw new Error('tenCrop: needs images of one known size: set augmentation.resize (e.g. 256) or use packed records');
  }
  return { tenCrop: { source: createImageDataset({ ...common, augment: { kind: 'eval', crop: side, ...normalise } }), cropSize: crop } };
}

function listingHash(root: string, items: readonly SourceItem[]): string {
  return sha256(items.map((i) => `${path.relative(root, i.path)}\t${i.label}`).join('\n'));
}

/** How many image files of a split {@link imageSizesHash} looks at. */
const SIZE_SAMPLE = 64;

/**
 * A hash of the byte sizes of up to {@link SIZE_SAMPLE} image files spread over a split: a
 * preprocess output remade with another --quality (or --size, or decoder), or a folder tree
 * whose images were re-encoded or replaced under the same names, keeps its names, classes and
 * often its mean, but hardly an image keeps its size, so a sample shows it for a few stats,
 * without reading any image. Modification times would not do: a copied (moved) project has
 * new ones, and a remake with the same options makes the same files anew.
 */
async function imageSizesHash(root: string, items: readonly SourceItem[]): Promise<string> {
  const k = Math.min(SIZE_SAMPLE, items.length);
  const picked = Array.from({ length: k }, (_, i) => items[Math.floor((i * items.length) / k)]);
  const sizes = await Promise.all(picked.map((it) => fs.promises.stat(it.path).then((st) => String(st.size), () => '-')));
  return sha256(picked.map((it, i) => `${path.relative(root, it.path)}\t${sizes[i]}`).join('\n'));
}

/**
 * Opens the train and validation data of a config: a preprocess directory (manifests, and the
 * packed record files when `data.records` and they exist) or folder-per-class trees read with
 * sharp. Mean `"dataset"` reads rgb_val.json. Errors are readable and name the config field.
 * `opts.transform` augments the training images with your own kernel, `opts.valTransform` the
 * validation ones ({@link OpenDatasetsOptions}).
 *
 * @example
 * ```ts
 * const d = await openDatasets(cfg);
 * // close() releases the record files and sharp readers even when setup fails later
 * try { console.log(d.classes.length, d.inputShape, d.notes); } finally { await d.close(); }
 * ```
 */
export async function openDatasets(cfg: TrainConfig, opts: OpenDatasetsOptions = {}): Promise<OpenedDatasets> {
  const { data, augmentation: aug, model } = cfg;
  if (!pathExists(data.train)) throw new Error(`data.train: ${data.train} does not exist`);
  const format = detectDataFormat(data);
  if (format !== 'records' && isFile(data.train)) throw new Error(await fileForFolderFormat(data.train, format));
  const notes: string[] = [];
  const fingerprint: Record<string, string> = { format };
  // Transparent pixels are flattened as the preprocess run flattened its images (a data.val
  // folder of raw images too), and checkpoints carry it on for predict and evaluate --data.
  const background = format === 'manifest' ? (await readPreprocessInfo(data.train))?.background : undefined;
  // Grey models decode grey: replicating into RGB and reading one channel back would waste the work.
  const decode = {
    ...(aug.resize === null ? {} : { resize: aug.resize }),
    channels: model.channels,
    maxPixels: data.maxPixels,
    ...(opts.maxPixelsSetting === undefined ? {} : { maxPixelsSetting: opts.maxPixelsSetting }),
    ...(background === undefined ? {} : { background }),
  };
  let classes: string[];
  let train: Split;
  let val: Split | undefined;
  let originals = new Map<string, string>();
  const opened: SampleStore[] = [];
  try {
    if (format === 'manifest') {
      const categories = await readCategories(data.train);
      classes = categories.map((c) => c.name);
      // preprocess.json says how the images were made (the background transparent pixels were
      // flattened onto): an output regenerated with another one has other training pixels.
      for (const f of [CATEGORIES_FILE, 'train.csv', 'val.csv', RGB_MEAN_FILE, PREPROCESS_INFO_FILE]) {
        const p = path.join(data.train, f);
        if (pathExists(p)) fingerprint[f] = sha256(fs.readFileSync(p));
      }
      const split = async (name: 'train' | 'val'): Promise<Split> => {
        const listed = await readManifest(data.train, name, categories);
        const items = listed.filter((x): x is SourceItem => x.kind === 'item');
        const skipped = listed.filter((x): x is Skip => x.kind === 'skip');
        const rec = path.join(data.train, `${name}.rec`);
        if (data.records && pathExists(rec)) {
          const store = await openRecordSplit(rec, 'data.train', model.channels);
          opened.push(store);
          // The pixels trained on: the manifests hold names and classes only and the mean one
          // number a channel, so a file remade from other pixels can leave both as they were.
          fingerprint[`${name}.rec`] = await recordFileHash(rec);
          notes.push(`${name}: packed records ${rec} (${store.size} images)`);
          return { store, items, skipped };
        }
        // The record file holds the pixels before JPEG compression, the image files those after:
        // a resume that switches --no-records trains on other pixels.
        if (pathExists(rec)) fingerprint[`${name}.rec`] = RECORD_FILE_NOT_READ;
        fingerprint[`${name} image sizes`] = await imageSizesHash(data.train, items);
        notes.push(`${name}: ${items.length} image files${data.records ? ` (no ${name}.rec; run rxtrain preprocess --records to pack them)` : ''}`);
        const store = fileStore(items, { ...decode, numClasses: categories.length });
        opened.push(store);
        return { store, items, skipped };
      };
      train = await split('train');
      if (data.val === null && pathExists(manifestPath(data.train, 'val'))) {
        val = await split('val');
        originals = originalsOf(data.train, val.items);
      }
    } else if (format === 'records') {
      const store = await openRecordSplit(data.train, 'data.train', model.channels, TRAIN_DATA_FORMS);
      opened.push(store);
      classes = store.classes === undefined ? Array.from({ length: store.numClasses }, (_, i) => `class_${i}`) : [...store.classes];
      fingerprint.train = await recordFileHash(data.train);
      train = { store, items: [], skipped: [] };
      notes.push(`train: packed records ${data.train} (${store.size} ${store.header.width}x${store.header.height}x${store.header.channels} images, no decoding)`);
    } else {
      const split = await preprocessSplitProblem(data.train, 'data.train', (output) => `give data.train the output folder ${output} itself, whose manifests hold the classes`);
      if (split !== undefined) throw new Error(split);
      const listed = await listFolder(data.train);
      classes = listed.categories.map((c) => c.name);
      fingerprint.train = listingHash(data.train, listed.items);
      fingerprint['train image sizes'] = await imageSizesHash(data.train, listed.items);
      const store = fileStore(listed.items, { ...decode, numClasses: classes.length });
      opened.push(store);
      train = { store, items: listed.items, skipped: listed.skipped };
      notes.push(`train: ${listed.items.length} image files in ${classes.length} class folders`);
    }
    // An empty class folder (a copy that failed?) still makes a class, one the model never sees.
    const listedLabels = new Set(train.items.map((it) => it.label));
    const unseen = train.items.length === 0 ? [] : classes.filter((_, i) => !listedLabels.has(i));
    if (unseen.length > 0) {
      const one = unseen.length === 1;
      notes.push(`train: class${one ? '' : 'es'} ${unseen.map((c) => JSON.stringify(c)).join(', ')} ${one ? 'has' : 'have'} no image files (an empty folder, or only files that are skipped): the model never sees ${one ? 'it' : 'them'}`);
    }
    if (data.val !== null) {
      const opened_ = await openValData(data.val, 'data.val', classes, model.channels, decode);
      opened.push(opened_.split.store);
      val = opened_.split;
      fingerprint.val = opened_.fingerprint;
      // A record file's index already holds every record's CRC; a folder tree's listing only names.
      if (!isFile(data.val)) fingerprint['val image sizes'] = await imageSizesHash(data.val, opened_.split.items);
      originals = opened_.originals;
      notes.push(opened_.note);
    }
    if (model.numClasses !== null && model.numClasses !== classes.length) {
      throw new Error(`model.numClasses: the config says ${model.numClasses} but the data has ${classes.length} classes`);
    }

    let mean: readonly number[];
    if (aug.mean === 'dataset') {
      // A record file inside a preprocess output (pre/train.rec) has the train-set mean beside it.
      const meanDir = format === 'manifest' ? data.train : format === 'records' && pathExists(path.join(path.dirname(data.train), RGB_MEAN_FILE)) ? path.dirname(data.train) : undefined;
      if (meanDir === undefined) {
        // Said in the CLI's terms too: this is the first thing `rxtrain train --data FOLDER` meets.
        const what = format === 'records' ? `a record file without ${RGB_MEAN_FILE} beside it` : 'a folder-per-class tree';
        const measure = format === 'records' ? '' : ", or train on the folder's rxtrain preprocess output, which measures it";
        throw new Error(`augmentation.mean: "dataset" (the default) reads ${RGB_MEAN_FILE}, which only a rxtrain preprocess output has, and ${data.train} is ${what}: give the mean in 0..255 units (--mean 124,116,104, or one value for every channel; in the config three numbers) or none (--mean none; null in the config)${measure}`);
      }
      const m = await readRgbMean(meanDir);
      mean = [m.r, m.g, m.b];
      if (format === 'records') fingerprint[RGB_MEAN_FILE] = sha256(fs.readFileSync(path.join(meanDir, RGB_MEAN_FILE)));
      notes.push(`mean: ${mean.map((x) => x.toFixed(2)).join(', ')} (from ${format === 'manifest' ? RGB_MEAN_FILE : path.join(meanDir, RGB_MEAN_FILE)})`);
    } else {
      mean = aug.mean ?? [0, 0, 0];
    }
    const std = aug.std === null ? undefined : aug.std;
    const channels = model.channels;
    const normalise = channels === 1 ? { mean: [mean[0]], ...(std === undefined ? {} : { std: [std[0]] }) } : { mean, ...(std === undefined ? {} : { std }) };
    const crop = model.inputSize;
    const trainAug: Augment = aug.randomCrop
      ? { kind: 'train', crop, pad: aug.pad, flip: aug.flip, ...normalise }
      : { kind: 'eval', crop, ...normalise };
    const common = { batchSize: cfg.batchSize, seed: cfg.seed, prefetch: data.prefetch, channels };
    // minLastBatch 2: a last batch of one image cannot train (BatchNorm has no batch statistics
    // for it), and whether one is left depends on the data size and on skipped files.
    const trainSource = createImageDataset({
      ...common, store: train.store, shuffle: true, augment: trainAug, minLastBatch: 2, ...(opts.transform === undefined ? {} : { transform: opts.transform }),
    });
    if (cfg.batchSize > 1 && train.store.size % cfg.batchSize === 1) {
      notes.push(`train: ${train.store.size} images in batches of ${cfg.batchSize} leave one over (unless files are skipped): each epoch leaves out that last image, a different one each epoch (one image alone cannot train BatchNorm)`);
    }
    const { val: valSource, tenCrop } = val === undefined ? {} : evalSources(cfg, val.store, normalise, opts.valTransform);
    // Only a preprocess output promises one size for all its images; a plain folder's first image says nothing.
    const side = aug.resize ?? imageSide(val?.store ?? train.store) ?? (format === 'manifest' ? await jpegSide((val ?? train).items[0]?.path) : undefined);
    return {
      train: trainSource,
      ...(valSource === undefined ? {} : { val: valSource }),
      ...(tenCrop === undefined ? {} : { tenCrop }),
      classes,
      inputShape: [crop, crop, channels],
      skipped: [...train.skipped, ...(val?.skipped ?? [])],
      valSkipped: val?.skipped ?? [],
      fingerprint,
      notes,
      inference: { classes, ...normalise, ...(side === undefined ? {} : { imageSide: side }), ...(background === undefined ? {} : { background }) },
      originalOf: (imagePath) => originals.get(imagePath),
      async close() {
        await trainSource.close();
        await valSource?.close();
        await tenCrop?.source.close();
      },
    };
  } catch (e) {
    await Promise.allSettled(opened.map((s) => s.close()));
    throw e;
  }
}

/**
 * The part of {@link OpenedDatasets} that scoring needs: {@link openEvalData}'s result.
 *
 * @example
 * ```ts
 * const d: EvalDatasets = await openEvalData(cfg, ck.inference, 'data/test.rec');
 * ```
 */
export type EvalDatasets = Pick<OpenedDatasets, 'val' | 'tenCrop' | 'classes' | 'inputShape' | 'valSkipped' | 'notes' | 'originalOf' | 'close'>;

/**
 * Opens data to score a checkpoint on without its training data: a record file or a
 * folder-per-class tree (`where`) with the classes and normalisation the checkpoint stored
 * ({@link InferenceInfo}), prepared as the run's validation pass prepared its own: image files
 * resized to the side the run's images had (`info.imageSide`, else `augmentation.resize`), then
 * a centre crop, or 10-crop when `cfg.tenCrop`. Classes that differ are refused,
 * naming the extra and missing ones. `opts.valTransform` is the run's validation transform
 * (the CLI cannot apply one: code is not config); `opts.maxPixels` the decode limit of image
 * files ({@link OpenEvalDataOptions}).
 *
 * @example
 * ```ts
 * const d = await openEvalData(cfg, ck.inference, 'data/test.rec'); // ck: a decoded checkpoint that has inference
 * try { console.log(d.val?.size); } finally { await d.close(); }
 * const equalised = await openEvalData(cfg, ck.inference, 'data/test', { valTransform: equalise });
 * const scans = await openEvalData(cfg, ck.inference, 'data/scans', { maxPixels: 250_000_000 }); // huge images
 * ```
 */
export async function openEvalData(cfg: TrainConfig, info: InferenceInfo, where: string, opts: OpenEvalDataOptions = {}): Promise<EvalDatasets> {
  const { model, augmentation: aug } = cfg;
  // One value stands for every channel (`--mean 72`, as the run validated with it).
  const fits = (v: readonly number[] | undefined): boolean => v === undefined || v.length === 1 || v.length === model.channels;
  if (!fits(info.mean) || !fits(info.std)) {
    throw new Error(`the checkpoint's normalisation has ${info.mean.length} channels but model.channels is ${model.channels}`);
  }
  // The run validated on images of this side (a preprocess output's, the records', or
  // augmentation.resize): other-sized images must be brought to it, as predict does, or the
  // centre crop sees them at another scale and scores differ from predict's on the same files.
  const side = info.imageSide ?? aug.resize;
  const decode: DecodeOptions = {
    ...(side === null ? {} : { resize: side }),
    channels: model.channels,
    ...(opts.maxPixels === undefined ? {} : { maxPixels: opts.maxPixels }),
    ...(opts.maxPixelsSetting === undefined ? {} : { maxPixelsSetting: opts.maxPixelsSetting }),
    ...(info.background === undefined ? {} : { background: info.background }),
  };
  const opened = await openValData(where, 'data.val', info.classes, model.channels, decode);
  try {
    const normalise = { mean: info.mean, ...(info.std === undefined ? {} : { std: info.std }) };
    const { val, tenCrop } = evalSources({ ...cfg, augmentation: { ...aug, resize: side } }, opened.split.store, normalise, opts.valTransform);
    return {
      ...(val === undefined ? {} : { val }),
      ...(tenCrop === undefined ? {} : { tenCrop }),
      classes: info.classes,
      inputShape: [model.inputSize, model.inputSize, model.channels],
      valSkipped: opened.split.skipped,
      notes: [opened.note],
      originalOf: (imagePath) => opened.originals.get(imagePath),
      async close() {
        await (val ?? tenCrop?.source)?.close();
      },
    };
  } catch (e) {
    await opened.split.store.close();
    throw e;
  }
}

/** The side of a square JPEG (a preprocess output's images all have one), from its header only. */
async function jpegSide(file: string | undefined): Promise<number | undefined> {
  if (file === undefined) return undefined;
  try {
    const fh = await fs.promises.open(file, 'r');
    try {
      const buf = Buffer.alloc(65536);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      const h = readJpegHeader(buf.subarray(0, bytesRead));
      return h !== undefined && h.width === h.height ? h.width : undefined;
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}

function imageSide(store: SampleStore): number | undefined {
  const h = (store as { header?: { width?: unknown; height?: unknown } }).header;
  return h !== undefined && typeof h.width === 'number' && h.width === h.height ? h.width : undefined;
}

/**
 * A checkpoint written before a preprocess output's `preprocess.json` was part of the data
 * fingerprint has none: it resumes, with a warning, since it cannot show the file unchanged.
 */
const UNRECORDED_PREPROCESS_INFO: IdentityChangeRule = {
  path: `data.${PREPROCESS_INFO_FILE}`,
  from: undefined,
  action: 'accept',
  note: `the checkpoint predates ${PREPROCESS_INFO_FILE} in the data fingerprint, so it cannot show that the preprocess output was not remade with another --background since it was written; resuming as if not (a change from now on is refused)`,
};

/** What a split's image files are: a preprocess output's JPEGs, or a folder-per-class tree's images. */
type ImageFilesKind = 'preprocess' | 'folder';

/**
 * Rules for the sizes of a split's image files (a sample) in the data fingerprint, for a run
 * that reads them (`kind`: a preprocess output's, or a folder tree's): a checkpoint written
 * before they were part of it resumes, with a warning; a change is refused, saying what it
 * likely was; so is reading the record file instead (its pixels are from before JPEG
 * compression), also one made only since, or (a folder tree) data that has no image files.
 */
function imageSizesRules(split: 'train' | 'val', kind: ImageFilesKind): IdentityChangeRule[] {
  const at = `data.${split} image sizes`;
  const preprocess = kind === 'preprocess';
  const what = preprocess ? 'the preprocess output was not remade with another --quality or --size' : `the images in data.${split} were not re-encoded or replaced under the same names`;
  const likely = preprocess ? 'the preprocess output was remade, with another --quality or --size?' : `images in data.${split} re-encoded or replaced under the same names?`;
  return [
    {
      path: at,
      from: undefined,
      action: 'accept',
      note: `the checkpoint predates the ${split} image files' sizes in the data fingerprint, so it cannot show that ${what} since it was written; resuming as if not (a change from now on is refused)`,
    },
    {
      path: at,
      to: undefined,
      action: 'refuse',
      note: preprocess
        ? `the checkpoint was trained on the ${split} image files (--no-records, or no ${split}.rec then); ${split}.rec, read now, holds the pixels before JPEG compression: pass --no-records (config data.records false) to resume`
        : `the checkpoint was trained on the ${split} image files of a folder tree, and this run reads none: resume with the data it was trained on, or start a new run (another --run-dir)`,
    },
    {
      path: at,
      action: 'refuse',
      note: `the ${split} image files are not the ones the checkpoint was trained on (sizes of a sample of them differ: ${likely}); resume with the ${preprocess ? 'output' : 'images'} it was trained on, or start a new run (another --run-dir)`,
    },
  ];
}

/**
 * What the data fingerprint says for a preprocess output's `train.rec`/`val.rec` that the run
 * does not read (`--no-records`: it decodes the image files instead).
 */
const RECORD_FILE_NOT_READ = 'not read (--no-records)';

/**
 * The record files (`train.rec`, `val.rec`) of the preprocess output `data.train` that exist now
 * and that the run of a checkpoint did not read: its data fingerprint (`trained`, e.g. from
 * {@link readCheckpointHeader}) says that it decoded the image files of those splits, with
 * `--no-records` or because the file was made only since. A resume must not read them (they
 * hold the pixels before JPEG compression, not those it trained on): `data.records` false
 * resumes it, and is what `rxtrain train` takes when the option is not given. Empty when the
 * checkpoint's run read a record file, or its fingerprint does not say (one older than image
 * sizes in it), or the data is not a preprocess output.
 *
 * @example
 * ```ts
 * const h = await readCheckpointHeader('runs/x/checkpoints/best.rxckpt');
 * const unread = recordFilesNotTrainedOn(cfg.data, h.identity); // e.g. ['train.rec', 'val.rec']
 * const data = unread.length > 0 ? { ...cfg.data, records: false } : cfg.data;
 * ```
 */
export function recordFilesNotTrainedOn(data: TrainConfig['data'], trained: RunIdentity): ('train.rec' | 'val.rec')[] {
  const fp = trained.data;
  if (fp === null || typeof fp !== 'object' || (fp as Record<string, unknown>).format !== 'manifest' || detectDataFormat(data) !== 'manifest') return [];
  const at = (key: string): unknown => (fp as Record<string, unknown>)[key];
  // The val split of the output is read only when no other validation data is given.
  const splits = data.val === null ? (['train', 'val'] as const) : (['train'] as const);
  // One split on its record file and one on its images cannot both go on with one data.records:
  // such a resume is refused as before, naming what differs.
  const readRecords = (['train', 'val'] as const).some((split) => typeof at(`${split}.rec`) === 'string' && at(`${split}.rec`) !== RECORD_FILE_NOT_READ);
  if (readRecords) return [];
  return splits
    .filter((split) => at(`${split}.rec`) === RECORD_FILE_NOT_READ || at(`${split} image sizes`) !== undefined)
    .map((split) => `${split}.rec` as const)
    .filter((file) => pathExists(path.join(data.train, file)));
}

/**
 * Rules for a preprocess output's record files in the data fingerprint: a checkpoint written
 * before they were part of it (or when the output had none) resumes, with a warning, since it
 * cannot show the same pixels; so does one whose unread record file is gone (the same image
 * files are read); a switch of `--no-records` or a remade file is refused, saying what to pass.
 */
function recordFileRules(file: 'train.rec' | 'val.rec', imageFilesAsIn: string | undefined): IdentityChangeRule[] {
  const at = `data.${file}`;
  // The header read to choose the image files was of a checkpoint the resume passed over
  // (its tensors damaged), and the one it fell back on trained on the record file.
  const fellBack: IdentityChangeRule[] = imageFilesAsIn === undefined ? [] : [{
    path: at,
    to: RECORD_FILE_NOT_READ,
    action: 'refuse',
    note: `${file} was left unread because ${imageFilesAsIn}, the newest checkpoint, was trained on the image files, but it is unusable (see above) and the older checkpoint resumed instead was trained on ${file}: pass --records to resume from that one`,
  }];
  // Not a warning per file: whoever passed imageFilesAsIn has said in one line that the record
  // files are left unread (rxtrain train's "resuming on the image files"). The general rule below
  // would instead warn that the checkpoint cannot show it was trained on the pixels of a file
  // that this run does not read either.
  const madeSince: IdentityChangeRule[] = imageFilesAsIn === undefined ? [] : [{
    path: at,
    from: undefined,
    to: RECORD_FILE_NOT_READ,
    action: 'accept',
    quiet: true,
    note: `${file} was made after the checkpoint, which was trained on the image files: this run reads them too, not ${file} (a switch to it from now on is refused)`,
  }];
  return [
    ...madeSince,
    {
      path: at,
      from: undefined,
      action: 'accept',
      note: `the checkpoint's data fingerprint has no ${file} (it predates record files there, or the preprocess output had none then), so it cannot show that it was trained on these pixels; resuming as if so (a change from now on is refused)`,
    },
    {
      path: at,
      from: RECORD_FILE_NOT_READ,
      to: undefined,
      action: 'accept',
      note: `the checkpoint's run did not read ${file} (--no-records) and it is gone now: the same image files are read`,
    },
    {
      path: at,
      from: RECORD_FILE_NOT_READ,
      action: 'refuse',
      note: `the checkpoint was trained on the image files (--no-records); ${file} holds the pixels before JPEG compression, so reading it would train on other pixels: pass --no-records (config data.records false) to resume`,
    },
    ...fellBack,
    {
      path: at,
      action: 'refuse',
      note: `the checkpoint was trained on the pixels of ${file} as it was then: resuming needs that record file, read as before (without --no-records)`,
    },
  ];
}

/**
 * Checkpoints written before the balance was left out on 1 replica recorded `speed` there too.
 * On 1 replica now, nothing is split whatever either run's balance: the same maths, so it
 * resumes (a checkpoint of more replicas is still refused for its count, unless allowed).
 */
const BALANCE_ON_ONE_REPLICA: IdentityChangeRule = {
  path: 'config.balance',
  from: 'speed',
  action: 'accept',
  note: 'the balance has no effect on 1 replica, the count this run trains on (each batch is trained whole), and is recorded only for 2 or more replicas now: the checkpoint\'s speed makes no difference from here',
};

/**
 * A run started from another run's weights (`initFrom`) records the source in its identity in
 * one spelling ({@link canonicalInitSource}: a run directory as its best.rxckpt, symlinks
 * resolved): the same `--init-from`, however spelt, resumes it (the source is not read again, and
 * may have changed or be gone: see `sameInitSourceRules`), another one or none is refused, and so is an `--init-from` on a run directory
 * whose run started without one (it would resume that run, not start a new one).
 */
const INIT_FROM_RULES: readonly IdentityChangeRule[] = [
  {
    path: 'config.initFrom',
    from: undefined,
    action: 'refuse',
    note: '--init-from starts a new run from another run\'s weights, and this run directory holds checkpoints of a run that started without it: give the new run a new --run-dir (or leave out --init-from to resume this one)',
  },
  {
    path: 'config.initFrom',
    action: 'refuse',
    note: 'the run started from the weights its checkpoint names: resume it with that same --init-from (it is not read again: the run\'s own checkpoint holds its weights), or start a run from other weights in a new --run-dir',
  },
  // Which weights the default took (the average when the source run kept one) is known only by
  // reading the source, which a resume does not do: the note names exactly what to pass instead.
  {
    path: 'config.initWeights',
    from: undefined,
    action: 'refuse',
    note: 'the run took its --init-from\'s default weights: resume it without --init-weights (the source is not read again to tell which weights the default took), or start a new run in a new --run-dir',
  },
  ...(['ema', 'trained'] as const).map((kind) => ({
    path: 'config.initWeights',
    from: kind,
    action: 'refuse' as const,
    note: `the run started from its --init-from's ${kind === 'ema' ? 'moving average' : 'trained weights'}: resume it with --init-weights ${kind}, or start a new run in a new --run-dir`,
  })),
];

/**
 * The source a run started from may have changed since (its run went on and now has a
 * best.rxckpt, or it is gone), so what the same `--init-from` resolves to now may differ from
 * what was recorded: it still resumes when it could have named the recorded spelling then
 * ({@link initSourceSpellings}), with a warning saying so, since the source is not read again.
 * `kept`: the spelling the identity records ({@link initSourceOfRun}).
 */
function sameInitSourceRules(given: string, kept: string): IdentityChangeRule[] {
  return initSourceSpellings(given)
    .filter((then) => then !== kept)
    .map((then) => ({
      path: 'config.initFrom',
      from: then,
      action: 'accept' as const,
      note: 'the --init-from the run started with, which resolves to another file now than when the run started (its source run went on, or is gone): resuming, since it is not read again (the run\'s own checkpoint holds the weights it took)',
    }));
}

/**
 * The spelling of `given` (an `--init-from`) a run identity records: the one the checkpoint a
 * resume starts from recorded, when `given` could have named it when the run started
 * ({@link initSourceSpellings}), else {@link canonicalInitSource}. What the source resolves to
 * now (another file once its run went on; a mere path once it is gone) would otherwise be
 * recorded from this resume on, and a later resume with another spelling of the same source,
 * which could have named the start's but not this one, refused.
 */
function initSourceOfRun(given: string, recorded: string | undefined): string {
  const now = canonicalInitSource(given);
  return recorded !== undefined && recorded !== now && initSourceSpellings(given).includes(recorded) ? recorded : now;
}

/**
 * What {@link runIdentity} records besides the config: what a JSON file cannot hold.
 *
 * @example
 * ```ts
 * const o: RunIdentityOptions = { transformId: 'cutout-v2' };
 * ```
 */
export interface RunIdentityOptions {
  /**
   * A name you give the code transforms of the run (`transform` and `valTransform`, e.g.
   * `'cutout-v2'`): a checkpoint cannot record code, so a resume with another name (or none)
   * is refused like any other change of the maths. Change the name when you change the code.
   */
  readonly transformId?: string | undefined;
  /**
   * The checkpoint file whose header made this start read a preprocess output's image files
   * rather than its record files ({@link recordFilesNotTrainedOn}): a record file made since
   * that checkpoint, left unread, resumes without a warning of its own (say once that the
   * record files are left unread, as `rxtrain train` does; the checkpoints from then on
   * record them as not read); should the resume fall back
   * on an older checkpoint (that one unusable) trained on the record files, it is refused,
   * saying so and what to pass. Not part of the identity's hash.
   */
  readonly imageFilesAsIn?: string | undefined;
  /**
   * The `config.initFrom` that the checkpoint a resume starts from recorded (its header's
   * identity, e.g. from `latestCheckpointHeader`). When the run's `initFrom` could have named it
   * when the run started, though it resolves to another file now (its source run went on, or is
   * gone), the identity records it again, not what the source resolves to now: the run's
   * checkpoints keep the spelling of its start, so any spelling of that source resumes them.
   * The hashes then match: say that the source changed yourself, as `rxtrain train` does.
   */
  readonly recordedInitFrom?: string | undefined;
}

/**
 * The part of a config a checkpoint must match to be resumed — everything that changes the
 * maths (data, model, batch size, optimizer, scheduler, augmentation, seed, 10-crop,
 * replicas, shard balancing over 2 or more replicas, `opts.transformId`, the name of your
 * code transforms, and `initFrom`, the weights a fine-tuned run started from) — plus the data
 * fingerprint. Epochs, logging, telemetry, checkpoint cadence,
 * early stopping and the backend may change between runs. `changes` lets a checkpoint written
 * before the fingerprint held `preprocess.json`, the record files or the image files' sizes
 * resume, with a warning, and (on 1 replica) one that recorded balance `speed` on 1 replica; it
 * names what to pass when `--no-records` was switched; add your own rules after them.
 *
 * `cfg.replicas` must be the count the run trains on: resolve a 0 (`auto`) first
 * ({@link resolveReplicas}), since the maths depend on the count (BatchNorm per shard), not on
 * how it was asked for; 0 is refused with a RangeError.
 *
 * @example
 * ```ts
 * const replicas = resolveReplicas(cfg.replicas === 0 ? 'auto' : cfg.replicas, backend.name);
 * const id = runIdentity({ ...cfg, replicas }, datasets.fingerprint);
 * const withTransforms = runIdentity({ ...cfg, replicas }, datasets.fingerprint, { transformId: 'cutout-v2' });
 * ```
 */
export function runIdentity(cfg: TrainConfig, fingerprint: Record<string, string>, opts: RunIdentityOptions = {}): RunIdentity {
  if (cfg.replicas === 0) throw new RangeError('runIdentity: replicas 0 (auto) must be resolved to the count the run trains on first (resolveReplicas)');
  const { transformId, imageFilesAsIn, recordedInitFrom } = opts;
  const initFrom = cfg.initFrom === null ? undefined : initSourceOfRun(cfg.initFrom, recordedInitFrom);
  if (transformId !== undefined && (typeof transformId !== 'string' || transformId.trim() === '')) {
    throw new TypeError(`runIdentity: transformId must be a non-empty string naming your transforms (e.g. 'cutout-v2'), got ${JSON.stringify(transformId)}`);
  }
  const { train, val, format } = cfg.data;
  // The refusals name what likely changed: a preprocess output remade, or a folder tree's images.
  const trainFiles: ImageFilesKind = fingerprint.format === 'folder' ? 'folder' : 'preprocess';
  // The default rates are left out, so checkpoints written before dropout was configurable
  // (same maths) still resume.
  const { dropout, ...model } = cfg.model;
  const isDefaultDropout = dropout.conv === DEFAULT_TRAIN_CONFIG.model.dropout.conv && dropout.dense === DEFAULT_TRAIN_CONFIG.model.dropout.dense;
  return {
    config: {
      data: { train: path.resolve(train), val: val === null ? null : path.resolve(val), format },
      model: isDefaultDropout ? model : cfg.model,
      batchSize: cfg.batchSize,
      optimizer: cfg.optimizer,
      // Only when on, so checkpoints written before the option existed (same maths) still resume.
      ...(cfg.labelSmoothing > 0 ? { labelSmoothing: cfg.labelSmoothing } : {}),
      scheduler: cfg.scheduler,
      // Only when on (it changes what is validated and kept as best), so older checkpoints still resume.
      ...(cfg.ema.decay > 0 ? { ema: cfg.ema } : {}),
      augmentation: cfg.augmentation,
      seed: cfg.seed,
      tenCrop: cfg.tenCrop,
      // Only when on, so checkpoints written before the option existed (same maths) still resume.
      ...(cfg.valFlip ? { valFlip: true } : {}),
      replicas: cfg.replicas,
      // Only when on (it changes how batches are split), so older checkpoints still resume, and
      // only over 2 or more replicas: 1 gets every batch whole whatever the balance.
      ...(cfg.balance === 'speed' && cfg.replicas > 1 ? { balance: cfg.balance } : {}),
      // Only when given, so runs without one (and older checkpoints) still resume.
      ...(transformId === undefined ? {} : { transform: transformId }),
      // Only for a run started from another run's weights (which ones, only when asked for).
      ...(initFrom === undefined ? {} : { initFrom, ...(cfg.initWeights === null ? {} : { initWeights: cfg.initWeights }) }),
    },
    data: fingerprint,
    changes: [...(cfg.initFrom === null || initFrom === undefined ? [] : sameInitSourceRules(cfg.initFrom, initFrom)), ...INIT_FROM_RULES, UNRECORDED_PREPROCESS_INFO, ...recordFileRules('train.rec', imageFilesAsIn), ...recordFileRules('val.rec', imageFilesAsIn), ...imageSizesRules('train', trainFiles), ...imageSizesRules('val', val === null ? trainFiles : 'folder'), ...(cfg.replicas === 1 ? [BALANCE_ON_ONE_REPLICA] : [])],
  };
}
