import * as tf from '@tensorflow/tfjs-core';
import { alexNet } from './alexNet';
import { initBackend, initialisedBackend, type BackendName } from './backend';
import { backendLabel } from './backendLabel';
import { nativeKernelState } from './wasm/nativeKernels';
import { machineCores } from './machineCores';
import { resolveReplicas } from './resolveReplicas';
import { createDataParallelTrainer } from './DataParallelTrainer';
import { createLocalTrainer } from './LocalTrainer';
import type { NetworkSpec } from './NetworkSpec';
import type { OptionalFields } from './withDefaults';
import type { SgdOptions } from './sgd';
import { smallAlexNet } from './smallAlexNet';
import type { Trainer } from './Trainer';

/**
 * Options of {@link createTrainer}.
 *
 * @example
 * ```ts
 * const o: CreateTrainerOptions = { model: 'small', numClasses: 10, inputShape: [32, 32, 3], replicas: 'auto' };
 * ```
 */
export interface CreateTrainerOptions {
  /** `alexnet` (227² input), `small` (28–64 px), or any {@link NetworkSpec}. */
  readonly model: 'alexnet' | 'small' | NetworkSpec;
  /** Number of classes (ignored when `model` is a spec, which has its own). */
  readonly numClasses?: number | undefined;
  /** Input [height, width, channels]; default [227, 227, 3] for alexnet, [32, 32, 3] for small. */
  readonly inputShape?: readonly [number, number, number] | undefined;
  /** Dropout rates of the named models (ignored for a spec); default conv 0.25, dense 0.5. */
  readonly dropout?: { readonly conv?: number | undefined; readonly dense?: number | undefined } | undefined;
  /** SGD settings; defaults lr 0.01, Nesterov momentum 0.9, no weight decay. */
  readonly optimizer?: OptionalFields<SgdOptions> | undefined;
  /**
   * Label smoothing ε of the training loss, in [0, 1) (default 0): PyTorch's
   * `CrossEntropyLoss(label_smoothing=ε)`. Evaluation always reports the plain NLL.
   */
  readonly labelSmoothing?: number | undefined;
  /**
   * Data-parallel replicas (worker_threads). Default 1 (this thread). `auto`: whatever measured
   * fastest (`npm run bench:train`, both models): 1 replica on every core when the kernels
   * themselves use every core (native TensorFlow; wasm with rxtrain's native addon, whose
   * kernels scale 1.4–2× from 1 to 2 threads: 2 single-thread replicas measured about even,
   * 0.95–1.11×, and cost shared buffers and worker start-up),
   * else one single-thread replica per core (cpu, which is single-threaded JavaScript; pure
   * wasm, where replicas and XNNPACK's threads measured about even, 0.76–1.14×).
   */
  readonly replicas?: number | 'auto' | undefined;
  /**
   * How replicas split a batch: `even` (default, bit-reproducible) or `speed` (by each
   * replica's measured speed, for cores that run at different speeds; see
   * `DataParallelOptions.balance`). Ignored with one replica.
   */
  readonly balance?: 'even' | 'speed' | undefined;
  /**
   * Backend to use (see `initBackend`); default `auto`: the backend this thread's latest
   * `initBackend` call set up, if tfjs still runs on it, else `initBackend`'s resolution
   * (`RXTRAIN_BACKEND`, then tfjs-node → wasm → cpu).
   */
  readonly backend?: BackendName | 'auto' | undefined;
  /** Compute threads (of this thread's backend, or of each replica's). */
  readonly threads?: number | undefined;
  /** Weight-initialisation seed (default 0). */
  readonly seed?: number | undefined;
  /**
   * Run even a single replica in a worker_thread (default false: in this thread). A step's
   * kernels are synchronous on the cpu and wasm backends, so in this thread they hold its
   * event loop for the whole step: no signal handler (Ctrl-C), timer or I/O callback runs
   * until the step ends, which on the cpu backend takes seconds to minutes. In a worker this
   * thread stays free. The worker computes with one thread (`threads` to change it) and
   * updates the weights with the replicas' `sgdSlice`: the same SGD up to float rounding,
   * not bit for bit.
   */
  readonly worker?: boolean | undefined;
}

/**
 * The network a {@link CreateTrainerOptions} describes: the named model built for its classes
 * and input shape, or the given spec. Exported so that the CLI can hand the very same spec to
 * the TensorBoard graph writer.
 *
 * @example
 * ```ts
 * const spec = networkSpecOf({ model: 'small', numClasses: 10, inputShape: [32, 32, 3] });
 * ```
 */
export function networkSpecOf(o: Pick<CreateTrainerOptions, 'model' | 'numClasses' | 'inputShape' | 'dropout'>): NetworkSpec {
  if (typeof o.model === 'object') return o.model;
  if (o.model !== 'alexnet' && o.model !== 'small') throw new RangeError(`model must be 'alexnet', 'small' or a NetworkSpec, got ${String(o.model)}`);
  if (o.numClasses === undefined) throw new RangeError(`numClasses is required for model '${o.model}'`);
  const make = o.model === 'alexnet' ? alexNet : smallAlexNet;
  return make({ numClasses: o.numClasses, inputShape: o.inputShape, convDropout: o.dropout?.conv, denseDropout: o.dropout?.dense });
}

/**
 * Creates a {@link Trainer}: initialises the backend (`initBackend`; an explicitly requested
 * backend that tfjs already runs on is kept as it is, and so is, with `backend: 'auto'`, one
 * that the caller set up with `initBackend` before), builds the model with
 * seeded Xavier-normal weights and the PyTorch-semantics SGD, in this thread or as
 * data-parallel replicas in worker_threads. Every replica starts from the same weights.
 *
 * @example
 * ```ts
 * const trainer = await createTrainer({ model: 'alexnet', numClasses: 256, replicas: 'auto' });
 * const { loss, accuracy } = await trainer.step(batch.xs, batch.ys, step);
 * await trainer.dispose();
 *
 * await initBackend({ prefer: 'cpu' });
 * (await createTrainer({ model: 'small', numClasses: 10 })).backend; // 'cpu': auto keeps it
 * ```
 */
export async function createTrainer(options: CreateTrainerOptions): Promise<Trainer> {
  const spec = networkSpecOf(options);
  const seed = options.seed ?? 0;
  // `auto` is no preference of its own: a backend the caller set up with initBackend in this
  // thread is theirs (a library user's `prefer: 'cpu'` must not turn into wasm here), while
  // whatever tfjs fell back to by itself, with no initBackend, is not a choice and is resolved.
  const asked = options.backend ?? 'auto';
  const backend = asked === 'auto' ? (initialisedBackend()?.name as BackendName | undefined) ?? 'auto' : asked;
  // Re-initialising the backend tfjs already runs on would drop every live tensor (wasm
  // replaces its backend instance), so a request for the current one (named, or the caller's
  // kept by auto) is kept as it is.
  const current = tf.engine().backendName as string | null;
  const info = backend !== 'auto' && current === backend && options.threads === undefined
    ? { name: current, threads: await runningThreads(current), ...(current === 'wasm' ? { native: nativeKernelState() } : {}) }
    : await initBackend({ prefer: backend, threads: options.threads });
  const replicas = resolveReplicas(options.replicas, info.name);
  if (!(Number.isInteger(replicas) && replicas >= 1)) throw new RangeError(`replicas must be a positive integer or 'auto', got ${String(options.replicas)}`);
  const labelSmoothing = options.labelSmoothing ?? 0;
  if (replicas === 1 && options.worker !== true) return createLocalTrainer({ spec, seed, optimizer: options.optimizer ?? {}, backend: backendLabel(info), threads: info.threads, labelSmoothing });
  // Replicas use the backend this thread resolved to, so all of them agree.
  return createDataParallelTrainer({
    spec,
    seed,
    optimizer: options.optimizer ?? {},
    replicas,
    backend: info.name as BackendName,
    threads: options.threads ?? 1,
    labelSmoothing,
    balance: options.balance ?? 'even',
  });
}

/** Compute threads of the backend tfjs already runs on (it was initialised elsewhere). */
async function runningThreads(name: string): Promise<number> {
  if (name === 'wasm') return (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
  if (name === 'tensorflow') return machineCores();
  return 1;
}
