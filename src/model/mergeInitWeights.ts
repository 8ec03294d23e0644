import type { TrainerState } from './Trainer';

type Weights = TrainerState['weights'];

/**
 * What {@link mergeInitWeights} did: the model's weights with the source's copied in, the
 * names taken, and the ones left as they were (`fresh`), each with why (the two shapes, or
 * absent from the source). `unused` counts source tensors the model has no name for.
 *
 * @example
 * ```ts
 * const m: InitMerge = { weights: [], taken: ['conv1/kernel'], fresh: [{ name: 'fc8/bias', shape: [10], sourceShape: [257] }], unused: 0 };
 * ```
 */
export interface InitMerge {
  readonly weights: Weights;
  readonly taken: readonly string[];
  readonly fresh: ReadonlyArray<{ readonly name: string; readonly shape: readonly number[]; readonly sourceShape?: readonly number[] }>;
  readonly unused: number;
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Starts a model from another model's weights: every tensor of `model` whose name and shape a
 * tensor of `source` has takes that tensor's values (a copy); the others keep theirs (a new
 * last layer for another class count, say). Pure: neither input is changed.
 *
 * @example
 * ```ts
 * const m = mergeInitWeights(await trainer.getWeights(), init.weights);
 * if (m.taken.length > 0) await trainer.setState({ weights: m.weights, optimizer: (await trainer.getState()).optimizer });
 * ```
 */
export function mergeInitWeights(model: Weights, source: Weights): InitMerge {
  const byName = new Map(source.map((w) => [w.name, w]));
  const taken: string[] = [];
  const fresh: Array<InitMerge['fresh'][number]> = [];
  const weights = model.map((w) => {
    const s = byName.get(w.name);
    if (s !== undefined && sameShape(s.shape, w.shape) && s.data.length === w.data.length) {
      taken.push(w.name);
      return { name: w.name, shape: [...w.shape], data: new Float32Array(s.data) };
    }
    fresh.push({ name: w.name, shape: [...w.shape], ...(s === undefined ? {} : { sourceShape: [...s.shape] }) });
    return w;
  });
  const known = new Set(model.map((w) => w.name));
  return { weights, taken, fresh, unused: source.filter((s) => !known.has(s.name)).length };
}

/**
 * One tensor left fresh, as the log shows it: `fc8/kernel [4096,257] vs [4096,10]` (the
 * source's shape, then the model's), or `fc9/bias [10] (not in the checkpoint)`.
 *
 * @example
 * ```ts
 * freshLabel({ name: 'fc8/bias', shape: [10], sourceShape: [257] }); // 'fc8/bias [257] vs [10]'
 * ```
 */
export function freshLabel(f: InitMerge['fresh'][number]): string {
  const dims = (s: readonly number[]): string => `[${s.join(',')}]`;
  return f.sourceShape === undefined ? `${f.name} ${dims(f.shape)} (not in the checkpoint)` : `${f.name} ${dims(f.sourceShape)} vs ${dims(f.shape)}`;
}
