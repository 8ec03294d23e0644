import * as E from 'fp-ts/Either';
import { BACKEND_NAMES, type BackendName } from '../model/backend';
import { parseMaxPixels } from './parseMaxPixels';
import type { WeightKind } from './scoringCheckpoint';

/**
 * The flags `rxtrain evaluate` and `rxtrain predict` share, checked: `--weights ema|trained`,
 * `--backend auto|NAME` (default auto), `--batch-size N` and `--max-pixels N` (positive
 * integers; `--max-pixels` also as `2.5e8`, read by {@link parseMaxPixels} as every command reads it). Throws an Error naming the flag and the value, which the commands report as a
 * usage error.
 *
 * @example
 * ```ts
 * scoringFlags({ weights: 'ema', 'batch-size': '16' }); // { weights: 'ema', backend: 'auto', batchSize: 16 }
 * scoringFlags({ 'max-pixels': '2.5e8' });              // { backend: 'auto', maxPixels: 250000000 }
 * scoringFlags({ backend: 'gpu' });                      // throws: --backend must be auto, tensorflow, wasm, cpu; got 'gpu'
 * ```
 */
export function scoringFlags(values: { readonly weights?: string; readonly backend?: string; readonly 'batch-size'?: string; readonly 'max-pixels'?: string }): {
  weights?: WeightKind;
  backend: BackendName | 'auto';
  batchSize?: number;
  maxPixels?: number;
} {
  const w = values.weights;
  if (w !== undefined && w !== 'ema' && w !== 'trained') throw new Error(`--weights must be ema or trained; got '${w}'`);
  const b = values.backend ?? 'auto';
  if (b !== 'auto' && !(BACKEND_NAMES as readonly string[]).includes(b)) throw new Error(`--backend must be auto, ${BACKEND_NAMES.join(', ')}; got '${b}'`);
  const n = values['batch-size'];
  if (n !== undefined && (!/^\d+$/.test(n) || Number(n) < 1)) throw new Error(`--batch-size must be a positive integer, got '${n}'`);
  const p = values['max-pixels'] === undefined ? undefined : parseMaxPixels(values['max-pixels']);
  if (p !== undefined && E.isLeft(p)) throw new Error(p.left);
  return {
    ...(w === undefined ? {} : { weights: w }),
    backend: b as BackendName | 'auto',
    ...(n === undefined ? {} : { batchSize: Number(n) }),
    ...(p === undefined ? {} : { maxPixels: p.right }),
  };
}
