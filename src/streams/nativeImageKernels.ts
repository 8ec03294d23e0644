import { createRequire } from 'node:module';
import * as path from 'node:path';
import { debuglog } from 'node:util';
import { addonBuildHint } from '../model/wasm/addonBuildHint';

/**
 * The leading arguments of {@link NativeImageKernels.jpegPreprocess} and
 * {@link NativeImageKernels.jpegPreprocessFile}: the JPEG, the crop in stored pixels, the
 * output side, the EXIF orientation (1..8) and the JPEG quality (1..100).
 *
 * @example
 * ```ts
 * const job: JpegPreprocessJob = [jpeg, 80, 0, 480, 480, 256, 1, 90];
 * ```
 */
export type JpegPreprocessJob = [jpeg: Uint8Array, x: number, y: number, width: number, height: number, size: number, orientation: number, quality: number];

/**
 * The image kernels of rxtrain's C++ addon (`native/cropResize.cc`, built by the install
 * script into `build/Release/rxtrain_native.node`, the same file as the training kernels).
 * Methods take the raw geometry; {@link cropResizeFast} is the checked, typed way to call them.
 *
 * @example
 * ```ts
 * const k = nativeImageKernels();
 * k?.cropResize(rgbx, 640, 480, 4, 80, 0, 480, 480, out, 256, 256, 3, 0, sums);
 * ```
 */
export interface NativeImageKernels {
  /**
   * Crop + resize, bit-identical to `cropResizeInto`'s 14-bit fixed-point path (method 0 =
   * area, 1 = bilinear). Adds the output's channel sums to `sums` when given. Throws a
   * RangeError on a bad geometry or too-short arrays, before touching memory.
   */
  cropResize(
    src: Uint8Array,
    srcWidth: number,
    srcHeight: number,
    srcChannels: number,
    x: number,
    y: number,
    width: number,
    height: number,
    dst: Uint8Array,
    dstWidth: number,
    dstHeight: number,
    dstChannels: number,
    method: 0 | 1,
    sums: Float64Array | null,
  ): void;
  /** '' when the TurboJPEG 3 library of `@julusian/jpeg-turbo` is loaded and usable, else why not (see `nativeJpegCodec`). */
  turboJpegOpen(): string;
  /**
   * Decodes the crop `x, y, width, height` (stored pixels) of a JPEG and resizes it into `dst`
   * (`size`² RGB), adding the channel sums to `sums`. Returns the DCT scale denominator used
   * (1, 2, 4, 8), or libjpeg-turbo's message when the file is refused (warnings count).
   */
  jpegCropResize(jpeg: Uint8Array, x: number, y: number, width: number, height: number, dst: Uint8Array, size: number, sums: Float64Array, fastDct: boolean): number | string;
  /** Encodes RGB (3) or grey (1) pixels as a baseline 4:2:0 JPEG into `out`: byte count, or an error message. */
  jpegEncode(pixels: Uint8Array, width: number, height: number, channels: number, quality: number, out: Uint8Array): number | string;
  /** Worst-case size of {@link NativeImageKernels.jpegEncode}'s output. */
  jpegEncodeBound(width: number, height: number): number;
  /**
   * The preprocess fast path's whole per-image work in one call: the crop (stored pixels)
   * decoded and resized to `size`², EXIF `orientation` applied to the square, encoded at
   * `quality` (baseline, 4:2:0, accurate DCT), and the file `dest` created (or truncated) and
   * written. YCbCr JPEGs (any chroma subsampling) and greyscale ones take the YCbCr route
   * (planes resized as decoded and encoded as resized: no colour conversion or chroma
   * resampling); RGB-coded ones the RGB route (`jpegCropResize`, then `jpegEncode`). `RXTRAIN_JPEG_RGB=1` sends every image through
   * the RGB route. Adds the channel sums to `sums` (on the YCbCr route through the JFIF
   * transform of the plane sums); copies the oriented RGB pixels into `pixels` when given.
   * Returns the bytes written (> 0), minus the errno when `dest` could not be written (the cut
   * file is removed), or libjpeg-turbo's message when it refused the image (nothing written).
   * Optional: addons built before it lack it.
   */
  jpegPreprocessFile?(...args: [...JpegPreprocessJob, dest: string, sums: Float64Array, pixels: Uint8Array | null]): number | string;
  /**
   * {@link NativeImageKernels.jpegPreprocessFile}'s work with the JPEG copied into `out`
   * (at least `jpegEncodeBound(size, size)` bytes) instead of a file: returns the byte count,
   * or libjpeg-turbo's message. Optional: addons built before it lack it.
   */
  jpegPreprocess?(...args: [...JpegPreprocessJob, out: Uint8Array, sums: Float64Array, pixels: Uint8Array | null]): number | string;
}

// src/streams (tsx) or dist/streams (built package): the repository root is two levels up.
const ROOT = path.resolve(__dirname, '..', '..');
const ADDON_FILE = path.join(ROOT, 'build', 'Release', 'rxtrain_native.node');
const debug = debuglog('rxtrain');

let loaded: { readonly kernels: NativeImageKernels | undefined; readonly why: string | undefined } | undefined;
let enabled: boolean | undefined;

function envEnabled(): boolean {
  const v = (process.env.RXTRAIN_NATIVE ?? '').trim().toLowerCase();
  return !(v === '0' || v === 'false' || v === 'off' || v === 'no');
}

function load(): NonNullable<typeof loaded> {
  if (loaded === undefined) {
    try {
      const addon = createRequire(__filename)(ADDON_FILE) as Partial<NativeImageKernels>;
      // An addon built before the image kernels existed loads fine but lacks them.
      if (typeof addon.cropResize !== 'function') {
        loaded = { kernels: undefined, why: `addon ${ADDON_FILE} is older than this rxtrain (lacks cropResize); rebuild it with ${addonBuildHint(ROOT, process.cwd())}` };
      } else loaded = { kernels: addon as NativeImageKernels, why: undefined };
    } catch (e) {
      const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
      // The training kernels' words: an installed package is rebuilt with npm, not with a
      // script path that is only right inside a clone.
      loaded = { kernels: undefined, why: `addon not built (${msg}); build it with ${addonBuildHint(ROOT, process.cwd())} (needs a C++ compiler, make, python3)` };
    }
    if (loaded.why !== undefined) debug(`native image kernels not available, using the JavaScript ones: ${loaded.why}`);
  }
  return loaded;
}

/**
 * The addon's image kernels when the addon is built and not disabled (`RXTRAIN_NATIVE=0` or
 * {@link setNativeImageKernelsEnabled}), else undefined: callers then run the pure JS kernels
 * of `src/ops`. Loaded once per thread (the module is context-aware, so worker threads load
 * it too); `NODE_DEBUG=rxtrain` prints why it is unavailable.
 *
 * @example
 * ```ts
 * if (nativeImageKernels() === undefined) console.log('resizing in JavaScript');
 * ```
 */
export function nativeImageKernels(): NativeImageKernels | undefined {
  enabled ??= envEnabled();
  return enabled ? load().kernels : undefined;
}

/**
 * Turns the native image kernels on or off for this thread (tests, A/B benchmarks); the
 * environment variable `RXTRAIN_NATIVE=0` sets the initial state to off. Turning on has no
 * effect when the addon is not built.
 *
 * @example
 * ```ts
 * setNativeImageKernelsEnabled(false); // the pure JS kernels, e.g. to compare
 * ```
 */
export function setNativeImageKernelsEnabled(on: boolean): void {
  enabled = on;
}
