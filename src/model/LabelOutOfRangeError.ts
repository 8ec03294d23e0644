/**
 * A batch label that is not a class index of the model: image `index` of the batch has
 * `label`, outside `[0, numClasses)`. Thrown by {@link checkBatch}, which sees tensors only;
 * the training loop, which knows the batch's files, rethrows it with {@link withPath} so the
 * message names the file, as a label counted from 1 (a CSV's class numbers) is the usual cause.
 *
 * @example
 * ```ts
 * const e = new LabelOutOfRangeError(10, 3, 10);
 * e.message; // 'label 10 of image 3 is not a class index in [0, 10)'
 * e.withPath('data/x/010.boot/1.png').message;
 * // 'label 10 of data/x/010.boot/1.png is not a class index in [0, 10): the model has 10 classes, and labels count from 0'
 * ```
 */
export class LabelOutOfRangeError extends RangeError {
  constructor(
    readonly label: number,
    readonly index: number,
    readonly numClasses: number,
    readonly path?: string,
  ) {
    super(
      path === undefined
        ? `label ${label} of image ${index} is not a class index in [0, ${numClasses})`
        : `label ${label} of ${path} is not a class index in [0, ${numClasses}): the model has ${numClasses} classes, and labels count from 0`,
    );
    // Shown as a RangeError, as before this class existed: its name is the kind of mistake.
    this.name = 'RangeError';
  }

  /** The same error, naming the file the label came from. */
  withPath(path: string): LabelOutOfRangeError {
    return new LabelOutOfRangeError(this.label, this.index, this.numClasses, path);
  }
}
