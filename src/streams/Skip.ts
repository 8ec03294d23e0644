/**
 * Why an input file was left out of the stream. Bad input never crashes a pipeline and
 * never silently disappears: it becomes a {@link Skip} value that the training loop turns
 * into a `SampleSkipped` event.
 *
 * @example
 * ```ts
 * const r: SkipReason = 'truncated';
 * ```
 */
export type SkipReason =
  | 'empty' // zero bytes
  | 'truncated' // the file ends before its format's end (cut off)
  | 'corrupt' // a complete file whose data the decoder rejects (damaged tables, scans or chunks)
  | 'not-an-image' // content is not a known image format
  | 'unsupported' // an image format or variant sharp cannot decode
  | 'too-many-pixels' // over the decompression-bomb limit
  | 'unreadable' // permission or I/O error
  | 'dangling-link' // a symlink whose target is missing
  | 'symlink-loop' // a folder symlink back into a folder that contains it or is already listed; a link to itself (ELOOP)
  | 'cross-class-link' // a folder symlink into another class folder: its images would get the wrong label
  | 'duplicate-file' // a second name in one class folder for a file listed already (a symlink or hard link)
  | 'not-a-file' // e.g. a directory named like an image
  | 'hidden' // dot-files and OS junk (.DS_Store, Thumbs.db, ._foo.jpg)
  | 'bad-label' // a manifest row whose class is unknown or malformed
  | 'transform'; // a dataset's transform left the sample out on purpose (skipSample)

/**
 * A file that was skipped, with the reason and a human-readable detail.
 *
 * @example
 * ```ts
 * const s: Skip = { kind: 'skip', path: 'cats/0001.jpg', reason: 'empty', message: 'file has 0 bytes' };
 * ```
 */
export interface Skip {
  readonly kind: 'skip';
  readonly path: string;
  readonly reason: SkipReason;
  readonly message: string;
}

/**
 * A message folded onto one line: lines trimmed, empty ones dropped, and a line dropped when an
 * earlier one already contains it, joined with `; `. libvips appends every error of a failed
 * load to one buffer, so sharp's messages repeat themselves over several lines; a skip is
 * reported as one log line, one row of the `rxtrain preprocess` summary and one event, and a
 * logger that timestamps each line would otherwise print fragments without the file name.
 *
 * @example
 * ```ts
 * oneLine('Input buffer has corrupt header: VipsJpeg: Bogus Huffman table definition\nVipsJpeg: Bogus Huffman table definition\n');
 * // 'Input buffer has corrupt header: VipsJpeg: Bogus Huffman table definition'
 * ```
 */
export function oneLine(message: string): string {
  if (!/[\r\n]/.test(message)) return message.trim();
  const kept: string[] = [];
  for (const raw of message.split(/\r?\n|\r/)) {
    const line = raw.trim();
    if (line !== '' && !kept.some((k) => k.includes(line))) kept.push(line);
  }
  return kept.join('; ');
}

/**
 * Creates a {@link Skip}; the message is folded onto one line ({@link oneLine}), so every
 * report of it (log, event, preprocess summary) is one line naming the file.
 *
 * @example
 * ```ts
 * skip('a.jpg', 'not-an-image', 'unknown file signature');
 * ```
 */
export function skip(path: string, reason: SkipReason, message: string): Skip {
  return { kind: 'skip', path, reason, message: oneLine(message) };
}
