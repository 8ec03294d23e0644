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
  | 'truncated' // the decoder ran out of data
  | 'not-an-image' // content is not a known image format
  | 'unsupported' // an image format or variant sharp cannot decode
  | 'too-many-pixels' // over the decompression-bomb limit
  | 'unreadable' // permission or I/O error
  | 'dangling-link' // a symlink whose target is missing
  | 'symlink-loop' // a folder symlink back into a folder that contains it or is already listed; a link to itself (ELOOP)
  | 'cross-class-link' // a folder symlink into another class folder: its images would get the wrong label
  | 'not-a-file' // e.g. a directory named like an image
  | 'hidden' // dot-files and OS junk (.DS_Store, Thumbs.db, ._foo.jpg)
  | 'bad-label'; // a manifest row whose class is unknown or malformed

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
 * Creates a {@link Skip}.
 *
 * @example
 * ```ts
 * skip('a.jpg', 'not-an-image', 'unknown file signature');
 * ```
 */
export function skip(path: string, reason: SkipReason, message: string): Skip {
  return { kind: 'skip', path, reason, message };
}
