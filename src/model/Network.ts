import * as tf from '@tensorflow/tfjs-core';
import { createRng, type Rng } from '../ops/Rng';
import { batchNormTrain, type BatchStats } from './batchNormTrain';
import { convLayer } from './convLayer';
import { layerShapes, type NetworkSpec } from './NetworkSpec';
import { seededDropout } from './seededDropout';

/**
 * A named variable of a {@link Network}: checkpoints and optimizer slots key on `name`
 * (e.g. `conv1/kernel`, `bn3/movingVariance`), never on tfjs's engine-global variable names.
 *
 * @example
 * ```ts
 * for (const { name, variable } of net.trainable) console.log(name, variable.shape);
 * ```
 */
export interface NamedVariable {
  readonly name: string;
  readonly variable: tf.Variable;
}

/**
 * Moving statistics of one BatchNorm layer (PyTorch's running_mean / running_var).
 *
 * @example
 * ```ts
 * net.moving[0].name; // 'bn1'
 * ```
 */
export interface MovingStats {
  readonly name: string;
  readonly mean: tf.Variable;
  readonly variance: tf.Variable;
}

/**
 * A built {@link NetworkSpec}: variables plus its forward passes. Owns its variables.
 *
 * @example
 * ```ts
 * const net = buildNetwork(smallAlexNet({ numClasses: 10 }), { seed: 1 });
 * const logp = tf.tidy(() => net.forwardEval(xs));
 * net.dispose();
 * ```
 */
export interface Network {
  readonly spec: NetworkSpec;
  /** Trainable variables in a fixed order (the order gradients use). */
  readonly trainable: readonly NamedVariable[];
  readonly moving: readonly MovingStats[];
  /**
   * Training-mode forward pass: seeded dropout (sample `i` uses mask stream
   * sampleOffset + i), BatchNorm on batch statistics, which it returns (caller disposes).
   * `onLayer` sees every layer's output (for shape checks).
   */
  forwardTrain(
    x: tf.Tensor4D,
    seed: number,
    sampleOffset?: number,
    onLayer?: (index: number, y: tf.Tensor) => void,
  ): { logProbs: tf.Tensor2D; stats: BatchStats[] };
  /** Inference-mode forward pass: no dropout, BatchNorm on moving statistics. */
  forwardEval(x: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

/**
 * BatchNorm's variance epsilon, PyTorch's default.
 *
 * @example
 * ```ts
 * tf.batchNorm4d(x, mean, variance, beta, gamma, BN_EPSILON);
 * ```
 */
export const BN_EPSILON = 1e-5;

/**
 * Weight of the new batch statistic in the BatchNorm moving statistics, PyTorch's default
 * momentum: moving ← (1 − m)·moving + m·batch.
 *
 * @example
 * ```ts
 * const next = (1 - BN_MOMENTUM) * moving + BN_MOMENTUM * batchMean;
 * ```
 */
export const BN_MOMENTUM = 0.1;

/**
 * Options of {@link buildNetwork}.
 *
 * @example
 * ```ts
 * const o: BuildOptions = { seed: 42 };
 * ```
 */
export interface BuildOptions {
  /** Seeds the weight initialisation; replicas built with the same seed are bit-identical. */
  readonly seed: number;
}

/**
 * Normal samples by Box–Muller using both outputs, from 32-bit words drawn from `rng` once
 * per pair: initialising AlexNet's 58 M weights with `rng.normal()` alone takes ~8 s.
 */
function normalArray(rng: Rng, n: number, std: number): Float32Array {
  const a = new Float32Array(n);
  const twoPi = 2 * Math.PI;
  for (let i = 0; i < n; i += 2) {
    const u = 1 - rng.next();
    const v = rng.next();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    a[i] = r * Math.cos(twoPi * v);
    if (i + 1 < n) a[i + 1] = r * Math.sin(twoPi * v);
  }
  return a;
}

function uniformArray(rng: Rng, n: number, bound: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.next() * 2 - 1) * bound;
  return a;
}

/**
 * Creates the variables of `spec` and its forward passes. Initialisation follows
 * torch_train.py: Xavier-normal weights (std = √(2 / (fan_in + fan_out))), PyTorch's default
 * biases (uniform ±1/√fan_in), BatchNorm γ = 1, β = 0, moving mean 0, variance 1. Padding is
 * PyTorch's symmetric zero padding; flatten is NHWC order (PyTorch flattens NCHW, which only
 * permutes the rows of fc1).
 *
 * @example
 * ```ts
 * const net = buildNetwork(alexNet({ numClasses: 256 }), { seed: 0 });
 * ```
 */
export function buildNetwork(spec: NetworkSpec, options: BuildOptions): Network {
  const shapes = layerShapes(spec);
  const rng = createRng(options.seed);
  const trainable: NamedVariable[] = [];
  const moving: MovingStats[] = [];
  const params: Array<{ w?: tf.Variable; b?: tf.Variable; gamma?: tf.Variable; beta?: tf.Variable; mv?: MovingStats }> = [];
  let prev: number[] = [...spec.inputShape];
  const created: tf.Variable[] = [];
  const variable = (name: string, t: tf.Tensor, trainableVar: boolean): tf.Variable => {
    const v = tf.variable(t, trainableVar);
    t.dispose();
    created.push(v);
    if (trainableVar) trainable.push({ name, variable: v });
    return v;
  };
  spec.layers.forEach((l, i) => {
    const p: (typeof params)[number] = {};
    if (l.kind === 'conv') {
      const fanIn = prev[2] * l.kernel * l.kernel;
      const fanOut = l.filters * l.kernel * l.kernel;
      const shape = [l.kernel, l.kernel, prev[2], l.filters];
      p.w = variable(`${l.name}/kernel`, tf.tensor(normalArray(rng, fanIn * l.filters, Math.sqrt(2 / (fanIn + fanOut))), shape), true);
      p.b = variable(`${l.name}/bias`, tf.tensor(uniformArray(rng, l.filters, 1 / Math.sqrt(fanIn)), [l.filters]), true);
    } else if (l.kind === 'dense') {
      const fanIn = prev[0];
      p.w = variable(`${l.name}/kernel`, tf.tensor(normalArray(rng, fanIn * l.units, Math.sqrt(2 / (fanIn + l.units))), [fanIn, l.units]), true);
      p.b = variable(`${l.name}/bias`, tf.tensor(uniformArray(rng, l.units, 1 / Math.sqrt(fanIn)), [l.units]), true);
    } else if (l.kind === 'batchNorm') {
      const c = prev[prev.length - 1];
      p.gamma = variable(`${l.name}/gamma`, tf.ones([c]), true);
      p.beta = variable(`${l.name}/beta`, tf.zeros([c]), true);
      p.mv = { name: l.name, mean: variable(`${l.name}/movingMean`, tf.zeros([c]), false), variance: variable(`${l.name}/movingVariance`, tf.ones([c]), false) };
      moving.push(p.mv);
    }
    params.push(p);
    prev = shapes[i];
  });

  const convPad = (k: number, s: number, pad: number): 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]] => {
    if (pad === 0) return 'valid';
    if (s === 1 && 2 * pad === k - 1) return 'same';
    return [[0, 0], [pad, pad], [pad, pad], [0, 0]];
  };

  const checkInput = (x: tf.Tensor4D): void => {
    const [, h, w, c] = x.shape;
    const [eh, ew, ec] = spec.inputShape;
    if (x.rank !== 4 || h !== eh || w !== ew || c !== ec) {
      throw new RangeError(`${spec.name} expects input [batch, ${eh}, ${ew}, ${ec}] (NHWC), got [${x.shape.join(', ')}]`);
    }
  };

  const fusedRelu = spec.layers.map((l, i) => l.kind === 'relu' && i > 0 && spec.layers[i - 1].kind === 'conv');
  // A ReLU right after a BatchNorm runs inside the training BatchNorm's passes.
  const bnRelu = spec.layers.map((l, i) => l.kind === 'relu' && i > 0 && spec.layers[i - 1].kind === 'batchNorm');

  const run = (
    x: tf.Tensor4D,
    training: boolean,
    seed: number,
    sampleOffset: number,
    onLayer?: (index: number, y: tf.Tensor) => void,
  ): { logProbs: tf.Tensor2D; stats: BatchStats[] } => {
    checkInput(x);
    const stats: BatchStats[] = [];
    let y: tf.Tensor = x;
    spec.layers.forEach((l, i) => {
      const p = params[i];
      switch (l.kind) {
        case 'conv':
          y = convLayer(y as tf.Tensor4D, p.w as tf.Tensor4D, p.b as tf.Tensor1D, l.stride, convPad(l.kernel, l.stride, l.pad), fusedRelu[i + 1] ? 'relu' : 'linear');
          break;
        case 'relu':
          // A ReLU right after a convolution runs in the convolution's epilogue (one pass less).
          if (!fusedRelu[i] && !(training && bnRelu[i])) y = tf.relu(y);
          break;
        case 'batchNorm': {
          const gamma = p.gamma as tf.Tensor1D;
          const beta = p.beta as tf.Tensor1D;
          if (training) {
            const r = batchNormTrain(y, gamma, beta, BN_EPSILON, { relu: bnRelu[i + 1] === true });
            y = r.y;
            stats.push(r.stats);
          } else {
            const mv = p.mv as MovingStats;
            y = y.rank === 4
              ? tf.batchNorm4d(y as tf.Tensor4D, mv.mean as tf.Tensor1D, mv.variance as tf.Tensor1D, beta, gamma, BN_EPSILON)
              : tf.batchNorm2d(y as tf.Tensor2D, mv.mean as tf.Tensor1D, mv.variance as tf.Tensor1D, beta, gamma, BN_EPSILON);
          }
          break;
        }
        case 'maxPool':
          y = tf.maxPool(y as tf.Tensor4D, l.size, l.stride, 'valid');
          break;
        case 'dropout':
          if (training) y = seededDropout(y, l.rate, seed, i, sampleOffset);
          break;
        case 'flatten':
          y = tf.reshape(y, [y.shape[0], -1]);
          break;
        case 'dense':
          y = tf.fused.matMul({ a: y as tf.Tensor2D, b: p.w as tf.Tensor2D, bias: p.b });
          break;
        case 'logSoftmax':
          y = tf.logSoftmax(y);
          break;
      }
      onLayer?.(i, y);
    });
    return { logProbs: y as tf.Tensor2D, stats };
  };

  return {
    spec,
    trainable,
    moving,
    forwardTrain: (x, seed, sampleOffset = 0, onLayer) => run(x, true, seed, sampleOffset, onLayer),
    forwardEval: (x) => run(x, false, 0, 0).logProbs,
    dispose: () => {
      for (const v of created) v.dispose();
    },
  };
}
