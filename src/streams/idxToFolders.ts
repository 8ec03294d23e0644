import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { createRng } from '../ops/Rng';
import { classDirName } from './idxClassNames';
import type { IdxDataset } from './idxDataset';

/**
 * Options of {@link idxToFolders}.
 *
 * @example
 * ```ts
 * const o: IdxToFoldersOptions = { names: FASHION_MNIST_CLASSES, limitPerClass: 100, seed: 1 };
 * ```
 */
export interface IdxToFoldersOptions {
  /** Class names by label; their count is the number of classes. */
  readonly names: readonly string[];
  /** At most this many images per class (default: all). */
  readonly limitPerClass?: number | undefined;
  /**
   * With `limitPerClass`: pick each class's images at random with this seed. Without a seed
   * the first `limitPerClass` images of each class in file order are taken. Either way the
   * result is deterministic.
   */
  readonly seed?: number | undefined;
  /** Replace class folders that already exist in `outDir` (default: refuse). */
  readonly overwrite?: boolean | undefined;
  /** PNG encodes in flight (default 8). */
  readonly concurrency?: number | undefined;
  /** Called after each written image. */
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
}

/**
 * What {@link idxToFolders} wrote.
 *
 * @example
 * ```ts
 * const { written, dirs }: IdxToFoldersResult = await idxToFolders(ds, 'out', { names });
 * ```
 */
export interface IdxToFoldersResult {
  /** Images written. */
  readonly written: number;
  /** Class folder names, by label. */
  readonly dirs: readonly string[];
  /** Images written per class, by label. */
  readonly perClass: readonly number[];
}

/**
 * Indices of the images to export, per label, ascending: all, the first `limit` per class, or
 * (with a seed) `limit` per class drawn at random.
 *
 * @example
 * ```ts
 * selectPerClass(Uint8Array.of(0, 1, 0, 0), 2, 2); // [[0, 2], [1]]
 * ```
 */
export function selectPerClass(labels: Uint8Array, numClasses: number, limit?: number, seed?: number): number[][] {
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  labels.forEach((y, i) => byClass[y].push(i));
  if (limit === undefined) return byClass;
  const rng = seed !== undefined ? createRng(seed) : undefined;
  return byClass.map((idx) => {
    if (rng === undefined || idx.length <= limit) return idx.slice(0, limit);
    const a = idx.slice();
    for (let i = 0; i < limit; i++) {
      const j = i + rng.int(a.length - i);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a.slice(0, limit).sort((x, y) => x - y);
  });
}

async function isNonEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await fsp.readdir(dir)).length > 0;
  } catch {
    return false;
  }
}

/**
 * Writes an {@link IdxDataset} as a folder-per-class PNG tree that `folderSource` and
 * `rxtrain preprocess` read: `outDir/<id>.<name>/<index>.png`, with Caltech256-style class
 * folders (`001.t-shirt_top`, ids = label + 1, see `classDirName`) and files named by the
 * image's 0-based index in the IDX file (`00042.png`), so every PNG traces back to its
 * source record. Grey images stay 1-channel PNGs.
 *
 * @example
 * ```ts
 * const ds = await readIdxDataset(images, labels, { numClasses: 10 });
 * await idxToFolders(ds, 'data/fmnist/train', { names: FASHION_MNIST_CLASSES, limitPerClass: 100 });
 * ```
 */
export async function idxToFolders(ds: IdxDataset, outDir: string, opts: IdxToFoldersOptions): Promise<IdxToFoldersResult> {
  const k = opts.names.length;
  if (opts.limitPerClass !== undefined && (!Number.isInteger(opts.limitPerClass) || opts.limitPerClass < 1)) {
    throw new Error(`limit per class must be a positive integer, got ${opts.limitPerClass}`);
  }
  const maxLabel = ds.labels.reduce((m, y) => Math.max(m, y), 0);
  if (maxLabel >= k) throw new Error(`the labels go up to ${maxLabel} but only ${k} class names were given`);
  const dirs = opts.names.map((n, label) => classDirName(label, n, k));
  const dup = dirs.find((d, i) => dirs.indexOf(d) !== i);
  if (dup !== undefined) throw new Error(`two classes map to the same folder name '${dup}'`);
  for (const d of dirs) {
    const full = path.join(outDir, d);
    if (await isNonEmptyDir(full)) {
      if (!opts.overwrite) throw new Error(`${full} already exists and is not empty (pass overwrite / --overwrite to replace it)`);
      await fsp.rm(full, { recursive: true, force: true });
    }
    await fsp.mkdir(full, { recursive: true });
  }
  const selected = selectPerClass(ds.labels, k, opts.limitPerClass, opts.seed);
  const jobs = selected.flatMap((idx, label) => idx.map((i) => ({ i, label })));
  const digits = Math.max(5, String(ds.count - 1).length);
  const concurrency = Math.max(1, opts.concurrency ?? 8);
  let next = 0;
  let done = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < jobs.length && !failed) {
      const { i, label } = jobs[next++];
      const img = ds.image(i);
      const file = path.join(outDir, dirs[label], `${String(i).padStart(digits, '0')}.png`);
      try {
        let png = sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels as 1 | 3 | 4 } });
        // sharp would otherwise promote 1-channel input to an RGB PNG: 3× the bytes, same pixels
        if (img.channels === 1) png = png.toColourspace('b-w');
        await png.png({ compressionLevel: 9 }).toFile(file);
      } catch (err) {
        failed = true;
        throw new Error(`cannot write ${file}: ${(err as Error).message}`);
      }
      opts.onProgress?.(++done, jobs.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  return { written: jobs.length, dirs, perClass: selected.map((s) => s.length) };
}
