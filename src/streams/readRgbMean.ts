import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

/**
 * Per-channel mean of the training images in 0..255 units, as the preprocessor writes it.
 *
 * @example
 * ```ts
 * const m: RgbMean = { r: 124.1, g: 116.3, b: 103.9 };
 * ```
 */
export interface RgbMean {
  readonly r: number;
  readonly g: number;
  readonly b: number;
}

/**
 * File name of the train-set RGB mean in a preprocessed folder.
 *
 * @example
 * ```ts
 * path.join(outDir, RGB_MEAN_FILE);
 * ```
 */
export const RGB_MEAN_FILE = 'rgb_val.json';

/**
 * Reads `<dir>/rgb_val.json` (`{"r":…,"g":…,"b":…}`, 0..255). Rejects with a readable error if
 * it is missing or not three finite numbers.
 *
 * @example
 * ```ts
 * const { r, g, b } = await readRgbMean('/data/pre');
 * ```
 */
export async function readRgbMean(dir: string): Promise<RgbMean> {
  const file = path.join(dir, RGB_MEAN_FILE);
  let parsed: unknown;
  try {
    // A byte-order mark (the file saved again from a Windows editor) is not part of the JSON.
    parsed = JSON.parse((await fsp.readFile(file, 'utf8')).replace(/^\ufeff/, ''));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new Error(`${file} not found: run \`rxtrain preprocess\` to compute the train-set mean`);
    throw new Error(`cannot read ${file}: ${err.message}`);
  }
  const o = parsed as Record<string, unknown>;
  const ok = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  if (typeof parsed !== 'object' || parsed === null || !ok(o.r) || !ok(o.g) || !ok(o.b)) {
    throw new Error(`${file}: expected {"r": number, "g": number, "b": number}`);
  }
  return { r: o.r, g: o.g, b: o.b };
}

/**
 * Writes `<dir>/rgb_val.json`.
 *
 * @example
 * ```ts
 * await writeRgbMean('/data/pre', { r: 124.1, g: 116.3, b: 103.9 });
 * ```
 */
export async function writeRgbMean(dir: string, mean: RgbMean): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  await fsp.writeFile(path.join(dir, RGB_MEAN_FILE), JSON.stringify({ r: mean.r, g: mean.g, b: mean.b }) + '\n');
}
