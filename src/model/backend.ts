import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/Either';
import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { machineCores } from './machineCores';
import { withoutKernelReRegistrationWarnings } from './withoutKernelReRegistrationWarnings';
import { loadWasmBackend, type WasmLoadResult } from './wasm/loadWasmBackend';
import { withoutEmscriptenExitHandlers } from './wasm/withoutEmscriptenExitHandlers';
import { removeTfjsWasmExitHandlers } from './wasm/removeTfjsWasmExitHandlers';
import { registerBatchNormGradient } from './wasm/fusedBatchNormGrad';
import { nativeKernelState, type NativeKernelState } from './wasm/nativeKernels';
import { registerWasmTrainingKernels, wasmTrainingKernelNames } from './wasm/registerWasmTrainingKernels';

export { registerWasmTrainingKernels } from './wasm/registerWasmTrainingKernels';
export { removeTfjsWasmExitHandlers } from './wasm/removeTfjsWasmExitHandlers';

/**
 * A tfjs backend rxtrain can train on. `tensorflow` is the native TensorFlow binding of
 * `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`.
 *
 * @example
 * ```ts
 * const name: BackendName = 'wasm';
 * ```
 */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/**
 * Every {@link BackendName}, in resolution order (what `prefer: 'auto'` tries).
 *
 * @example
 * ```ts
 * const ok = (BACKEND_NAMES as readonly string[]).includes(argv.backend); // validate a flag
 * console.log(`backends: auto, ${BACKEND_NAMES.join(', ')}`); // backends: auto, tensorflow, wasm, cpu
 * ```
 */
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/**
 * One backend that was tried and could not be used, and why.
 *
 * @example
 * ```ts
 * for (const a of info.attempts) console.warn(`${a.package}: ${a.error}`);
 * ```
 */
export interface BackendAttempt {
  readonly name: BackendName;
  readonly package: string;
  readonly error: string;
}

/**
 * The backend tfjs now runs on.
 *
 * @example
 * ```ts
 * const info = await initBackend();
 * console.log(`${info.name} (${info.package}), ${info.threads} thread${info.threads === 1 ? '' : 's'}, simd=${info.simd}`);
 * ```
 */
export interface BackendInfo {
  /** tfjs backend name (`tensorflow`, `wasm` or `cpu`). */
  readonly name: string;
  /** Compute threads of this backend instance (per worker_thread when replicated). */
  readonly threads: number;
  /** npm package providing the backend. */
  readonly package: string;
  /** Whether the kernels use 128-bit SIMD (wasm) — true for native TensorFlow too. */
  readonly simd: boolean;
  /** Backends tried before this one, with the reason each was skipped. */
  readonly attempts: readonly BackendAttempt[];
  /** Informational notes (binary chosen, thread caps, overrides applied). */
  readonly notes: readonly string[];
  /**
   * wasm only: whether rxtrain's native GEMM addon (built by `npm ci` when a C++ compiler is
   * present; `RXTRAIN_NATIVE=0` disables it) runs the convolution and matmul kernels.
   */
  readonly native?: NativeKernelState;
}

/**
 * Options of {@link initBackend}.
 *
 * @example
 * ```ts
 * await initBackend({ prefer: 'wasm', threads: 1 });
 * ```
 */
export interface InitBackendOptions {
  /**
   * Force one backend (a failure then throws), or `auto` (default): no preference, so
   * `RXTRAIN_BACKEND` decides when set, else the resolution order.
   */
  readonly prefer?: BackendName | 'auto' | undefined;
  /**
   * How the caller's users name `prefer` in their settings, for the error when the forced
   * backend cannot load (default `initBackend({prefer})`); the CLI says `--backend`.
   */
  readonly preferSource?: string | undefined;
  /**
   * Compute threads for wasm (tfjs-node ignores it: TensorFlow sizes its own pools). Default:
   * `RXTRAIN_THREADS`, else all cores on the main thread and 1 inside a worker_thread (replicas
   * already share the cores out).
   */
  readonly threads?: number | undefined;
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0];
  return String(e);
}

function isPrefer(v: string): v is BackendName | 'auto' {
  return v === 'auto' || (BACKEND_NAMES as readonly string[]).includes(v);
}

function parsePrefer(value: string | undefined, source: string): BackendName | 'auto' | undefined {
  if (value === undefined || value === '') return undefined;
  const v = value.trim().toLowerCase();
  if (isPrefer(v)) return v;
  throw new Error(`${source}: unknown backend "${value}" (expected one of auto, ${BACKEND_NAMES.join(', ')})`);
}

/**
 * An environment variable of {@link initBackend} (`RXTRAIN_BACKEND`, `RXTRAIN_THREADS`) set to a
 * value it cannot use: the variable, the value as set, and what it accepts.
 *
 * @example
 * ```ts
 * const p: BackendEnvProblem = { variable: 'RXTRAIN_THREADS', value: '0', expected: 'a positive integer (the wasm backend\'s compute threads)' };
 * ```
 */
export interface BackendEnvProblem {
  readonly variable: 'RXTRAIN_BACKEND' | 'RXTRAIN_THREADS';
  readonly value: string;
  readonly expected: string;
}

/**
 * The settings {@link initBackend} would take from an environment, given its options:
 * `RXTRAIN_BACKEND` unless `opts.prefer` names a backend (`auto` is no preference), and
 * `RXTRAIN_THREADS` unless `opts.threads` is given; unset or empty is no setting. Left: every
 * one of those whose value cannot be used, so that a program can refuse to start on a typo in
 * its environment (the `rxtrain` commands exit 2, as for a bad flag) before anything loads.
 *
 * @example
 * ```ts
 * const env = readBackendEnv(process.env, { prefer: 'auto' });
 * if (E.isLeft(env)) for (const p of env.left) console.error(formatBackendEnvProblem(p));
 * readBackendEnv({ RXTRAIN_THREADS: '2' });    // E.right({ threads: 2 })
 * readBackendEnv({ RXTRAIN_BACKEND: 'gpu' }, { prefer: 'wasm' }); // E.right({}): the option wins, the variable is not read
 * ```
 */
export function readBackendEnv(
  env: Readonly<Record<string, string | undefined>>,
  opts: Pick<InitBackendOptions, 'prefer' | 'threads'> = {},
): E.Either<readonly BackendEnvProblem[], { readonly prefer?: BackendName | 'auto'; readonly threads?: number }> {
  const problems: BackendEnvProblem[] = [];
  let prefer: BackendName | 'auto' | undefined;
  let threads: number | undefined;
  const b = env.RXTRAIN_BACKEND;
  if ((opts.prefer === undefined || opts.prefer === 'auto') && b !== undefined && b !== '') {
    const v = b.trim().toLowerCase();
    if (isPrefer(v)) prefer = v;
    else problems.push({ variable: 'RXTRAIN_BACKEND', value: b, expected: `auto, ${BACKEND_NAMES.slice(0, -1).join(', ')} or ${BACKEND_NAMES[BACKEND_NAMES.length - 1]}` });
  }
  const t = env.RXTRAIN_THREADS;
  if (opts.threads === undefined && t !== undefined && t !== '') {
    const n = Number(t);
    if (t.trim() !== '' && Number.isInteger(n) && n >= 1) threads = n;
    else problems.push({ variable: 'RXTRAIN_THREADS', value: t, expected: 'a positive integer (the wasm backend\'s compute threads)' });
  }
  if (problems.length > 0) return E.left(problems);
  return E.right({ ...(prefer === undefined ? {} : { prefer }), ...(threads === undefined ? {} : { threads }) });
}

/**
 * One line for a {@link BackendEnvProblem}: the variable, its value and what it accepts.
 *
 * @example
 * ```ts
 * formatBackendEnvProblem({ variable: 'RXTRAIN_BACKEND', value: 'gpu', expected: 'auto, tensorflow, wasm or cpu' });
 * // 'RXTRAIN_BACKEND="gpu" in the environment: expected auto, tensorflow, wasm or cpu (or leave it unset)'
 * ```
 */
export function formatBackendEnvProblem(p: BackendEnvProblem): string {
  return `${p.variable}=${JSON.stringify(p.value)} in the environment: expected ${p.expected} (or leave it unset)`;
}

// What a user whose optional tfjs-node(-gpu) is missing can do about it: npm drops an optional
// dependency whose install script failed (no internet for the libtensorflow download) or was
// held back, so it is simply not there.
function installHint(a: BackendAttempt): string {
  if (a.name !== 'tensorflow') return '';
  const needs = a.package.endsWith('-gpu') ? 'internet access for the libtensorflow download, and CUDA 11.2 / cuDNN 8.1' : 'internet access for the libtensorflow download';
  if (a.error.startsWith(`Cannot find module '${a.package}'`)) {
    return ` (an optional dependency that is not installed; it needs ${needs}: \`npm install-scripts approve ${a.package}\` if npm held back its install script, then \`npm install ${a.package}\`; see the README, "Getting tfjs-node(-gpu)")`;
  }
  // Installed, but its install script, which downloads libtensorflow and builds the binding,
  // did not run (npm held it back, --ignore-scripts): npm kept the package without it.
  if (/tfjs_binding\.node\) can not be found/.test(a.error)) {
    return ` (installed without its install script's download; it needs ${needs}: \`npm install-scripts approve ${a.package}\` if npm held back its install script, then \`npm rebuild ${a.package}\`; see the README, "Getting tfjs-node(-gpu)")`;
  }
  return '';
}

function parseThreads(value: number | undefined, source: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${source}: threads must be a positive integer, got ${String(value)}`);
  return value;
}

function defaultThreads(): number {
  if (!isMainThread) return 1;
  return machineCores();
}

async function tryTensorflow(attempts: BackendAttempt[]): Promise<BackendInfo | undefined> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      // Optional dependencies: absent on most machines, so resolved at run time only.
      withoutKernelReRegistrationWarnings(() => createRequire(__filename)(pkg));
      await tf.setBackend('tensorflow');
      await tf.ready();
      return { name: 'tensorflow', threads: defaultThreads(), package: pkg, simd: true, attempts, notes: [] };
    } catch (e) {
      attempts.push({ name: 'tensorflow', package: pkg, error: errorText(e) });
    }
  }
  return undefined;
}

/** What the first wasm load chose; the module cannot be re-created without losing its tensors. */
let wasmLoaded: WasmLoadResult | undefined;

async function tryWasm(threads: number, attempts: BackendAttempt[]): Promise<BackendInfo | undefined> {
  const pkg = '@tensorflow/tfjs-backend-wasm';
  try {
    const reuse = wasmLoaded !== undefined;
    const loaded = await withoutEmscriptenExitHandlers(async () => {
      const l = wasmLoaded ?? await loadWasmBackend(threads);
      wasmLoaded = l;
      registerWasmTrainingKernels();
      if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
      await tf.ready();
      return l;
    });
    const actual = (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
    const notes = [...loaded.notes, `binary ${loaded.binary}`, `training kernels: ${wasmTrainingKernelNames().join(', ')}`];
    if (actual !== loaded.threads) notes.push(`requested ${loaded.threads} threads, XNNPACK runs ${actual}`);
    if (reuse && threads !== actual) notes.push(`wasm was already initialised in this thread with ${actual} thread${actual === 1 ? '' : 's'}; threads=${threads} ignored`);
    const native = nativeKernelState();
    notes.push(native.active ? `native kernels: ${native.kernel ?? '?'} GEMM for Conv2D/FusedConv2D/Conv2DBackpropInput/Conv2DBackpropFilter/BatchMatMul/_FusedMatMul; fused BatchNorm (+ ReLU), ReLU gradient, MaxPool/MaxPoolGrad, channel Sum, SGD update (${native.file ?? ''})`
      : `native kernels off, pure wasm: ${native.reason ?? 'unknown'}`);
    return { name: 'wasm', threads: actual, package: pkg, simd: loaded.simd, attempts, notes, native };
  } catch (e) {
    attempts.push({ name: 'wasm', package: pkg, error: errorText(e) });
    return undefined;
  }
}

async function tryCpu(attempts: BackendAttempt[]): Promise<BackendInfo | undefined> {
  try {
    if (!(await tf.setBackend('cpu'))) throw new Error('tf.setBackend("cpu") returned false');
    await tf.ready();
    // The cpu backend greets its first tensor in Node with a banner ("Hi, looks like you are
    // running TensorFlow.js in Node.js …") on stderr, in every thread, amid rxtrain's own output,
    // which names the backend already (and --backend cpu was asked for, or nothing else loaded).
    const backend = tf.backend() as unknown as { firstUse?: boolean };
    if (backend.firstUse === true) backend.firstUse = false;
    return { name: 'cpu', threads: 1, package: '@tensorflow/tfjs-backend-cpu', simd: false, attempts, notes: [] };
  } catch (e) {
    attempts.push({ name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', error: errorText(e) });
    return undefined;
  }
}

let current: { key: string; info: BackendInfo } | undefined;

/**
 * The backend that the latest successful {@link initBackend} call in this thread set up, while
 * tfjs still runs on it; `undefined` when initBackend was not called here, or when tfjs was
 * switched to another backend since (`tf.setBackend`). Unlike `tf.getBackend()`, which names
 * whatever tfjs fell back to by itself when a tensor came before any setup, this is a choice
 * made through rxtrain: `createTrainer({ backend: 'auto' })` keeps it.
 *
 * @example
 * ```ts
 * await initBackend({ prefer: 'cpu' });
 * initialisedBackend()?.name; // 'cpu'
 * ```
 */
export function initialisedBackend(): BackendInfo | undefined {
  if (current === undefined || tf.getBackend() !== current.info.name) return undefined;
  return current.info;
}

/**
 * Selects and initialises the tfjs backend for training: tfjs-node-gpu → tfjs-node → wasm (with
 * rxtrain's training kernels, threaded) → cpu; the first that loads wins. Also installs
 * rxtrain's untiled BatchNorm gradient (all backends). `opts.prefer` or the
 * environment variable `RXTRAIN_BACKEND` (`auto|tensorflow|wasm|cpu`; a named `prefer` wins,
 * `prefer: 'auto'` leaves the choice to the variable) forces one backend, and then a failure
 * throws instead of falling through. `RXTRAIN_THREADS` sets the
 * wasm thread count. Safe in a worker_thread (each has its own tfjs). Calling it again with the
 * same settings returns the cached result. Call it before making tensors: a wasm backend that
 * tfjs started itself (`tf.ready()`) and that holds tensors is kept rather than replaced by the
 * threaded one, so it runs on one thread (`info.notes` says so). Such an earlier start also left
 * the wasm glue's rethrowing process handlers behind; initBackend removes them
 * ({@link removeTfjsWasmExitHandlers}).
 *
 * @example
 * ```ts
 * const info = await initBackend();            // best available
 * const w = await initBackend({ prefer: 'wasm', threads: 2 });
 * for (const a of info.attempts) console.warn(`skipped ${a.package}: ${a.error}`);
 * ```
 */
export async function initBackend(opts: InitBackendOptions = {}): Promise<BackendInfo> {
  // `auto` is no preference, so the environment still applies: every caller (the CLI, whose
  // config defaults to auto, createTrainer, evaluate) passes it through.
  const asked = parsePrefer(opts.prefer, opts.preferSource ?? 'initBackend({prefer})');
  const askedThreads = parseThreads(opts.threads, 'initBackend({threads})');
  const env = readBackendEnv(process.env, { prefer: asked, threads: askedThreads });
  if (E.isLeft(env)) throw new Error(env.left.map(formatBackendEnvProblem).join('\n'));
  const fromEnv = env.right.prefer;
  const prefer = fromEnv ?? asked ?? 'auto';
  const threads = askedThreads ?? env.right.threads ?? defaultThreads();
  const key = `${prefer}/${threads}`;
  registerBatchNormGradient();
  // A tf.ready() or tf.setBackend('wasm') before this call instantiated tfjs' own wasm module,
  // whose glue left rethrowing process handlers behind (any later error: exit code 7).
  removeTfjsWasmExitHandlers();
  if (current !== undefined && current.key === key && tf.getBackend() === current.info.name) return current.info;

  const attempts: BackendAttempt[] = [];
  const order: BackendName[] = prefer === 'auto' ? [...BACKEND_NAMES] : [prefer];
  let info: BackendInfo | undefined;
  for (const name of order) {
    if (name === 'tensorflow') info = await tryTensorflow(attempts);
    else if (name === 'wasm') info = await tryWasm(threads, attempts);
    else info = await tryCpu(attempts);
    if (info !== undefined) break;
  }
  if (info === undefined) {
    const why = attempts.map((a) => `  ${a.package}: ${a.error}${installHint(a)}`).join('\n');
    throw new Error(prefer === 'auto'
      ? `no tfjs backend could be initialised:\n${why}`
      : `backend "${prefer}" was requested (${fromEnv !== undefined ? 'RXTRAIN_BACKEND' : opts.preferSource ?? 'initBackend({prefer})'}) but could not be initialised:\n${why}`);
  }
  current = { key, info };
  return info;
}
