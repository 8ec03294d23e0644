import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { initBackend, initialisedBackend, type BackendInfo } from '../../src/model/backend';
import { assertClose, values } from './wasm/compareBackends';
import { convnetSteps } from './wasm/convnetSteps';
import { withEnv } from '../fixtures/withEnv';

function installed(pkg: string): boolean {
  try {
    createRequire(__filename).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

const noNative = !installed('@tensorflow/tfjs-node') && !installed('@tensorflow/tfjs-node-gpu');

describe('initBackend', () => {
  afterEach(async () => { await initBackend({ prefer: 'wasm' }); });

  it('wasm: reports package, SIMD, threads and the training kernels it registered', async () => {
    const info = await initBackend({ prefer: 'wasm' });
    assert.equal(info.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.equal(info.package, '@tensorflow/tfjs-backend-wasm');
    assert.equal(info.simd, true);
    assert.ok(info.threads >= 1);
    assert.ok(info.notes.some((n) => n.includes('Conv2DBackpropFilter')), info.notes.join('; '));
    assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined);
  });

  it('initialisedBackend: what the latest call set up, until tfjs is switched off it', async () => {
    await initBackend({ prefer: 'wasm' });
    const cpu = await initBackend({ prefer: 'cpu' });
    assert.equal(initialisedBackend(), cpu);
    await tf.setBackend('wasm');
    assert.equal(initialisedBackend(), undefined);
  });

  it('auto: picks tfjs-node when installed, else falls through to wasm and says why', async () => {
    const info = await withEnv({ RXTRAIN_BACKEND: undefined }, () => initBackend());
    if (!noNative) {
      assert.equal(info.name, 'tensorflow');
      return;
    }
    assert.equal(info.name, 'wasm');
    assert.deepEqual(info.attempts.map((a) => a.package), ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
    assert.ok(info.attempts.every((a) => a.error.length > 0));
  });

  it('a forced backend that cannot load throws a clear error instead of falling back', async () => {
    if (!noNative) {
      assert.equal((await initBackend({ prefer: 'tensorflow' })).name, 'tensorflow');
      return;
    }
    await assert.rejects(initBackend({ prefer: 'tensorflow' }), /backend "tensorflow" was requested.*\n.*tfjs-node-gpu/);
  });

  it('a missing tfjs-node says which setting asked for it and how to install it', async () => {
    if (!noNative) return;
    await assert.rejects(initBackend({ prefer: 'tensorflow', preferSource: '--backend' }), (e: Error) => {
      assert.match(e.message, /^backend "tensorflow" was requested \(--backend\)/);
      assert.match(e.message, /@tensorflow\/tfjs-node: Cannot find module .*npm install-scripts approve @tensorflow\/tfjs-node\b.*npm install @tensorflow\/tfjs-node`/);
      assert.match(e.message, /@tensorflow\/tfjs-node-gpu: .*CUDA 11\.2/);
      return true;
    });
    await withEnv({ RXTRAIN_BACKEND: 'tensorflow' }, () => assert.rejects(initBackend({ prefer: 'auto', preferSource: '--backend' }), /requested \(RXTRAIN_BACKEND\)/));
  });

  it('RXTRAIN_BACKEND selects the backend; opts win over it; bad values are rejected', async () => {
    const cpu: BackendInfo = await withEnv({ RXTRAIN_BACKEND: 'cpu' }, () => initBackend());
    assert.equal(cpu.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    const wasm = await withEnv({ RXTRAIN_BACKEND: 'cpu' }, () => initBackend({ prefer: 'wasm' }));
    assert.equal(wasm.name, 'wasm');
    // 'auto' (the default of the CLI's --backend and of createTrainer) is no preference.
    const auto = await withEnv({ RXTRAIN_BACKEND: 'cpu' }, () => initBackend({ prefer: 'auto' }));
    assert.equal(auto.name, 'cpu');
    await withEnv({ RXTRAIN_BACKEND: 'webgpu' }, () => assert.rejects(initBackend(), /^Error: RXTRAIN_BACKEND="webgpu" in the environment: expected auto, tensorflow, wasm or cpu/));
    await withEnv({ RXTRAIN_THREADS: '-2' }, () => assert.rejects(initBackend({ prefer: 'wasm' }), /^Error: RXTRAIN_THREADS="-2" in the environment: expected a positive integer/));
    await withEnv({ RXTRAIN_THREADS: '-2' }, async () => assert.equal((await initBackend({ prefer: 'wasm', threads: 1 })).name, 'wasm', 'threads given: the variable is not read'));
    await assert.rejects(initBackend({ prefer: 'wasm', threads: 0 }), /threads must be a positive integer/);
  });

  it('on cpu, leaves out tfjs\'s "Hi, looks like you are running TensorFlow.js in Node.js" banner (a fresh tfjs, in a worker)', async function () {
    this.timeout(60000);
    const backendTs = path.resolve(__dirname, '../../src/model/backend.ts');
    const code = `
      require('tsx/cjs');
      const { parentPort } = require('node:worker_threads');
      const warnings = [];
      console.warn = (...a) => warnings.push(a.join(' '));
      const tf = require('@tensorflow/tfjs');
      const { initBackend } = require(${JSON.stringify(backendTs)});
      initBackend({ prefer: 'cpu' }).then(async (info) => {
        const x = tf.ones([2, 2]);
        await x.data();
        parentPort.postMessage({ name: info.name, warnings });
      }, (e) => parentPort.postMessage({ error: String(e) }));`;
    const worker = new Worker(code, { eval: true });
    const msg = await new Promise<{ name?: string; warnings?: string[]; error?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    assert.equal(msg.error, undefined);
    assert.equal(msg.name, 'cpu');
    assert.deepEqual(msg.warnings?.filter((w) => /looks like you are running TensorFlow\.js in Node/.test(w)), []);
  });

  // npm 11 holding back tfjs-node(-gpu)'s install scripts leaves both packages without their
  // libtensorflow binding: each registers its kernels, then throws. Runs `after` (worker code
  // with `initBackend` in scope) in a fresh tfjs where both packages are such fakes.
  async function withBindinglessTfjsNode(after: string): Promise<{ name?: string; attempts?: string[]; warnings?: string[]; forced?: string; error?: string }> {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rxtrain-fake-tfjs-node-'));
    try {
      const fakes: Record<string, string> = {};
      for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
        const file = path.join(dir, `${pkg.split('/')[1]}.js`);
        await fsp.writeFile(file, `
          const tf = require(${JSON.stringify(require.resolve('@tensorflow/tfjs'))});
          for (const kernelName of ['Add', 'Conv2D', 'Relu']) tf.registerKernel({ kernelName, backendName: 'tensorflow', kernelFunc: () => null });
          throw new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: ${pkg}/lib/napi-v8/tfjs_binding.node.');`);
        fakes[pkg] = file;
      }
      const backendTs = path.resolve(__dirname, '../../src/model/backend.ts');
      const code = `
        require('tsx/cjs');
        const Module = require('node:module');
        const fakes = ${JSON.stringify(fakes)};
        const resolve = Module._resolveFilename;
        Module._resolveFilename = function (request, ...rest) { return fakes[request] ?? resolve.call(this, request, ...rest); };
        const { parentPort } = require('node:worker_threads');
        const warnings = [];
        console.warn = (...a) => warnings.push(a.join(' '));
        const { initBackend } = require(${JSON.stringify(backendTs)});
        (async () => { ${after} })().then((m) => parentPort.postMessage({ ...m, warnings }), (e) => parentPort.postMessage({ error: String(e) }));`;
      const worker = new Worker(code, { eval: true });
      const msg = await new Promise<{ name?: string; attempts?: string[]; warnings?: string[]; forced?: string; error?: string }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      await worker.terminate();
      return msg;
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }

  it('a tfjs-node-gpu and tfjs-node that fail after registering their kernels fall through to wasm without "already registered" warnings (a fresh tfjs, in a worker)', async function () {
    this.timeout(60000);
    const msg = await withBindinglessTfjsNode('const info = await initBackend(); return { name: info.name, attempts: info.attempts.map((a) => a.package) };');
    assert.equal(msg.error, undefined);
    assert.equal(msg.name, 'wasm');
    assert.deepEqual(msg.attempts, ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
    assert.deepEqual(msg.warnings?.filter((w) => /already registered/.test(w)), []);
  });

  it('a tfjs-node installed without its binding, when forced, says to approve its install script and rebuild it', async function () {
    this.timeout(60000);
    const msg = await withBindinglessTfjsNode(`
      try { await initBackend({ prefer: 'tensorflow', preferSource: '--backend' }); } catch (e) { return { forced: e.message }; }
      return {};`);
    assert.equal(msg.error, undefined);
    assert.match(msg.forced ?? '', /@tensorflow\/tfjs-node: The Node\.js native addon module \(tfjs_binding\.node\) can not be found.*npm install-scripts approve @tensorflow\/tfjs-node\b.*then `npm rebuild @tensorflow\/tfjs-node`/);
    assert.match(msg.forced ?? '', /@tensorflow\/tfjs-node-gpu: .*CUDA 11\.2.*npm rebuild @tensorflow\/tfjs-node-gpu/);
  });

  it('works inside a worker_thread (own tfjs, one thread by default) and trains a conv layer there', async function () {
    this.timeout(120000);
    const backendTs = path.resolve(__dirname, '../../src/model/backend.ts');
    const code = `
      require('tsx/cjs');
      const { parentPort } = require('node:worker_threads');
      const tf = require('@tensorflow/tfjs');
      const { initBackend } = require(${JSON.stringify(backendTs)});
      initBackend({ prefer: 'wasm' }).then(async (info) => {
        const x = tf.ones([1, 5, 5, 2]);
        const g = tf.grad((w) => tf.conv2d(x, w, 1, 'same').sum())(tf.ones([3, 3, 2, 1]));
        parentPort.postMessage({ info, grad: Array.from(await g.data()) });
      }, (e) => parentPort.postMessage({ error: String(e) }));`;
    const worker = new Worker(code, { eval: true });
    const msg = await new Promise<{ info?: BackendInfo; grad?: number[]; error?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    assert.equal(msg.error, undefined);
    assert.equal(msg.info?.name, 'wasm');
    assert.equal(msg.info?.threads, 1);
    // Each tap of a 3×3 'same' conv over a 5×5 ones image sees 4·4, 4·5 or 5·5 pixels.
    assert.deepEqual(msg.grad?.slice(0, 6), [16, 16, 20, 20, 16, 16]);
  });
});

describe('initBackend after tfjs started its own wasm backend', () => {
  it('keeps the tensors made after tf.ready(): the backend holding them is kept, with one thread and a note', async function () {
    this.timeout(120000);
    const backendTs = path.resolve(__dirname, '../../src/model/backend.ts');
    // A worker has a tfjs of its own, still untouched by rxtrain: what a user's program starts with.
    const code = `
      require('tsx/cjs');
      const { parentPort } = require('node:worker_threads');
      const tf = require('@tensorflow/tfjs');
      require('@tensorflow/tfjs-backend-wasm');
      const { initBackend } = require(${JSON.stringify(backendTs)});
      (async () => {
        await tf.setBackend('wasm');
        await tf.ready();
        const kept = tf.tensor1d([1, 2, 3]);
        const info = await initBackend({ prefer: 'wasm', threads: 2 });
        const g = tf.grad((w) => tf.conv2d(tf.ones([1, 5, 5, 2]), w, 1, 'same').sum())(tf.ones([3, 3, 2, 1]));
        parentPort.postMessage({ info, kept: Array.from(await kept.data()), grad: Array.from(await g.data()).slice(0, 3) });
      })().catch((e) => parentPort.postMessage({ error: String(e) }));`;
    const worker = new Worker(code, { eval: true });
    const msg = await new Promise<{ info?: BackendInfo; kept?: number[]; grad?: number[]; error?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    assert.equal(msg.error, undefined);
    assert.deepEqual(msg.kept, [1, 2, 3]);
    assert.equal(msg.info?.name, 'wasm');
    assert.equal(msg.info?.threads, 1);
    assert.ok(msg.info?.notes.some((n) => n.startsWith("tfjs' wasm backend was already started (tf.ready() or tf.setBackend('wasm')) and holds 1 tensor,")), msg.info?.notes.join('\n'));
    assert.deepEqual(msg.grad, [16, 16, 20]); // the training kernels are there on the kept backend
  });
});

async function trainConvnet(backend: 'cpu' | 'wasm', steps: number): Promise<number[]> {
  if (backend === 'wasm') await initBackend({ prefer: 'wasm' });
  else await tf.setBackend('cpu');
  const { losses } = await convnetSteps({ size: 17, stride: 2, filters: 8, pooled: 4, seed: 51, scale: { conv: 0.3, conv2: 0.2, dense: 0.1 }, steps });
  return losses;
}

describe('training on wasm matches cpu', () => {
  it('conv+BN+pool+dense, log-softmax NLL, SGD Nesterov: same 5 losses from the same weights', async () => {
    const cpu = await trainConvnet('cpu', 5);
    const wasm = await trainConvnet('wasm', 5);
    assert.ok(cpu[4] < cpu[0], `loss should fall on cpu: ${cpu.join(', ')}`);
    // Float32 summation order differs per kernel; after 5 updates losses agree to 1e-3 relative.
    assertClose(Float32Array.from(wasm), Float32Array.from(cpu), 1e-3, `losses (cpu ${cpu.join(', ')})`);
  });

  it('tfjs-layers conv2d/batchNormalization/maxPooling2d/dropout/dense model: same training losses and inference outputs', async () => {
    const build = (): tf.LayersModel => {
      const m = tf.sequential({ layers: [
        tf.layers.conv2d({ inputShape: [12, 12, 3], filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: 'glorotNormal', name: 'c' }),
        tf.layers.batchNormalization({ name: 'bn' }),
        tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }),
        tf.layers.dropout({ rate: 0 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 5, activation: 'softmax', name: 'd' }),
      ] });
      m.compile({ optimizer: tf.train.momentum(0.05, 0.9, true), loss: 'sparseCategoricalCrossentropy' });
      return m;
    };
    const run = async (backend: 'cpu' | 'wasm', weights?: tf.Tensor[]): Promise<{ losses: number[]; out: Float32Array; weights: tf.Tensor[] }> => {
      if (backend === 'wasm') await initBackend({ prefer: 'wasm' });
      else await tf.setBackend('cpu');
      const model = build();
      if (weights) model.setWeights(weights.map((w) => tf.tensor(w.dataSync(), w.shape)));
      const initial = model.getWeights().map((w) => tf.tensor(w.dataSync(), w.shape));
      const x = tf.tensor4d(values(6 * 12 * 12 * 3, 71), [6, 12, 12, 3]);
      const y = tf.tensor2d([0, 1, 2, 3, 4, 0], [6, 1]);
      const losses: number[] = [];
      for (let s = 0; s < 4; s++) losses.push(Number(await model.trainOnBatch(x, y)));
      const pred = model.predict(x) as tf.Tensor;
      const out = Float32Array.from(await pred.data());
      tf.dispose([x, y, pred]);
      model.dispose();
      return { losses, out, weights: initial };
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm', cpu.weights);
    tf.dispose(cpu.weights);
    tf.dispose(wasm.weights);
    assertClose(Float32Array.from(wasm.losses), Float32Array.from(cpu.losses), 1e-3, `losses (cpu ${cpu.losses.join(', ')})`);
    assertClose(wasm.out, cpu.out, 1e-3, 'inference softmax (moving statistics)');
  });
});
