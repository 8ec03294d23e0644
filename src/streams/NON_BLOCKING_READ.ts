import { constants as fsc } from 'node:fs';

/**
 * `open(2)` flags for reading an image file that a listing named: read-only and non-blocking,
 * because opening a FIFO (or a link to one) for reading otherwise waits for a writer, for ever.
 * Regular files ignore O_NONBLOCK; the caller checks with fstat that it opened one. Windows has
 * no such flag, nor FIFOs that open could meet.
 *
 * @example
 * ```ts
 * const fd = fs.openSync(file, NON_BLOCKING_READ);
 * if (!fs.fstatSync(fd).isFile()) throw new Error('not a regular file');
 * ```
 */
export const NON_BLOCKING_READ = fsc.O_RDONLY | (fsc.O_NONBLOCK ?? 0);
