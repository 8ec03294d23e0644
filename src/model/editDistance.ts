/**
 * Edit distance between two names with a swap of neighbouring letters counted as one edit
 * (optimal string alignment: `trian` → `train` is 1), for "did you mean" suggestions. Names
 * are short, so the quadratic table is fine.
 *
 * @example
 * ```ts
 * editDistance('batchsize', 'batchSize'); // 1
 * editDistance('trian', 'train');         // 1
 * ```
 */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
