/**
 * One row of a `--help` option table: the option as typed, and what it does.
 *
 * @example
 * ```ts
 * const row: OptionRow = { option: '--epochs N', help: 'epochs in total [epochs]' };
 * ```
 */
export interface OptionRow {
  readonly option: string;
  readonly help: string;
}

/**
 * Layout of {@link formatOptions}.
 *
 * @example
 * ```ts
 * const layout: OptionLayout = { indent: 2, column: 30, width: process.stdout.columns ?? 100 };
 * ```
 */
export interface OptionLayout {
  /** Spaces before each option (default 2). */
  readonly indent?: number;
  /** Column where descriptions start (default 30). */
  readonly column?: number;
  /** Line width the descriptions wrap at (default 100; never narrower than `column` + 20). */
  readonly width?: number;
}

/**
 * Word-wraps `text` into lines of at most `width` characters; a single word longer than that
 * gets a line of its own rather than being cut.
 *
 * @example
 * ```ts
 * wrapWords('alpha beta gamma', 10); // ['alpha beta', 'gamma']
 * ```
 */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '') lines.push(line);
  return lines.length === 0 ? [''] : lines;
}

/**
 * Formats a `--help` option table: descriptions start at one column and wrap within the line
 * width; an option too long for the column (e.g. `--telemetry-insecure / --no-telemetry-insecure`)
 * gets a line of its own and its description starts on the next, so the two never run together.
 *
 * @example
 * ```ts
 * console.log(formatOptions([{ option: '--epochs N', help: 'epochs in total' }], { width: 80 }));
 * // '  --epochs N                  epochs in total'
 * ```
 */
export function formatOptions(rows: readonly OptionRow[], layout: OptionLayout = {}): string {
  const indent = ' '.repeat(layout.indent ?? 2);
  const column = layout.column ?? 30;
  const width = Math.max(layout.width ?? 100, column + 20);
  const pad = ' '.repeat(column);
  const out: string[] = [];
  for (const row of rows) {
    const left = `${indent}${row.option}`;
    const help = wrapWords(row.help, width - column);
    // At least two spaces between an option and its description.
    if (left.length + 2 <= column) out.push(`${left.padEnd(column)}${help[0]}`.trimEnd());
    else out.push(left, ...(help[0] === '' ? [] : [`${pad}${help[0]}`]));
    for (const more of help.slice(1)) out.push(`${pad}${more}`);
  }
  return out.join('\n');
}
