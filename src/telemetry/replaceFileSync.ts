import * as fs from 'node:fs';

/**
 * Replaces `file` with `data` through a temp file and a rename, so a kill mid-write leaves the
 * old content, and a failed write (a full disk) leaves no half-written temp file behind; the
 * write's error is thrown.
 *
 * @example
 * ```ts
 * replaceFileSync('runs/sample/history.json', JSON.stringify(history));
 * ```
 */
export function replaceFileSync(file: string, data: string): void {
  const tmp = `${file}.tmp`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
