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
 * One manifest row: an image file (relative to the manifest's folder), its class id
 * ({@link Category.id}, not the label) and, when known, the original image it was made from
 * (relative to the manifest's folder too, like `file`).
 *
 * @example
 * ```ts
 * const r: ManifestRow = { file: 'train/000001.jpg', classId: 1, source: '../caltech256/001.ak47/001_0001.jpg' };
 * ```
 */
export interface ManifestRow {
  readonly file: string;
  readonly classId: number;
  readonly source?: string | undefined;
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
 * Reads a split's manifest (`<dir>/<split>.csv`, header `file,class` or `file,class,source`;
 * `file` relative to `dir`, `class` a category id from `<dir>/categories.csv`, `source` the
 * original image relative to `dir`, empty when unknown) as items in file order; an item's
 * `source` is the original's absolute path. A row that is malformed, has a non-integer class
 * or a class id not in categories.csv becomes a `bad-label` {@link Skip} naming the line; a
 * missing manifest or class list rejects with a readable error.
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
  const { columns, rows } = await readCsvFile(file, ['file', 'class']);
  const withSource = columns.length === 3 && columns[2] === 'source';
  const shape = withSource ? '"<file>,<class id>,<source>"' : '"<file>,<class id>"';
  // A row naming a file an earlier row already named would train (or score) that image twice
  // per epoch, and with another class, under two labels: the first row counts.
  const seen = new Map<string, { line: number; classId: string }>();
  return rows.map((r): SourceItem | Skip => {
    const where = `${file}:${r.line}`;
    const [name, classText, ...rest] = r.fields;
    const full = name !== undefined && name !== '' ? path.resolve(dir, name) : where;
    if (r.malformed || classText === undefined || rest.length > (withSource ? 1 : 0) || name === '') {
      return skip(full, 'bad-label', `${where}: expected ${shape}, got ${JSON.stringify(r.fields.join(','))}`);
    }
    if (!/^\s*\d+\s*$/.test(classText)) return skip(full, 'bad-label', `${where}: class id "${classText}" is not an integer`);
    const category = byId.get(Number.parseInt(classText, 10));
    if (!category) return skip(full, 'bad-label', `${where}: class id ${classText.trim()} is not in categories.csv`);
    const first = seen.get(full);
    if (first !== undefined) {
      const classes = first.classId === classText.trim() ? '' : ` as class ${first.classId} (this row says ${classText.trim()})`;
      return skip(full, 'bad-label', `${where}: ${name} is already listed on line ${first.line}${classes}; only that row is used`);
    }
    seen.set(full, { line: r.line, classId: classText.trim() });
    const source = rest[0] === undefined || rest[0] === '' ? {} : { source: path.resolve(dir, rest[0]) };
    return { kind: 'item', path: full, label: category.label, category, ...source, classCount: cats.length };
  });
}

/**
 * Writes a split's manifest (`<dir>/<split>.csv`): header `file,class`, or
 * `file,class,source` when any row names its original.
 *
 * @example
 * ```ts
 * await writeManifest('/data/pre', 'train', [{ file: 'train/000001.jpg', classId: 1 }]);
 * ```
 */
export async function writeManifest(dir: string, split: Split, rows: readonly ManifestRow[]): Promise<void> {
  const lines = rows.some((r) => r.source !== undefined)
    ? ['file,class,source', ...rows.map((r) => formatCsvRow([r.file, r.classId, r.source ?? '']))]
    : ['file,class', ...rows.map((r) => formatCsvRow([r.file, r.classId]))];
  await fsp.mkdir(dir, { recursive: true });
  await fsp.writeFile(manifestPath(dir, split), lines.join('\n') + '\n');
}
