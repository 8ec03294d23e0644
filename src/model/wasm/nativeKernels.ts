import { createRequire } from 'node:module';
import * as path from 'node:path';
import { addonBuildHint } from './addonBuildHint';

/**
 * The C++ addon built from `native/` by the package's install script (`binding.gyp`): packed,
 * cache-blocked AVX-512/AVX2+FMA GEMMs (scalar elsewhere) that read and write Float32Array
 * views of the wasm heap in place. Geometry arrays are
 * `[B, H, W, Cin, kh, kw, sh, sw, dh, dw, padTop, padLeft, outH, outW, Cout]`.
 *
 * @example
 * ```ts
 * const addon = nativeKernels();
 * addon?.matmul(a, b, c, null, false, true, m, n, k, false, 2);
 * ```
 */
export interface NativeAddon {
  conv2d(x: Float32Array, w: Float32Array, y: Float32Array, bias: Float32Array | null, geom: readonly number[], relu: boolean, threads: number): void;
  conv2dBackpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, geom: readonly number[], threads: number): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, geom: readonly number[], threads: number): void;
  matmul(a: Float32Array, b: Float32Array, c: Float32Array, bias: Float32Array | null, transposeA: boolean, transposeB: boolean,
    m: number, n: number, k: number, relu: boolean, threads: number): void;
  /**
   * Training-mode BatchNorm of `rows` × `channels` values (NHWC flattened): writes y, the batch
   * mean, biased variance and rstd = 1/√(variance + eps). Sums in double, fixed row blocks.
   */
  batchNormTrain(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array, variance: Float32Array,
    rstd: Float32Array, rows: number, channels: number, eps: number, threads: number): void;
  /** Gradient of {@link NativeAddon.batchNormTrain} from the saved mean and rstd: dx, dgamma, dbeta. */
  batchNormTrainGrad(x: Float32Array, dy: Float32Array, gamma: Float32Array, mean: Float32Array, rstd: Float32Array,
    dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, rows: number, channels: number, threads: number): void;
  /** {@link NativeAddon.batchNormTrain} followed by a ReLU in the same pass: y = max(BN(x), 0). */
  batchNormReluTrain(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array, variance: Float32Array,
    rstd: Float32Array, rows: number, channels: number, eps: number, threads: number): void;
  /** Gradient of {@link NativeAddon.batchNormReluTrain}: the ReLU's mask recomputed from x, gamma and beta. */
  batchNormReluTrainGrad(x: Float32Array, dy: Float32Array, gamma: Float32Array, beta: Float32Array, mean: Float32Array, rstd: Float32Array,
    dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, rows: number, channels: number, threads: number): void;
  /** out[i] = dy[i]·step(y[i]) over n elements: a ReLU's gradient from its output, as tfjs computes it. */
  reluGrad(dy: Float32Array, y: Float32Array, out: Float32Array, n: number, threads: number): void;
  /** out[c] = Σ over rows of x[r, c] (a Sum over every axis but the last), summed in double. */
  channelSum(x: Float32Array, out: Float32Array, rows: number, channels: number, threads: number): void;
  /**
   * NHWC max pooling; `geom` = `[B, H, W, C, fh, fw, sh, sw, padTop, padLeft, outH, outW]`.
   * Each window's first maximum (row-major) wins, as on the cpu backend.
   */
  maxPool(x: Float32Array, y: Float32Array, geom: readonly number[], threads: number): void;
  /** Gradient of {@link NativeAddon.maxPool}: dy routed to each window's first maximum. */
  maxPoolGrad(x: Float32Array, dy: Float32Array, dx: Float32Array, geom: readonly number[], threads: number): void;
  /**
   * One SGD step over n parameters (PyTorch's update, dampening 0), float32 rounding as the
   * JavaScript loop of createSgd: updates `momentumBuffer` in place (null: no momentum), writes `out`.
   */
  sgdUpdate(g: Float32Array, p: Float32Array, momentumBuffer: Float32Array | null, out: Float32Array, n: number,
    negLr: number, momentum: number, weightDecay: number, nesterov: boolean, threads: number): void;
  /**
   * out[i] = Σ_r weights[r] · sources[r][i], summed in float64 in source order (the same bits
   * as the JavaScript loop): averages data-parallel replicas' gradients.
   */
  weightedSum(sources: readonly Float32Array[], weights: readonly number[], out: Float32Array): void;
  /** GEMM microkernel in use: `avx512`, `avx2` or `scalar`. */
  kernel(): string;
  /** Forces a microkernel (tests); false when unknown or unsupported by this CPU. */
  setKernel(name: string): boolean;
  /**
   * Convolution algorithm for `conv2d`/`conv2dBackpropInput`, set when `mode` is given, returned
   * after: `auto` (default: Winograd for stride-1 3×3/5×5 where it saves multiplies, see README
   * backend), `gemm` (always im2col + GEMM; env `RXTRAIN_WINOGRAD=0`), `winograd` (Winograd for
   * every stride-1 undilated 3×3/5×5), `winograd:2` / `winograd:4` (forced tile size, for A/B).
   * Throws on an unknown mode. Optional: an addon built before it simply has no Winograd path.
   */
  convAlgorithm?(mode?: 'auto' | 'gemm' | 'winograd' | 'winograd:2' | 'winograd:4'): string;
  /**
   * Sets (when given) and returns the im2col/Winograd scratch chunk in KiB, process-wide:
   * 0 = the default (8192, or env `RXTRAIN_SCRATCH_KB`), else 64..4194304. For cache-size
   * experiments (`bench:concurrent-steps --scratch-kb`). Optional: older addons lack it.
   */
  scratchChunkKb?(kb?: number): number;
}

/**
 * Whether rxtrain's native kernels are in use, and why not when they are not.
 *
 * @example
 * ```ts
 * const s = nativeKernelState();
 * console.log(s.active ? `native ${s.kernel}` : `pure wasm: ${s.reason}`);
 * ```
 */
export interface NativeKernelState {
  /** The addon loaded (built by `npm install`/`npm ci`). */
  readonly available: boolean;
  /** Loaded and not disabled (`RXTRAIN_NATIVE=0` or {@link setNativeKernelsEnabled}). */
  readonly active: boolean;
  /** GEMM microkernel (`avx512`, `avx2`, `scalar`) when available. */
  readonly kernel?: string;
  /** Why the native kernels are not active. */
  readonly reason?: string;
  /** File the addon was loaded from. */
  readonly file?: string;
}

/** Repository root: this file sits at src/model/wasm (tsx) or dist/model/wasm (build). */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const ADDON_FILE = path.join(ROOT, 'build', 'Release', 'rxtrain_native.node');

let loaded: { addon?: NativeAddon; error?: string } | undefined;
let enabled: boolean | undefined;

/** Every function of {@link NativeAddon}: an addon built from older sources lacks some. */
const ADDON_FUNCTIONS: ReadonlyArray<keyof NativeAddon> = [
  'conv2d', 'conv2dBackpropInput', 'conv2dBackpropFilter', 'matmul', 'batchNormTrain', 'batchNormTrainGrad',
  'batchNormReluTrain', 'batchNormReluTrainGrad', 'reluGrad', 'channelSum', 'maxPool', 'maxPoolGrad', 'sgdUpdate', 'weightedSum', 'kernel', 'setKernel',
];

/**
 * Why an addon object cannot serve as {@link NativeAddon} (its missing functions), or
 * undefined when it can.
 *
 * @example
 * ```ts
 * missingAddonFunctions({ conv2d() {} }); // 'conv2dBackpropInput, conv2dBackpropFilter, matmul, …'
 * ```
 */
export function missingAddonFunctions(addon: unknown): string | undefined {
  const o = (typeof addon === 'object' && addon !== null ? addon : {}) as Record<string, unknown>;
  const missing = ADDON_FUNCTIONS.filter((f) => typeof o[f] !== 'function');
  return missing.length === 0 ? undefined : missing.join(', ');
}

function load(): { addon?: NativeAddon; error?: string } {
  if (loaded === undefined) {
    try {
      const addon: unknown = createRequire(__filename)(ADDON_FILE);
      const missing = missingAddonFunctions(addon);
      // A build from older sources would fail in the middle of a step; say so once, up front.
      loaded = missing === undefined
        ? { addon: addon as NativeAddon }
        : { error: `addon ${ADDON_FILE} is older than this rxtrain (lacks ${missing}); rebuild it with ${addonBuildHint(ROOT, process.cwd())}` };
    } catch (e) {
      const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
      loaded = { error: `addon not built (${msg}); build it with ${addonBuildHint(ROOT, process.cwd())} (needs a C++ compiler, make, python3)` };
    }
  }
  return loaded;
}

function envEnabled(): boolean {
  const v = (process.env.RXTRAIN_NATIVE ?? '').trim().toLowerCase();
  return !(v === '0' || v === 'false' || v === 'off' || v === 'no');
}

/**
 * The native addon when it loaded and is enabled, else undefined (callers then use the pure
 * wasm path). Loaded once per thread, on first use.
 *
 * @example
 * ```ts
 * const addon = nativeKernels();
 * if (addon !== undefined) addon.conv2d(x, w, y, null, geom, false, threads);
 * ```
 */
export function nativeKernels(): NativeAddon | undefined {
  enabled ??= envEnabled();
  return enabled ? load().addon : undefined;
}

/**
 * Turns the native kernels on or off for this thread (the environment variable
 * `RXTRAIN_NATIVE=0` sets the initial state to off). Turning on has no effect when the addon
 * is not built.
 *
 * @example
 * ```ts
 * setNativeKernelsEnabled(false); // pure wasm, e.g. to compare
 * ```
 */
export function setNativeKernelsEnabled(on: boolean): void {
  enabled = on;
}

/**
 * Reports whether the native kernels are loaded and in use.
 *
 * @example
 * ```ts
 * if (!nativeKernelState().active) console.warn(nativeKernelState().reason);
 * ```
 */
export function nativeKernelState(): NativeKernelState {
  enabled ??= envEnabled();
  const l = load();
  if (l.addon === undefined) return { available: false, active: false, reason: l.error };
  const kernel = l.addon.kernel();
  if (!enabled) return { available: true, active: false, kernel, file: ADDON_FILE, reason: 'disabled (RXTRAIN_NATIVE=0 or setNativeKernelsEnabled(false))' };
  return { available: true, active: true, kernel, file: ADDON_FILE };
}
