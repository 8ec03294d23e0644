import type { Checkpoint } from './Checkpoint';
import type { InferenceInfo } from './InferenceInfo';
import type { TrainerState } from './Trainer';

/**
 * Weights a new run starts from (fine-tuning): a checkpoint's trained weights or its moving
 * average, with where they came from, for the log and TrainBegin. See {@link initWeightsOf}
 * and `TrainOptions.initFrom`.
 *
 * @example
 * ```ts
 * const init: InitWeights = { source: 'runs/a/checkpoints/best.rxckpt', step: 938, kind: 'trained', weights: ck.trainer.weights };
 * ```
 */
export interface InitWeights {
  /** The checkpoint file, as the log names it. */
  readonly source: string;
  /** Global step of that checkpoint. */
  readonly step: number;
  /** Which of its weights these are: the moving average (`ema`) or the trained ones. */
  readonly kind: 'ema' | 'trained';
  /** By name, BatchNorm moving statistics included (as `Trainer.getWeights` reads them). */
  readonly weights: TrainerState['weights'];
  /** The checkpoint's class names and normalisation, when it stored them. */
  readonly inference?: InferenceInfo;
}

/**
 * The weights of checkpoint `ck` (read from `source`) to start a new run from: `kind` if given,
 * else the ones `rxtrain evaluate` scores by default, the moving average when the run kept one,
 * else the trained weights. Throws when `ema` is asked of a run that kept no average.
 *
 * @example
 * ```ts
 * const file = 'runs/sample/checkpoints/best.rxckpt';
 * const init = initWeightsOf(decodeCheckpoint(fs.readFileSync(file)), file);
 * train({ ...options, initFrom: async () => init });
 * ```
 */
export function initWeightsOf(ck: Checkpoint, source: string, kind?: 'ema' | 'trained'): InitWeights {
  if (kind === 'ema' && ck.ema === undefined) {
    throw new Error(`${source}: the run kept no moving average of the weights (config ema.decay 0): start from its trained weights (--init-weights trained)`);
  }
  const chosen = kind ?? (ck.ema === undefined ? 'trained' : 'ema');
  return {
    source,
    step: ck.step,
    kind: chosen,
    weights: chosen === 'ema' && ck.ema !== undefined ? ck.ema.weights : ck.trainer.weights,
    ...(ck.inference === undefined ? {} : { inference: ck.inference }),
  };
}
