// East Asian Wide and Fullwidth blocks (Unicode's EastAsianWidth W/F, by block): a terminal
// gives each of these characters two columns. Emoji shown as pictures are caught by the
// Emoji_Presentation property below.
const WIDE: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f], // Hangul Jamo initial consonants
  [0x2329, 0x232a],
  [0x2e80, 0x303e], // CJK radicals, Kangxi, ideographic description, CJK symbols and punctuation
  [0x3041, 0x33ff], // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, Kanbun, CJK compatibility
  [0x3400, 0x4dbf], // CJK extension A
  [0x4e00, 0x9fff], // CJK unified ideographs
  [0xa000, 0xa4cf], // Yi
  [0xa960, 0xa97f], // Hangul Jamo extended A
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe10, 0xfe19], // vertical forms
  [0xfe30, 0xfe6f], // CJK compatibility forms, small form variants
  [0xff00, 0xff60], // fullwidth forms
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f], // pictographs, emoticons
  [0x1f900, 0x1f9ff], // supplemental symbols and pictographs
  [0x20000, 0x2fffd], // CJK extensions B–F, compatibility supplement
  [0x30000, 0x3fffd], // CJK extension G and beyond
];

// Combining marks (the accent of a decomposed "é"), format characters (zero-width joiner,
// soft hyphen) and variation selectors take no column of their own.
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\u{fe00}-\u{fe0f}]$/u;
const EMOJI = /^\p{Emoji_Presentation}$/u;

function charWidth(ch: string): number {
  if (ZERO_WIDTH.test(ch)) return 0;
  const cp = ch.codePointAt(0) ?? 0;
  if (EMOJI.test(ch)) return 2;
  for (const [lo, hi] of WIDE) if (cp >= lo && cp <= hi) return 2;
  return 1;
}

/**
 * The number of terminal columns a string takes: two for a CJK character or a pictured emoji,
 * none for a combining mark, one for the rest. `String.length` counts UTF-16 units, so a table
 * padded by it leaves a row of Japanese class names (`日本の寿司`: 5 units, 10 columns) jutting
 * out of its column.
 *
 * @example
 * ```ts
 * displayWidth('ak47');       // 4
 * displayWidth('日本の寿司');   // 10
 * displayWidth('cre\u0300me'); // 5 (e + combining grave accent: one column)
 * ```
 */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch);
  return w;
}

/**
 * `s` padded with spaces at the end to `width` terminal columns (see {@link displayWidth}),
 * as `padEnd` pads to a number of UTF-16 units; a wider string is returned as it is.
 *
 * @example
 * ```ts
 * padEndColumns('日本', 6) + '|'; // '日本  |': 4 columns + 2 spaces
 * ```
 */
export function padEndColumns(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - displayWidth(s)));
}
