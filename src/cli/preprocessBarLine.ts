/**
 * The figures of `rxtrain preprocess`'s bar line, as text: the rate (`-` before an image is
 * done), the ETA (`-`, `1.9s`, `done`) and the images skipped so far.
 *
 * @example
 * ```ts
 * const f: PreprocessBarFields = { rate: '45', etaText: '1.9s', skipped: 2 };
 * ```
 */
export interface PreprocessBarFields {
  readonly rate: string;
  readonly etaText: string;
  readonly skipped: number;
}

const BAR_MAX = 40;
const BAR_MIN = 10;
// img/s and ETA right-aligned in columns as wide as the training bar's, so that nothing after
// them moves when their digits change (`9 img/s`, then `12`); a longer figure takes what it needs.
const WIDTH = { rate: 5, eta: 6 } as const;

/**
 * `rxtrain preprocess`'s progress bar line, `preprocess [███░░░] 73% 11/15 | 45 img/s | ETA
 * 89ms | skipped 0`, fitted to the terminal's width (`maxWidth`) as the training bar's is: the
 * bar narrows (down to 10 columns), then goes, then img/s, then the ETA; the skipped count, what
 * a user most needs to see, stays. The percentage, count, rate, ETA and skipped count keep fixed
 * widths, so the line does not shift from frame to frame. A fixed 40-column bar made the line
 * 98 columns: on an 80-column terminal the ETA and the skipped count were cut off.
 *
 * @example
 * ```ts
 * preprocessBarLine({ progress: 11 / 15, value: 11, total: 15, maxWidth: 80 }, { rate: '45', etaText: '89ms', skipped: 0 });
 * // 'preprocess [█████████████████████████░░░░░░░░░]  73% 11/15 |    45 img/s | ETA   89ms | skipped  0'
 * ```
 */
export function preprocessBarLine(
  params: { readonly progress: number; readonly value: number; readonly total: number; readonly maxWidth: number },
  f: PreprocessBarFields,
): string {
  // The last column stays free: a character written there makes some terminals wrap.
  const room = params.maxWidth - 1;
  const digits = String(params.total).length;
  const progress = Math.min(Math.max(params.progress, 0), 1);
  const at = `${`${Math.floor(progress * 100)}%`.padStart(4)} ${String(params.value).padStart(digits)}/${params.total}`;
  const rate = `${f.rate.padStart(WIDTH.rate)} img/s`;
  const eta = `ETA ${f.etaText.padStart(WIDTH.eta)}`;
  const skipped = `skipped ${String(f.skipped).padStart(digits)}`;
  const head = 'preprocess';
  const tail = [rate, eta, skipped].join(' | ');
  const size = Math.min(BAR_MAX, room - `${head} ${at} | ${tail}`.length - 3);
  if (size >= BAR_MIN) {
    const done = Math.round(progress * size);
    return `${head} [${'\u2588'.repeat(done)}${'\u2591'.repeat(size - done)}] ${at} | ${tail}`;
  }
  for (const parts of [[`${head} ${at}`, rate, eta, skipped], [`${head} ${at}`, eta, skipped]]) {
    const line = parts.join(' | ');
    if (line.length <= room) return line;
  }
  return `${head} ${at} | ${skipped}`;
}
