import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import type { Image } from '../ops/Image';
import { decodeBuffer } from './decodeFile';
import { pathExistsAsync } from './fsPredicates';
import { classDirName } from './idxClassNames';
import type { IdxDataset } from './idxDataset';
import { selectPerClass } from './idxToFolders';
import { createRecordFileWriter } from './RecordFile';

/**
 * Options of {@link idxToRecordFile}.
 *
 * @example
 * ```ts
 * const o: IdxToRecordFileOptions = { names: FASHION_MNIST_CLASSES, channels: 1 };
 * ```
 */
export interface IdxToRecordFileOptions {
  /** Class names by label; their count is the number of classes (stored in the file). */
  readonly names: readonly string[];
  /** At most this many images per class, chosen as `idxToFolders` chooses them. */
  readonly limitPerClass?: number | undefined;
  /** With `limitPerClass`: a seeded random pick per class (see `idxToFolders`). */
  readonly seed?: number | undefined;
  /**
   * Channels of the records: 1 (grey) or 3 (RGB, grey replicated). Default: 1 for grey IDX
   * files, 3 otherwise. Match it to the training config's `model.channels`.
   */
  readonly channels?: 1 | 3 | undefined;
  /** Replace `file` if it exists (default: refuse). */
  readonly overwrite?: boolean | undefined;
  /** Called every 1000 records and at the end. */
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
}

/**
 * What {@link idxToRecordFile} wrote.
 *
 * @example
 * ```ts
 * const { written, channels }: IdxToRecordFileResult = await idxToRecordFile(ds, 'out/train.rec', { names });
 * ```
 */
export interface IdxToRecordFileResult {
  /** Records written. */
  readonly written: number;
  /** Channels per record. */
  readonly channels: 1 | 3;
  /** Records written per class, by label. */
  readonly perClass: readonly number[];
}

/**
 * The pixels decoding the PNG that `idxToFolders` writes for `img` would give, without the
 * PNG: 8-bit, `channels` channels. Grey → grey and RGB → RGB are copies and grey → RGB
 * replicates (what libvips' b-w → sRGB does); rarer layouts (RGBA, colour → grey) go through
 * the very same PNG encode and `decodeBuffer`, so they match by construction.
 */
async function recordPixels(img: Image, channels: 1 | 3): Promise<Uint8Array> {
  if (img.channels === channels) return img.data;
  if (img.channels === 1 && channels === 3) {
    const out = new Uint8Array(img.width * img.height * 3);
    for (let i = 0, o = 0; i < img.data.length; i++, o += 3) out[o] = out[o + 1] = out[o + 2] = img.data[i];
    return out;
  }
  const png = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels as 1 | 3 | 4 } }).png().toBuffer();
  const s = await decodeBuffer(png, 'idx', 0, { channels });
  if (s.kind === 'skip') throw new Error(`cannot convert a ${img.channels}-channel IDX image to ${channels} channels: ${s.message}`);
  return s.image.data;
}

/**
 * Writes an {@link IdxDataset} as one record file (see `createRecordFileWriter`): the images'
 * pixels at native size, ready for training without any decoding (`rxtrain train` reads a
 * `.rec` path given as `data.train` / `data.val`). Records are in the order `folderSource`
 * lists the PNG tree `idxToFolders` writes with the same options (class by class, IDX index
 * ascending), each named like that PNG (`001.t-shirt_top/00042.png`), with the same pixels
 * that decoding the PNG gives: a dataset over either yields identical batches. Missing
 * parent folders are created; the file appears atomically when complete.
 *
 * @example
 * ```ts
 * const ds = await readIdxDataset(images, labels, { numClasses: 10 });
 * await idxToRecordFile(ds, 'data/fmnist/train.rec', { names: FASHION_MNIST_CLASSES, channels: 1 });
 * ```
 */
export async function idxToRecordFile(ds: IdxDataset, file: string, opts: IdxToRecordFileOptions): Promise<IdxToRecordFileResult> {
  const k = opts.names.length;
  if (opts.limitPerClass !== undefined && (!Number.isInteger(opts.limitPerClass) || opts.limitPerClass < 1)) {
    throw new Error(`limit per class must be a positive integer, got ${opts.limitPerClass}`);
  }
  const channels = opts.channels ?? (ds.channels === 1 ? 1 : 3);
  if (channels !== 1 && channels !== 3) throw new Error(`record channels must be 1 or 3, got ${String(channels)}`);
  const maxLabel = ds.labels.reduce((m, y) => Math.max(m, y), 0);
  if (maxLabel >= k) throw new Error(`the labels go up to ${maxLabel} but only ${k} class names were given`);
  if (!opts.overwrite && (await pathExistsAsync(file))) throw new Error(`${file} already exists (pass overwrite / --overwrite to replace it)`);
  const dirs = opts.names.map((n, label) => classDirName(label, n, k));
  const selected = selectPerClass(ds.labels, k, opts.limitPerClass, opts.seed);
  const total = selected.reduce((s, idx) => s + idx.length, 0);
  const digits = Math.max(5, String(ds.count - 1).length);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const writer = await createRecordFileWriter(file, { width: ds.width, height: ds.height, channels, numClasses: k, classes: opts.names });
  let done = 0;
  try {
    for (const [label, idx] of selected.entries()) {
      for (const i of idx) {
        // Sequential appends: each is a small positioned write and the order is the file's.
        await writer.append(await recordPixels(ds.image(i), channels), label, `${dirs[label]}/${String(i).padStart(digits, '0')}.png`);
        if (++done % 1000 === 0) opts.onProgress?.(done, total);
      }
    }
    await writer.finish();
  } catch (err) {
    await writer.abort();
    throw new Error(`cannot write ${file}: ${(err as Error).message}`);
  }
  if (done % 1000 !== 0) opts.onProgress?.(done, total);
  return { written: done, channels, perClass: selected.map((s) => s.length) };
}
