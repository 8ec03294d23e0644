import type { Sample } from './Sample';
import type { Skip } from './Skip';

/**
 * Random access to a dataset's samples: what a dataset needs to build shuffled batches.
 * Implemented by image files on disk (decoded with sharp) and by the packed, pre-decoded
 * record file written by `rxtrain preprocess --records`.
 *
 * @example
 * ```ts
 * const s = await store.load(0);
 * if (s.kind === 'skip') console.warn(s.path, s.reason);
 * ```
 */
export interface SampleStore {
  /** Number of samples. */
  readonly size: number;
  /** Number of classes (labels are 0..numClasses-1). */
  readonly numClasses: number;
  /** Label of sample `index`, known without decoding it. */
  label(index: number): number;
  /** Loads and decodes sample `index` (8-bit pixels), or says why it cannot. */
  load(index: number): Promise<(Sample & { kind: 'sample' }) | Skip>;
  /**
   * Optional: the caller is done with the pixels of `sample` (a result of {@link load}), so the
   * store may read a later sample into the same buffer. Saves allocating (and page-faulting)
   * a fresh buffer per image. Call it only once nothing reads those pixels any more; calling it
   * with a foreign sample does nothing.
   */
  recycle?(sample: Sample): void;
  /** Releases file handles and workers. */
  close(): Promise<void>;
}
