import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

/**
 * File name of what a preprocess run records about how it made its images, beside its
 * manifests.
 *
 * @example
 * ```ts
 * path.join(outDir, PREPROCESS_INFO_FILE); // '<outDir>/preprocess.json'
 * ```
 */
export const PREPROCESS_INFO_FILE = 'preprocess.json';

/**
 * How a preprocess run made its images, as far as a model scoring new images must repeat it:
 * the colour transparent pixels were flattened onto.
 *
 * @example
 * ```ts
 * const info: PreprocessInfo = { background: 'white' };
 * ```
 */
export interface PreprocessInfo {
  readonly background: 'black' | 'white';
}

/**
 * Reads `<dir>/preprocess.json`, or undefined when it is absent (outputs of earlier versions,
 * whose images were flattened onto black) or not a valid {@link PreprocessInfo}: it only adds
 * to what is known, so a bad one is never an error.
 *
 * @example
 * ```ts
 * const background = (await readPreprocessInfo('/data/pre'))?.background ?? 'black';
 * ```
 */
export async function readPreprocessInfo(dir: string): Promise<PreprocessInfo | undefined> {
  try {
    // A byte-order mark (the file saved again from a Windows editor) is not part of the JSON:
    // read as invalid, a white background would silently become black.
    const parsed = JSON.parse((await fsp.readFile(path.join(dir, PREPROCESS_INFO_FILE), 'utf8')).replace(/^\ufeff/, '')) as unknown;
    const background = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).background : undefined;
    return background === 'black' || background === 'white' ? { background } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes `<dir>/preprocess.json`.
 *
 * @example
 * ```ts
 * await writePreprocessInfo('/data/pre', { background: 'white' });
 * ```
 */
export async function writePreprocessInfo(dir: string, info: PreprocessInfo): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  await fsp.writeFile(path.join(dir, PREPROCESS_INFO_FILE), `${JSON.stringify({ background: info.background })}\n`);
}
