import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { assertCategories, type Category } from './Category';
import { formatCsvRow } from './parseCsv';
import { readCsvFile } from './readCsvFile';

/**
 * File name of the class list the preprocessor writes next to its manifests.
 *
 * @example
 * ```ts
 * path.join(outDir, CATEGORIES_FILE); // '<outDir>/categories.csv'
 * ```
 */
export const CATEGORIES_FILE = 'categories.csv';

/**
 * Reads `<dir>/categories.csv` (header `id,name`, one class per row, in label order: row k
 * has label k). Rejects with a message naming the file and line for a missing file, a
 * missing header, a malformed row, or duplicate ids: without a valid class list no label
 * can be trusted, so this is an error, not a skip.
 *
 * @example
 * ```ts
 * const cats = await readCategories('/data/pre'); // [{ id: 1, name: 'ak47', label: 0 }, ...]
 * ```
 */
export async function readCategories(dir: string): Promise<Category[]> {
  const file = path.join(dir, CATEGORIES_FILE);
  // A class folder's name may hold a line break, which writeCategories writes inside quotes;
  // every bad row here is an error anyway, so a stray quote cannot hide one.
  const { rows } = await readCsvFile(file, ['id', 'name'], { quotedLineBreaks: true });
  const cats = rows.map((r, label): Category => {
    const [idText, name, ...rest] = r.fields;
    if (r.malformed || name === undefined || rest.length > 0 || !/^\s*\d+\s*$/.test(idText) || name.trim() === '') {
      throw new Error(`${file}:${r.line}: expected "<integer id>,<name>", got ${JSON.stringify(r.fields.join(','))}`);
    }
    return { id: Number.parseInt(idText, 10), name, label };
  });
  assertCategories(cats, file);
  return cats;
}

/**
 * Writes `<dir>/categories.csv` (header `id,name`, rows in label order).
 *
 * @example
 * ```ts
 * await writeCategories('/data/pre', await listCategories('/data/caltech256'));
 * ```
 */
export async function writeCategories(dir: string, categories: readonly Category[]): Promise<void> {
  assertCategories(categories, dir);
  const lines = ['id,name', ...categories.map((c) => formatCsvRow([c.id, c.name]))];
  await fsp.mkdir(dir, { recursive: true });
  await fsp.writeFile(path.join(dir, CATEGORIES_FILE), lines.join('\n') + '\n');
}
