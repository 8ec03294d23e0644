import { debuglog } from 'node:util';
import { loadJpegTurbo } from './loadJpegTurbo';
import { nativeImageKernels, type NativeImageKernels } from './nativeImageKernels';

const debug = debuglog('rxtrain');
let checked: { readonly codec: NativeImageKernels | undefined } | undefined;

/**
 * The addon's one-call JPEG kernels (`jpegCropResize`, `jpegEncode`) when they can run here:
 * the addon is built and enabled, and the TurboJPEG 3 library that `@julusian/jpeg-turbo`
 * ships as a shared object (its Linux prebuilds) is loaded. Undefined otherwise (macOS and
 * Windows prebuilds link it statically, older addon builds lack the kernels, `RXTRAIN_NATIVE=0`):
 * the fast path then decodes and encodes through the binding and resizes with `cropResizeFast`.
 * Checked once per thread; `NODE_DEBUG=rxtrain` says why it is unavailable.
 *
 * @example
 * ```ts
 * const codec = nativeJpegCodec();
 * if (codec) codec.jpegCropResize(jpeg, 80, 0, 480, 480, rgb, 256, sums, false);
 * ```
 */
export function nativeJpegCodec(): NativeImageKernels | undefined {
  const k = nativeImageKernels();
  if (k === undefined) return undefined;
  if (checked === undefined) {
    // The binding's require loads libturbojpeg.so.0 into the process; the addon only looks it up.
    const why = loadJpegTurbo() === undefined ? 'the @julusian/jpeg-turbo binding did not load' : typeof k.turboJpegOpen === 'function' ? k.turboJpegOpen() : 'the addon predates the JPEG kernels';
    if (why !== '') debug(`native JPEG kernels not available, decoding through the binding: ${why}`);
    checked = { codec: why === '' ? k : undefined };
  }
  return checked.codec;
}
