import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as BackendModule from '../src/model/backend';
import type * as CreateTrainerModule from '../src/model/createTrainer';
import type * as DataParallelModule from '../src/model/DataParallelTrainer';
import type * as NativeKernelsModule from '../src/model/wasm/nativeKernels';

const ROOT = path.join(__dirname, '..');
let built = false;

/**
 * Compiles src/ into dist/ (`tsc -p tsconfig.build.json`, what `npm run build` does) once per
 * process, so that a benchmark can run the product as users run it (`npx rxtrain` runs dist/).
 * Under tsx every module is compiled in memory with an inline source map, and every
 * worker_thread that loads it does the same: a data-parallel replica's heap measured 41 MB
 * instead of 22–26 MB (bench/RESULTS.md, 2026-12-06 17:06: no difference in step time).
 * @throws Error with tsc's output when the build fails.
 * @example
 * ```ts
 * buildDist();
 * ```
 */
export function buildDist(): void {
  if (built) return;
  const r = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building dist/ (tsc -p tsconfig.build.json) failed:\n${r.stdout}${r.stderr}`);
  built = true;
}

/**
 * The compiled modules a training benchmark drives, from dist/.
 * @example
 * ```ts
 * const product: CompiledProduct = compiledProduct();
 * ```
 */
export interface CompiledProduct {
  readonly initBackend: typeof BackendModule.initBackend;
  readonly createTrainer: typeof CreateTrainerModule.createTrainer;
  readonly createDataParallelTrainer: typeof DataParallelModule.createDataParallelTrainer;
  readonly nativeKernelState: typeof NativeKernelsModule.nativeKernelState;
  readonly setNativeKernelsEnabled: typeof NativeKernelsModule.setNativeKernelsEnabled;
}

/**
 * The training entry points from dist/ (built first by {@link buildDist}). Their replica
 * workers then start from dist's `replicaWorker.js`, never through tsx. Use these instances
 * only: dist's modules keep their own state (e.g. whether the native kernels are enabled),
 * separate from the same modules loaded from src/.
 * @example
 * ```ts
 * const { initBackend, createTrainer } = compiledProduct();
 * await initBackend({ prefer: 'wasm' });
 * ```
 */
export function compiledProduct(): CompiledProduct {
  buildDist();
  const load = createRequire(path.join(ROOT, 'dist', 'model', 'index.js'));
  const backend = load('./backend.js') as typeof BackendModule;
  const create = load('./createTrainer.js') as typeof CreateTrainerModule;
  const dp = load('./DataParallelTrainer.js') as typeof DataParallelModule;
  const native = load('./wasm/nativeKernels.js') as typeof NativeKernelsModule;
  return {
    initBackend: backend.initBackend,
    createTrainer: create.createTrainer,
    createDataParallelTrainer: dp.createDataParallelTrainer,
    nativeKernelState: native.nativeKernelState,
    setNativeKernelsEnabled: native.setNativeKernelsEnabled,
  };
}

/**
 * Absolute path of a compiled module in dist/ (after {@link buildDist}), for worker code
 * that `require`s it.
 * @example
 * ```ts
 * const code = `const { createTrainer } = require(${JSON.stringify(distModule('model/createTrainer.js'))});`;
 * ```
 */
export function distModule(relative: string): string {
  return path.join(ROOT, 'dist', relative);
}
