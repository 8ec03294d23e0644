import { decodeFile, type DecodedSample, type DecodeOptions } from './decodeFile';
import type { SampleStore } from './SampleStore';
import type { Skip } from './Skip';
import type { SourceItem } from './SourceItem';

/**
 * Options of {@link fileStore}.
 *
 * @example
 * ```ts
 * const o: FileStoreOptions = { resize: 256, numClasses: 257 };
 * ```
 */
export interface FileStoreOptions extends DecodeOptions {
  /**
   * Number of classes. Default: the items' {@link SourceItem.classCount}, the class folders
   * {@link folderSource} found (empty ones included) or the categories of
   * {@link readManifest}'s categories.csv; for items without it (a source of your own), the
   * highest label + 1, one too few when the last class has no files: pass it then.
   */
  readonly numClasses?: number | undefined;
}

/**
 * A {@link SampleStore} over image files: `load(i)` reads and decodes `items[i]` with sharp
 * (off the event loop) into 8-bit RGB, or returns a typed skip. Skips in `items` (e.g. from
 * {@link folderSource}) are left out: report them where you listed the files.
 *
 * @example
 * ```ts
 * const items = await lastValueFrom(folderSource('/data/caltech256').pipe(toArray()));
 * const store = fileStore(items.filter((x): x is SourceItem => x.kind === 'item'), { resize: 256 });
 * ```
 */
export function fileStore(items: ReadonlyArray<SourceItem | Skip>, opts: FileStoreOptions = {}): SampleStore {
  const files = items.filter((x): x is SourceItem => x.kind === 'item');
  const labels = Int32Array.from(files, (f) => f.label);
  const listed = files.reduce((m, f) => Math.max(m, f.classCount ?? 0), 0);
  const numClasses = opts.numClasses ?? labels.reduce((m, l) => Math.max(m, l + 1), listed);
  const { numClasses: _n, ...decodeOpts } = opts;
  for (const f of files) {
    if (!Number.isInteger(f.label) || f.label < 0 || f.label >= numClasses) {
      throw new RangeError(`fileStore: ${f.path} has label ${f.label}, outside 0..${numClasses - 1}`);
    }
  }
  const check = (i: number): void => {
    if (!Number.isInteger(i) || i < 0 || i >= files.length) throw new RangeError(`fileStore: index ${i} outside 0..${files.length - 1}`);
  };
  return {
    size: files.length,
    numClasses,
    label: (i) => {
      check(i);
      return labels[i];
    },
    load: (i): Promise<DecodedSample | Skip> => {
      check(i);
      return decodeFile(files[i].path, files[i].label, decodeOpts);
    },
    close: async () => undefined,
  };
}
