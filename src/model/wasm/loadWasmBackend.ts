import * as tf from '@tensorflow/tfjs';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
// The module object itself (not an interop namespace): its `cpus` is patched during start-up.
import os from 'node:os';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { keepProcessListeners } from './keepProcessListeners';

/**
 * What {@link loadWasmBackend} actually set up: which binary was chosen, with how many
 * XNNPACK threads, and why the threaded binary was not used when it was not.
 *
 * @example
 * ```ts
 * const loaded = await loadWasmBackend(2);
 * console.log(loaded.binary, loaded.threads);
 * ```
 */
export interface WasmLoadResult {
  /** File name of the wasm binary the backend will instantiate. */
  readonly binary: string;
  /** Threads requested from the threaded binary (1 for the single-threaded binaries). */
  readonly threads: number;
  readonly simd: boolean;
  /** Human-readable notes (e.g. why the threaded binary was not used). */
  readonly notes: readonly string[];
}

/** The part of the Emscripten module that tfjs-backend-wasm's `BackendWasm` expects. */
interface EmscriptenTfjsModule {
  PThread?: { runningWorkers: Array<{ unref?: () => void }>; unusedWorkers: Array<{ unref?: () => void }> };
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  tfjs?: unknown;
}

type EmscriptenFactory = (config: Record<string, unknown>) => Promise<EmscriptenTfjsModule>;

const load = createRequire(__filename);
const WASM_PRIORITY = 2;
/** tfjs' own `wasm` factory, kept so that a later single-threaded load can restore it. */
let stockFactory: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | undefined;
const THREADED_BINARY = 'tfjs-backend-wasm-threaded-simd.wasm';
const SIMD_BINARY = 'tfjs-backend-wasm-simd.wasm';
const PLAIN_BINARY = 'tfjs-backend-wasm.wasm';

/**
 * Directory of the installed `@tensorflow/tfjs-backend-wasm/dist` (holds the three .wasm files).
 *
 * @example
 * ```ts
 * fs.existsSync(path.join(wasmDistDir(), 'tfjs-backend-wasm-simd.wasm')); // true
 * ```
 */
export function wasmDistDir(): string {
  return path.dirname(load.resolve('@tensorflow/tfjs-backend-wasm'));
}

function simdSupported(): boolean {
  // Smallest module using a v128 instruction (same probe as tfjs' WASM_HAS_SIMD_SUPPORT flag).
  // tsconfig has no DOM lib, so the WebAssembly global is untyped here.
  const wasm = (globalThis as unknown as { WebAssembly?: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
  if (wasm === undefined) return false;
  return wasm.validate(new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26, 11,
  ]));
}

/**
 * tfjs ships the pthread worker script only as a JS string meant for a Blob URL, which Node's
 * worker_threads cannot load; Node needs a real file. The file name carries a content hash so
 * concurrent processes and versions never see a half-written or foreign script.
 */
function materialiseWorkerScript(outDir: string): string {
  const source = (load(path.join(outDir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string })
    .wasmWorkerContents
    // The source sits inside a template literal; tfjs escapes newlines the same way before use.
    .replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const file = path.join(os.tmpdir(), `rxtrain-tfjs-wasm-${hash}.worker.cjs`);
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    fs.writeFileSync(tmp, source);
    fs.renameSync(tmp, file);
  }
  return file;
}

/**
 * The C++ side computes `num_cores = emscripten_num_logical_cores() / 2` in a static initialiser
 * (assuming hyper-threading) and caps every thread request at it, so on a 2-core machine the
 * threaded binary would run one thread. Emscripten asks `os.cpus()` for that count, so we report
 * twice the wanted threads for the duration of module start-up only.
 */
async function instantiateThreaded(dist: string, threads: number): Promise<EmscriptenTfjsModule> {
  const outDir = path.join(dist, '..', 'wasm-out');
  const mainScript = path.join(outDir, 'tfjs-backend-wasm-threaded-simd.js');
  const workerScript = materialiseWorkerScript(outDir);
  const factory = load(mainScript) as EmscriptenFactory;
  const realCpus = os.cpus;
  const fakeCount = Math.max(2 * threads, realCpus().length);
  const mutableOs: { cpus: typeof os.cpus } = os;
  mutableOs.cpus = () => {
    const cpus = realCpus();
    return Array.from({ length: fakeCount }, (_, i) => cpus[i % cpus.length]);
  };
  try {
    const mod = await factory({
      locateFile: (file: string) => {
        if (file.endsWith('.worker.js')) return workerScript;
        if (file.endsWith('.wasm')) return path.join(dist, THREADED_BINARY);
        return path.join(outDir, file);
      },
      // Each pthread worker evaluates this script by path (importScripts shim in the worker).
      mainScriptUrlOrBlob: mainScript,
    });
    mod.tfjs = {
      init: mod.cwrap('init', null, []),
      initWithThreadsCount: mod.cwrap('init_with_threads_count', null, ['number']),
      getThreadsCount: mod.cwrap('get_threads_count', 'number', []),
      registerTensor: mod.cwrap('register_tensor', null, ['number', 'number', 'number']),
      disposeData: mod.cwrap('dispose_data', null, ['number']),
      dispose: mod.cwrap('dispose', null, []),
    };
    return mod;
  } finally {
    mutableOs.cpus = realCpus;
  }
}

/**
 * Registers tfjs' `wasm` backend factory so that it loads from the installed package's files,
 * using the threaded-SIMD binary when `threads > 1` (tfjs itself never enables threads in Node)
 * and the single-threaded SIMD binary otherwise. Call before `tf.setBackend('wasm')`. If tfjs
 * already started its own wasm backend and it holds tensors, that backend is kept (one thread,
 * with a note), since replacing it would destroy them.
 *
 * @example
 * ```ts
 * const loaded = await loadWasmBackend(2);
 * await tf.setBackend('wasm');
 * ```
 */
export async function loadWasmBackend(threads: number): Promise<WasmLoadResult> {
  const dist = wasmDistDir();
  const notes: string[] = [];
  tfwasm.setWasmPaths({
    [PLAIN_BINARY]: path.join(dist, PLAIN_BINARY),
    [SIMD_BINARY]: path.join(dist, SIMD_BINARY),
    [THREADED_BINARY]: path.join(dist, THREADED_BINARY),
  });
  stockFactory ??= tf.findBackendFactory('wasm') ?? undefined;
  const simd = simdSupported();
  // tf.ready() or tf.setBackend('wasm') before this starts tfjs' own one-thread module; replacing
  // it would destroy the tensors it holds (their reads then fail on a null heap), so keep it.
  const held = threads > 1 ? tf.findBackend('wasm')?.numDataIds() ?? 0 : 0;
  if (held > 0) {
    notes.push(`tfjs' wasm backend was already started (tf.ready() or tf.setBackend('wasm')) and holds ${held} tensor${held === 1 ? '' : 's'}, ` +
      `which the ${threads}-thread module would destroy: kept it, with one thread (await initBackend() before making tensors for ${threads})`);
  } else if (threads > 1 && simd && typeof SharedArrayBuffer === 'function') {
    try {
      const mod = await instantiateThreaded(dist, threads);
      keepProcessListeners(() => tf.removeBackend('wasm'));
      tf.registerBackend('wasm', () => {
        tfwasm.setThreadsCount(threads);
        const backend = new tfwasm.BackendWasm(mod as unknown as ConstructorParameters<typeof tfwasm.BackendWasm>[0]);
        // The constructor started the XNNPACK pool; Emscripten refs running pthread workers,
        // which would keep Node alive forever after the program is done.
        for (const w of [...(mod.PThread?.runningWorkers ?? []), ...(mod.PThread?.unusedWorkers ?? [])]) w.unref?.();
        return backend;
      }, WASM_PRIORITY);
      return { binary: THREADED_BINARY, threads, simd, notes };
    } catch (e) {
      notes.push(`threaded wasm binary unavailable (${e instanceof Error ? e.message : String(e)}); using one thread`);
    }
  } else if (threads > 1) {
    notes.push(simd ? 'SharedArrayBuffer unavailable; using one thread' : 'no wasm SIMD support; using one thread');
  }
  // The stock factory picks the SIMD binary when supported and never threads in Node.
  tfwasm.setThreadsCount(1);
  if (stockFactory !== undefined && tf.findBackendFactory('wasm') !== stockFactory) {
    keepProcessListeners(() => tf.removeBackend('wasm'));
    tf.registerBackend('wasm', stockFactory, WASM_PRIORITY);
  }
  return { binary: simd ? SIMD_BINARY : PLAIN_BINARY, threads: 1, simd, notes };
}
