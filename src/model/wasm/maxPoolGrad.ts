import * as tf from '@tensorflow/tfjs';
import { nativeKernels } from './nativeKernels';
import { nativeMaxPoolGrad } from './nativeMaxPool';
import { asWasmBackend, stockWasmKernel } from './wasmKernelCall';

/**
 * `MaxPoolGrad` for `wasm`. tfjs 4.22's C++ kernel starts its running maximum at the smallest
 * positive float instead of −∞, so in windows whose values are all negative (common right after
 * BatchNorm) the gradient lands on the wrong element. This one routes each window's gradient to
 * its first maximum, exactly like the `cpu` backend. On rxtrain's native addon when it is active
 * (same routing, C++, split over threads by image); otherwise in JS directly on the wasm heap:
 * one pass over the input, channels innermost (about 10 % of a small-model step).
 *
 * @example
 * ```ts
 * tf.registerKernel(maxPoolGradConfig);
 * ```
 */
export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: 'wasm',
  // Not needed by this kernel; keeps tfjs' own kernel usable (bench:kernels compares both).
  setupFunc: (backend) => stockWasmKernel(tf.MaxPoolGrad).setupFunc?.(backend),
  kernelFunc: ({ inputs, backend: b, attrs }) => {
    const backend = asWasmBackend(b);
    const { dy, input } = inputs as unknown as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW,
      filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = info;
    const addon = nativeKernels();
    if (addon !== undefined) {
      const native = nativeMaxPoolGrad(addon, backend, input, dy, info);
      if (native !== undefined) return native;
    }
    const top = info.padInfo.top;
    const left = info.padInfo.left;

    const out = backend.makeOutput(input.shape, 'float32');
    // Views only after allocating: growing the heap may replace its buffer.
    const x = backend.typedArrayFromHeap(input) as Float32Array;
    const g = backend.typedArrayFromHeap(dy) as Float32Array;
    const dx = backend.typedArrayFromHeap(out) as Float32Array;
    dx.fill(0);
    const best = new Float32Array(C);
    const bestAt = new Int32Array(C);
    for (let n = 0; n < B; n++) {
      const xBase = n * H * W * C;
      for (let oy = 0; oy < OH; oy++) {
        const y0 = Math.max(0, oy * SH - top);
        const y1 = Math.min(H, oy * SH - top + FH);
        for (let ox = 0; ox < OW; ox++) {
          const x0 = Math.max(0, ox * SW - left);
          const x1 = Math.min(W, ox * SW - left + FW);
          best.fill(Number.NEGATIVE_INFINITY);
          bestAt.fill(-1);
          for (let yy = y0; yy < y1; yy++) {
            for (let xx = x0; xx < x1; xx++) {
              const p = xBase + (yy * W + xx) * C;
              for (let c = 0; c < C; c++) {
                const v = x[p + c];
                // Strict '>' keeps the first maximum in row-major window order, as `cpu` does.
                if (v > best[c]) { best[c] = v; bestAt[c] = p + c; }
              }
            }
          }
          const gBase = ((n * OH + oy) * OW + ox) * C;
          for (let c = 0; c < C; c++) {
            const at = bestAt[c];
            if (at >= 0) dx[at] += g[gBase + c];
          }
        }
      }
    }
    return out;
  },
};
