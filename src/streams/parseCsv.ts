/**
 * Splits CSV text (RFC 4180: comma-separated, `"` quotes, `""` escapes a quote) into rows of
 * fields, each row with its 1-based line number. Blank lines are dropped; `\r\n` is accepted.
 * An unterminated quote yields a row flagged `malformed` rather than an exception, so one bad
 * row in a manifest cannot hide the others.
 *
 * @example
 * ```ts
 * parseCsv('file,class\n"a,b.jpg",3\n'); // [{ line: 1, fields: ['file','class'] }, { line: 2, fields: ['a,b.jpg','3'] }]
 * ```
 */
export function parseCsv(text: string): Array<{ line: number; fields: string[]; malformed?: true }> {
  const rows: Array<{ line: number; fields: string[]; malformed?: true }> = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (raw.trim() === '') continue;
    const fields: string[] = [];
    let cur = '';
    let quoted = false;
    let j = 0;
    let malformed = false;
    while (j < raw.length) {
      const ch = raw[j];
      if (quoted) {
        if (ch === '"' && raw[j + 1] === '"') {
          cur += '"';
          j += 2;
          continue;
        }
        if (ch === '"') quoted = false;
        else cur += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ',') {
        fields.push(cur);
        cur = '';
      } else cur += ch;
      j++;
    }
    if (quoted) malformed = true;
    fields.push(cur);
    rows.push(malformed ? { line: i + 1, fields, malformed: true } : { line: i + 1, fields });
  }
  return rows;
}

/**
 * Formats one CSV row, quoting fields that contain a comma, quote or line break.
 *
 * @example
 * ```ts
 * formatCsvRow(['a,b.jpg', 3]); // '"a,b.jpg",3'
 * ```
 */
export function formatCsvRow(fields: ReadonlyArray<string | number>): string {
  return fields
    .map((f) => {
      const s = String(f);
      return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    })
    .join(',');
}
