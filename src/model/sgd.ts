import * as tf from '@tensorflow/tfjs-core';
import type { NamedVariable } from './Network';

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
  /** Momentum buffers, named `<variable>/momentum` (empty when momentum is 0). */
  readonly slots: readonly NamedVariable[];
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
export function checkSgdOptions(options: Partial<SgdOptions>): SgdOptions {
  const o = { ...defaultSgdOptions, ...options };
  if (!(Number.isFinite(o.lr) && o.lr > 0)) throw new RangeError(`sgd lr must be a positive number, got ${o.lr}`);
  if (!(o.momentum >= 0 && o.momentum < 1)) throw new RangeError(`sgd momentum must be in [0, 1), got ${o.momentum}`);
  if (!(Number.isFinite(o.weightDecay) && o.weightDecay >= 0)) throw new RangeError(`sgd weightDecay must be ≥ 0, got ${o.weightDecay}`);
  if (o.nesterov && o.momentum === 0) throw new RangeError('sgd nesterov needs momentum > 0 (as in PyTorch)');
  return o;
}

/**
 * Creates PyTorch's SGD update: g ← g + wd·p; buf ← m·buf + g; g ← g + m·buf (Nesterov) or
 * buf; p ← p − lr·g. Buffers start at zero, which equals PyTorch's first-step buf = g.
 * The same grads and state give bit-identical results, which keeps replicas in lockstep.
 *
 * @example
 * ```ts
 * const opt = createSgd(net.trainable, { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 0 });
 * opt.setLearningRate(0.005);
 * ```
 */
export function createSgd(vars: readonly NamedVariable[], options: Partial<SgdOptions> = {}): Sgd {
  const o = checkSgdOptions(options);
  let lr = o.lr;
  const slots: NamedVariable[] = o.momentum > 0
    ? vars.map((v) => ({ name: `${v.name}/momentum`, variable: tf.variable(tf.zerosLike(v.variable), false) }))
    : [];
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
      tf.tidy(() => {
        const negLr = tf.scalar(-lr);
        const m = tf.scalar(o.momentum);
        const wd = tf.scalar(o.weightDecay);
        vars.forEach(({ variable: p }, i) => {
          let g = grads[i];
          if (o.weightDecay > 0) g = tf.add(g, tf.mul(p, wd));
          if (o.momentum > 0) {
            const buf = slots[i].variable;
            const next = tf.add(tf.mul(buf, m), g);
            buf.assign(next);
            g = o.nesterov ? tf.add(g, tf.mul(next, m)) : next;
          }
          p.assign(tf.add(p, tf.mul(g, negLr)));
        });
      });
    },
    slots,
    dispose() {
      for (const s of slots) s.variable.dispose();
    },
  };
}
