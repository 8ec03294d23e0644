import * as E from 'fp-ts/Either';

/**
 * `--max-pixels N` as every command reads it (`rxtrain train`, `preprocess`, `predict`,
 * `evaluate`): a positive whole number, written out or with an exponent (`250000000`, `2.5e8`,
 * `1e9`), at most 2^53 - 1 (past that a number no longer holds every integer). Left: the
 * usage error's text, naming the flag and the value.
 *
 * @example
 * ```ts
 * parseMaxPixels('1e9');  // right(1000000000)
 * parseMaxPixels('2.5');  // left("--max-pixels must be a positive integer, got '2.5'")
 * ```
 */
export function parseMaxPixels(text: string): E.Either<string, number> {
  const n = Number(text);
  // Number('') and Number('  ') are 0, caught by the lower bound along with 0 itself.
  return Number.isSafeInteger(n) && n >= 1
    ? E.right(n)
    : E.left(`--max-pixels must be a positive integer, got '${text}'`);
}
