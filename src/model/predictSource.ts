import * as tf from '@tensorflow/tfjs-core';
import type { BatchSource } from '../streams/BatchSource';
import type { Skip } from '../streams/Skip';
import type { Trainer } from './Trainer';

/**
 * One image's prediction from {@link predictSource}: its path as the source named it and the
 * `top` most probable classes (label index and probability), most probable first.
 *
 * @example
 * ```ts
 * const p: Prediction = { kind: 'prediction', path: 'cat.jpg', top: [{ label: 3, probability: 0.91 }, { label: 5, probability: 0.04 }] };
 * ```
 */
export interface Prediction {
  readonly kind: 'prediction';
  readonly path: string;
  readonly top: ReadonlyArray<{ readonly label: number; readonly probability: number }>;
}

/**
 * Classifies every image of one pass of `source` with the trainer's current weights in
 * inference mode, yielding a {@link Prediction} per image in source order, and the source's
 * skips (unreadable or odd files) as they come. The labels the source carries are ignored. Every
 * tensor is disposed, also when the consumer stops early; the source is read once, not closed.
 *
 * @example
 * ```ts
 * for await (const p of predictSource(trainer, source, { top: 3 })) {
 *   if (p.kind === 'prediction') console.log(p.path, p.top[0].label, p.top[0].probability);
 *   else console.warn(`skipped ${p.path}: ${p.message}`);
 * }
 * ```
 */
export async function* predictSource(trainer: Trainer, source: BatchSource, options: { readonly top?: number | undefined } = {}): AsyncGenerator<Prediction | Skip> {
  const top = options.top ?? 1;
  if (!(Number.isInteger(top) && top >= 1)) throw new RangeError(`top must be a positive integer, got ${top}`);
  const it = source.epoch(0, 0);
  try {
    for (;;) {
      const next = await it.next();
      if (next.done === true) break;
      const item = next.value;
      if (item.kind === 'skip') {
        yield item;
        continue;
      }
      let probs: Float32Array;
      let k: number;
      try {
        const logp = await trainer.predict(item.xs);
        try {
          k = logp.shape[1];
          // exp of log-softmax: the model's own normalised probabilities.
          const p = tf.tidy(() => tf.exp(logp));
          try {
            probs = (await p.data()) as Float32Array;
          } finally {
            p.dispose();
          }
        } finally {
          logp.dispose();
        }
      } finally {
        item.xs.dispose();
        item.ys.dispose();
      }
      for (let i = 0; i < item.paths.length; i++) {
        const row = probs.subarray(i * k, (i + 1) * k);
        const order = Array.from(row.keys()).sort((a, b) => row[b] - row[a] || a - b);
        yield { kind: 'prediction', path: item.paths[i], top: order.slice(0, Math.min(top, k)).map((label) => ({ label, probability: row[label] })) };
      }
    }
  } finally {
    await it.return?.();
  }
}
