import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/model/backend';
import { backendLabel } from '../../src/model/backendLabel';
import { createTrainer } from '../../src/model/createTrainer';
import type { NetworkSpec } from '../../src/model/NetworkSpec';
import type { Trainer, TrainerState } from '../../src/model/Trainer';
import { keepBackend } from '../fixtures/keepBackend';
import { tinyAlexNet } from './tinySpec';

function batch(n: number, seed: number, classes = 3): { xs: tf.Tensor4D; ys: tf.Tensor1D } {
  return tf.tidy(() => ({
    xs: tf.randomNormal([n, 16, 16, 1], 0, 1, 'float32', seed) as tf.Tensor4D,
    ys: tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 7 + seed) % classes), 'int32'),
  }));
}

function assertStatesEqual(a: TrainerState, b: TrainerState): void {
  assert.deepEqual(a.weights.map((w) => w.name), b.weights.map((w) => w.name));
  a.weights.forEach((w, i) => assert.deepEqual(w.data, b.weights[i].data, w.name));
  a.optimizer.forEach((w, i) => assert.deepEqual(w.data, b.optimizer[i].data, w.name));
}

describe('createTrainer (one replica, cpu)', () => {
  let trainers: Trainer[] = [];
  const make = async (seed = 1, spec: NetworkSpec = tinyAlexNet()): Promise<Trainer> => {
    const t = await createTrainer({ model: spec, backend: 'cpu', seed });
    trainers.push(t);
    return t;
  };
  before(async () => {
    await initBackend({ prefer: 'cpu' });
  });
  afterEach(async () => {
    await Promise.all(trainers.map((t) => t.dispose()));
    trainers = [];
  });

  it('steps without leaking tensors and reports loss and accuracy', async () => {
    const t = await make();
    assert.equal(t.backend, 'cpu');
    assert.equal(t.replicas, 1);
    assert.equal(t.threads, 1, 'the cpu backend computes on one thread');
    const { xs, ys } = batch(8, 1);
    await t.step(xs, ys, 0);
    const before = tf.memory().numTensors;
    for (let s = 1; s < 4; s++) {
      const r = await t.step(xs, ys, s);
      assert.ok(Number.isFinite(r.loss) && r.loss > 0);
      assert.ok(r.accuracy >= 0 && r.accuracy <= 1 && Number.isInteger(r.accuracy * 8));
      assert.equal(tf.memory().numTensors, before);
    }
    await t.evaluate(xs, ys);
    (await t.predict(xs)).dispose();
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([xs, ys]);
  });

  it('matches PyTorch numerics: 3 steps of SGD Nesterov + weight decay through conv/ReLU/BN/pool/dense', async () => {
    /*
     * Golden values from PyTorch 1.13 in float64 (/usr/bin/python3):
     *   net = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(3), nn.MaxPool2d(3, 2), nn.Flatten(),
     *                       nn.Linear(3, 4), nn.ReLU(), nn.BatchNorm1d(4), nn.Linear(4, 3), nn.LogSoftmax(dim=1))
     *   for j, p in enumerate(net.parameters()): p.copy_(tensor([0.5 * sin(0.7 * k + j) for k in range(p.numel())]).view_as(p))
     *   x = tensor([sin(1.3 * i) for i in range(4 * 2 * 4 * 4)]).view(4, 2, 4, 4); y = tensor([0, 2, 1, 2])
     *   opt = SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)
     *   3 × (zero_grad; loss = NLLLoss()(net(x), y); backward; step)  → losses, parameters, running stats
     *   net.eval(); net(tensor([cos(0.9 * i) for i in range(2 * 2 * 4 * 4)]).view(2, 2, 4, 4))  → inference log-probabilities
     */
    const golden = {
      losses: [1.0548407856576856, 1.0103956464869837, 0.9361475560818397],
      params: [
        [-0.0909879, 0.3300987, 0.5092959, 0.3466323, 0.1597001, -0.1541066, -0.4202134, -0.5061353, -0.3158143, 0.0847988, 0.3359005, 0.4724843, 0.3994446, 0.1751421, -0.1782773, -0.5341687, -0.4768903, -0.2833994, -0.0062622, 0.3333098, 0.4999372, 0.4004261, 0.1459788, -0.1832512, -0.4365986, -0.490435, -0.3030821, 0.0431409, 0.3443, 0.487334, 0.4076871, 0.1476804, -0.1941873, -0.4680694, -0.481085, -0.2841854, 0.0342852, 0.3458112, 0.4925651, 0.4099653, 0.1365267, -0.2030668, -0.4495023, -0.4798066, -0.2840227, 0.0424777, 0.3484229, 0.4925372, 0.4073083, 0.1262627, -0.2146832, -0.450048, -0.4756481, -0.2798435],
        [0.4091112, 0.4881243, 0.3400885], [0.5085699, 0.2788999, -0.154164], [0.0950426, -0.229905, -0.4468164],
        [-0.3753608, -0.4959444, -0.3832776, -0.0903494, 0.2450716, 0.4652315, 0.4686077, 0.2442171, -0.0882216, -0.45138, -0.5084614, -0.3552187],
        [-0.4756096, -0.2731304, 0.0578064, 0.2957237], [-0.1385852, 0.2007985, 0.5441595, 0.5741081], [0.2698271, 0.4734952, 0.4532545, 0.2239145],
        [0.4370814, 0.2458351, -0.0163863, -0.3982291, -0.4700076, -0.4086502, -0.2671916, 0.3094562, 0.4632326, 0.5468489, 0.440722, -0.05488],
        [0.0347924, -0.0825547, -0.29321],
      ],
      running: [[0.1354893, 0.1508969, 0.1170439], [0.7845482, 0.7844941, 0.7754692], [0, 0, 0.1608286, 0.0112213], [0.729, 0.729, 0.7337465, 0.7303051]],
      // Inference normalises with the running statistics (unbiased variance, ε inside the root):
      // what validation and `rxtrain evaluate` compute.
      inference: [[-1.0227164, -1.6120206, -0.8189392], [-1.027494, -1.751302, -0.7581137]],
    };
    const spec: NetworkSpec = {
      name: 'golden', inputShape: [4, 4, 2], numClasses: 3, layers: [
        { kind: 'conv', name: 'conv1', filters: 3, kernel: 3, stride: 1, pad: 1 }, { kind: 'relu' }, { kind: 'batchNorm', name: 'bn1' },
        { kind: 'maxPool', size: 3, stride: 2 }, { kind: 'flatten' },
        { kind: 'dense', name: 'fc1', units: 4 }, { kind: 'relu' }, { kind: 'batchNorm', name: 'bn2' },
        { kind: 'dense', name: 'fc2', units: 3 }, { kind: 'logSoftmax' },
      ],
    };
    const t = await createTrainer({ model: spec, backend: 'cpu', optimizer: { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 } });
    trainers.push(t);
    // PyTorch layouts → ours: conv [out, in, kh, kw] → [kh, kw, in, out]; linear [out, in] → [in, out].
    const toTf = (shape: readonly number[], torch: (k: number) => number): Float32Array => {
      const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
      if (shape.length === 4) {
        const [kh, kw, ci, co] = shape;
        for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) {
          out[((a * kw + b) * ci + i) * co + o] = torch(((o * ci + i) * kh + a) * kw + b);
        }
      } else if (shape.length === 2) {
        const [ci, co] = shape;
        for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) out[i * co + o] = torch(o * ci + i);
      } else {
        for (let k = 0; k < out.length; k++) out[k] = torch(k);
      }
      return out;
    };
    const init = await t.getState();
    const trainable = init.weights.filter((w) => !w.name.includes('/moving'));
    await t.setState({
      optimizer: init.optimizer,
      weights: init.weights.map((w) => {
        const j = trainable.indexOf(w);
        return j < 0 ? w : { ...w, data: toTf(w.shape, (k) => 0.5 * Math.sin(0.7 * k + j)) };
      }),
    });
    const xs = tf.tidy(() => tf.transpose(tf.tensor4d(Array.from({ length: 128 }, (_, i) => Math.sin(1.3 * i)), [4, 2, 4, 4]), [0, 2, 3, 1])) as tf.Tensor4D;
    const ys = tf.tensor1d([0, 2, 1, 2], 'int32');
    for (let s = 0; s < 3; s++) {
      const { loss } = await t.step(xs, ys, s);
      assert.ok(Math.abs(loss - golden.losses[s]) < 1e-5, `step ${s}: loss ${loss} vs PyTorch ${golden.losses[s]}`);
    }
    const final = await t.getState();
    const close = (name: string, got: Float32Array, want: Float32Array): void => {
      got.forEach((v, k) => assert.ok(Math.abs(v - want[k]) < 2e-5, `${name}[${k}] = ${v}, PyTorch ${want[k]}`));
    };
    final.weights.filter((w) => !w.name.includes('/moving')).forEach((w, j) => close(w.name, w.data, toTf(w.shape, (k) => golden.params[j][k])));
    final.weights.filter((w) => w.name.includes('/moving')).forEach((w, j) => close(w.name, w.data, Float32Array.from(golden.running[j])));
    const xv = tf.tidy(() => tf.transpose(tf.tensor4d(Array.from({ length: 64 }, (_, i) => Math.cos(0.9 * i)), [2, 2, 4, 4]), [0, 2, 3, 1])) as tf.Tensor4D;
    const logProbs = await t.predict(xv);
    close('inference', (await logProbs.data()) as Float32Array, Float32Array.from(golden.inference.flat()));
    tf.dispose([xs, ys, xv, logProbs]);
  });

  it('same weights, batch and seed give the same update; the seed drives dropout', async () => {
    const [a, b, c] = [await make(5), await make(5), await make(5)];
    const { xs, ys } = batch(8, 2);
    const ra = await a.step(xs, ys, 42);
    const rb = await b.step(xs, ys, 42);
    await c.step(xs, ys, 43);
    assert.deepEqual(ra, rb);
    assertStatesEqual(await a.getState(), await b.getState());
    const fc = (s: TrainerState): Float32Array => s.weights.find((w) => w.name === 'fc1/kernel')?.data ?? new Float32Array();
    assert.notDeepEqual(fc(await a.getState()), fc(await c.getState()));
    tf.dispose([xs, ys]);
  });

  it('getState/setState round-trip exactly: a restored trainer continues bit-identically', async () => {
    const a = await make(7);
    const { xs, ys } = batch(8, 4);
    await a.step(xs, ys, 1);
    await a.step(xs, ys, 2);
    const saved = await a.getState();
    assert.ok(saved.weights.some((w) => w.name === 'bn1/movingMean') && saved.weights.some((w) => w.name === 'bn7/movingVariance'));
    assert.ok(saved.optimizer.every((s) => s.name.endsWith('/momentum')));
    assert.ok(saved.optimizer.some((s) => s.data.some((v) => v !== 0)), 'momentum slots are saved');
    assert.deepEqual(await a.getWeights(), saved.weights, 'getWeights is the weights part of the state');
    const b = await make(99);
    await b.setState(saved);
    assertStatesEqual(await b.getState(), saved);
    const ra = await a.step(xs, ys, 3);
    const rb = await b.step(xs, ys, 3);
    assert.deepEqual(rb, ra);
    assertStatesEqual(await b.getState(), await a.getState());
    tf.dispose([xs, ys]);
  });

  it('setState rejects a state of another model and leaves the trainer untouched', async () => {
    const a = await make(1);
    const other = await make(1, tinyAlexNet(5));
    const before = await a.getState();
    await assert.rejects(a.setState(await other.getState()), /fc3\/kernel has shape \[16, 5\].*needs \[16, 3\]/);
    await assert.rejects(a.setState({ weights: before.weights.slice(1), optimizer: before.optimizer }), /weights state lacks conv1\/kernel/);
    assertStatesEqual(await a.getState(), before);
  });

  it('evaluate and predict agree and use inference mode (deterministic)', async () => {
    const t = await make(3);
    const { xs, ys } = batch(6, 5);
    await t.step(xs, ys, 1);
    const e1 = await t.evaluate(xs, ys);
    const e2 = await t.evaluate(xs, ys);
    assert.deepEqual(e1, e2);
    assert.equal(e1.count, 6);
    const logp = await t.predict(xs);
    const expected = tf.tidy(() => tf.neg(tf.sum(tf.mul(tf.oneHot(ys, 3), logp))).dataSync()[0]);
    logp.dispose();
    assert.ok(Math.abs(expected - e1.lossSum) < 1e-4);
    tf.dispose([xs, ys]);
  });

  it('setLearningRate changes the update size', async () => {
    const [a, b] = [await make(4), await make(4)];
    b.setLearningRate(0.001);
    const { xs, ys } = batch(8, 6);
    const w0 = (await a.getState()).weights[0].data;
    await a.step(xs, ys, 1);
    await b.step(xs, ys, 1);
    const delta = (s: TrainerState): number => s.weights[0].data.reduce((m, v, i) => Math.max(m, Math.abs(v - w0[i])), 0);
    const da = delta(await a.getState());
    const db = delta(await b.getState());
    assert.ok(Math.abs(da / db - 10) < 0.01, `lr 0.01 vs 0.001 gave steps ${da} and ${db}`);
    assert.throws(() => a.setLearningRate(-1), /positive/);
    tf.dispose([xs, ys]);
  });

  it('rejects bad batches and options with clear errors', async () => {
    const t = await make();
    const { xs, ys } = batch(4, 1);
    await assert.rejects(t.step(xs, tf.tensor1d([0, 1, 2, 3], 'int32'), 1), /label 3 of image 3 is not a class index in \[0, 3\)/);
    await assert.rejects(t.step(tf.zeros([4, 8, 8, 1]), ys, 1), /expects images \[batch, 16, 16, 1\]/);
    // Grey model, RGB batches (grey PNGs decode to RGB unless asked otherwise): what to change, on either side.
    await assert.rejects(t.step(tf.zeros([4, 16, 16, 3]), ys, 1), {
      message: 'tiny expects images [batch, 16, 16, 1] (NHWC), got [4, 16, 16, 3]: the batches have 3 channels and the model 1; give the model inputShape [16, 16, 3], '
        + "or the batches 1 (createImageDataset's channels: 1, with images decoded to 1: the channels option of fileStore and decode)",
    });
    await assert.rejects(t.step(tf.zeros([4, 8, 8, 1]), ys, 1), /: the batches are 8x8 and the model takes 16x16; give the model inputShape \[8, 8, 1\], or the dataset augment.crop 16$/);
    await assert.rejects(t.step(tf.zeros([1, 16, 16, 1]), tf.tensor1d([0], 'int32'), 1), /at least 2 images/);
    await assert.rejects(t.step(xs, tf.tensor1d([0, 1], 'int32'), 1), /1-D tensor of 4 class indices/);
    await assert.rejects(createTrainer({ model: 'small', backend: 'cpu' }), /numClasses is required/);
    await assert.rejects(createTrainer({ model: tinyAlexNet(), backend: 'cpu', optimizer: { momentum: 1 } }), /momentum must be in \[0, 1\)/);
    await assert.rejects(createTrainer({ model: tinyAlexNet(), backend: 'cpu', replicas: 0 }), /replicas must be a positive integer/);
    await t.dispose();
    await assert.rejects(t.step(xs, ys, 1), /disposed/);
    tf.dispose([xs, ys]);
  });
});

describe("createTrainer({ backend: 'auto' })", function () {
  // The second case loads the wasm backend: a few seconds on a busy machine.
  this.timeout(120000);
  keepBackend();

  it('keeps the backend the caller set up with initBackend in this thread', async () => {
    await initBackend({ prefer: 'cpu' });
    const t = await createTrainer({ model: tinyAlexNet(), seed: 1 });
    try {
      assert.equal(t.backend, 'cpu');
      assert.equal(t.threads, 1);
      assert.equal(tf.getBackend(), 'cpu');
    } finally {
      await t.dispose();
    }
  });

  it('resolves as initBackend does when tfjs was switched off that backend since (not an initBackend choice)', async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
    await tf.setBackend('cpu');
    const t = await createTrainer({ model: tinyAlexNet(), seed: 1 });
    try {
      assert.equal(t.backend, backendLabel(await initBackend()));
    } finally {
      await t.dispose();
    }
  });
});
