import type { Image } from './Image';
import { assertRng, type Rng } from './Rng';
import { assertByteImage, type AnyImage } from './assertImage';
import { mapSameImage, type MonoImageOperator } from './mapImage';

/**
 * Eigenvalues of the ImageNet training set's RGB covariance (pixels scaled to 0..1), the
 * values used by AlexNet's "fancy PCA" lighting noise as published with fb.resnet.torch and
 * copied by most reimplementations.
 *
 * @example
 * ```ts
 * pcaLightingImage(img, rng, { eigval: IMAGENET_EIGVAL, eigvec: IMAGENET_EIGVEC });
 * ```
 */
export const IMAGENET_EIGVAL: readonly number[] = [0.2175, 0.0188, 0.0045];

/**
 * Eigenvectors matching {@link IMAGENET_EIGVAL}: row = colour channel (R, G, B),
 * column = principal component.
 *
 * @example
 * ```ts
 * const firstComponentRed = IMAGENET_EIGVEC[0][0]; // -0.5675
 * ```
 */
export const IMAGENET_EIGVEC: readonly (readonly number[])[] = [
  [-0.5675, 0.7192, 0.4009],
  [-0.5808, -0.0045, -0.814],
  [-0.5836, -0.6948, 0.4203],
];

/**
 * Options of {@link pcaLightingImage}.
 *
 * @example
 * ```ts
 * const o: PcaLightingOptions = { alphaStd: 0.1 };
 * ```
 */
export interface PcaLightingOptions {
  /** Standard deviation of the per-component weights α (AlexNet: 0.1). */
  readonly alphaStd?: number | undefined;
  /** Eigenvalues of the RGB covariance, pixels scaled to 0..1. Default {@link IMAGENET_EIGVAL}. */
  readonly eigval?: readonly number[] | undefined;
  /** 3×3 eigenvectors, row = channel, column = component. Default {@link IMAGENET_EIGVEC}. */
  readonly eigvec?: readonly (readonly number[])[] | undefined;
}

interface Pca {
  alphaStd: number;
  eigval: readonly number[];
  eigvec: readonly (readonly number[])[];
}

function checkOptions(opts: PcaLightingOptions, who: string): Pca {
  const alphaStd = opts.alphaStd ?? 0.1;
  const eigval = opts.eigval ?? IMAGENET_EIGVAL;
  const eigvec = opts.eigvec ?? IMAGENET_EIGVEC;
  if (!Number.isFinite(alphaStd) || alphaStd < 0) throw new RangeError(`${who}: alphaStd must be a finite number >= 0, got ${alphaStd}`);
  if (eigval.length !== 3 || !eigval.every(Number.isFinite)) throw new RangeError(`${who}: eigval must be 3 finite numbers`);
  if (eigvec.length !== 3 || !eigvec.every((r) => r.length === 3 && r.every(Number.isFinite))) {
    throw new RangeError(`${who}: eigvec must be a 3x3 matrix of finite numbers`);
  }
  return { alphaStd, eigval, eigvec };
}

/**
 * AlexNet's PCA colour augmentation: draws α ~ N(0, alphaStd²) for each of the three
 * principal components (three `rng.normal()` draws) and adds
 * `255 · Σᵢ eigvec[c][i] · αᵢ · eigval[i]` to channel c of every pixel, so the whole image
 * shifts along the data set's natural colour directions. Results are rounded and clamped to
 * 0..255; alpha (4th channel) is untouched.
 *
 * @throws RangeError for a grey image or malformed options; TypeError for float pixels.
 * @example
 * ```ts
 * const lit = pcaLightingImage(img, createRng(5));                  // ImageNet defaults, alphaStd 0.1
 * const mine = pcaLightingImage(img, rng, { eigval, eigvec, alphaStd: 0.05 }); // your data set's PCA
 * ```
 */
export function pcaLightingImage(img: Image, rng: Rng, opts: PcaLightingOptions = {}): Image {
  assertByteImage(img, 'pcaLightingImage');
  const o = checkOptions(opts, 'pcaLightingImage');
  assertRng(rng, 'pcaLightingImage');
  if (img.channels === 1) throw new RangeError('pcaLightingImage: needs an RGB(A) image; apply greyToRgb() first');
  const a0 = rng.normal() * o.alphaStd * o.eigval[0];
  const a1 = rng.normal() * o.alphaStd * o.eigval[1];
  const a2 = rng.normal() * o.alphaStd * o.eigval[2];
  const off = [0, 1, 2].map((c) => 255 * (o.eigvec[c][0] * a0 + o.eigvec[c][1] * a1 + o.eigvec[c][2] * a2));
  const c = img.channels;
  const src = img.data;
  const out = new Uint8Array(src.length);
  // Uint8Array assignment would wrap and truncate, so round and clamp explicitly.
  for (let i = 0; i < src.length; i += c) {
    for (let k = 0; k < 3; k++) {
      const v = Math.floor(src[i + k] + off[k] + 0.5);
      out[i + k] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    if (c === 4) out[i + 3] = src[i + 3];
  }
  return { data: out, width: img.width, height: img.height, channels: c };
}

/**
 * Operator form of {@link pcaLightingImage}: three `rng.normal()` draws per image, in stream
 * order. Options and the generator are checked when the operator is created.
 *
 * @example
 * ```ts
 * samples$.pipe(randomCrop(227, rng), pcaLighting(rng), normalize(mean));
 * ```
 */
export function pcaLighting(rng: Rng, opts: PcaLightingOptions = {}): MonoImageOperator<Image> {
  checkOptions(opts, 'pcaLighting');
  assertRng(rng, 'pcaLighting');
  return mapSameImage((img: AnyImage) => pcaLightingImage(img as Image, rng, opts)) as MonoImageOperator<Image>;
}
