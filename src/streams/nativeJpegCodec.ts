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
 * Checked once per thread (the first call's options decide); `NODE_DEBUG=rxtrain` says why it
 * is unavailable.
 *
 * `bindingLoaded: true` is for a worker thread whose parent has loaded the binding (with it,
 * the library is in the process): the check then does not load the binding in this thread. A
 * thread stopped (`worker.terminate()`, `process.exit`) while it runs the binding's code, its
 * load included, aborts the whole process (`terminate called after throwing an instance of
 * 'Napi::Error'`: node-addon-api's C++ exceptions); the addon's own code is plain N-API.
 *
 * @example
 * ```ts
 * const codec = nativeJpegCodec();
 * if (codec) codec.jpegCropResize(jpeg, 80, 0, 480, 480, rgb, 256, sums, false);
 * const inWorker = nativeJpegCodec({ bindingLoaded: true }); // the parent called loadJpegTurbo()
 * ```
 */
export function nativeJpegCodec(options?: { readonly bindingLoaded?: boolean | undefined }): NativeImageKernels | undefined {
  const k = nativeImageKernels();
  if (k === undefined) return undefined;
  if (checked === undefined) {
    // The binding's require loads libturbojpeg.so.0 into the process; the addon only looks it up.
    const loaded = options?.bindingLoaded === true || loadJpegTurbo() !== undefined;
    const why = !loaded ? 'the @julusian/jpeg-turbo binding did not load' : typeof k.turboJpegOpen === 'function' ? k.turboJpegOpen() : 'the addon predates the JPEG kernels';
    if (why !== '') debug(`native JPEG kernels not available, decoding through the binding: ${why}`);
    checked = { codec: why === '' ? k : undefined };
  }
  return checked.codec;
}
