import type { BackendName } from './backend';
import type { NetworkSpec } from './NetworkSpec';
import type { SgdOptions } from './sgd';
import type { OptionalFields } from './withDefaults';
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
  readonly optimizer: OptionalFields<SgdOptions>;
  readonly backend: BackendName | 'auto';
  readonly threads?: number;
  readonly index: number;
  /** Label smoothing of the training loss (absent: 0). */
  readonly labelSmoothing?: number;
}

/**
 * The shared memory of a data-parallel trainer, handed to every replica once (`attach`).
 * Flat float32 arrays over all trainable parameters in `net.trainable` order: one gradient
 * array per replica (each writes its own), the parameters and the momentum buffers that the
 * replicas update together, each its own `slice` of elements. The parameters are double
 * buffered (a step reads one and writes the other, then they swap), because the native
 * update cannot write in place. Each replica also publishes its shard's BatchNorm statistics
 * (`stats[i]`: float64, the per-layer counts, then the packed means and variances), and the
 * replicas meet at `barrier` (`ReplicaBarrier`) within a step.
 *
 * @example
 * ```ts
 * const shared: ReplicaShared = { grads: [sab0, sab1], params: [sabA, sabB], momentum, slice: [0, 1000], stats: [s0, s1], barrier };
 * ```
 */
export interface ReplicaShared {
  readonly grads: readonly SharedArrayBuffer[];
  readonly params: readonly [SharedArrayBuffer, SharedArrayBuffer];
  readonly momentum: SharedArrayBuffer;
  /** [start, end): the parameter elements this replica updates. */
  readonly slice: readonly [number, number];
  /** One per replica: its shard's BatchNorm counts and statistics (float64). */
  readonly stats: readonly SharedArrayBuffer[];
  /** The replicas' barrier and the step's failure flag (`ReplicaBarrier`). */
  readonly barrier: SharedArrayBuffer;
}

/**
 * Where a request's images are: `count` images of `shape` from float offset `offset` of a
 * SharedArrayBuffer the coordinator reuses across steps (no per-step copies or transfers).
 *
 * @example
 * ```ts
 * const images: ReplicaImages = { buffer: input, offset: 8 * 227 * 227 * 3, shape: [8, 227, 227, 3] };
 * ```
 */
export interface ReplicaImages {
  readonly buffer: SharedArrayBuffer;
  readonly offset: number;
  readonly shape: [number, number, number, number];
}

/**
 * Requests from the coordinating thread to a replica. Gradients, parameters, statistics and
 * images travel through shared memory, everything else by message. A training step is one
 * `step` request to every replica: each computes its shard's gradients (a replica without a
 * shard, `xs` absent, skips that), the replicas meet at the barrier, each updates its slice
 * of the parameters in shared memory, they meet again, and each copies the new parameters
 * and the combined BatchNorm statistics of the `used` shards into its tensors.
 *
 * @example
 * ```ts
 * const req: ReplicaRequest = { id: 1, type: 'getState' };
 * ```
 */
export type ReplicaRequest =
  | { readonly id: number; readonly type: 'attach'; readonly shared: ReplicaShared }
  | {
    readonly id: number;
    readonly type: 'step';
    readonly xs?: ReplicaImages;
    readonly ys?: Int32Array;
    readonly seed: number;
    readonly offset: number;
    readonly lr: number;
    readonly gradWeights: readonly number[];
    /** Replicas 0 … used − 1 have a shard this step. */
    readonly used: number;
  }
  | { readonly id: number; readonly type: 'evaluate'; readonly xs: ReplicaImages; readonly ys: Int32Array }
  | { readonly id: number; readonly type: 'predict'; readonly xs: ReplicaImages }
  | { readonly id: number; readonly type: 'getState' }
  | { readonly id: number; readonly type: 'getWeights' }
  | { readonly id: number; readonly type: 'setState'; readonly state: TrainerState };

/**
 * Milliseconds a replica spent in the phases of its last request, for the per-step time
 * breakdown (`DataParallelTrainer.timings`).
 *
 * @example
 * ```ts
 * const t: ReplicaTimings = { compute: 812, copy: 41 };
 * ```
 */
export type ReplicaTimings = Readonly<Record<string, number>>;

/**
 * Result of a `step` request for a replica with a shard: the shard's mean loss, correct
 * count and size (`null` for a replica that sat the step out).
 *
 * @example
 * ```ts
 * const total = results.reduce((s, r) => s + r.loss * r.n, 0);
 * ```
 */
export interface ShardStepResult {
  readonly loss: number;
  readonly correct: number;
  readonly n: number;
}

/**
 * The message of a replica's error when it abandoned a step because another replica failed
 * (the coordinator reports the other replica's error instead).
 *
 * @example
 * ```ts
 * if (!message.includes(STEP_ABANDONED)) report(message);
 * ```
 */
export const STEP_ABANDONED = 'step abandoned: another replica failed';

/**
 * The message of a replica's error when it was released from the barrier because another
 * replica's thread died (crashed, exited or was terminated): like {@link STEP_ABANDONED}, the
 * coordinator reports the dead replica's error instead.
 *
 * @example
 * ```ts
 * const secondary = (m: string) => m.includes(STEP_ABANDONED) || m.includes(BARRIER_ABORTED);
 * ```
 */
export const BARRIER_ABORTED = 'data-parallel step aborted: another replica stopped';

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
  | { readonly type: 'ready'; readonly backend: string; readonly threads: number; readonly sizes: readonly number[] }
  | { readonly type: 'fatal'; readonly message: string }
  | { readonly type: 'ok'; readonly id: number; readonly result: unknown; readonly ms?: ReplicaTimings }
  | { readonly type: 'error'; readonly id: number; readonly message: string };
