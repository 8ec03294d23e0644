import * as tf from '@tensorflow/tfjs-core';
import type { BatchSource } from '../streams/BatchSource';
import type { Skip } from '../streams/Skip';
import { LabelOutOfRangeError } from './LabelOutOfRangeError';
import { tenCropLogProbs } from './tenCropEvaluate';
import type { Trainer } from './Trainer';

/**
 * Test-time augmentation of {@link evaluateSource}: `none` (the image as the source gives it),
 * `flip` (the image and its mirror image, log-probabilities averaged), `tenCrop` (four corners
 * and the centre of side `cropSize`, each also mirrored: needs images larger than the crop).
 *
 * @example
 * ```ts
 * const tta: Tta = { kind: 'flip' };
 * ```
 */
export type Tta = { readonly kind: 'none' } | { readonly kind: 'flip' } | { readonly kind: 'tenCrop'; readonly cropSize: number };

/**
 * An image {@link evaluateSource} classified wrongly: its path as the source named it, its true
 * and predicted class indices, and the predicted class's probability (with TTA, the geometric
 * mean of the views' probabilities) next to the true class's.
 *
 * @example
 * ```ts
 * const m: Mistake = { path: 'val/000017.jpg', truth: 1, predicted: 3, confidence: 0.97, truthProbability: 0.01 };
 * ```
 */
export interface Mistake {
  readonly path: string;
  readonly truth: number;
  readonly predicted: number;
  readonly confidence: number;
  readonly truthProbability: number;
}

/**
 * How many of the most probable classes {@link evaluateSource}'s top-k accuracy looks at: 5, as
 * every ImageNet report and PyTorch's `Acc@5`. With this many classes or fewer every image is
 * in its top 5, so the figure is left out there rather than reported as a trivial 100 %.
 *
 * @example
 * ```ts
 * const hasTop5 = numClasses > TOP_K;
 * ```
 */
export const TOP_K = 5;

/**
 * What {@link evaluateSource} measured: mean loss and accuracy over every image, top-5 accuracy
 * (more than {@link TOP_K} classes only), mean per-class accuracy, per-class accuracy, the
 * confusion matrix (`confusion[true][predicted]`), and the images the source skipped (bad
 * files), which count nowhere.
 *
 * @example
 * ```ts
 * const e = await evaluateSource(trainer, source, { numClasses: 257 });
 * console.log(e.accuracy, e.top5Accuracy, e.meanClassAccuracy, e.perClass[3].correct / e.perClass[3].count);
 * ```
 */
export interface Evaluation {
  readonly loss: number;
  readonly accuracy: number;
  readonly count: number;
  readonly correct: number;
  /**
   * Images whose true class is among the 5 most probable (ties ranked as top-1's argmax ranks
   * them: the lower class index first), and that over `count`. Absent with 5 classes or fewer,
   * where it would always be 100 %.
   */
  readonly top5Correct?: number;
  readonly top5Accuracy?: number;
  /**
   * The mean of the classes' accuracies, over the classes that have images (a class with none
   * has no accuracy and is left out, not counted as 0): what Caltech-256 results report, since
   * there a few big classes would dominate `accuracy`. NaN when no image was scored.
   */
  readonly meanClassAccuracy: number;
  readonly perClass: ReadonlyArray<{ readonly correct: number; readonly count: number }>;
  readonly confusion: ReadonlyArray<readonly number[]>;
  readonly skipped: readonly Skip[];
  /** The `mistakes` most confident wrong predictions, most confident first (empty unless asked for). */
  readonly mistakes: readonly Mistake[];
  /** True when `shouldStop` ended the pass early: the figures cover only the batches before. */
  readonly stopped: boolean;
}

/**
 * Options of {@link evaluateSource}.
 *
 * @example
 * ```ts
 * const o: EvaluateSourceOptions = { numClasses: 10, tta: { kind: 'flip' }, onBatch: (n) => bar.update(n) };
 * ```
 */
export interface EvaluateSourceOptions {
  /** Classes (the confusion matrix's side); default: the model's output width. */
  readonly numClasses?: number | undefined;
  /** Default `{ kind: 'none' }`. */
  readonly tta?: Tta | undefined;
  /** Called after each batch with the images evaluated so far (progress). */
  readonly onBatch?: ((done: number) => void) | undefined;
  /** Called for each image the source skipped, as it comes (the training loop emits events). */
  readonly onSkip?: ((skip: Skip) => void) | undefined;
  /** Asked before each batch; true ends the pass there (e.g. the training run was stopped). */
  readonly shouldStop?: (() => boolean) | undefined;
  /** How many of the most confident wrong predictions to keep (default 0). */
  readonly mistakes?: number | undefined;
}

/**
 * Evaluates a trainer's current weights on one pass of `source` in inference mode (no
 * dropout, BatchNorm moving statistics). The loss is the NLL of the views' averaged
 * log-probabilities, as `tenCropEvaluate` computes it, so `none` gives the accuracy the training
 * loop's validation reports (and its loss, up to float rounding), and the TTA modes are
 * comparable with them. The source
 * is read once and not closed; every tensor is disposed.
 *
 * @example
 * ```ts
 * // val is absent when the config has none (or uses tenCrop)
 * if (datasets.val) {
 *   const e = await evaluateSource(trainer, datasets.val, { numClasses: 10, tta: { kind: 'flip' } });
 *   console.log(`${(e.accuracy * 100).toFixed(2)} %`);
 * }
 * ```
 */
export async function evaluateSource(trainer: Trainer, source: BatchSource, options: EvaluateSourceOptions): Promise<Evaluation> {
  let k = options.numClasses;
  if (k !== undefined && !(Number.isInteger(k) && k >= 2)) throw new RangeError(`numClasses must be an integer ≥ 2, got ${k}`);
  const keep = options.mistakes ?? 0;
  if (!(Number.isInteger(keep) && keep >= 0)) throw new RangeError(`mistakes must be an integer ≥ 0, got ${keep}`);
  const tta = options.tta ?? { kind: 'none' };
  const mistakes: Mistake[] = [];
  let confusion: number[][] = k === undefined ? [] : square(k);
  const skipped: Skip[] = [];
  let lossSum = 0;
  let count = 0;
  let top5Correct = 0;
  let stopped = false;
  const it = source.epoch(0, 0);
  try {
    for (;;) {
      const next = await it.next();
      if (next.done === true) break;
      const item = next.value;
      if (item.kind === 'skip') {
        skipped.push(item);
        options.onSkip?.(item);
        continue;
      }
      try {
        if (options.shouldStop?.() === true) {
          stopped = true;
          break;
        }
        const logp = await viewsLogProbs(trainer, item.xs, tta);
        try {
          const [lp, ys] = await Promise.all([logp.data(), item.ys.data()]);
          const n = item.ys.shape[0];
          if (k === undefined) {
            k = logp.shape[1];
            confusion = square(k);
          }
          if (logp.shape[1] !== k) throw new RangeError(`the model predicts ${logp.shape[1]} classes, expected ${k}`);
          for (let i = 0; i < n; i++) {
            const row = i * k;
            let best = 0;
            for (let c = 1; c < k; c++) if (lp[row + c] > lp[row + best]) best = c;
            const truth = ys[i];
            if (!(Number.isInteger(truth) && truth >= 0 && truth < k)) throw new LabelOutOfRangeError(truth, i, k, item.paths[i]);
            lossSum -= lp[row + truth];
            confusion[truth][best]++;
            if (k > TOP_K && inTopK(lp, row, k, truth, best, TOP_K)) top5Correct++;
            if (best !== truth && keep > 0) keepMistake(mistakes, keep, { path: item.paths[i] ?? '', truth, predicted: best, confidence: Math.exp(lp[row + best]), truthProbability: Math.exp(lp[row + truth]) });
          }
          count += n;
        } finally {
          logp.dispose();
        }
      } finally {
        item.xs.dispose();
        item.ys.dispose();
      }
      options.onBatch?.(count);
    }
  } finally {
    await it.return?.();
  }
  const perClass = confusion.map((row, c) => ({ correct: row[c], count: row.reduce((a, b) => a + b, 0) }));
  const correct = perClass.reduce((a, p) => a + p.correct, 0);
  const scored = perClass.filter((p) => p.count > 0);
  const meanClassAccuracy = scored.length > 0 ? scored.reduce((a, p) => a + p.correct / p.count, 0) / scored.length : NaN;
  return {
    loss: count > 0 ? lossSum / count : NaN,
    accuracy: count > 0 ? correct / count : NaN,
    count,
    correct,
    ...(k !== undefined && k > TOP_K ? { top5Correct, top5Accuracy: count > 0 ? top5Correct / count : NaN } : {}),
    meanClassAccuracy,
    perClass,
    confusion,
    skipped,
    mistakes,
    stopped,
  };
}

/**
 * Whether class `truth` is among the `topK` most probable of the row of `k` log-probabilities at
 * `row`, ranked as the argmax `best` was chosen (higher first, a tie to the lower index), so
 * top-1 of this rank is exactly `best`. One pass over the row, stopping once `topK` classes rank
 * ahead, and no sort. A NaN log-probability of the truth (a diverged model) counts as outside
 * the top k unless it is `best`.
 */
function inTopK(lp: ArrayLike<number>, row: number, k: number, truth: number, best: number, topK: number): boolean {
  if (best === truth) return true;
  const t = lp[row + truth];
  if (Number.isNaN(t)) return false;
  let ahead = 0;
  for (let c = 0; c < k; c++) {
    const v = lp[row + c];
    if ((v > t || (v === t && c < truth)) && ++ahead >= topK) return false;
  }
  return true;
}

/** Inserts `m` into `list` (most confident first) and keeps the first `keep`; ties keep source order. */
function keepMistake(list: Mistake[], keep: number, m: Mistake): void {
  if (list.length === keep && !(m.confidence > list[keep - 1].confidence)) return;
  let i = list.length;
  while (i > 0 && m.confidence > list[i - 1].confidence) i--;
  list.splice(i, 0, m);
  if (list.length > keep) list.pop();
}

function square(k: number): number[][] {
  return Array.from({ length: k }, () => new Array<number>(k).fill(0));
}

async function viewsLogProbs(trainer: Trainer, xs: tf.Tensor4D, tta: Tta): Promise<tf.Tensor2D> {
  if (tta.kind === 'none') return trainer.predict(xs);
  if (tta.kind === 'tenCrop') return tenCropLogProbs(trainer, xs, tta.cropSize);
  const mirrored = tf.image.flipLeftRight(xs);
  let a: tf.Tensor2D | undefined;
  let b: tf.Tensor2D | undefined;
  try {
    a = await trainer.predict(xs);
    b = await trainer.predict(mirrored);
    const [pa, pb] = [a, b];
    return tf.tidy(() => tf.div<tf.Tensor2D>(tf.add(pa, pb), 2));
  } finally {
    mirrored.dispose();
    a?.dispose();
    b?.dispose();
  }
}
