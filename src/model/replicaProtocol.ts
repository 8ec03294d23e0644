import type { BackendName } from './backend';
import type { NetworkSpec } from './NetworkSpec';
import type { SgdOptions } from './sgd';
import type { TrainerState } from './Trainer';

/**
 * What a data-parallel replica worker is started with (its `workerData`).
 *
 * @example
 * ```ts
 * const data: ReplicaInit = { spec, seed: 1, optimizer: {}, backend: 'wasm', threads: 1, index: 0 };
 * ```
 */
export interface ReplicaInit {
  readonly spec: NetworkSpec;
  readonly seed: number;
  readonly optimizer: Partial<SgdOptions>;
  readonly backend: BackendName | 'auto';
  readonly threads?: number;
  readonly index: number;
}

/**
 * Requests from the coordinating thread to a replica. Gradients travel through shared
 * memory (`attach`), everything else by message.
 *
 * @example
 * ```ts
 * const req: ReplicaRequest = { id: 1, type: 'getState' };
 * ```
 */
export type ReplicaRequest =
  | { readonly id: number; readonly type: 'attach'; readonly grads: readonly SharedArrayBuffer[]; readonly avg: SharedArrayBuffer }
  | { readonly id: number; readonly type: 'grad'; readonly xs: Float32Array; readonly shape: [number, number, number, number]; readonly ys: Int32Array; readonly seed: number; readonly offset: number }
  | { readonly id: number; readonly type: 'reduce'; readonly start: number; readonly end: number; readonly weights: readonly number[] }
  | { readonly id: number; readonly type: 'apply'; readonly lr: number; readonly counts: readonly number[]; readonly stats: Float32Array }
  | { readonly id: number; readonly type: 'evaluate'; readonly xs: Float32Array; readonly shape: [number, number, number, number]; readonly ys: Int32Array }
  | { readonly id: number; readonly type: 'predict'; readonly xs: Float32Array; readonly shape: [number, number, number, number] }
  | { readonly id: number; readonly type: 'getState' }
  | { readonly id: number; readonly type: 'setState'; readonly state: TrainerState };

/**
 * Result of a `grad` request: the shard's mean loss, correct count, size, and its
 * BatchNorm statistics packed as [mean₁, var₁, mean₂, var₂, …] with per-layer counts.
 *
 * @example
 * ```ts
 * const total = results.reduce((s, r) => s + r.loss * r.n, 0);
 * ```
 */
export interface ShardGradResult {
  readonly loss: number;
  readonly correct: number;
  readonly n: number;
  readonly counts: readonly number[];
  readonly stats: Float32Array;
}

/**
 * Replies of a replica: `ready` once (with the parameter sizes and backend), then one
 * reply per request id, carrying a result or an error message.
 *
 * @example
 * ```ts
 * worker.on('message', (m: ReplicaReply) => { if (m.type === 'error') console.error(m.message); });
 * ```
 */
export type ReplicaReply =
  | { readonly type: 'ready'; readonly backend: string; readonly sizes: readonly number[] }
  | { readonly type: 'fatal'; readonly message: string }
  | { readonly type: 'ok'; readonly id: number; readonly result: unknown }
  | { readonly type: 'error'; readonly id: number; readonly message: string };
