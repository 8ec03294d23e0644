import { debuglog } from 'node:util';

/**
 * The part of `@julusian/jpeg-turbo` (libjpeg-turbo's TurboJPEG API) that rxtrain uses. Typed
 * here rather than imported: the package is an optional dependency and may be absent.
 *
 * @example
 * ```ts
 * const jt = loadJpegTurbo();
 * if (jt) jt.decompressSync(jpegBytes, scratch, { format: jt.FORMAT_RGBX });
 * ```
 */
export interface JpegTurbo {
  readonly FORMAT_RGB: number;
  readonly FORMAT_RGBX: number;
  readonly SAMP_420: number;
  decompressSync(image: Buffer, out: Buffer, options: { format: number }): { data: Buffer; width: number; height: number; size: number };
  compressSync(raw: Buffer, out: Buffer, options: { format: number; width: number; height: number; quality: number; subsampling: number }): Buffer;
  bufferSize(options: { width: number; height: number; subsampling: number }): number;
}

const debug = debuglog('rxtrain');
let loaded: { readonly jt: JpegTurbo | undefined } | undefined;

/**
 * Loads the libjpeg-turbo binding once per thread; undefined (with one debug line, shown with
 * `NODE_DEBUG=rxtrain`) when the optional package is missing or its native code does not load
 * on this platform, in which case callers use sharp.
 *
 * @example
 * ```ts
 * const jt = loadJpegTurbo(); // undefined → use sharp
 * ```
 */
export function loadJpegTurbo(): JpegTurbo | undefined {
  if (loaded === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const jt = require('@julusian/jpeg-turbo') as JpegTurbo;
      if (typeof jt.decompressSync !== 'function' || typeof jt.compressSync !== 'function') throw new Error('unexpected module shape');
      loaded = { jt };
    } catch (e) {
      debug(`libjpeg-turbo binding (@julusian/jpeg-turbo) not available, JPEGs are processed with sharp: ${(e as Error).message}`);
      loaded = { jt: undefined };
    }
  }
  return loaded.jt;
}
