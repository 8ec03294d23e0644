/**
 * Kernel micro-benchmark: forward and backward time of each layer of the AlexNet-227 and small
 * (32²/64²) layer stacks on the wasm backend, with images/s and GFLOP/s per layer type, so the
 * whole-model `bench:train` figures can be explained. Also times tfjs' stock wasm kernels
 * against rxtrain's replacements on the same shapes, side by side. With rxtrain's native addon
 * built, each stack runs twice back to back: `wasm+native` (the addon's GEMMs) and pure wasm.
 *
 *   npm run bench:kernels -- [--model alexnet|small32|small64|all|none] [--threads N] [--reps N] [--no-stock] [--native both|on|off]
 */
import * as tf from '@tensorflow/tfjs';
import { performance } from 'node:perf_hooks';
import { initBackend } from '../src/model/backend';
import { batchNormTrain } from '../src/model/batchNormTrain';
import { nativeKernelState, setNativeKernelsEnabled } from '../src/model/wasm/nativeKernels';
import { stockWasmKernel } from '../src/model/wasm/wasmKernelCall';

interface Conv { kind: 'conv'; name: string; k: number; stride: number; pad: number; cout: number; first: boolean }
interface Pool { kind: 'pool'; name: string }
interface Bn { kind: 'bn'; name: string }
interface Dense { kind: 'dense'; name: string; units: number }
type Layer = Conv | Pool | Bn | Dense;
interface Model { name: string; size: number; batch: number; layers: Layer[] }

function alexPattern(name: string, size: number, batch: number, first: [number, number, number], c: number[], fc: number, classes: number): Model {
  const conv = (n: string, k: number, s: number, p: number, cout: number, isFirst = false): Conv => ({ kind: 'conv', name: n, k, stride: s, pad: p, cout, first: isFirst });
  return {
    name, size, batch, layers: [
      conv('conv1', first[0], first[1], first[2], c[0], true), { kind: 'bn', name: 'bn1' }, { kind: 'pool', name: 'pool1' },
      conv('conv2', 5, 1, 2, c[1]), { kind: 'bn', name: 'bn2' }, { kind: 'pool', name: 'pool2' },
      conv('conv3', 3, 1, 1, c[2]), { kind: 'bn', name: 'bn3' },
      conv('conv4', 3, 1, 1, c[3]), { kind: 'bn', name: 'bn4' },
      conv('conv5', 3, 1, 1, c[4]), { kind: 'bn', name: 'bn5' }, { kind: 'pool', name: 'pool5' },
      { kind: 'dense', name: 'fc6', units: fc }, { kind: 'bn', name: 'bn6' },
      { kind: 'dense', name: 'fc7', units: fc }, { kind: 'bn', name: 'bn7' },
      { kind: 'dense', name: 'fc8', units: classes },
    ],
  };
}

const MODELS: Record<string, Model> = {
  alexnet: alexPattern('AlexNet-227 b16', 227, 16, [11, 4, 0], [96, 256, 384, 384, 256], 4096, 256),
  small32: alexPattern('small 32² b64', 32, 64, [5, 1, 2], [64, 192, 384, 256, 256], 1024, 10),
  small64: alexPattern('small 64² b64', 64, 64, [5, 1, 2], [64, 192, 384, 256, 256], 1024, 10),
};

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

/**
 * Fastest wall time (ms) of `reps` runs of f after one warm-up; every run's tensors are freed.
 * The minimum, not the median: on a shared machine noise only ever adds time.
 */
function time(reps: number, f: () => tf.TensorContainer): number {
  tf.dispose(tf.tidy(f));
  const t: number[] = [];
  for (let r = 0; r < reps; r++) {
    const s = performance.now();
    tf.tidy(() => { f(); });
    t.push(performance.now() - s);
  }
  return Math.min(...t);
}

interface Row { layer: string; kind: string; shape: string; fwdMs: number; bwdMs: number; gflopFwd: number; gflopBwd: number }

function benchModel(m: Model, reps: number): Row[] {
  const rows: Row[] = [];
  let shape = [m.batch, m.size, m.size, 3];
  for (const l of m.layers) {
    const x = tf.randomNormal(shape);
    let row: Row;
    if (l.kind === 'conv') {
      const cin = shape[3];
      const w = tf.randomNormal([l.k, l.k, cin, l.cout], 0, 0.05);
      const b = tf.zeros([l.cout]);
      const fwd = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor): tf.Tensor4D =>
        tf.fused.conv2d({ x: xi as tf.Tensor4D, filter: wi as tf.Tensor4D, strides: l.stride, pad: l.pad, bias: bi, activation: 'relu' });
      const y = fwd(x, w, b);
      const dy = tf.randomNormal(y.shape);
      const [, oh, ow] = y.shape;
      const flop = 2 * m.batch * oh * ow * l.k * l.k * cin * l.cout;
      const fwdMs = time(reps, () => fwd(x, w, b));
      // The first layer's input needs no gradient, as in training.
      const allMs = time(reps, () => l.first
        ? tf.grads((wi: tf.Tensor, bi: tf.Tensor) => fwd(x, wi, bi))([w, b], dy)
        : tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => fwd(xi, wi, bi))([x, w, b], dy));
      row = { layer: l.name, kind: `conv ${l.k}×${l.k}/${l.stride}`, shape: `${shape.slice(1).join('×')}→${y.shape.slice(1).join('×')}`, fwdMs, bwdMs: Math.max(0, allMs - fwdMs), gflopFwd: flop / 1e9, gflopBwd: (l.first ? 1 : 2) * flop / 1e9 };
      shape = y.shape;
      tf.dispose([w, b, y, dy]);
    } else if (l.kind === 'pool') {
      const y = tf.maxPool(x as tf.Tensor4D, 3, 2, 'valid');
      const dy = tf.randomNormal(y.shape);
      const fwdMs = time(reps, () => tf.maxPool(x as tf.Tensor4D, 3, 2, 'valid'));
      const allMs = time(reps, () => tf.grad((xi: tf.Tensor) => tf.maxPool(xi as tf.Tensor4D, 3, 2, 'valid'))(x, dy));
      row = { layer: l.name, kind: 'maxpool 3/2', shape: `${shape.slice(1).join('×')}→${y.shape.slice(1).join('×')}`, fwdMs, bwdMs: Math.max(0, allMs - fwdMs), gflopFwd: 0, gflopBwd: 0 };
      shape = y.shape;
      tf.dispose([y, dy]);
    } else if (l.kind === 'bn') {
      const c = shape[shape.length - 1];
      const g = tf.ones([c]) as tf.Tensor1D;
      const b = tf.zeros([c]) as tf.Tensor1D;
      const dy = tf.randomNormal(shape);
      const fwd = (xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor): tf.Tensor => {
        const { y, stats } = batchNormTrain(xi, gi as tf.Tensor1D, bi as tf.Tensor1D, 1e-5);
        tf.dispose([stats.mean, stats.variance]);
        return y;
      };
      const fwdMs = time(reps, () => fwd(x, g, b));
      const allMs = time(reps, () => tf.grads(fwd)([x, g, b], dy));
      row = { layer: l.name, kind: 'batchnorm', shape: shape.slice(1).join('×'), fwdMs, bwdMs: Math.max(0, allMs - fwdMs), gflopFwd: 0, gflopBwd: 0 };
      tf.dispose([g, b, dy]);
    } else {
      const flat = x.reshape([m.batch, -1]);
      const k = flat.shape[1] ?? 0;
      const w = tf.randomNormal([k, l.units], 0, 0.01);
      const b = tf.zeros([l.units]);
      const fwd = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor): tf.Tensor =>
        tf.fused.matMul({ a: xi as tf.Tensor2D, b: wi as tf.Tensor2D, bias: bi, activation: 'relu' });
      const dy = tf.randomNormal([m.batch, l.units]);
      const flop = 2 * m.batch * k * l.units;
      const fwdMs = time(reps, () => fwd(flat, w, b));
      const allMs = time(reps, () => tf.grads(fwd)([flat, w, b], dy));
      row = { layer: l.name, kind: 'dense', shape: `${k}→${l.units}`, fwdMs, bwdMs: Math.max(0, allMs - fwdMs), gflopFwd: flop / 1e9, gflopBwd: 2 * flop / 1e9 };
      shape = [m.batch, l.units];
      tf.dispose([flat, w, b, dy]);
    }
    rows.push(row);
    x.dispose();
  }
  return rows;
}

function fmt(n: number, d = 1): string {
  return n.toFixed(d).padStart(8);
}

function report(m: Model, rows: Row[], label: string): number {
  console.log(`\n## ${m.name} — ${label}`);
  console.log(`${'layer'.padEnd(7)}${'type'.padEnd(13)}${'shape'.padEnd(24)}  fwd ms  bwd ms fwd GF/s bwd GF/s`);
  for (const r of rows) {
    console.log(`${r.layer.padEnd(7)}${r.kind.padEnd(13)}${r.shape.padEnd(24)}${fmt(r.fwdMs)}${fmt(r.bwdMs)}${r.gflopFwd ? fmt(r.gflopFwd / r.fwdMs * 1e3) : '       -'}${r.gflopBwd ? fmt(r.gflopBwd / Math.max(r.bwdMs, 1e-3) * 1e3) : '       -'}`);
  }
  const byType = new Map<string, { ms: number; gflop: number }>();
  for (const r of rows) {
    const t = r.kind.split(' ')[0];
    const e = byType.get(t) ?? { ms: 0, gflop: 0 };
    e.ms += r.fwdMs + r.bwdMs;
    e.gflop += r.gflopFwd + r.gflopBwd;
    byType.set(t, e);
  }
  const total = rows.reduce((s, r) => s + r.fwdMs + r.bwdMs, 0);
  const gflop = rows.reduce((s, r) => s + r.gflopFwd + r.gflopBwd, 0);
  for (const [t, e] of byType) {
    console.log(`  ${t.padEnd(10)} ${fmt(e.ms, 0)} ms/step (${fmt(100 * e.ms / total, 0)} %)${e.gflop ? `  ${fmt(e.gflop / e.ms * 1e3)} GFLOP/s` : ''}`);
  }
  console.log(`  total      ${fmt(total, 0)} ms/step → ${(m.batch / total * 1e3).toFixed(2)} img/s (fwd+bwd of the layer stack, no optimizer), ${(gflop / total * 1e3).toFixed(1)} GFLOP/s`);
  return rows.filter((r) => r.kind.startsWith('conv')).reduce((s, r) => s + r.fwdMs + r.bwdMs, 0);
}

/** Times one kernel call with tfjs' stock wasm kernel and with rxtrain's, on the same inputs. */
function stockVsRxtrain(reps: number): void {
  console.log('\n## tfjs stock wasm kernel vs rxtrain replacement (same inputs, ms, fastest run)');
  const cases: { what: string; kernel: string; inputs: () => tf.NamedTensorMap; attrs: tf.NamedAttrMap }[] = [
    { what: 'Conv2DBackpropInput conv2 AlexNet (16×27×27×256 dy, 5×5×96×256)', kernel: 'Conv2DBackpropInput',
      inputs: () => ({ dy: tf.randomNormal([16, 27, 27, 256]), filter: tf.randomNormal([5, 5, 96, 256]) }),
      attrs: { strides: 1, pad: 2, dataFormat: 'NHWC', inputShape: [16, 27, 27, 96] } as unknown as tf.NamedAttrMap },
    { what: 'BatchMatMul dX = dY·Wᵀ fc6 AlexNet (16×4096 · (9216×4096)ᵀ)', kernel: 'BatchMatMul',
      inputs: () => ({ a: tf.randomNormal([1, 16, 4096]), b: tf.randomNormal([1, 9216, 4096]) }),
      attrs: { transposeA: false, transposeB: true } },
    { what: 'BatchMatMul dW = Xᵀ·dY fc6 AlexNet ((16×9216)ᵀ · 16×4096)', kernel: 'BatchMatMul',
      inputs: () => ({ a: tf.randomNormal([1, 16, 9216]), b: tf.randomNormal([1, 16, 4096]) }),
      attrs: { transposeA: true, transposeB: false } },
    { what: 'MaxPoolGrad pool1 AlexNet (16×55×55×96)', kernel: 'MaxPoolGrad',
      inputs: () => {
        const input = tf.randomNormal([16, 55, 55, 96]) as tf.Tensor4D;
        const output = tf.maxPool(input, 3, 2, 'valid');
        return { dy: tf.randomNormal(output.shape), input, output };
      },
      attrs: { filterSize: 3, strides: 2, pad: 'valid' } as unknown as tf.NamedAttrMap },
  ];
  for (const c of cases) {
    const inputs = c.inputs();
    const ours = time(reps, () => tf.engine().runKernel(c.kernel, inputs, c.attrs) as tf.Tensor);
    const mine = tf.getKernel(c.kernel, 'wasm');
    if (mine === undefined) throw new Error(`no wasm ${c.kernel}`);
    tf.unregisterKernel(c.kernel, 'wasm');
    tf.registerKernel(stockWasmKernel(c.kernel));
    let stock: number;
    try {
      stock = time(Math.min(reps, 3), () => tf.engine().runKernel(c.kernel, inputs, c.attrs) as tf.Tensor);
    } finally {
      tf.unregisterKernel(c.kernel, 'wasm');
      tf.registerKernel(mine);
    }
    console.log(`  ${c.what.padEnd(66)} stock ${fmt(stock)}  rxtrain ${fmt(ours)}  (${(stock / ours).toFixed(1)}×)`);
    tf.dispose(Object.values(inputs));
  }
}

async function main(): Promise<void> {
  const which = arg('model', 'all');
  const reps = Number(arg('reps', '5'));
  const threadsArg = arg('threads', '');
  const info = await initBackend({ prefer: 'wasm', threads: threadsArg === '' ? undefined : Number(threadsArg) });
  console.log(`# bench:kernels — backend ${info.name} (${info.package}), threads ${info.threads}, simd ${info.simd}; ${info.notes.filter((n) => n.startsWith('binary')).join('')}; fastest of ${reps} runs`);
  const names = which === 'all' ? Object.keys(MODELS) : which === 'none' ? [] : which.split(',');
  const mode = arg('native', 'both');
  const native = nativeKernelState();
  console.log(`# native addon: ${native.available ? `${native.kernel ?? '?'} GEMM` : `not available (${native.reason ?? ''})`}`);
  const paths = !native.available || mode === 'off' ? [false] : mode === 'on' ? [true] : [true, false];
  for (const n of names) {
    const m = MODELS[n];
    if (m === undefined) throw new Error(`unknown --model ${n} (expected ${Object.keys(MODELS).join(', ')} or all)`);
    const convMs: number[] = [];
    for (const on of paths) {
      setNativeKernelsEnabled(on);
      convMs.push(report(m, benchModel(m, reps), on ? 'wasm+native' : 'pure wasm (XNNPACK)'));
    }
    if (convMs.length === 2) console.log(`  conv layers: pure wasm ${convMs[1].toFixed(0)} ms / wasm+native ${convMs[0].toFixed(0)} ms = ${(convMs[1] / convMs[0]).toFixed(2)}×`);
  }
  // Stock tfjs vs rxtrain's pure-wasm replacements (the native path is compared above).
  setNativeKernelsEnabled(false);
  if (!process.argv.includes('--no-stock')) stockVsRxtrain(reps);
  const mem = tf.memory();
  console.log(`\nleft over: ${mem.numTensors} tensors`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
