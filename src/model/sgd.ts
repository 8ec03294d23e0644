import * as tf from '@tensorflow/tfjs-core';
import { readNow, tensorFrom } from './hostArrays';
import { nativeSgdUpdate } from './wasm/nativeSgd';
import type { NamedVariable } from './Network';
import { withDefaults, type OptionalFields } from './withDefaults';

/**
 * Options of {@link createSgd}, with PyTorch's meaning (`torch.optim.SGD`, dampening 0).
 * Defaults are the seed's: lr 0.01, Nesterov momentum 0.9, no weight decay.
 *
 * @example
 * ```ts
 * const o: SgdOptions = { ...defaultSgdOptions, weightDecay: 5e-4 };
 * ```
 */
export interface SgdOptions {
  readonly lr: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  /** L2 penalty added to the gradient (g + wd·p), as PyTorch does, not decoupled. */
  readonly weightDecay: number;
}

/**
 * The seed's optimizer settings.
 *
 * @example
 * ```ts
 * createSgd(net.trainable, { ...defaultSgdOptions, lr: 0.05 });
 * ```
 */
export const defaultSgdOptions: SgdOptions = { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 0 };

/**
 * One optimizer slot: a named buffer shaped like its variable.
 *
 * @example
 * ```ts
 * for (const s of sgd.slots) console.log(s.name, s.shape, s.data.length);
 * ```
 */
export interface SgdSlot {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * SGD with (Nesterov) momentum over a fixed list of variables. Owns its momentum buffers.
 *
 * @example
 * ```ts
 * const opt = createSgd(net.trainable, defaultSgdOptions);
 * opt.apply(grads); // grads in the order of net.trainable
 * ```
 */
export interface Sgd {
  readonly options: SgdOptions;
  readonly lr: number;
  setLearningRate(lr: number): void;
  /** One update; `grads[i]` belongs to variable i. Does not dispose `grads`. */
  apply(grads: readonly tf.Tensor[]): void;
  /**
   * Momentum buffers, named `<variable>/momentum` (empty when momentum is 0). Live views:
   * writing into `data` changes the optimizer state (used to restore checkpoints).
   */
  readonly slots: readonly SgdSlot[];
  dispose(): void;
}

/**
 * Validates SGD options, throwing a RangeError that names the bad field.
 *
 * @example
 * ```ts
 * const o = checkSgdOptions({ lr: 0.1 }); // defaults filled in
 * ```
 */
export function checkSgdOptions(options: OptionalFields<SgdOptions>): SgdOptions {
  const o = withDefaults(defaultSgdOptions, options);
  if (!(Number.isFinite(o.lr) && o.lr > 0)) throw new RangeError(`sgd lr must be a positive number, got ${o.lr}`);
  if (!(o.momentum >= 0 && o.momentum < 1)) throw new RangeError(`sgd momentum must be in [0, 1), got ${o.momentum}`);
  if (!(Number.isFinite(o.weightDecay) && o.weightDecay >= 0)) throw new RangeError(`sgd weightDecay must be ≥ 0, got ${o.weightDecay}`);
  if (o.nesterov && o.momentum === 0) throw new RangeError('sgd nesterov needs momentum > 0 (as in PyTorch)');
  return o;
}

/**
 * Creates PyTorch's SGD update: g ← g + wd·p; buf ← m·buf + g; g ← g + m·buf (Nesterov) or
 * buf; p ← p − lr·g. Buffers start at zero, which equals PyTorch's first-step buf = g.
 *
 * The update runs as one fused loop in JavaScript over the gradient, weight and momentum
 * arrays (read in place from the wasm heap, written through one reused scratch array), rounding every operation to float32 (`Math.fround`), so it is exactly the
 * float32 arithmetic six tensor ops would do; on wasm those six full-size ops (each
 * allocating a weight-sized tensor) cost about a third of an AlexNet step. On wasm with the
 * native addon the same float32 arithmetic runs in C++ on the heap (`nativeSgdUpdate`,
 * bit-identical, multithreaded, no host copy). The same grads
 * and state give bit-identical results, which keeps replicas in lockstep.
 *
 * @example
 * ```ts
 * const opt = createSgd(net.trainable, { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 0 });
 * opt.setLearningRate(0.005);
 * ```
 */
export function createSgd(vars: readonly NamedVariable[], options: OptionalFields<SgdOptions> = {}): Sgd {
  const o = checkSgdOptions(options);
  let lr = o.lr;
  const slots: SgdSlot[] = o.momentum > 0
    ? vars.map((v) => ({ name: `${v.name}/momentum`, shape: [...v.variable.shape], data: new Float32Array(v.variable.size) }))
    : [];
  const f = Math.fround;
  // One scratch array for the new weights, reused across variables and steps (see hostArrays).
  let scratch = new Float32Array(0);
  return {
    options: o,
    get lr() {
      return lr;
    },
    setLearningRate(next: number) {
      if (!(Number.isFinite(next) && next > 0)) throw new RangeError(`learning rate must be a positive number, got ${next}`);
      lr = next;
    },
    apply(grads) {
      if (grads.length !== vars.length) throw new Error(`sgd.apply: got ${grads.length} gradients for ${vars.length} variables`);
      const negLr = f(-lr);
      const m = f(o.momentum);
      const wd = f(o.weightDecay);
      vars.forEach(({ name, variable }, i) => {
        if (grads[i].size !== variable.size) throw new Error(`sgd.apply: gradient of ${name} has ${grads[i].size} values, the variable ${variable.size}`);
        const buf = o.momentum > 0 ? slots[i].data : undefined;
        // On wasm with the native addon: the same arithmetic in C++, straight into the heap.
        const next = nativeSgdUpdate(variable, grads[i], { negLr, momentum: m, weightDecay: wd, nesterov: o.nesterov, buffer: buf });
        if (next !== undefined) {
          variable.assign(next);
          next.dispose();
          return;
        }
        const n = variable.size;
        if (scratch.length < n) scratch = new Float32Array(Math.max(n, vars.reduce((m, v) => Math.max(m, v.variable.size), 0)));
        const out = scratch.subarray(0, n);
        const g = readNow(grads[i]);
        const p = readNow(variable);
        for (let j = 0; j < n; j++) {
          let gj = g[j];
          if (wd !== 0) gj = f(gj + f(p[j] * wd));
          if (buf !== undefined) {
            const b = f(f(buf[j] * m) + gj);
            buf[j] = b;
            gj = o.nesterov ? f(gj + f(b * m)) : b;
          }
          out[j] = f(p[j] + f(gj * negLr));
        }
        tf.tidy(() => variable.assign(tensorFrom(out, variable.shape)));
      });
    },
    slots,
    dispose() {
      // The buffers are plain arrays; nothing to release on the backend.
    },
  };
}
