import type { Category } from './Category';

/**
 * A file found by a source ({@link folderSource}, {@link readManifest}), before decoding.
 *
 * @example
 * ```ts
 * const item: SourceItem = { kind: 'item', path: '/data/001.ak47/001_0001.jpg', label: 0, category: { id: 1, name: 'ak47', label: 0 }, classCount: 257 };
 * ```
 */
export interface SourceItem {
  readonly kind: 'item';
  /** Absolute (or as-given) path of the image file. */
  readonly path: string;
  /** 0-based class index (equals `category.label`). */
  readonly label: number;
  readonly category: Category;
  /**
   * The original image this file was made from, when the source knows it (a preprocess
   * manifest's `source` column): what to open to look at a misclassified image.
   */
  readonly source?: string;
  /**
   * How many classes the source that listed this file has, when it knows: {@link folderSource}
   * its class folders (an empty one too), {@link readManifest} the categories of categories.csv.
   * {@link fileStore} counts its classes by it, where the files' labels alone would miss a
   * last class without files.
   */
  readonly classCount?: number | undefined;
}
