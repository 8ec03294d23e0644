/**
 * What scoring a model needs beyond its weights and config, stored in every checkpoint so a
 * checkpoint copied away from its training data can still be evaluated: the class names
 * (index = label) and the per-channel normalisation the validation pass applied (0..255
 * scale; the resolved train-set mean when the config says `"dataset"`).
 *
 * @example
 * ```ts
 * const info: InferenceInfo = { classes: ['cat', 'dog'], mean: [124.2, 116.8, 104.1], std: [58.4, 57.1, 57.4], imageSide: 256, background: 'white' };
 * ```
 */
export interface InferenceInfo {
  readonly classes: readonly string[];
  readonly mean: readonly number[];
  /** Absent when images are only mean-subtracted. */
  readonly std?: readonly number[] | undefined;
  /**
   * Side of the square images validation cropped from (the preprocess size, the record files'
   * side, or `augmentation.resize`), so a new image can be brought to the same scale; absent
   * when the images were used at their own sizes.
   */
  readonly imageSide?: number | undefined;
  /**
   * Colour the run's images had transparent pixels flattened onto (`rxtrain preprocess
   * --background`), so new images are flattened alike; absent: black, as decoding does.
   */
  readonly background?: 'black' | 'white' | undefined;
}

const numbers = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/**
 * An {@link InferenceInfo} read back from a checkpoint's JSON header, or undefined when it is
 * absent (checkpoints of older versions) or malformed: it only ever adds to what a checkpoint
 * can do, so a bad one must not make the weights unreadable.
 *
 * @example
 * ```ts
 * parseInferenceInfo({ classes: ['a', 'b'], mean: [0, 0, 0] }); // { classes: ['a', 'b'], mean: [0, 0, 0] }
 * parseInferenceInfo({ classes: 'a' });                          // undefined
 * ```
 */
export function parseInferenceInfo(v: unknown): InferenceInfo | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { classes, mean, std, imageSide, background } = v as Record<string, unknown>;
  if (!Array.isArray(classes) || classes.length < 2 || !classes.every((c) => typeof c === 'string')) return undefined;
  if (!numbers(mean) || (std !== undefined && !(numbers(std) && std.length === mean.length))) return undefined;
  if (imageSide !== undefined && !(Number.isInteger(imageSide) && (imageSide as number) > 0)) return undefined;
  // A bad one is ignored as a whole, not decoded onto black instead: predict then falls back on the run's data.
  if (background !== undefined && background !== 'black' && background !== 'white') return undefined;
  return {
    classes: classes as string[],
    mean,
    ...(std === undefined ? {} : { std }),
    ...(imageSide === undefined ? {} : { imageSide: imageSide as number }),
    ...(background === undefined ? {} : { background }),
  };
}
