import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { alexNet } from '../../src/model/alexNet';
import { initBackend } from '../../src/model/backend';
import { layersModelArtifacts, LayersExportError, type LayersExportMetadata } from '../../src/model/layersModelArtifacts';
import { buildNetwork, type Network } from '../../src/model/Network';
import type { NetworkSpec } from '../../src/model/NetworkSpec';
import { smallAlexNet } from '../../src/model/smallAlexNet';
import type { TrainerState } from '../../src/model/Trainer';
import { keepBackend } from '../fixtures/keepBackend';

/**
 * A network with seeded weights whose BatchNorm parameters and moving statistics are random
 * too (fresh ones are γ 1, β 0, mean 0, variance 1, under which a BatchNorm mistake hides); some
 * variances are small (down to 0.05), so that an epsilon other than 1e-5 shows. Wider ranges
 * compound over the layers into saturated probabilities, which compare nothing.
 */
function randomNetwork(spec: NetworkSpec, seed: number): Network {
  const net = buildNetwork(spec, { seed });
  let s = seed * 100;
  const vars = new Map(net.trainable.map((v) => [v.name, v.variable]));
  tf.tidy(() => {
    for (const m of net.moving) {
      const [c] = m.mean.shape;
      m.mean.assign(tf.randomNormal([c], 0, 0.2, 'float32', ++s));
      m.variance.assign(tf.randomUniform([c], 0.05, 2, 'float32', ++s));
      vars.get(`${m.name}/gamma`)?.assign(tf.randomUniform([c], 0.8, 1.2, 'float32', ++s));
      vars.get(`${m.name}/beta`)?.assign(tf.randomNormal([c], 0, 0.1, 'float32', ++s));
    }
  });
  return net;
}

/** The network's weights by name, as a checkpoint holds them. */
async function weightsOf(net: Network): Promise<TrainerState['weights']> {
  const vars = [...net.trainable, ...net.moving.flatMap((m) => [{ name: `${m.name}/movingMean`, variable: m.mean }, { name: `${m.name}/movingVariance`, variable: m.variance }])];
  return Promise.all(vars.map(async (v) => ({ name: v.name, shape: [...v.variable.shape], data: new Float32Array((await v.variable.data()) as Float32Array) })));
}

/**
 * Largest difference between rxtrain's probabilities (exp of forwardEval) and the loaded
 * export's, and between rxtrain's log-probabilities and the log-softmax of the export's logits
 * (the layer before its softmax), which also compares classes whose probability rounds to 0.
 */
async function compare(net: Network, artifacts: tf.io.ModelArtifacts, x: tf.Tensor4D): Promise<{ prob: number; logProb: number; maxProb: number }> {
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  try {
    const logits = tf.model({ inputs: model.inputs, outputs: model.layers[model.layers.length - 2].output as tf.SymbolicTensor });
    const [prob, logProb, maxProb] = tf.tidy(() => {
      const want = net.forwardEval(x);
      const got = model.predict(x) as tf.Tensor2D;
      const gotLog = tf.logSoftmax(logits.predict(x) as tf.Tensor2D);
      return [tf.max(tf.abs(tf.sub(tf.exp(want), got))), tf.max(tf.abs(tf.sub(want, gotLog))), tf.max(tf.exp(want))];
    });
    const out = { prob: (await prob.data())[0], logProb: (await logProb.data())[0], maxProb: (await maxProb.data())[0] };
    tf.dispose([prob, logProb, maxProb]);
    return out;
  } finally {
    model.dispose();
  }
}

// Float32 through partly different kernels (softmax vs log-softmax, fused or separate
// activations): measured differences are below 1e-7. An epsilon of 1e-3 instead of 1e-5 shows
// as 1e-4 to 1e-2, swapped γ/β or NCHW flatten order as 0.1 and more.
const PROB_TOLERANCE = 1e-5;
const LOG_PROB_TOLERANCE = 1e-4;

async function roundTrip(spec: NetworkSpec, seed: number, batch: number): Promise<void> {
  const net = randomNetwork(spec, seed);
  const x = tf.randomNormal([batch, ...spec.inputShape], 0, 1, 'float32', seed) as tf.Tensor4D;
  try {
    const before = tf.memory().numTensors;
    const r = await compare(net, layersModelArtifacts(spec, await weightsOf(net)), x);
    assert.equal(tf.memory().numTensors, before, 'loading, predicting and disposing leave no tensor behind');
    assert.ok(r.maxProb < 0.999, `a comparison that means something: not every probability saturated (max ${r.maxProb})`);
    assert.ok(r.prob <= PROB_TOLERANCE, `probabilities differ by ${r.prob}`);
    assert.ok(r.logProb <= LOG_PROB_TOLERANCE, `log-probabilities differ by ${r.logProb}`);
  } finally {
    net.dispose();
    x.dispose();
  }
}

describe('layersModelArtifacts', function () {
  this.timeout(120_000);
  keepBackend();

  describe('on cpu', () => {
    before(async () => {
      await initBackend({ prefer: 'cpu' });
    });

    it('small model (RGB 28²): tf.loadLayersModel gives rxtrain\'s probabilities', async () => {
      await roundTrip(smallAlexNet({ numClasses: 10, inputSize: 28 }), 1, 3);
    });

    it('grey (1-channel) small model: the same', async () => {
      await roundTrip(smallAlexNet({ numClasses: 4, inputShape: [28, 28, 1] }), 2, 2);
    });

    it('explicit padding (ZeroPadding2D), a strided padded convolution, ReLU after BatchNorm, dense after flatten', async () => {
      const spec: NetworkSpec = {
        name: 'odd',
        inputShape: [13, 11, 2],
        numClasses: 3,
        layers: [
          { kind: 'conv', name: 'c1', filters: 5, kernel: 3, stride: 2, pad: 1 },
          { kind: 'batchNorm', name: 'b1' },
          { kind: 'relu' },
          { kind: 'conv', name: 'c2', filters: 4, kernel: 4, stride: 1, pad: 2 },
          { kind: 'relu' },
          { kind: 'maxPool', size: 2, stride: 2 },
          { kind: 'dropout', rate: 0.3 },
          { kind: 'flatten' },
          { kind: 'dense', name: 'd1', units: 7 },
          { kind: 'batchNorm', name: 'b2' },
          { kind: 'relu' },
          { kind: 'dense', name: 'd2', units: 3 },
          { kind: 'logSoftmax' },
        ],
      };
      const net = buildNetwork(spec, { seed: 0 });
      const topology = layersModelArtifacts(spec, await weightsOf(net)).modelTopology as { config: { layers: Array<{ class_name: string }> } };
      net.dispose();
      assert.deepEqual(topology.config.layers.map((l) => l.class_name), [
        'ZeroPadding2D', 'Conv2D', 'BatchNormalization', 'Activation', 'ZeroPadding2D', 'Conv2D', 'MaxPooling2D', 'Dropout', 'Flatten', 'Dense', 'BatchNormalization', 'Activation', 'Dense', 'Activation',
      ]);
      await roundTrip(spec, 3, 3);
    });
  });

  describe('on wasm', () => {
    before(async () => {
      await initBackend({ prefer: 'wasm', threads: 1 });
    });

    it('AlexNet 227²: the same probabilities as rxtrain on one image', async function () {
      this.timeout(300_000);
      await roundTrip(alexNet({ numClasses: 10 }), 4, 1);
    });
  });

  it('puts the preprocessing contract into the metadata: classes, input, per-channel mean and std on the 0..255 scale, version', async () => {
    await initBackend({ prefer: 'cpu' });
    const grey = smallAlexNet({ numClasses: 2, inputShape: [28, 28, 1] });
    const net = buildNetwork(grey, { seed: 0 });
    const weights = await weightsOf(net);
    net.dispose();
    const version = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
    const a = layersModelArtifacts(grey, weights, { inference: { classes: ['no', 'yes'], mean: [72.5], imageSide: 32, background: 'white' }, weights: 'ema' });
    assert.deepEqual(a.userDefinedMetadata as unknown as LayersExportMetadata, {
      rxtrain: { version, model: 'small', weights: 'ema' },
      input: { height: 28, width: 28, channels: 1, layout: 'NHWC' },
      output: 'probabilities',
      classes: ['no', 'yes'],
      preprocessing: { colour: 'grey', resize: 32, background: 'white', pixelRange: [0, 255], mean: [72.5], std: [1] },
    });
    assert.equal(a.generatedBy, `rxtrain ${version}`);
    const rgb = smallAlexNet({ numClasses: 2, inputSize: 28 });
    const rnet = buildNetwork(rgb, { seed: 0 });
    const rw = await weightsOf(rnet);
    rnet.dispose();
    const m = layersModelArtifacts(rgb, rw, { inference: { classes: ['a', 'b'], mean: [1, 2, 3], std: [50] } }).userDefinedMetadata as unknown as LayersExportMetadata;
    assert.deepEqual(m.preprocessing, { colour: 'rgb', resize: 28, background: 'black', pixelRange: [0, 255], mean: [1, 2, 3], std: [50, 50, 50] }, 'one std for all channels; no image side: the input size, as predict resizes; no background: black, as decoding');
    assert.equal(m.rxtrain.weights, undefined);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(layersModelArtifacts(rgb, rw, { inference: { classes: ['a', 'b'], mean: [0] } })));
    assert.deepEqual((loaded.getUserDefinedMetadata() as unknown as LayersExportMetadata).classes, ['a', 'b'], 'tfjs hands the metadata to the loader');
    loaded.dispose();
    assert.throws(() => layersModelArtifacts(rgb, rw, { inference: { classes: ['a', 'b', 'c'], mean: [0] } }), /3 class names for a model of 2 classes/);
  });

  it('refuses what standard layers cannot compute as rxtrain does, and weights that do not fit, naming the layer or weight', async () => {
    await initBackend({ prefer: 'cpu' });
    const spec = smallAlexNet({ numClasses: 3, inputSize: 28 });
    const net = buildNetwork(spec, { seed: 0 });
    const weights = await weightsOf(net);
    net.dispose();
    const body = spec.layers.slice(0, -1);
    const cases: Array<[NetworkSpec, TrainerState['weights'], RegExp]> = [
      [{ ...spec, layers: body }, weights, /small: the network does not end in a log-softmax/],
      [{ ...spec, layers: [...body.slice(0, -1), { kind: 'logSoftmax' }, body[body.length - 1], { kind: 'logSoftmax' }] }, weights, /small layer \d+ \(logSoftmax\): a log-softmax before the last layer/],
      [{ ...spec, layers: [spec.layers[0], { kind: 'dense', name: 'early', units: 4 }, { kind: 'logSoftmax' }] }, weights, /small layer 1 \(dense early\): a dense layer on an unflattened input \[28, 28, 64\]/],
      [{ ...spec, layers: [{ kind: 'flatten' }, { kind: 'maxPool', size: 2, stride: 2 }, { kind: 'logSoftmax' }] }, [], /small layer 1 \(maxPool\): needs an image input \[height, width, channels\], gets \[2352\]/],
      [spec, weights.filter((w) => w.name !== 'bn3/movingVariance'), /small: the weights lack bn3\/movingVariance/],
      [spec, weights.map((w) => (w.name === 'conv1/kernel' ? { ...w, shape: [5, 5, 64, 3] } : w)), /weight conv1\/kernel has shape \[5, 5, 64, 3\] \(4800 values\), the layer needs \[5, 5, 3, 64\]/],
      [spec, [...weights, { name: 'conv9/kernel', shape: [1], data: new Float32Array(1) }], /entries the network does not use: conv9\/kernel/],
      [{ ...spec, layers: [{ kind: 'swish' } as unknown as NetworkSpec['layers'][number], ...spec.layers] }, weights, /small layer 0 \(swish\): no standard layer for this kind/],
    ];
    for (const [s, w, message] of cases) {
      assert.throws(() => layersModelArtifacts(s, w), (e: unknown) => e instanceof LayersExportError && message.test(e.message), String(message));
    }
  });
});
