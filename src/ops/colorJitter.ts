import type { Image } from './Image';
import { assertRng, type Rng } from './Rng';
import { assertByteImage, type AnyImage } from './assertImage';
import { mapSameImage, type MonoImageOperator } from './mapImage';
import { LUMA_601 } from './rgbToGrey';

/**
 * Strengths of {@link colorJitterImage}, each ≥ 0 (0 = off). A strength `s` draws its factor
 * uniformly from `[max(0, 1 - s), 1 + s]`, as torchvision's `ColorJitter` does.
 *
 * @example
 * ```ts
 * const o: ColorJitterOptions = { brightness: 0.4, contrast: 0.4, saturation: 0.4 };
 * ```
 */
export interface ColorJitterOptions {
  /** Multiplies every colour value by the factor. */
  readonly brightness?: number | undefined;
  /** Blends each value with the image's mean luma (factor 0 = flat grey). */
  readonly contrast?: number | undefined;
  /** Blends each pixel with its own luma (factor 0 = greyscale). */
  readonly saturation?: number | undefined;
}

function checkOptions(opts: ColorJitterOptions, who: string): [number, number, number] {
  const vals: [number, number, number] = [opts.brightness ?? 0, opts.contrast ?? 0, opts.saturation ?? 0];
  (['brightness', 'contrast', 'saturation'] as const).forEach((name, i) => {
    if (!Number.isFinite(vals[i]) || vals[i] < 0) throw new RangeError(`${who}: ${name} must be a finite number >= 0, got ${vals[i]}`);
  });
  return vals;
}

function factor(strength: number, rng: Rng): number {
  const lo = Math.max(0, 1 - strength);
  const hi = 1 + strength;
  return lo + (hi - lo) * rng.next();
}

const clamp = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

/**
 * Random brightness, contrast and saturation, applied in that fixed order with factors drawn
 * from `rng` (always exactly three `rng.next()` draws, even for strengths of 0, so options do
 * not shift the rest of the random sequence). Works in floating point with clamping to
 * 0..255 after each step and rounds once at the end; grey images get brightness and contrast
 * (saturation is a no-op), alpha is untouched.
 *
 * @throws RangeError for negative or non-finite strengths; TypeError for float pixels.
 * @example
 * ```ts
 * const jittered = colorJitterImage(img, createRng(9), { brightness: 0.4, contrast: 0.4, saturation: 0.4 });
 * ```
 */
export function colorJitterImage(img: Image, rng: Rng, opts: ColorJitterOptions = {}): Image {
  assertByteImage(img, 'colorJitterImage');
  const [b, c, s] = checkOptions(opts, 'colorJitterImage');
  assertRng(rng, 'colorJitterImage');
  const fb = factor(b, rng);
  const fc = factor(c, rng);
  const fs = factor(s, rng);
  const ch = img.channels;
  const cc = ch === 1 ? 1 : 3;
  const src = img.data;
  const n = img.width * img.height;
  const [wr, wg, wb] = LUMA_601;
  const luma = (v: Float64Array, i: number): number => (cc === 1 ? v[i] : wr * v[i] + wg * v[i + 1] + wb * v[i + 2]);
  const px = new Float64Array(n * cc);
  let meanLuma = 0;
  for (let p = 0; p < n; p++) {
    for (let k = 0; k < cc; k++) px[p * cc + k] = clamp(src[p * ch + k] * fb);
    meanLuma += luma(px, p * cc);
  }
  meanLuma /= n;
  const out = new Uint8Array(src.length);
  for (let p = 0; p < n; p++) {
    const i = p * cc;
    for (let k = 0; k < cc; k++) px[i + k] = clamp(fc * px[i + k] + (1 - fc) * meanLuma);
    const y = luma(px, i);
    for (let k = 0; k < cc; k++) out[p * ch + k] = Math.floor(clamp(fs * px[i + k] + (1 - fs) * y) + 0.5);
    if (ch === 4) out[p * ch + 3] = src[p * ch + 3];
  }
  return { data: out, width: img.width, height: img.height, channels: ch };
}

/**
 * Operator form of {@link colorJitterImage}: three `rng.next()` draws per image, in stream
 * order. Options and the generator are checked when the operator is created.
 *
 * @example
 * ```ts
 * samples$.pipe(colorJitter(rng, { brightness: 0.2, saturation: 0.3 }));
 * ```
 */
export function colorJitter(rng: Rng, opts: ColorJitterOptions = {}): MonoImageOperator<Image> {
  checkOptions(opts, 'colorJitter');
  assertRng(rng, 'colorJitter');
  return mapSameImage((img: AnyImage) => colorJitterImage(img as Image, rng, opts)) as MonoImageOperator<Image>;
}
