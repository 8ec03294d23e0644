import type { SgdOptions } from './sgd';
import type { NativeAddon } from './wasm/nativeKernels';

/**
 * The native addon's functions {@link sgdSlice} uses: the fused SGD update and the weighted
 * sum of gradient arrays in float64 (the same bits as the JavaScript loop).
 *
 * @example
 * ```ts
 * const native: SgdSliceNative | undefined = nativeKernels();
 * ```
 */
export type SgdSliceNative = Pick<NativeAddon, 'sgdUpdate' | 'weightedSum'>;

/**
 * Arguments of {@link sgdSlice}: flat float32 arrays over all trainable parameters (in
 * `net.trainable` order, concatenated), usually views of SharedArrayBuffers that every
 * data-parallel replica sees.
 *
 * @example
 * ```ts
 * const a: SgdSliceArgs = { grads: [g0, g1], gradWeights: [0.5, 0.5], params, momentum, start: 0, end: params.length, lr: 0.01, options };
 * ```
 */
export interface SgdSliceArgs {
  /** One gradient array per replica (its shard's mean gradient). */
  readonly grads: readonly Float32Array[];
  /** Weight of each replica's gradient (its share of the batch; 0 = sat the step out). */
  readonly gradWeights: readonly number[];
  /** Parameters before the step (read). */
  readonly params: Float32Array;
  /** Where the new parameters go (same length as `params`); default `params` itself. */
  readonly out?: Float32Array | undefined;
  /**
   * The native addon's fused update (`nativeKernels().sgdUpdate`), when active: then the
   * average is written over `grads[scratch]`'s slice and the addon runs the update.
   */
  readonly native?: SgdSliceNative | undefined;
  /** Which gradient array the native path may overwrite with the average (default 0). */
  readonly scratch?: number | undefined;
  /** Momentum buffer (PyTorch's `momentum_buffer`), updated in place; unused without momentum. */
  readonly momentum: Float32Array;
  /** First element to update. */
  readonly start: number;
  /** One past the last element to update. */
  readonly end: number;
  readonly lr: number;
  readonly options: SgdOptions;
}

/**
 * One SGD step (PyTorch semantics: weight decay, momentum, Nesterov) on the elements
 * [start, end) of flat parameter and momentum arrays, with the gradient averaged from several
 * replicas' gradients on the fly. Each data-parallel replica updates its own slice in shared
 * memory, so the update is computed once, not once per replica, and both cores share it.
 *
 * The arithmetic is `createSgd`'s, float32 rounding step by step (`Math.fround`), so a slice
 * update from one gradient with weight 1 is bit-identical to `createSgd().apply`; the average
 * is summed in float64 in replica order and rounded once, so the result does not depend on
 * how the parameters are sliced between replicas. With `native` the same arithmetic runs as
 * the addon's C++ loops (bit-identical to the JavaScript ones, several times faster): the
 * average is written over the slice of `grads[scratch]`, then the fused update runs.
 *
 * @example
 * ```ts
 * sgdSlice({ grads: [g0, g1], gradWeights: [0.5, 0.5], params, momentum, start: 0, end: params.length / 2, lr: 0.01, options: checkSgdOptions({}) });
 * ```
 */
export function sgdSlice(a: SgdSliceArgs): void {
  const f = Math.fround;
  const negLr = f(-a.lr);
  const m = f(a.options.momentum);
  const wd = f(a.options.weightDecay);
  const nesterov = a.options.nesterov;
  const p = a.params;
  const o = a.out ?? a.params;
  const buf = a.momentum;
  const useMomentum = m !== 0;
  // Replicas that sat the step out (weight 0) hold stale gradients: leave them out entirely.
  const gs: Float32Array[] = [];
  const ws: number[] = [];
  a.grads.forEach((g, k) => {
    if (a.gradWeights[k] > 0) {
      gs.push(g);
      ws.push(a.gradWeights[k]);
    }
  });
  if (gs.length === 0) throw new Error('sgdSlice: no replica has a positive gradient weight');
  if (a.start < 0 || a.end > p.length || a.start > a.end) throw new RangeError(`sgdSlice: slice [${a.start}, ${a.end}) outside 0..${p.length}`);
  if (useMomentum && buf.length < a.end) throw new RangeError(`sgdSlice: momentum has ${buf.length} values, the slice ends at ${a.end}`);
  if (o.length !== p.length) throw new RangeError(`sgdSlice: out has ${o.length} values, params ${p.length}`);
  if (a.native !== undefined && o !== p) {
    const avg = a.grads[a.scratch ?? 0].subarray(a.start, a.end);
    a.native.weightedSum(gs.map((g) => g.subarray(a.start, a.end)), ws, avg);
    a.native.sgdUpdate(avg, p.subarray(a.start, a.end), useMomentum ? buf.subarray(a.start, a.end) : null, o.subarray(a.start, a.end),
      a.end - a.start, negLr, m, wd, nesterov, 1);
    return;
  }
  if (gs.length === 2 && useMomentum && nesterov) {
    nesterovPair(gs[0], gs[1], ws[0], ws[1], p, o, buf, a.start, a.end, negLr, m, wd);
    return;
  }
  const k = gs.length;
  for (let j = a.start; j < a.end; j++) {
    let s = ws[0] * gs[0][j];
    for (let r = 1; r < k; r++) s += ws[r] * gs[r][j];
    let gj = f(s);
    if (wd !== 0) gj = f(gj + f(p[j] * wd));
    if (useMomentum) {
      const b = f(f(buf[j] * m) + gj);
      buf[j] = b;
      gj = nesterov ? f(gj + f(b * m)) : b;
    }
    o[j] = f(p[j] + f(gj * negLr));
  }
}

/**
 * The common case (two replicas, one per core; Nesterov momentum, the flagship recipe) with
 * no branches in the loops: V8 does not hoist loop-invariant tests, and the general loop is
 * 2.5× slower on AlexNet's 58 M parameters. Same arithmetic as the general loop.
 */
function nesterovPair(
  g0: Float32Array, g1: Float32Array, w0: number, w1: number, p: Float32Array, o: Float32Array, buf: Float32Array,
  start: number, end: number, negLr: number, m: number, wd: number,
): void {
  const f = Math.fround;
  if (wd === 0) {
    for (let j = start; j < end; j++) {
      const gj = f(w0 * g0[j] + w1 * g1[j]);
      const b = f(f(buf[j] * m) + gj);
      buf[j] = b;
      o[j] = f(p[j] + f(f(gj + f(b * m)) * negLr));
    }
    return;
  }
  for (let j = start; j < end; j++) {
    const gj = f(f(w0 * g0[j] + w1 * g1[j]) + f(p[j] * wd));
    const b = f(f(buf[j] * m) + gj);
    buf[j] = b;
    o[j] = f(p[j] + f(f(gj + f(b * m)) * negLr));
  }
}
