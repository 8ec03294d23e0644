import type { Skip } from '../streams/Skip';

/**
 * What a dataset transform returns to leave a sample out on purpose (an image too dark, a
 * label your kernel cannot use): `return skipSample('too dark')`. The dataset reports it as a
 * `transform` {@link Skip} under the sample's path, with a message naming the transform and
 * `reason` (`transform darkFilter: too dark`): a `SampleSkipped` event, a log warning and a
 * telemetry event like every other skip, and the batch is filled from the next samples.
 *
 * Unlike a throw, which stops the epoch (a bug in a kernel must not quietly skip every image),
 * this is a decision about one sample. Decide from the image, `rng` and the context only: a
 * resumed epoch re-runs the transform to find where it left off, and must skip the same samples.
 *
 * The value is a plain `Skip` (its `path` is filled in by the dataset), so the built-in image
 * operators pass it through untouched, as they pass every `Skip`: an operator chain bridged
 * with {@link transformFromOperator} may decide to skip anywhere along it.
 *
 * @example
 * ```ts
 * const dropDark: SampleTransform = (img) => {
 *   const mean = img.data.reduce((s, v) => s + v, 0) / img.data.length;
 *   return mean < 10 ? skipSample(`too dark (mean ${mean.toFixed(1)})`) : img;
 * };
 * ```
 */
export function skipSample(reason: string): Skip {
  // A non-string would print as [object Object] in every log line: a bug, said at once.
  if (typeof reason !== 'string') throw new TypeError(`skipSample: reason must be a string, got ${reason === null ? 'null' : typeof reason}`);
  return { kind: 'skip', path: '', reason: 'transform', message: reason };
}
