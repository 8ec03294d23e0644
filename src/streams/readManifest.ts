import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Category } from './Category';
import { readCategories } from './readCategories';
import { formatCsvRow } from './parseCsv';
import { readCsvFile } from './readCsvFile';
import { skip, type Skip } from './Skip';
import type { SourceItem } from './SourceItem';

/**
 * A dataset split with its own manifest (`train.csv`, `val.csv`).
 *
 * @example
 * ```ts
 * const s: Split = 'val';
 * ```
 */
export type Split = 'train' | 'val';

/**
 * One manifest row: an image file (relative to the manifest's folder) and its class id
 * ({@link Category.id}, not the label).
 *
 * @example
 * ```ts
 * const r: ManifestRow = { file: 'train/000001.jpg', classId: 1 };
 * ```
 */
export interface ManifestRow {
  readonly file: string;
  readonly classId: number;
}

/**
 * Path of a split's manifest in a preprocessed folder.
 *
 * @example
 * ```ts
 * manifestPath('/data/pre', 'train'); // '/data/pre/train.csv'
 * ```
 */
export function manifestPath(dir: string, split: Split): string {
  return path.join(dir, `${split}.csv`);
}

/**
 * Reads a split's manifest (`<dir>/<split>.csv`, header `file,class`; `file` relative to
 * `dir`, `class` a category id from `<dir>/categories.csv`) as items in file order.
 * A row that is malformed, has a non-integer class or a class id not in categories.csv becomes
 * a `bad-label` {@link Skip} naming the line; a missing manifest or class list rejects with a
 * readable error.
 *
 * @example
 * ```ts
 * const items = await readManifest('/data/pre', 'train');
 * const ok = items.filter((x) => x.kind === 'item');
 * ```
 */
export async function readManifest(dir: string, split: Split, categories?: readonly Category[]): Promise<Array<SourceItem | Skip>> {
  const cats = categories ?? (await readCategories(dir));
  const byId = new Map(cats.map((c) => [c.id, c]));
  const file = manifestPath(dir, split);
  const rows = await readCsvFile(file, ['file', 'class']);
  return rows.map((r): SourceItem | Skip => {
    const where = `${file}:${r.line}`;
    const [name, classText, ...rest] = r.fields;
    const full = name !== undefined && name !== '' ? path.resolve(dir, name) : where;
    if (r.malformed || classText === undefined || rest.length > 0 || name === '') {
      return skip(full, 'bad-label', `${where}: expected "<file>,<class id>", got ${JSON.stringify(r.fields.join(','))}`);
    }
    if (!/^\s*\d+\s*$/.test(classText)) return skip(full, 'bad-label', `${where}: class id "${classText}" is not an integer`);
    const category = byId.get(Number.parseInt(classText, 10));
    if (!category) return skip(full, 'bad-label', `${where}: class id ${classText.trim()} is not in categories.csv`);
    return { kind: 'item', path: full, label: category.label, category };
  });
}

/**
 * Writes a split's manifest (`<dir>/<split>.csv`, header `file,class`).
 *
 * @example
 * ```ts
 * await writeManifest('/data/pre', 'train', [{ file: 'train/000001.jpg', classId: 1 }]);
 * ```
 */
export async function writeManifest(dir: string, split: Split, rows: readonly ManifestRow[]): Promise<void> {
  const lines = ['file,class', ...rows.map((r) => formatCsvRow([r.file, r.classId]))];
  await fsp.mkdir(dir, { recursive: true });
  await fsp.writeFile(manifestPath(dir, split), lines.join('\n') + '\n');
}
