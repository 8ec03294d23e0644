/*
 * npm run bench:winograd — the native convolution's two algorithms side by side, in one process:
 * im2col + GEMM against Winograd (F(2×2,3×3), F(4×4,3×3), and F(2×2,5×5) for 5×5) for the
 * forward convolution, the input gradient and the filter gradient of the small model's stride-1 layers (32² input,
 * batch 64: conv2 5×5 on 15×15, conv3–conv5 3×3 on 7×7), plus what `auto` picks. Rounds
 * alternate the algorithms; each figure is the fastest of the rounds (noise only adds time).
 * Options: --threads N (default 2), --rounds N (default 7), --batch N (default 64).
 */
import { nativeKernels, nativeKernelState } from '../src/model/wasm/nativeKernels';

const args = process.argv.slice(2);
const opt = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};

type Mode = 'gemm' | 'winograd:2' | 'winograd:4' | 'winograd' | 'auto';

function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function main(): void {
  const addon = nativeKernels();
  if (addon?.convAlgorithm === undefined) throw new Error(`native addon with convAlgorithm needed: ${nativeKernelState().reason ?? 'rebuild it (node native/install.mjs)'}`);
  const algo = addon.convAlgorithm;
  const threads = opt('--threads', 2);
  const rounds = opt('--rounds', 7);
  const B = opt('--batch', 64);
  const layers: Array<[string, number[]]> = [
    ['conv2 5×5 64→192 on 15×15', [B, 15, 15, 64, 5, 5, 1, 1, 1, 1, 2, 2, 15, 15, 192]],
    ['conv3 3×3 192→384 on 7×7', [B, 7, 7, 192, 3, 3, 1, 1, 1, 1, 1, 1, 7, 7, 384]],
    ['conv4 3×3 384→256 on 7×7', [B, 7, 7, 384, 3, 3, 1, 1, 1, 1, 1, 1, 7, 7, 256]],
    ['conv5 3×3 256→256 on 7×7', [B, 7, 7, 256, 3, 3, 1, 1, 1, 1, 1, 1, 7, 7, 256]],
  ];
  const before = algo();
  console.log(`bench:winograd threads=${threads} rounds=${rounds} batch=${B} kernel=${addon.kernel()} (fastest of the rounds, ms)`);
  const total: Record<string, number> = {};
  try {
    for (const [name, g] of layers) {
      const [b, H, W, C, kh, kw, , , , , , , oh, ow, K] = g;
      const modes: Mode[] = kh === 3 ? ['gemm', 'winograd:2', 'winograd:4', 'auto'] : ['gemm', 'winograd', 'auto'];
      const x = values(b * H * W * C, 1);
      const w = values(kh * kw * C * K, 2);
      const dy = values(b * oh * ow * K, 3);
      const y = new Float32Array(b * oh * ow * K);
      const dx = new Float32Array(x.length);
      const dw = new Float32Array(w.length);
      const best = new Map<Mode, { fwd: number; dx: number; dw: number }>(modes.map((m) => [m, { fwd: Infinity, dx: Infinity, dw: Infinity }]));
      for (let r = 0; r <= rounds; r++) {
        for (const m of modes) {
          algo(m);
          const t0 = performance.now();
          addon.conv2d(x, w, y, null, g, false, threads);
          const t1 = performance.now();
          addon.conv2dBackpropInput(dy, w, dx, g, threads);
          const t2 = performance.now();
          addon.conv2dBackpropFilter(x, dy, dw, g, threads);
          const t3 = performance.now();
          const e = best.get(m);
          if (r > 0 && e !== undefined) { e.fwd = Math.min(e.fwd, t1 - t0); e.dx = Math.min(e.dx, t2 - t1); e.dw = Math.min(e.dw, t3 - t2); }
        }
      }
      const gemm = best.get('gemm') ?? { fwd: NaN, dx: NaN, dw: NaN };
      const gflop = (2 * b * oh * ow * C * K * kh * kw) / 1e9;
      const cells = modes.map((m) => {
        const e = best.get(m) ?? { fwd: NaN, dx: NaN, dw: NaN };
        total[m] = (total[m] ?? 0) + e.fwd + e.dx + e.dw;
        return `${m} fwd ${e.fwd.toFixed(1)} dx ${e.dx.toFixed(1)} dw ${e.dw.toFixed(1)} (${(gemm.fwd / e.fwd).toFixed(2)}×, ${(gemm.dx / e.dx).toFixed(2)}×, ${(gemm.dw / e.dw).toFixed(2)}×)`;
      });
      console.log(`${name}: ${cells.join(' | ')}; GEMM ${[gemm.fwd, gemm.dx, gemm.dw].map((t) => (gflop / t * 1e3).toFixed(0)).join(' / ')} GFLOP/s`);
    }
    const sum = (m: Mode): number => total[m] ?? NaN;
    console.log(`all four layers, fwd + dx + dw: gemm ${sum('gemm').toFixed(1)} ms, auto ${sum('auto').toFixed(1)} ms (${(sum('gemm') / sum('auto')).toFixed(2)}×)`);
  } finally {
    algo(before as Mode);
  }
}

main();
