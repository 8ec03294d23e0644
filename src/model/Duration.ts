import * as t from 'io-ts';

const UNIT_MS: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 };
// Units in descending order, each at most once: "1h30m", "90m", "1.5h", "45s", "2d".
const DURATION = /^(?:(\d+(?:\.\d+)?)d)?(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/;

/**
 * Parses a human duration such as `"2h"`, `"1h30m"`, `"90m"`, `"1.5h"` or `"45s"` into
 * milliseconds; `undefined` for anything else (including zero and a bare number, whose unit
 * would be a guess).
 *
 * @example
 * ```ts
 * parseDuration('1h30m'); // 5400000
 * parseDuration('90');    // undefined
 * ```
 */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (m === null || m.slice(1).every((g) => g === undefined)) return undefined;
  const units = ['d', 'h', 'm', 's'];
  const ms = m.slice(1).reduce((sum, g, i) => sum + (g === undefined ? 0 : Number(g) * UNIT_MS[units[i]]), 0);
  return ms > 0 && Number.isFinite(ms) ? ms : undefined;
}

/**
 * A duration written for humans (`"2h"`, `"1h30m"`, `"90m"`, `"45s"`): the io-ts codec and its
 * type share the name. Config files keep the text, so a checkpoint's echoed config reads the
 * way the user wrote it; {@link parseDuration} turns it into milliseconds where it is used.
 *
 * @example
 * ```ts
 * Duration.is('2h');  // true
 * Duration.is('2 hours'); // false
 * ```
 */
export const Duration = new t.Type<string, string, unknown>(
  'a duration such as "2h", "1h30m", "90m" or "45s"',
  (u): u is string => typeof u === 'string' && parseDuration(u) !== undefined,
  (u, c) => (typeof u === 'string' && parseDuration(u) !== undefined ? t.success(u) : t.failure(u, c)),
  t.identity,
);

/**
 * A valid duration text (see the {@link Duration} codec).
 *
 * @example
 * ```ts
 * const budget: Duration = '2h';
 * ```
 */
export type Duration = t.TypeOf<typeof Duration>;
