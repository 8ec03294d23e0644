import { makeImage } from '../ops/Image';
import { openRecordFile, RecordFileError, type OpenRecordFileOptions, type RecordFileReader } from './RecordFile';
import type { Sample } from './Sample';
import type { SampleStore } from './SampleStore';
import { skip, type Skip } from './Skip';

/**
 * A {@link SampleStore} backed by a record file: what training reads instead of decoding
 * JPEGs every epoch.
 *
 * @example
 * ```ts
 * const store = await openRecordStore('data/train.rec');
 * console.log(store.header.width, store.classes);
 * ```
 */
export interface RecordStore extends SampleStore {
  readonly header: RecordFileReader['header'];
  /** Class names stored in the file, index = label, if the writer stored them. */
  readonly classes: readonly string[] | undefined;
}

/**
 * Opens a record file written by `rxtrain preprocess --records` as a {@link SampleStore}.
 * Each `load` is one positioned read (libuv's thread pool, off the event loop) plus a CRC
 * check. A file that is truncated, foreign or has a corrupt header or index is rejected here
 * with a {@link RecordFileError}; a single record that fails its checksum later becomes a
 * `Skip` with reason `'unreadable'`, never garbage pixels.
 *
 * @example
 * ```ts
 * const store = await openRecordStore('data/train.rec');
 * const s = await store.load(0);
 * if (s.kind === 'sample') console.log(s.label, s.image.width);
 * await store.close();
 * ```
 */
export async function openRecordStore(file: string, opts: OpenRecordFileOptions = {}): Promise<RecordStore> {
  const reader = await openRecordFile(file, opts);
  const { width, height, channels, count, numClasses } = reader.header;
  return {
    header: reader.header,
    classes: reader.header.classes,
    size: count,
    numClasses,
    label: (i) => reader.label(i),
    async load(i): Promise<(Sample & { kind: 'sample' }) | Skip> {
      const where = reader.name(i) ?? `record:${i}`;
      try {
        const data = await reader.read(i);
        return { kind: 'sample', image: makeImage(data, width, height, channels), label: reader.label(i), path: where };
      } catch (err) {
        if (err instanceof RecordFileError) return skip(where, 'unreadable', err.message);
        if (err instanceof RangeError) throw err;
        return skip(where, 'unreadable', `reading ${file}: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    close: () => reader.close(),
  };
}
