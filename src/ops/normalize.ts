import type { FloatImage } from './Image';
import { assertImage, type AnyImage } from './assertImage';
import { mapImage, type ImageOperator } from './mapImage';

/**
 * Per-channel mean and reciprocal standard deviation, checked against a channel count.
 * `inv[c]` is `1 / std[c]` (1 without std): {@link normalizeImage} and
 * {@link cropFlipNormalizeInto} both compute `(pixel - mean[c]) * inv[c]`, so they agree bit
 * for bit.
 *
 * @throws RangeError if a list has neither 1 nor `channels` entries, a mean is not finite, or
 *   a std is not a positive finite number.
 * @example
 * ```ts
 * normalizationParams([124, 116, 104], [58, 57, 57], 3, 'normalize');
 * ```
 */
export function normalizationParams(
  mean: ArrayLike<number>,
  std: ArrayLike<number> | undefined,
  channels: number,
  who: string,
): { mean: Float64Array; inv: Float64Array } {
  const m = expand(mean, channels, who, 'mean');
  const inv = new Float64Array(channels).fill(1);
  for (let c = 0; c < channels; c++) {
    if (!Number.isFinite(m[c])) throw new RangeError(`${who}: mean[${c}] must be a finite number, got ${m[c]}`);
  }
  if (std !== undefined) {
    const s = expand(std, channels, who, 'std');
    for (let c = 0; c < channels; c++) {
      if (!Number.isFinite(s[c]) || !(s[c] > 0)) {
        throw new RangeError(`${who}: std[${c}] must be a positive finite number, got ${s[c]}`);
      }
      inv[c] = 1 / s[c];
    }
  }
  return { mean: m, inv };
}

function expand(values: ArrayLike<number>, channels: number, who: string, name: string): Float64Array {
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    throw new RangeError(`${who}: ${name} must be an array of numbers`);
  }
  if (values.length !== channels && values.length !== 1) {
    throw new RangeError(`${who}: ${name} has ${values.length} entries for a ${channels}-channel image (need ${channels === 1 ? '1' : `${channels} or 1`})`);
  }
  const out = new Float64Array(channels);
  for (let c = 0; c < channels; c++) out[c] = Number(values[values.length === 1 ? 0 : c]);
  return out;
}

/**
 * Turns pixels into network input: `(pixel - mean[c]) / std[c]` per channel, as a float
 * image. `mean` and `std` are in pixel units (0..255), e.g. the train-set RGB mean from
 * `rgb_val.json`; omit `std` to only subtract the mean (the seed's AlexNet input). A
 * single-entry list applies to every channel. Float input images are accepted too.
 *
 * @throws RangeError for a wrong number of entries, non-finite means or non-positive stds.
 * @example
 * ```ts
 * const x = normalizeImage(img, [124.0, 116.3, 103.5]);                 // mean only
 * const y = normalizeImage(img, [123.7, 116.3, 103.5], [58.4, 57.1, 57.4]); // ImageNet stats
 * ```
 */
export function normalizeImage(img: AnyImage, mean: ArrayLike<number>, std?: ArrayLike<number>): FloatImage {
  assertImage(img, 'normalizeImage');
  const c = img.channels;
  const p = normalizationParams(mean, std, c, 'normalizeImage');
  const src = img.data;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i += c) {
    for (let k = 0; k < c; k++) out[i + k] = (src[i + k] - p.mean[k]) * p.inv[k];
  }
  return { data: out, width: img.width, height: img.height, channels: c };
}

/**
 * Operator form of {@link normalizeImage}: the stream's images become {@link FloatImage}s,
 * every other field is kept. An image whose channel count does not match `mean` errors the
 * stream.
 *
 * @throws RangeError (at call time) for non-finite means or non-positive stds.
 * @example
 * ```ts
 * const floats$ = samples$.pipe(normalize([124, 116, 104])); // Observable<{ image: FloatImage; label; path }>
 * ```
 */
export function normalize(mean: ArrayLike<number>, std?: ArrayLike<number>): ImageOperator<AnyImage, FloatImage> {
  normalizationParams(mean, std, Math.max(mean.length, std?.length ?? 0), 'normalize');
  return mapImage((img: AnyImage) => normalizeImage(img, mean, std));
}
