/**
 * Splits CSV text (RFC 4180: comma-separated, `"` quotes, `""` escapes a quote) into rows of
 * fields, each row with its 1-based line number. Blank lines are dropped; `\r\n` is accepted.
 * An unterminated quote yields a row flagged `malformed` rather than an exception, so one bad
 * row in a manifest cannot hide the others. With `quotedLineBreaks`, a quoted field goes on
 * across line breaks, as {@link formatCsvRow} writes a value that holds one (a class folder
 * named with a line break); only for files where any bad row is an error anyway, since a stray
 * quote then joins the lines up to the next one.
 *
 * @example
 * ```ts
 * parseCsv('file,class\n"a,b.jpg",3\n'); // [{ line: 1, fields: ['file','class'] }, { line: 2, fields: ['a,b.jpg','3'] }]
 * parseCsv('id,name\n2,"new\nclass"\n', { quotedLineBreaks: true }); // […, { line: 2, fields: ['2', 'new\nclass'] }]
 * ```
 */
export function parseCsv(text: string, opts: { readonly quotedLineBreaks?: boolean | undefined } = {}): Array<{ line: number; fields: string[]; malformed?: true }> {
  const rows: Array<{ line: number; fields: string[]; malformed?: true }> = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let raw = lines[i];
    if (raw.trim() === '') continue;
    const line = i + 1;
    const fields: string[] = [];
    let cur = '';
    let quoted = false;
    let j = 0;
    let malformed = false;
    for (;;) {
      if (j === raw.length) {
        if (!quoted || opts.quotedLineBreaks !== true || i + 1 >= lines.length) break;
        // The quoted field holds a line break: it goes on on the next line.
        cur += '\n';
        i += 1;
        raw = lines[i];
        j = 0;
        continue;
      }
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
    rows.push(malformed ? { line, fields, malformed: true } : { line, fields });
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
