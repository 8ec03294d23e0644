/**
 * The reason a file-system call failed, alone, for a message that names the path apart (as the
 * user gave it, not the absolute path inside Node's message): `permission denied` (EACCES,
 * EPERM), `no such file or folder` (ENOENT), `it is a folder, not a file` (EISDIR), or Node's own words without the code, the call and
 * the path (`EACCES: permission denied, scandir '/abs/photos'` → `permission denied`).
 *
 * @example
 * ```ts
 * try {
 *   await fs.promises.readdir('photos/private');
 * } catch (e) {
 *   console.error(`photos/private: ${ioErrorReason(e)}`); // photos/private: permission denied
 * }
 * ```
 */
export function ioErrorReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException | undefined;
  if (err?.code === 'ENOENT') return 'no such file or folder';
  if (err?.code === 'EACCES' || err?.code === 'EPERM') return 'permission denied';
  // Node's "illegal operation on a directory" names the call, not the mistake.
  if (err?.code === 'EISDIR') return 'it is a folder, not a file';
  const message = err?.message ?? String(e);
  const m = /^[A-Z][A-Z0-9_]*: (.+?), [a-z]+ '.*'$/s.exec(message);
  return m?.[1] ?? message;
}
