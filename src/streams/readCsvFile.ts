import { promises as fsp } from 'node:fs';
import { parseCsv } from './parseCsv';

/**
 * A CSV file as {@link readCsvFile} returns it: the header's column names (trimmed, lower
 * case) and the data rows with their 1-based line numbers.
 *
 * @example
 * ```ts
 * const t: CsvTable = { columns: ['file', 'class'], rows: [{ line: 2, fields: ['a.jpg', '1'] }] };
 * ```
 */
export interface CsvTable {
  readonly columns: readonly string[];
  readonly rows: ReturnType<typeof parseCsv>;
}

/**
 * Reads one of the preprocessor's CSV files and checks its header, so every manifest reader
 * reports a missing file, an I/O failure or a wrong header in the same words. Returns the
 * header's columns and the data rows (header removed) with their 1-based line numbers; a
 * reader that knows optional columns (the manifests' `source`) looks them up in `columns`.
 * `quotedLineBreaks` is {@link parseCsv}'s.
 *
 * @example
 * ```ts
 * const { columns, rows } = await readCsvFile('/data/pre/train.csv', ['file', 'class']);
 * for (const r of rows) console.log(r.line, r.fields[0], columns.includes('source') ? r.fields[2] : '');
 * ```
 */
export async function readCsvFile(file: string, header: readonly string[], opts: { readonly quotedLineBreaks?: boolean | undefined } = {}): Promise<CsvTable> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new Error(`${file} not found: run \`rxtrain preprocess\` to create it`);
    throw new Error(`cannot read ${file}: ${err.message}`);
  }
  const rows = parseCsv(text, opts);
  if (rows.length === 0 || rows[0].fields[0].trim().toLowerCase() !== header[0]) {
    throw new Error(`${file}: expected a header line "${header.join(',')}"`);
  }
  return { columns: rows[0].fields.map((f) => f.trim().toLowerCase()), rows: rows.slice(1) };
}
