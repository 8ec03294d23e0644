import type { Image } from '../ops/Image';

/**
 * One labelled training example as it flows from decode through the operators to batching.
 * Operators in `src/ops` change `image` and keep every other field.
 *
 * @example
 * ```ts
 * const s: Sample = { image: makeImage(new Uint8Array(3), 1, 1, 3), label: 4, path: 'cats/1.jpg' };
 * ```
 */
export interface Sample<I extends Image<Uint8Array | Float32Array> = Image> {
  readonly image: I;
  /** 0-based class index. */
  readonly label: number;
  /** Where the sample came from (file path or `record:<index>`), for skip reports and debugging. */
  readonly path: string;
}
