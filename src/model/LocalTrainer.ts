import * as tf from '@tensorflow/tfjs-core';
import { checkBatch } from './checkBatch';
import { buildNetwork, type Network } from './Network';
import type { NetworkSpec } from './NetworkSpec';
import { readState, readWeights, writeState } from './networkState';
import { createSgd, type Sgd, type SgdOptions } from './sgd';
import type { OptionalFields } from './withDefaults';
import type { EvalResult, StepResult, Trainer, TrainerState } from './Trainer';
import { applyUpdate, checkLabelSmoothing, computeGradients, disposeGradients, nllAndCorrect } from './trainStep';

/**
 * Options of {@link createLocalTrainer}.
 *
 * @example
 * ```ts
 * const o: LocalTrainerOptions = { spec: smallAlexNet({ numClasses: 10 }), seed: 1, optimizer: {}, backend: 'cpu' };
 * ```
 */
export interface LocalTrainerOptions {
  readonly spec: NetworkSpec;
  /** Weight-initialisation seed. */
  readonly seed: number;
  readonly optimizer: OptionalFields<SgdOptions>;
  /** Name reported as `trainer.backend` (the backend tfjs is already running on). */
  readonly backend: string;
  /** Compute threads of that backend, reported as `trainer.threads` (default 1). */
  readonly threads?: number | undefined;
  /** Label smoothing of the training loss, in [0, 1) (default 0; evaluation is plain NLL). */
  readonly labelSmoothing?: number | undefined;
}

/**
 * A {@link Trainer} in this thread, on the current tfjs backend (call `initBackend` first;
 * {@link createTrainer} does). One step = gradients of the whole batch, one SGD update,
 * BatchNorm moving statistics folded in; tensors created by a step are all disposed.
 *
 * @example
 * ```ts
 * await initBackend({ prefer: 'cpu' });
 * const t = createLocalTrainer({ spec: smallAlexNet({ numClasses: 10 }), seed: 1, optimizer: {}, backend: 'cpu' });
 * const { loss } = await t.step(xs, ys, 1);
 * ```
 */
export function createLocalTrainer(options: LocalTrainerOptions): Trainer & { readonly network: Network; readonly sgd: Sgd } {
  const labelSmoothing = options.labelSmoothing ?? 0;
  checkLabelSmoothing(labelSmoothing);
  const net = buildNetwork(options.spec, { seed: options.seed });
  let sgd: Sgd;
  try {
    sgd = createSgd(net.trainable, options.optimizer);
  } catch (e) {
    net.dispose();
    throw e;
  }
  let disposed = false;
  const alive = (): void => {
    if (disposed) throw new Error('trainer was disposed');
  };
  return {
    backend: options.backend,
    replicas: 1,
    threads: options.threads ?? 1,
    network: net,
    sgd,
    async step(xs, ys, seed) {
      alive();
      checkBatch(net.spec, xs, ys, true);
      const g = computeGradients(net, xs, ys, seed, 0, labelSmoothing);
      try {
        applyUpdate(net, sgd, g.grads, g.stats);
        const [loss, correct] = await Promise.all([g.loss.data(), g.correct.data()]);
        return { loss: loss[0], accuracy: correct[0] / xs.shape[0] } satisfies StepResult;
      } finally {
        disposeGradients(g);
      }
    },
    async evaluate(xs, ys) {
      alive();
      checkBatch(net.spec, xs, ys, false);
      const { loss, correct } = tf.tidy(() => nllAndCorrect(net.forwardEval(xs), ys));
      try {
        const [l, c] = await Promise.all([loss.data(), correct.data()]);
        return { lossSum: l[0] * xs.shape[0], correct: c[0], count: xs.shape[0] } satisfies EvalResult;
      } finally {
        loss.dispose();
        correct.dispose();
      }
    },
    async predict(xs) {
      alive();
      checkBatch(net.spec, xs, undefined, false);
      return tf.tidy(() => net.forwardEval(xs));
    },
    setLearningRate(lr) {
      alive();
      sgd.setLearningRate(lr);
    },
    async getState(): Promise<TrainerState> {
      alive();
      return readState(net, sgd);
    },
    async getWeights() {
      alive();
      return readWeights(net, sgd);
    },
    async setState(state) {
      alive();
      writeState(net, sgd, state);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      sgd.dispose();
      net.dispose();
    },
  };
}
