/**
 * A file path as one line of text: unchanged unless it holds a control character (a line
 * break, a tab, an escape), then as a JSON string, quoted and escaped (`"new\nline.png"`, as
 * git shows such names). A log line, a row of a summary or of `rxtrain predict`'s output is one
 * line per file, and a raw line break in a name would split it into a fragment that names no
 * file and a line that reads as another entry. Spaces and non-ASCII letters are left as they are.
 *
 * @example
 * ```ts
 * printablePath('cats/a b ü.jpg');  // 'cats/a b ü.jpg'
 * printablePath('cats/new\nline.jpg'); // '"cats/new\\nline.jpg"'
 * ```
 */
export function printablePath(path: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  return /[\u0000-\u001f\u007f]/.test(path) ? JSON.stringify(path) : path;
}
