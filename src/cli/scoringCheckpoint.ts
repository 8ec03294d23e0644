import * as E from 'fp-ts/Either';
import type { BackendName } from '../model/backend';
import type { Checkpoint } from '../model/Checkpoint';
import { createTrainer, networkSpecOf } from '../model/createTrainer';
import type { InferenceInfo } from '../model/InferenceInfo';
import { openDatasets } from '../model/setupFromConfig';
import type { TrainConfig } from '../model/TrainConfig';
import type { Trainer, TrainerState } from '../model/Trainer';
import { configOfCheckpoint, resolveCheckpointFile } from './evaluateCommand';

/**
 * Which of a checkpoint's weights to score: the run's moving average or the trained ones.
 *
 * @example
 * ```ts
 * const w: WeightKind = 'ema';
 * ```
 */
export type WeightKind = 'ema' | 'trained';

/**
 * A checkpoint opened by `rxtrain evaluate` or `rxtrain predict`: the file, the decoded
 * checkpoint, the config it was trained with, the weights to score, and notes about damaged
 * checkpoints passed over.
 *
 * @example
 * ```ts
 * const s: ScoringCheckpoint = await scoringCheckpoint('runs/sample');
 * console.log(s.file, s.weights, s.config.model.name);
 * ```
 */
export interface ScoringCheckpoint {
  readonly file: string;
  readonly checkpoint: Checkpoint;
  readonly config: TrainConfig;
  readonly weights: WeightKind;
  readonly notes: readonly string[];
}

/**
 * Opens the checkpoint a path names (a file or a run directory, see `resolveCheckpointFile`),
 * decodes its config and settles the weights: `weights` if given (`ema` on a run without an
 * average is an error that says to use `trained`), else the average when the run kept one, as
 * its validation did. Rejects with a message naming the file.
 *
 * @example
 * ```ts
 * const { checkpoint, config, weights } = await scoringCheckpoint('runs/fashion-mnist', 'trained');
 * ```
 */
export async function scoringCheckpoint(target: string, weights?: WeightKind): Promise<ScoringCheckpoint> {
  const { file, checkpoint, notes } = await resolveCheckpointFile(target);
  const stored = configOfCheckpoint(checkpoint);
  if (E.isLeft(stored)) throw new Error(`${file}: ${stored.left}`);
  if (weights === 'ema' && checkpoint.ema === undefined) throw new Error(`${file}: the run kept no moving average of the weights (config ema.decay 0): use --weights trained`);
  return { file, checkpoint, config: stored.right, weights: weights ?? (checkpoint.ema === undefined ? 'trained' : 'ema'), notes };
}

/**
 * The weights a {@link ScoringCheckpoint} settled on: the moving average or the trained ones.
 *
 * @example
 * ```ts
 * const weights = scoredWeights(await scoringCheckpoint('runs/sample'));
 * ```
 */
export function scoredWeights(s: ScoringCheckpoint): TrainerState['weights'] {
  return s.weights === 'ema' && s.checkpoint.ema !== undefined ? s.checkpoint.ema.weights : s.checkpoint.trainer.weights;
}

/**
 * The class names and normalisation of a {@link ScoringCheckpoint}: its own, or, for
 * checkpoints of versions that did not store them, those of its run's data (which must then
 * still be readable; the error says so).
 *
 * @example
 * ```ts
 * const { classes, mean, std } = await scoringInference(s);
 * ```
 */
export async function scoringInference(s: ScoringCheckpoint): Promise<InferenceInfo> {
  if (s.checkpoint.inference !== undefined) return s.checkpoint.inference;
  const d = await openDatasets(s.config).catch((e: unknown) => {
    throw new Error(`this checkpoint does not carry its class names and normalisation (it predates them), and its training data cannot be read for them: ${(e as Error).message}`);
  });
  await d.close();
  return d.inference;
}

/**
 * A one-replica trainer holding a {@link ScoringCheckpoint}'s chosen weights, built for
 * `numClasses` and `inputShape` on `backend` (already initialised). The caller disposes it.
 *
 * @example
 * ```ts
 * const trainer = await scoringTrainer(s, { numClasses: 10, inputShape: [28, 28, 3], backend: 'wasm' });
 * try { await evaluateSource(trainer, source, { numClasses: 10 }); } finally { await trainer.dispose(); }
 * ```
 */
export async function scoringTrainer(
  s: ScoringCheckpoint,
  o: { readonly numClasses: number; readonly inputShape: readonly [number, number, number]; readonly backend: BackendName },
): Promise<Trainer> {
  const { config: cfg, checkpoint: ck } = s;
  const spec = networkSpecOf({ model: cfg.model.name, numClasses: o.numClasses, inputShape: o.inputShape, dropout: cfg.model.dropout });
  const trainer = await createTrainer({ model: spec, seed: cfg.seed, optimizer: cfg.optimizer, backend: o.backend, replicas: 1 });
  try {
    await trainer.setState({ weights: scoredWeights(s), optimizer: ck.trainer.optimizer });
    return trainer;
  } catch (e) {
    await trainer.dispose();
    throw e;
  }
}
