import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { initBackend } from '../../../src/model/backend';
import { nativeKernels, nativeKernelState, type NativeAddon } from '../../../src/model/wasm/nativeKernels';
import { assertClose, runOn, values } from './compareBackends';

type Mode = 'auto' | 'gemm' | 'winograd' | 'winograd:2' | 'winograd:4';

/** [B, H, W, Cin, kh, kw, sh, sw, dh, dw, padTop, padLeft, outH, outW, Cout] of a stride-1 conv. */
function geom(b: number, h: number, w: number, cin: number, k: number, pad: number, cout: number, padAfter = pad): number[] {
  return [b, h, w, cin, k, k, 1, 1, 1, 1, pad, pad, h + pad + padAfter - k + 1, w + pad + padAfter - k + 1, cout];
}

function label(g: readonly number[]): string {
  return `x ${g[0]}×${g[1]}×${g[2]}×${g[3]}, ${g[4]}×${g[5]} → ${g[14]}, pad ${g[10]}, out ${g[12]}×${g[13]}`;
}

/** Float64 reference: y = x ⋆ w (+ bias, ReLU), and dx, dw for a given dy, straight from the definition. */
function reference(g: readonly number[], x: Float32Array, w: Float32Array, bias: Float32Array, dy: Float32Array): { y: Float64Array; dx: Float64Array; dw: Float64Array } {
  const [B, H, W, C, kh, kw, , , , , pt, pl, oh, ow, K] = g;
  const y = new Float64Array(B * oh * ow * K);
  const dx = new Float64Array(B * H * W * C);
  const dw = new Float64Array(kh * kw * C * K);
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const o = ((b * oh + oy) * ow + ox) * K;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy - pt + ky;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox - pl + kx;
            if (ix < 0 || ix >= W) continue;
            const xi = ((b * H + iy) * W + ix) * C;
            for (let c = 0; c < C; c++) {
              const wi = ((ky * kw + kx) * C + c) * K;
              let s = 0;
              for (let k = 0; k < K; k++) {
                y[o + k] += x[xi + c] * w[wi + k];
                s += dy[o + k] * w[wi + k];
                dw[wi + k] += x[xi + c] * dy[o + k];
              }
              dx[xi + c] += s;
            }
          }
        }
        for (let k = 0; k < K; k++) y[o + k] = Math.max(0, y[o + k] + bias[k]);
      }
    }
  }
  return { y, dx, dw };
}

/** max |a − ref| relative to max(1, max |ref|), as assertClose. */
function relError(a: Float32Array, ref: Float64Array): number {
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < ref.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return worst / scale;
}

/** The addon, with its (optional in the type) convAlgorithm, which this checkout's build has. */
function addon(): NativeAddon & Required<Pick<NativeAddon, 'convAlgorithm'>> {
  const a = nativeKernels();
  assert.ok(a !== undefined, `native addon expected (built by npm ci): ${nativeKernelState().reason ?? ''}`);
  assert.ok(a.convAlgorithm !== undefined, 'the addon lacks convAlgorithm: rebuild it (node native/install.mjs)');
  return a as NativeAddon & Required<Pick<NativeAddon, 'convAlgorithm'>>;
}

interface Run { y: Float32Array; dx: Float32Array; dw: Float32Array }

function runAddon(a: ReturnType<typeof addon>, mode: Mode, g: readonly number[], threads: number, seed = 1): Run {
  const [B, H, W, C, kh, kw, , , , , , , oh, ow, K] = g;
  const x = values(B * H * W * C, seed);
  const w = values(kh * kw * C * K, seed + 1);
  const bias = values(K, seed + 2);
  const dy = values(B * oh * ow * K, seed + 3);
  const y = new Float32Array(B * oh * ow * K);
  const dx = new Float32Array(B * H * W * C);
  const dw = new Float32Array(w.length);
  a.convAlgorithm(mode);
  a.conv2d(x, w, y, bias, g, true, threads);
  a.conv2dBackpropInput(dy, w, dx, g, threads);
  a.conv2dBackpropFilter(x, dy, dw, g, threads);
  return { y, dx, dw };
}

function bits(t: Float32Array): string {
  return Buffer.from(t.buffer, t.byteOffset, t.byteLength).toString('base64');
}

// Odd map sizes (tiles past the edge), batch 1 and 3, 'same' and 'valid', channel counts that are
// not multiples of the 64-channel transform blocks or the GEMM's strips, and the small model's
// 7×7 layers at reduced channel counts.
const cases: number[][] = [
  geom(1, 7, 7, 21, 3, 1, 19),
  geom(3, 8, 8, 24, 3, 1, 37),
  geom(3, 5, 5, 70, 3, 1, 9),
  geom(1, 7, 7, 3, 3, 0, 4), // 'valid', 5×5 out
  geom(3, 9, 6, 17, 3, 0, 66), // 'valid', 7×4 out
  geom(1, 2, 2, 5, 3, 1, 3), // output smaller than one tile
  geom(1, 6, 6, 5, 3, 3, 4), // padding 3 > r − 1: the input gradient starts inside dy
  geom(2, 8, 7, 130, 3, 1, 65), // several channel blocks with a tail
  geom(3, 7, 7, 20, 5, 2, 18), // small-model conv2 family, 'same'
  geom(1, 11, 9, 30, 5, 0, 20), // 5×5 'valid'
];

// Measured worst cases against the float64 reference (relative to the largest |value|), these
// cases and up to 768 channels: im2col + GEMM ≤ 5e-7, F(2×2,3×3) ≤ 8e-7, F(4×4,3×3) ≤ 1.1e-5,
// F(2×2,5×5) ≤ 4e-6. F(4×4,3×3)'s transforms have entries up to 8 (points ±2), hence its
// larger rounding error (RMS ≈ 10× the GEMM's); still float32-level for training.
const TOL: Record<Mode, number> = { gemm: 2e-6, 'winograd:2': 3e-6, 'winograd:4': 3e-5, winograd: 3e-5, auto: 3e-5 };

describe('native Winograd convolution (wasm+native)', function () {
  this.timeout(60_000);
  let chosen = 'auto';
  before(async () => {
    await initBackend({ prefer: 'wasm' });
    chosen = addon().convAlgorithm();
  });
  after(() => { addon().convAlgorithm(chosen as Mode); });

  describe('forward (+ bias, ReLU), input and filter gradients against a float64 reference', () => {
    for (const g of cases) {
      it(label(g), () => {
        const a = addon();
        const [B, H, W, C, k, , , , , , , , oh, ow, K] = g;
        const ref = reference(g, values(B * H * W * C, 1), values(k * k * C * K, 2), values(K, 3), values(B * oh * ow * K, 4));
        const modes: Mode[] = k === 3 ? ['gemm', 'winograd:2', 'winograd:4'] : ['gemm', 'winograd'];
        const runs = modes.map((m) => runAddon(a, m, g, 2));
        modes.forEach((m, i) => {
          assert.ok(relError(runs[i].y, ref.y) <= TOL[m], `${m} y: ${relError(runs[i].y, ref.y)} > ${TOL[m]}`);
          assert.ok(relError(runs[i].dx, ref.dx) <= TOL[m], `${m} dx: ${relError(runs[i].dx, ref.dx)} > ${TOL[m]}`);
          assert.ok(relError(runs[i].dw, ref.dw) <= TOL[m], `${m} dw: ${relError(runs[i].dw, ref.dw)} > ${TOL[m]}`);
        });
        // The Winograd paths really ran: their rounding differs from the GEMM's.
        for (let i = 1; i < runs.length; i++) {
          assert.notEqual(bits(runs[i].y), bits(runs[0].y), `${modes[i]} gave the GEMM's bits`);
          assert.notEqual(bits(runs[i].dw), bits(runs[0].dw), `${modes[i]} gave the GEMM's dw bits`);
        }
      });
    }
  });

  it('agrees with im2col + GEMM when the tiles span several chunks (the filter gradient then accumulates)', () => {
    const a = addon();
    // ≥ 324 tiles of 4×4 (2×2 for 5×5) against chunks of ≤ 256 tiles at these channel counts.
    for (const [g, mode] of [[geom(4, 36, 36, 128, 3, 1, 128), 'winograd:4'], [geom(2, 30, 30, 64, 5, 2, 192), 'winograd']] as Array<[number[], Mode]>) {
      const ref = runAddon(a, 'gemm', g, 2);
      const r = runAddon(a, mode, g, 2);
      for (const k of ['y', 'dx', 'dw'] as const) {
        assertClose(r[k], ref[k], TOL[mode], `${label(g)} ${mode} ${k}`);
      }
    }
  });

  it('is bit-identical for every scratch chunk size (scratchChunkKb), which only sets how many rows or tiles share a buffer', () => {
    const a = addon();
    assert.ok(a.scratchChunkKb !== undefined, 'the addon lacks scratchChunkKb: rebuild it (node native/install.mjs)');
    const set = a.scratchChunkKb.bind(a);
    const before = set();
    try {
      // Chunks of 64 KiB split these layers into many pieces; 8 MiB holds each whole.
      for (const [g, mode] of [[geom(4, 36, 36, 128, 3, 1, 128), 'winograd:4'], [geom(2, 30, 30, 64, 5, 2, 192), 'winograd'], [geom(3, 15, 15, 64, 5, 2, 96), 'gemm']] as Array<[number[], Mode]>) {
        assert.equal(set(8192), 8192);
        const ref = runAddon(a, mode, g, 2);
        for (const kb of [64, 1024]) {
          assert.equal(set(kb), kb);
          const r = runAddon(a, mode, g, 2);
          for (const k of ['y', 'dx', 'dw'] as const) assert.equal(bits(r[k]), bits(ref[k]), `${label(g)} ${mode} ${kb} KiB: ${k} differs`);
        }
      }
      assert.equal(set(0), before, '0 returns to the default');
      assert.throws(() => set(63), /scratch chunk must be 0 \(default\) or a whole number of KiB in 64\.\.4194304/);
      assert.throws(() => set(100.5), /whole number of KiB/);
      assert.equal(set(), before, 'a refused size changes nothing');
    } finally {
      set(0);
    }
  });

  it('is bit-identical for 1, 2 and 3 threads and every GEMM microkernel', () => {
    const a = addon();
    const kernel = a.kernel();
    const supported = ['avx512', 'avx2', 'scalar'].filter((k) => a.setKernel(k));
    try {
      for (const g of [geom(3, 14, 14, 40, 3, 1, 37), geom(3, 7, 7, 33, 5, 2, 70), geom(2, 9, 9, 64, 3, 0, 64)]) {
        for (const mode of ['winograd:2', 'winograd:4', 'winograd'] as Mode[]) {
          a.setKernel(kernel);
          const ref = runAddon(a, mode, g, 2);
          for (const k of supported) {
            assert.ok(a.setKernel(k));
            for (const threads of [1, 2, 3]) {
              const r = runAddon(a, mode, g, threads);
              assert.equal(bits(r.y), bits(ref.y), `${label(g)} ${mode} ${k} ${threads} threads: y differs`);
              assert.equal(bits(r.dx), bits(ref.dx), `${label(g)} ${mode} ${k} ${threads} threads: dx differs`);
              assert.equal(bits(r.dw), bits(ref.dw), `${label(g)} ${mode} ${k} ${threads} threads: dw differs`);
            }
          }
        }
      }
    } finally {
      a.setKernel(kernel);
    }
  });

  it('auto picks Winograd by geometry: the small model\'s 3×3 layers yes; strided, dilated, 1×1, few channels no', () => {
    const a = addon();
    const same = (g: number[], m1: Mode, m2: Mode): boolean => {
      const r1 = runAddon(a, m1, g, 2);
      const r2 = runAddon(a, m2, g, 2);
      return bits(r1.y) === bits(r2.y) && bits(r1.dx) === bits(r2.dx) && bits(r1.dw) === bits(r2.dw);
    };
    const conv4 = geom(2, 7, 7, 384, 3, 1, 256);
    assert.ok(same(conv4, 'auto', 'winograd:4'), 'small conv4 (7×7, 384 → 256): F(4×4,3×3) expected');
    assert.ok(!same(conv4, 'auto', 'gemm'));
    const conv5 = geom(2, 7, 7, 256, 3, 1, 256);
    assert.ok(same(conv5, 'auto', 'winograd:4'), 'small conv5 (7×7, 256 → 256): F(4×4,3×3) expected');
    // Output smaller than a 4×4 tile: F(2×2,3×3) wastes less.
    assert.ok(same(geom(2, 2, 2, 64, 3, 1, 64), 'auto', 'winograd:2'), '2×2 maps: F(2×2,3×3) expected');
    // 5×5 (small conv2 family): the forward and the filter gradient by F(2×2,5×5); the input
    // gradient by F(2×2,5×5) into ≥ 64 channels, on the GEMM into 48.
    const conv2 = geom(1, 15, 15, 48, 5, 2, 96 + 32);
    const auto2 = runAddon(a, 'auto', conv2, 2);
    const wino2 = runAddon(a, 'winograd', conv2, 2);
    const gemm2 = runAddon(a, 'gemm', conv2, 2);
    assert.equal(bits(auto2.y), bits(wino2.y), 'conv2 forward: F(2×2,5×5) expected');
    assert.equal(bits(auto2.dw), bits(wino2.dw), 'conv2 filter gradient: F(2×2,5×5) expected');
    assert.notEqual(bits(wino2.dw), bits(gemm2.dw));
    assert.equal(bits(auto2.dx), bits(gemm2.dx), 'conv2 input gradient into 48 channels: GEMM expected');
    assert.notEqual(bits(wino2.dx), bits(gemm2.dx));
    const conv2at64 = geom(1, 15, 15, 64, 5, 2, 96);
    const auto64 = runAddon(a, 'auto', conv2at64, 2);
    assert.equal(bits(auto64.dx), bits(runAddon(a, 'winograd', conv2at64, 2).dx), 'conv2 input gradient into 64 channels: F(2×2,5×5) expected');
    assert.notEqual(bits(auto64.dx), bits(runAddon(a, 'gemm', conv2at64, 2).dx));
    // Few channels (the transforms would dominate): GEMM.
    assert.ok(same(geom(2, 9, 9, 3, 3, 1, 8), 'auto', 'gemm'), '3 → 8 channels: GEMM expected');
    // Stride 2 and dilation 2 are never Winograd, whatever the mode.
    const strided = [2, 9, 9, 32, 3, 3, 2, 2, 1, 1, 1, 1, 5, 5, 32];
    assert.ok(same(strided, 'winograd', 'gemm'), 'stride 2 must stay on the GEMM');
    const dilated = [1, 12, 12, 32, 3, 3, 1, 1, 2, 2, 2, 2, 12, 12, 32];
    assert.ok(same(dilated, 'winograd', 'gemm'), 'dilation 2 must stay on the GEMM');
  });

  describe('through tfjs: Conv2D, FusedConv2D (+ bias, ReLU) and their gradients vs the cpu backend', () => {
    const tfCases: Array<{ x: [number, number, number, number]; k: number; co: number; pad: 'same' | 'valid' | number }> = [
      { x: [3, 7, 7, 20], k: 3, co: 24, pad: 'same' },
      { x: [1, 8, 8, 17], k: 3, co: 33, pad: 'valid' },
      { x: [2, 5, 5, 40], k: 3, co: 18, pad: 1 },
      { x: [3, 7, 7, 16], k: 5, co: 20, pad: 'same' },
    ];
    for (const c of tfCases) {
      for (const mode of ['winograd:2', 'winograd:4'] as Mode[]) {
        if (c.k === 5 && mode === 'winograd:2') continue;
        it(`${mode}: x ${c.x.join('×')}, ${c.k}×${c.k} → ${c.co}, pad ${String(c.pad)}`, async () => {
          const ops = (): tf.Tensor[] => {
            const filterShape: [number, number, number, number] = [c.k, c.k, c.x[3], c.co];
            const x = tf.tensor4d(values(c.x.reduce((p, q) => p * q), 11), c.x);
            const w = tf.tensor4d(values(filterShape.reduce((p, q) => p * q), 12), filterShape);
            const bias = tf.tensor1d(values(c.co, 13));
            const fused = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor): tf.Tensor4D => tf.fused.conv2d({
              x: xi as tf.Tensor4D, filter: wi as tf.Tensor4D, strides: 1, pad: c.pad, bias: bi, activation: 'relu',
            });
            const y = fused(x, w, bias);
            const dy = tf.tensor4d(values(y.size, 14), y.shape);
            return [tf.conv2d(x, w, 1, c.pad), y, ...tf.grads(fused)([x, w, bias], dy)];
          };
          const cpu = await runOn('cpu', ops);
          addon().convAlgorithm(mode);
          const wasm = await runOn('wasm', ops, 'native');
          ['conv2d', 'fused conv2d+bias+relu', 'dx', 'dW', 'dBias'].forEach((n, i) => assertClose(wasm[i], cpu[i], TOL[mode], `${mode} ${n}`));
        });
      }
    }
  });

  it('convAlgorithm() reports and sets the mode, and rejects unknown names', () => {
    const a = addon();
    assert.equal(a.convAlgorithm('gemm'), 'gemm');
    assert.equal(a.convAlgorithm(), 'gemm');
    assert.equal(a.convAlgorithm('winograd:2'), 'winograd:2');
    assert.equal(a.convAlgorithm('auto'), 'auto');
    assert.throws(() => a.convAlgorithm('fft' as Mode), /convolution algorithm must be 'auto', 'gemm', 'winograd'/);
    assert.equal(a.convAlgorithm(), 'auto');
  });

  it('RXTRAIN_WINOGRAD=0 selects the GEMM at load (for A/B runs)', () => {
    const file = path.resolve(__dirname, '..', '..', '..', 'build', 'Release', 'rxtrain_native.node');
    const probe = (env: string | undefined): string => {
      const e: NodeJS.ProcessEnv = { ...process.env };
      delete e.RXTRAIN_WINOGRAD;
      if (env !== undefined) e.RXTRAIN_WINOGRAD = env;
      const r = spawnSync(process.execPath, ['-e', `process.stdout.write(require(${JSON.stringify(file)}).convAlgorithm())`], { env: e, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    assert.equal(probe('0'), 'gemm');
    assert.equal(probe('off'), 'gemm');
    assert.equal(probe(undefined), 'auto');
    assert.equal(probe('nonsense'), 'auto');
  });
});
