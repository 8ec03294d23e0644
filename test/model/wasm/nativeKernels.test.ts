import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { initBackend } from '../../../src/model/backend';
import { missingAddonFunctions, nativeKernels, nativeKernelState, setNativeKernelsEnabled, type NativeAddon } from '../../../src/model/wasm/nativeKernels';
import { assertClose, runOn, values, WASM_PATHS } from './compareBackends';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
interface ConvCase {
  x: [number, number, number, number]; k: [number, number]; co: number; stride: number | [number, number]; pad: Pad;
  dil?: number; round?: 'floor' | 'ceil' | 'round';
}

const convCases: ConvCase[] = [
  { x: [2, 9, 9, 3], k: [3, 3], co: 4, stride: 1, pad: 'same' },
  { x: [2, 10, 10, 3], k: [5, 5], co: 7, stride: 1, pad: 2 }, // small-model conv1 family
  { x: [2, 23, 23, 3], k: [11, 11], co: 5, stride: 4, pad: 'valid' }, // AlexNet conv1 family
  { x: [1, 11, 13, 2], k: [5, 3], co: 3, stride: [2, 3], pad: 'same' },
  { x: [2, 7, 6, 3], k: [3, 3], co: 2, stride: 3, pad: 1, round: 'ceil' },
  { x: [1, 9, 9, 2], k: [2, 4], co: 2, stride: 2, pad: [[0, 0], [1, 0], [2, 1], [0, 0]] },
  { x: [1, 12, 12, 3], k: [3, 3], co: 4, stride: 1, pad: 'same', dil: 2 },
  { x: [2, 6, 6, 33], k: [1, 1], co: 35, stride: 1, pad: 'valid' }, // 1×1: direct GEMM
  { x: [3, 9, 9, 24], k: [3, 3], co: 37, stride: 1, pad: 'same' }, // several tiles, both threads
];

function label(c: ConvCase): string {
  return `x ${c.x.join('×')}, kernel ${c.k.join('×')}, stride ${String(c.stride)}, pad ${JSON.stringify(c.pad)}${c.dil ? `, dilation ${c.dil}` : ''}${c.round ? `, ${c.round}` : ''}`;
}

/** Conv2D, FusedConv2D (bias + ReLU), and the gradients dx, dW, dBias through the fused op. */
function convOps(c: ConvCase): () => tf.Tensor[] {
  return () => {
    const filterShape: [number, number, number, number] = [c.k[0], c.k[1], c.x[3], c.co];
    const x = tf.tensor4d(values(c.x.reduce((a, b) => a * b), 71), c.x);
    const w = tf.tensor4d(values(filterShape.reduce((a, b) => a * b), 72), filterShape);
    const bias = tf.tensor1d(values(c.co, 73));
    const dil = c.dil ?? 1;
    const plain = tf.conv2d(x, w, c.stride, c.pad, 'NHWC', dil, c.round);
    const fused = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor): tf.Tensor4D => tf.fused.conv2d({
      x: xi as tf.Tensor4D, filter: wi as tf.Tensor4D, strides: c.stride, pad: c.pad, dilations: dil, dimRoundingMode: c.round, bias: bi, activation: 'relu',
    });
    const y = fused(x, w, bias);
    const dy = tf.tensor4d(values(y.size, 74), y.shape);
    // tfjs has no gradient for dilated fused convolutions; only the forward is compared there.
    return dil === 1 ? [plain, y, ...tf.grads(fused)([x, w, bias], dy)] : [plain, y];
  };
}

function addon(): NativeAddon {
  const a = nativeKernels();
  assert.ok(a !== undefined, `native addon expected (built by npm ci): ${nativeKernelState().reason ?? ''}`);
  return a;
}

/** Microkernels this CPU can run (the dispatcher's choice first). */
function supportedKernels(): string[] {
  const a = addon();
  const chosen = a.kernel();
  const out = ['avx512', 'avx2', 'scalar'].filter((k) => a.setKernel(k));
  a.setKernel(chosen);
  return [chosen, ...out.filter((k) => k !== chosen)];
}

describe('native kernels (wasm+native)', () => {
  before(async () => { await initBackend({ prefer: 'wasm' }); });
  afterEach(() => { setNativeKernelsEnabled(true); });

  it('load and are reported by initBackend', async () => {
    const state = nativeKernelState();
    assert.ok(state.available && state.active, state.reason);
    assert.ok(['avx512', 'avx2', 'scalar'].includes(state.kernel ?? ''), state.kernel);
    const info = await initBackend({ prefer: 'wasm' });
    assert.equal(info.native?.active, true);
    assert.ok(info.notes.some((n) => n.startsWith(`native kernels: ${state.kernel ?? ''}`)), info.notes.join('; '));
  });

  it('an addon built from older sources (a function missing) is named as stale, not used', () => {
    const names = ['conv2d', 'conv2dBackpropInput', 'conv2dBackpropFilter', 'matmul', 'batchNormTrain', 'batchNormTrainGrad',
      'batchNormReluTrain', 'batchNormReluTrainGrad', 'reluGrad', 'channelSum', 'maxPool', 'maxPoolGrad', 'sgdUpdate', 'weightedSum', 'kernel', 'setKernel'];
    const complete = Object.fromEntries(names.map((f) => [f, () => undefined]));
    assert.equal(missingAddonFunctions(complete), undefined);
    // The addon built from this checkout is complete.
    if (nativeKernels() !== undefined) assert.equal(missingAddonFunctions(nativeKernels()), undefined);
    assert.equal(missingAddonFunctions({ ...complete, weightedSum: undefined, maxPoolGrad: 3 }), 'maxPoolGrad, weightedSum');
    assert.equal(missingAddonFunctions(null), names.join(', '));
  });

  it('can be switched off at run time (pure wasm), and report why', () => {
    setNativeKernelsEnabled(false);
    assert.equal(nativeKernels(), undefined);
    const state = nativeKernelState();
    assert.equal(state.available, true);
    assert.equal(state.active, false);
    assert.match(state.reason ?? '', /RXTRAIN_NATIVE=0/);
  });

  describe('Conv2D / FusedConv2D (+ bias, ReLU) and their gradients vs cpu', () => {
    // Summation order only (cpu sums naively, native in 256-long FMA blocks): 1e-5 of the largest value.
    const tol = 1e-5;
    for (const c of convCases) {
      for (const wasmPath of WASM_PATHS) {
        // tfjs 4.22's own (XNNPACK) Conv2D disagrees with cpu under dimRoundingMode 'ceil'; the
        // pure-wasm path keeps tfjs' forward kernel, so only native is compared there.
        if (wasmPath === 'pure' && c.round === 'ceil') continue;
        it(`${wasmPath}: ${label(c)}`, async () => {
          const cpu = await runOn('cpu', convOps(c));
          const wasm = await runOn('wasm', convOps(c), wasmPath);
          const names = ['conv2d', 'fused conv2d+bias+relu', 'dx', 'dW', 'dBias'].slice(0, cpu.length);
          assert.equal(wasm.length, cpu.length);
          names.forEach((n, i) => assertClose(wasm[i], cpu[i], tol, n));
        });
      }
    }
  });

  it('every microkernel this CPU supports gives the cpu results (convs, all matmul transposes)', async () => {
    const run = (): tf.Tensor[] => {
      const outs = convOps(convCases[convCases.length - 1])();
      const a = tf.tensor2d(values(70 * 300, 81), [70, 300]);
      const b = tf.tensor2d(values(300 * 45, 82), [300, 45]);
      for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]]) {
        outs.push(tf.matMul(tA ? a.transpose() : a, tB ? b.transpose() : b, tA, tB));
      }
      return outs;
    };
    const cpu = await runOn('cpu', run);
    const a = addon();
    const chosen = a.kernel();
    try {
      for (const k of supportedKernels()) {
        assert.ok(a.setKernel(k));
        const wasm = await runOn('wasm', run, 'native');
        cpu.forEach((ref, i) => assertClose(wasm[i], ref, 1e-5, `${k} output ${i}`));
      }
    } finally {
      a.setKernel(chosen);
    }
  });

  it('results are bit-identical across runs, thread counts and microkernels (fixed summation order)', () => {
    const a = addon();
    const chosen = a.kernel();
    const geom = [3, 14, 14, 40, 3, 3, 1, 1, 1, 1, 1, 1, 14, 14, 37];
    const x = values(3 * 14 * 14 * 40, 91);
    const w = values(3 * 3 * 40 * 37, 92);
    const dy = values(3 * 14 * 14 * 37, 93);
    const bias = values(37, 94);
    const ma = values(200 * 700, 95);
    const mb = values(200 * 150, 96);
    const runAll = (threads: number): string[] => {
      const y = new Float32Array(3 * 14 * 14 * 37);
      const dx = new Float32Array(x.length);
      const dw = new Float32Array(w.length);
      const c = new Float32Array(700 * 150);
      a.conv2d(x, w, y, bias, geom, true, threads);
      a.conv2dBackpropInput(dy, w, dx, geom, threads);
      a.conv2dBackpropFilter(x, dy, dw, geom, threads);
      a.matmul(ma, mb, c, null, true, false, 700, 150, 200, false, threads);
      return [y, dx, dw, c].map((t) => Buffer.from(t.buffer).toString('base64'));
    };
    try {
      const reference = runAll(2);
      for (const k of supportedKernels()) {
        assert.ok(a.setKernel(k));
        for (const threads of [1, 2, 3, 2]) {
          runAll(threads).forEach((r, i) => assert.equal(r, reference[i], `${k}, ${threads} threads: output ${i} differs`));
        }
      }
    } finally {
      a.setKernel(chosen);
    }
  });

  it('matmul over several k-blocks and column blocks, every transpose, ragged sizes: bit-identical across microkernels, close to float64', () => {
    // Exercises each operand-packing path (row-major and transposed A in whole 12-row strips and
    // ragged edges, B panels split into column blocks when K × N outgrows the packed panel).
    const a = addon();
    const chosen = a.kernel();
    const shapes: Array<[number, number, number]> = [[157, 75, 700], [30, 1000, 1100], [12, 33, 257]];
    try {
      for (const [M, N, K] of shapes) {
        const ma = values(M * K, M + 1);
        const mb = values(K * N, N + 2);
        for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]]) {
          const ref = new Float64Array(M * N);
          for (let i = 0; i < M; i++) {
            for (let j = 0; j < N; j++) {
              let acc = 0;
              for (let k = 0; k < K; k++) acc += ma[tA ? k * M + i : i * K + k] * mb[tB ? j * K + k : k * N + j];
              ref[i * N + j] = acc;
            }
          }
          let first: string | undefined;
          for (const k of supportedKernels()) {
            assert.ok(a.setKernel(k));
            const c = new Float32Array(M * N);
            a.matmul(ma, mb, c, null, tA, tB, M, N, K, false, 2);
            const bitsOf = Buffer.from(c.buffer).toString('base64');
            first ??= bitsOf;
            assert.equal(bitsOf, first, `${M}×${N}×${K} tA=${tA} tB=${tB}: ${k} differs from ${supportedKernels()[0]}`);
            let worst = 0;
            c.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - ref[i])); });
            assert.ok(worst < 1e-3, `${M}×${N}×${K} tA=${tA} tB=${tB} ${k}: max error ${worst}`);
          }
        }
      }
    } finally {
      a.setKernel(chosen);
    }
  });

  it('rejects arrays shorter than the geometry and bad arguments with a clear error', () => {
    const a = addon();
    const geom = [1, 4, 4, 2, 3, 3, 1, 1, 1, 1, 1, 1, 4, 4, 3];
    assert.throws(() => a.conv2d(new Float32Array(31), new Float32Array(54), new Float32Array(48), null, geom, false, 1), /x has 31 elements, needs 32/);
    assert.throws(() => a.conv2d(new Float32Array(32), new Float32Array(54), new Float32Array(47), null, geom, false, 1), /y has 47 elements, needs 48/);
    assert.throws(() => a.conv2dBackpropFilter(new Float32Array(32), new Float32Array(48), new Float32Array(54), [1, 4, 4, 2, 3, 3, 0, 1, 1, 1, 1, 1, 4, 4, 3], 1), /invalid convolution geometry/);
    assert.throws(() => a.matmul(new Float32Array(6), new Float32Array(6), new Float32Array(3), null, false, false, 2, 2, 3, false, 1), /c has 3 elements, needs 4/);
    assert.throws(() => (a.matmul as unknown as (...args: unknown[]) => void)(new Int32Array(6), new Float32Array(6), new Float32Array(4), null, false, false, 2, 2, 3, false, 1), /a must be a Float32Array/);
  });
});
