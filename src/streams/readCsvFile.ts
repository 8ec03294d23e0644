import { promises as fsp } from 'node:fs';
import { parseCsv } from './parseCsv';

/**
 * Reads one of the preprocessor's CSV files and checks its header, so every manifest reader
 * reports a missing file, an I/O failure or a wrong header in the same words. Returns the
 * data rows (header removed) with their 1-based line numbers.
 *
 * @example
 * ```ts
 * const rows = await readCsvFile('/data/pre/train.csv', ['file', 'class']);
 * for (const r of rows) console.log(r.line, r.fields[0]);
 * ```
 */
export async function readCsvFile(file: string, header: readonly string[]): Promise<ReturnType<typeof parseCsv>> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new Error(`${file} not found: run \`rxtrain preprocess\` to create it`);
    throw new Error(`cannot read ${file}: ${err.message}`);
  }
  const rows = parseCsv(text);
  if (rows.length === 0 || rows[0].fields[0].trim().toLowerCase() !== header[0]) {
    throw new Error(`${file}: expected a header line "${header.join(',')}"`);
  }
  return rows.slice(1);
}
