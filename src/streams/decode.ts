import type { OperatorFunction } from 'rxjs';
import { decodeFile, type DecodedSample, type DecodeOptions } from './decodeFile';
import { mapOrdered } from './mapOrdered';
import type { Skip } from './Skip';
import type { SourceItem } from './SourceItem';

/**
 * Options of {@link decode}.
 *
 * @example
 * ```ts
 * const o: DecodeStreamOptions = { concurrency: 4, resize: 256 };
 * ```
 */
export interface DecodeStreamOptions extends DecodeOptions {
  /**
   * Files decoded at once (sharp runs on libuv's thread pool, 4 threads by default;
   * `UV_THREADPOOL_SIZE` raises it). Default 4.
   */
  readonly concurrency?: number | undefined;
  /** Decodes a file; defaults to {@link decodeFile} (tests and custom stores replace it). */
  readonly decoder?: ((path: string, label: number, opts: DecodeOptions) => Promise<DecodedSample | Skip>) | undefined;
}

/**
 * Decodes a stream of source items into 8-bit RGB samples (grey with `channels: 1`) with
 * sharp, at most `concurrency` at a time, keeping input order. Upstream skips pass through;
 * each file that cannot be decoded becomes a typed {@link Skip} (`empty`, `truncated`, `corrupt`, `not-an-image`, `unsupported`,
 * `too-many-pixels`, `unreadable`, `not-a-file`); the stream never errors for bad files.
 *
 * @example
 * ```ts
 * folderSource('/data/caltech256').pipe(decode({ concurrency: 4, resize: 256 }))
 *   .subscribe((s) => s.kind === 'sample' ? console.log(s.image.width) : console.warn(s.reason, s.path));
 * ```
 */
export function decode(opts: DecodeStreamOptions = {}): OperatorFunction<SourceItem | Skip, DecodedSample | Skip> {
  const { concurrency = 4, decoder = decodeFile, ...decodeOpts } = opts;
  return mapOrdered(
    (x: SourceItem | Skip) => (x.kind === 'skip' ? Promise.resolve(x) : decoder(x.path, x.label, decodeOpts)),
    concurrency,
  );
}
