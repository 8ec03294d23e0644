import type { Rect } from '../ops/crop';
import { cropResizeInto } from '../ops/cropResizeInto';
import type { Image } from '../ops/Image';
import type { ResizeMethod } from '../ops/resize';
import { nativeImageKernels } from './nativeImageKernels';

/**
 * {@link cropResizeInto} on the native addon when it is there (several times faster: SIMD,
 * no JIT warm-up), else the pure JS kernel itself. Same contract: crop `rect` out of `src`,
 * resize into `out`, add the output's channel sums to `sums` if given, return `out`.
 *
 * Results: the native kernel is bit-identical to `cropResizeInto` on 1- and 3-channel
 * images; a 4-channel source (RGBX decoder output) gives exactly what `cropResizeInto`
 * gives on its first three channels, while the JS kernel's packed two-channels-per-operation
 * path for 4 channels rounds through 8-bit weights and differs from that by at most ±2 (each
 * is within ±1 of `resizeImage`).
 * Lives in `src/streams` because it loads a native module; `src/ops` keeps the pure kernel.
 *
 * @throws RangeError on the same bad inputs as `cropResizeInto` (malformed image, channel
 *   mismatch, rect outside the source, unknown method, short `sums`).
 * @example
 * ```ts
 * const out = makeImage(new Uint8Array(256 * 256 * 3), 256, 256, 3);
 * cropResizeFast(decoded, { x: 80, y: 0, width: 480, height: 480 }, out, 'area', sums);
 * ```
 */
export function cropResizeFast(src: Image, rect: Rect, out: Image, method: ResizeMethod = 'area', sums?: Float64Array): Image {
  const k = nativeImageKernels();
  if (k === undefined) return cropResizeInto(src, rect, out, method, sums);
  if (method !== 'area' && method !== 'bilinear') throw new RangeError(`cropResizeInto: method must be 'bilinear' or 'area', got ${JSON.stringify(method)}`);
  if (!(src.data instanceof Uint8Array) || !(out.data instanceof Uint8Array)) throw new RangeError('cropResizeInto: images must hold 8-bit pixels (Uint8Array)');
  const { x, y, width, height } = rect;
  if (![x, y, width, height].every(Number.isInteger)) throw new RangeError(`cropResizeInto: rect ${width}x${height} at (${x}, ${y}) is not integral`);
  // The addon checks every size against the arrays' lengths before touching memory.
  k.cropResize(src.data, src.width, src.height, src.channels, x, y, width, height, out.data, out.width, out.height, out.channels, method === 'area' ? 0 : 1, sums ?? null);
  return out;
}
