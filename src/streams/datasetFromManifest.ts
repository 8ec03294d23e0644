import * as path from 'node:path';
import type { EvalAugment, TrainAugment } from './Augment';
import type { BatchSource } from './BatchSource';
import type { Category } from './Category';
import { createImageDataset, type ImageDatasetOptions } from './createImageDataset';
import type { DecodeOptions } from './decodeFile';
import { fileStore } from './fileStore';
import { isFileAsync } from './fsPredicates';
import { readCategories } from './readCategories';
import { readManifest, type Split } from './readManifest';
import { readRgbMean, type RgbMean } from './readRgbMean';
import { openRecordStore } from './recordStore';
import type { SampleStore } from './SampleStore';
import type { Skip } from './Skip';
import type { SourceItem } from './SourceItem';

/**
 * An {@link Augment} whose `mean` may be left out: it then defaults to the train-set mean in
 * `rgb_val.json`.
 *
 * @example
 * ```ts
 * const a: ManifestAugment = { kind: 'train', crop: 227, flip: true };
 * ```
 */
export type ManifestAugment =
  | (Omit<TrainAugment, 'mean'> & { readonly mean?: readonly number[] | undefined })
  | (Omit<EvalAugment, 'mean'> & { readonly mean?: readonly number[] | undefined });

/**
 * Options of {@link datasetFromManifest}: those of {@link createImageDataset} without `store`.
 *
 * @example
 * ```ts
 * const o: ManifestDatasetOptions = { batchSize: 64, seed: 1, augment: { kind: 'train', crop: 227, flip: true } };
 * ```
 */
export interface ManifestDatasetOptions extends Omit<ImageDatasetOptions, 'store' | 'augment' | 'channels'> {
  readonly augment: ManifestAugment;
  /**
   * Read `<split>.rec` (packed pre-decoded pixels; no JPEG decoding per epoch) instead of the
   * JPEGs. `'auto'` (default) uses it when it exists; `true` requires it; `false` ignores it.
   */
  readonly records?: 'auto' | boolean | undefined;
  /** How JPEGs are decoded when no record file is used. */
  readonly decode?: DecodeOptions | undefined;
}

/**
 * A dataset over a preprocessed folder, with what it was built from.
 *
 * @example
 * ```ts
 * const ds: ManifestDataset = await datasetFromManifest('data/pre', 'val', { batchSize: 64, augment: { kind: 'eval', crop: 227 } });
 * console.log(ds.source, ds.categories.length);
 * ```
 */
export interface ManifestDataset extends BatchSource {
  /** The classes, index = label. */
  readonly categories: readonly Category[];
  /** Train-set mean from `rgb_val.json`. */
  readonly mean: RgbMean;
  /** Where pixels come from: the record file or the image files. */
  readonly source: 'records' | 'files';
  /** Path of the record file or manifest the samples are read through. */
  readonly location: string;
  /** Manifest rows that could not be used (`bad-label`): report them once, e.g. as events. */
  readonly skipped: readonly Skip[];
}

/**
 * Builds the training or validation dataset from the output folder of `rxtrain preprocess`:
 * `categories.csv`, `<split>.csv`, `rgb_val.json` and the images, or `<split>.rec` when it
 * exists (much faster: no decoding). The mean defaults to `rgb_val.json`. Rejects with a
 * readable error for a missing or inconsistent folder (e.g. a record file that does not match
 * its manifest: rerun preprocess).
 *
 * @example
 * ```ts
 * const train = await datasetFromManifest('data/pre', 'train', { batchSize: 64, seed: 1, augment: { kind: 'train', crop: 227, flip: true } });
 * const val = await datasetFromManifest('data/pre', 'val', { batchSize: 64, augment: { kind: 'eval', crop: 227 } });
 * for await (const item of train.epoch(0)) { ... }
 * ```
 */
export async function datasetFromManifest(dir: string, split: Split, opts: ManifestDatasetOptions): Promise<ManifestDataset> {
  const { records = 'auto', decode, augment, ...rest } = opts;
  const categories = await readCategories(dir);
  const [items, mean] = await Promise.all([readManifest(dir, split, categories), readRgbMean(dir)]);
  const good = items.filter((x): x is SourceItem => x.kind === 'item');
  const skipped = items.filter((x): x is Skip => x.kind === 'skip');
  const recFile = path.join(dir, `${split}.rec`);
  const useRecords = records === true || (records === 'auto' && (await isFileAsync(recFile)));
  let store: SampleStore;
  if (useRecords) {
    const rec = await openRecordStore(recFile);
    // Rows and records are written together, one record per row.
    const rows = items.length;
    if (rec.size !== rows) {
      await rec.close();
      throw new Error(`${recFile} has ${rec.size} records but ${split}.csv lists ${rows} images: rerun \`rxtrain preprocess --records\``);
    }
    store = rec;
  } else {
    store = fileStore(good, { ...decode, numClasses: categories.length });
  }
  const dataset = createImageDataset({
    ...rest,
    store,
    channels: 3,
    augment: { ...augment, mean: augment.mean ?? [mean.r, mean.g, mean.b] } as TrainAugment | EvalAugment,
  });
  return Object.assign(dataset, {
    categories,
    mean,
    source: useRecords ? ('records' as const) : ('files' as const),
    location: useRecords ? recFile : path.join(dir, `${split}.csv`),
    skipped,
  });
}
