import * as tf from '@tensorflow/tfjs-core';
import { readCopy } from './hostArrays';
import type { NamedVariable, Network } from './Network';
import type { Sgd, SgdSlot } from './sgd';
import type { TrainerState } from './Trainer';

/**
 * All state variables of a network and its optimizer, by name: trainable weights, then the
 * BatchNorm moving statistics (`bnN/movingMean`, `bnN/movingVariance`), then the optimizer slots.
 *
 * @example
 * ```ts
 * const { weights, optimizer } = stateVariables(net, sgd);
 * ```
 */
export function stateVariables(net: Network, sgd: Sgd): { weights: NamedVariable[]; optimizer: readonly SgdSlot[] } {
  const weights: NamedVariable[] = [...net.trainable];
  for (const m of net.moving) {
    weights.push({ name: `${m.name}/movingMean`, variable: m.mean }, { name: `${m.name}/movingVariance`, variable: m.variance });
  }
  return { weights, optimizer: sgd.slots };
}

async function read(vars: readonly NamedVariable[]): Promise<TrainerState['weights']> {
  return Promise.all(vars.map(async ({ name, variable }) => ({
    name,
    shape: [...variable.shape],
    data: await readCopy(variable),
  })));
}

/**
 * Reads the weights part of {@link readState} (copies): trainable weights and BatchNorm
 * moving statistics, without the optimizer slots.
 *
 * @example
 * ```ts
 * const weights = await readWeights(net, sgd);
 * ```
 */
export async function readWeights(net: Network, sgd: Sgd): Promise<TrainerState['weights']> {
  return read(stateVariables(net, sgd).weights);
}

/**
 * Reads the full training state (copies; the trainer keeps running).
 *
 * @example
 * ```ts
 * const state = await readState(net, sgd);
 * ```
 */
export async function readState(net: Network, sgd: Sgd): Promise<TrainerState> {
  const v = stateVariables(net, sgd);
  return {
    weights: await read(v.weights),
    optimizer: v.optimizer.map((s) => ({ name: s.name, shape: [...s.shape], data: new Float32Array(s.data) })),
  };
}

function validate(kind: string, vars: ReadonlyArray<{ name: string; shape: readonly number[] }>, entries: TrainerState['weights']): void {
  const byName = new Map(entries.map((e) => [e.name, e]));
  const missing = vars.filter((v) => !byName.has(v.name)).map((v) => v.name);
  if (missing.length > 0) throw new Error(`${kind} state lacks ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`);
  const known = new Set(vars.map((v) => v.name));
  const extra = entries.filter((e) => !known.has(e.name)).map((e) => e.name);
  if (extra.length > 0) throw new Error(`${kind} state has unknown entries ${extra.slice(0, 5).join(', ')} (a different model?)`);
  for (const { name, shape } of vars) {
    const e = byName.get(name);
    if (e === undefined) continue;
    const same = e.shape.length === shape.length && e.shape.every((d, i) => d === shape[i]);
    if (!same || e.data.length !== shape.reduce((a, b) => a * b, 1)) {
      throw new Error(`${kind} state ${name} has shape [${e.shape.join(', ')}] (${e.data.length} values), the model needs [${shape.join(', ')}]`);
    }
  }
}

function assign(vars: readonly NamedVariable[], entries: TrainerState['weights']): void {
  const byName = new Map(entries.map((e) => [e.name, e]));
  for (const { name, variable } of vars) {
    const e = byName.get(name);
    if (e !== undefined) tf.tidy(() => variable.assign(tf.tensor(e.data, variable.shape, 'float32')));
  }
}

/**
 * Restores a state read by {@link readState}: every name must be present with the same
 * shape, and everything is checked before anything is written, so a mismatch throws and
 * leaves the trainer untouched.
 *
 * @example
 * ```ts
 * writeState(net, sgd, state);
 * ```
 */
export function writeState(net: Network, sgd: Sgd, state: TrainerState): void {
  const v = stateVariables(net, sgd);
  validate('weights', v.weights.map((w) => ({ name: w.name, shape: w.variable.shape })), state.weights);
  validate('optimizer', v.optimizer, state.optimizer);
  assign(v.weights, state.weights);
  const slots = new Map(state.optimizer.map((e) => [e.name, e]));
  for (const s of v.optimizer) {
    const e = slots.get(s.name);
    if (e !== undefined) s.data.set(e.data);
  }
}
