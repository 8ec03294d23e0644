import { editDistance } from './editDistance';

/**
 * The known name a mistyped one most likely meant, for every "did you mean" rxtrain prints (a
 * config field, a command-line option, a command), or undefined when none is clearly meant.
 * Case is ignored (`batchsize` → `batchSize`, `PREDICT` → `predict`); a known name the typed one
 * is the start of counts as closer than any edit (`epoch` → `epochs`, `telemetry-tok` →
 * `telemetry-token`); otherwise at most one edit for a name of up to five letters and two for
 * a longer one (a swap of neighbours is one: `trian` → `train`). A tie between two known names
 * is no suggestion: a guess between them would mislead as often as help.
 *
 * @example
 * ```ts
 * closestName('optimiser', ['optimizer', 'scheduler']); // 'optimizer'
 * closestName('evalute', ['train', 'evaluate']);        // 'evaluate'
 * closestName('batch', ['batch-size', 'batch-norm']);   // undefined: both start so
 * closestName('xyz', ['train']);                        // undefined
 * ```
 */
export function closestName(typed: string, known: readonly string[]): string | undefined {
  if (typed === '') return undefined;
  const lower = typed.toLowerCase();
  // One edit in "trian" is a typo; two in a five-letter name make another word.
  const limit = Math.min(2, Math.max(1, Math.floor(typed.length / 3)));
  let best: { readonly name: string; readonly d: number } | undefined;
  let tied = false;
  for (const name of known) {
    const k = name.toLowerCase();
    const d = k.startsWith(lower) ? 0.5 : editDistance(lower, k);
    if (d > limit) continue;
    if (best === undefined || d < best.d) {
      best = { name, d };
      tied = false;
    } else if (d === best.d) {
      tied = true;
    }
  }
  return tied ? undefined : best?.name;
}
