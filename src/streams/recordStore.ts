import { makeImage } from '../ops/Image';
import { openRecordFile, RecordFileError, type OpenRecordFileOptions, type RecordFileReader } from './RecordFile';
import type { Sample } from './Sample';
import type { SampleStore } from './SampleStore';
import { skip, type Skip } from './Skip';

/** Recycled read buffers kept per store (64 × 192 KiB at 256²×3). */
const MAX_FREE_BUFFERS = 64;

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
 * check, into a buffer handed back by `recycle` when there is one (the pixels are in shared
 * memory, so worker threads can read them without a copy). A file that is truncated, foreign or has a corrupt header or index is rejected here
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
  // Read buffers handed back through recycle(). Shared memory, so that a dataset's augmentation
  // workers see the pixels without a copy (posting a view of a SharedArrayBuffer shares it).
  const free: Uint8Array[] = [];
  const ours = new WeakSet<ArrayBufferLike>();
  const newBuffer = (): Uint8Array => {
    const b = typeof SharedArrayBuffer === 'function' ? new Uint8Array(new SharedArrayBuffer(reader.recordSize)) : new Uint8Array(reader.recordSize);
    ours.add(b.buffer);
    return b;
  };
  return {
    header: reader.header,
    classes: reader.header.classes,
    size: count,
    numClasses,
    label: (i) => reader.label(i),
    async load(i): Promise<(Sample & { kind: 'sample' }) | Skip> {
      const where = reader.name(i) ?? `record:${i}`;
      const buf = free.pop() ?? newBuffer();
      try {
        const data = await reader.read(i, buf);
        return { kind: 'sample', image: makeImage(data, width, height, channels), label: reader.label(i), path: where };
      } catch (err) {
        if (free.length < MAX_FREE_BUFFERS) free.push(buf);
        if (err instanceof RecordFileError) return skip(where, 'unreadable', err.message);
        if (err instanceof RangeError) throw err;
        return skip(where, 'unreadable', `reading ${file}: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    recycle(sample): void {
      const d = sample.image.data;
      if (!ours.has(d.buffer) || d.byteOffset !== 0 || d.length !== reader.recordSize || free.length >= MAX_FREE_BUFFERS || free.includes(d)) return;
      free.push(d);
    },
    close: () => reader.close(),
  };
}
