import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { alexNet } from '../../src/model/alexNet';
import { buildNetwork } from '../../src/model/Network';
import { batchNormChannels, countParameters, forwardFlops, layerShapes, type NetworkSpec } from '../../src/model/NetworkSpec';
import { smallAlexNet } from '../../src/model/smallAlexNet';

/*
 * Reference numbers from /work/shared/reference/torch_train.py (PyTorch 1.13, /usr/bin/python3):
 *
 *   from torch_train import alexnet
 *   net = alexnet(classes, size, small); n = sum(p.numel() for p in net.parameters())
 *   x = torch.zeros(2, 3, size, size); shapes = []
 *   for m in list(net[0]) + list(net)[1:]:
 *       x = m(x)
 *       if isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.Linear, nn.Flatten)): shapes.append(tuple(x.shape[1:]))
 *
 * Shapes are NCHW there, NHWC here.
 */
const reference: ReadonlyArray<{ name: string; spec: () => NetworkSpec; params: number; shapes: number[][] }> = [
  {
    name: 'alexnet 227² 256 classes',
    spec: () => alexNet({ numClasses: 256 }),
    params: 59349312,
    shapes: [[96, 55, 55], [96, 27, 27], [256, 27, 27], [256, 13, 13], [384, 13, 13], [384, 13, 13], [256, 13, 13], [256, 6, 6], [9216], [4096], [4096], [256]],
  },
  {
    name: 'alexnet 227² 10 classes',
    spec: () => alexNet({ numClasses: 10 }),
    params: 58341450,
    shapes: [[96, 55, 55], [96, 27, 27], [256, 27, 27], [256, 13, 13], [384, 13, 13], [384, 13, 13], [256, 13, 13], [256, 6, 6], [9216], [4096], [4096], [10]],
  },
  {
    name: 'small 32² 10 classes',
    spec: () => smallAlexNet({ numClasses: 10 }),
    params: 5877834,
    shapes: [[64, 32, 32], [64, 15, 15], [192, 15, 15], [192, 7, 7], [384, 7, 7], [256, 7, 7], [256, 7, 7], [256, 3, 3], [2304], [1024], [1024], [10]],
  },
  {
    name: 'small 64² 10 classes',
    spec: () => smallAlexNet({ numClasses: 10, inputSize: 64 }),
    params: 16363594,
    shapes: [[64, 64, 64], [64, 31, 31], [192, 31, 31], [192, 15, 15], [384, 15, 15], [256, 15, 15], [256, 15, 15], [256, 7, 7], [12544], [1024], [1024], [10]],
  },
  {
    name: 'small 28² 10 classes',
    spec: () => smallAlexNet({ numClasses: 10, inputSize: 28 }),
    params: 4567114,
    shapes: [[64, 28, 28], [64, 13, 13], [192, 13, 13], [192, 6, 6], [384, 6, 6], [256, 6, 6], [256, 6, 6], [256, 2, 2], [1024], [1024], [1024], [10]],
  },
];

const nchw = (s: number[]): number[] => (s.length === 3 ? [s[2], s[0], s[1]] : s);
const tracked = (spec: NetworkSpec): number[] =>
  spec.layers.flatMap((l, i) => (['conv', 'maxPool', 'dense', 'flatten'].includes(l.kind) ? [i] : []));

describe('alexNet / smallAlexNet', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const r of reference) {
    it(`${r.name}: parameter count and layer shapes equal PyTorch's`, () => {
      const spec = r.spec();
      assert.equal(countParameters(spec), r.params);
      const shapes = layerShapes(spec);
      assert.deepEqual(tracked(spec).map((i) => nchw(shapes[i])), r.shapes);
    });
  }

  it('built variables hold exactly the counted parameters, and the forward pass has the computed shapes', () => {
    const spec = smallAlexNet({ numClasses: 10, inputSize: 28 });
    const net = buildNetwork(spec, { seed: 3 });
    try {
      assert.equal(net.trainable.reduce((n, v) => n + v.variable.size, 0), countParameters(spec));
      assert.equal(net.moving.length, 7);
      assert.deepEqual(batchNormChannels(spec), net.moving.map((m) => m.mean.size), 'one entry per BatchNorm layer: its channels, in layer order');
      const expected = layerShapes(spec);
      const seen: number[][] = [];
      tf.tidy(() => {
        const { logProbs, stats } = net.forwardTrain(tf.randomNormal([2, 28, 28, 3]), 1, 0, (_, y) => seen.push(y.shape.slice(1)));
        assert.equal(stats.length, 7);
        const sums = tf.sum(tf.exp(logProbs), 1).arraySync() as number[];
        for (const s of sums) assert.ok(Math.abs(s - 1) < 1e-5, `softmax rows sum to 1, got ${s}`);
        for (const s of stats) { s.mean.dispose(); s.variance.dispose(); }
      });
      assert.deepEqual(seen, expected);
    } finally {
      net.dispose();
    }
  });

  it('Xavier-normal init has the expected spread and is reproducible from the seed', () => {
    const spec = smallAlexNet({ numClasses: 10 });
    const a = buildNetwork(spec, { seed: 5 });
    const b = buildNetwork(spec, { seed: 5 });
    try {
      const w = a.trainable.find((v) => v.name === 'fc1/kernel');
      assert.ok(w);
      const data = w.variable.dataSync();
      let ss = 0;
      for (const v of data) ss += v * v;
      const std = Math.sqrt(ss / data.length);
      const expected = Math.sqrt(2 / (2304 + 1024));
      assert.ok(Math.abs(std - expected) / expected < 0.01, `std ${std} vs ${expected}`);
      for (let i = 0; i < a.trainable.length; i++) {
        assert.deepEqual(a.trainable[i].variable.dataSync(), b.trainable[i].variable.dataSync());
      }
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('takes its dropout rates from the options, leaves rate-0 dropout out, and rejects rates outside [0, 1)', () => {
    const rates = (spec: NetworkSpec): number[] => spec.layers.flatMap((l) => (l.kind === 'dropout' ? [l.rate] : []));
    assert.deepEqual(rates(smallAlexNet({ numClasses: 10 })), [0.25, 0.25, 0.25, 0.5, 0.5], "the seed's rates by default");
    assert.deepEqual(rates(smallAlexNet({ numClasses: 10, convDropout: 0.1, denseDropout: 0.3 })), [0.1, 0.1, 0.1, 0.3, 0.3]);
    const none = smallAlexNet({ numClasses: 10, convDropout: 0, denseDropout: 0 });
    assert.deepEqual(rates(none), []);
    assert.equal(countParameters(none), countParameters(smallAlexNet({ numClasses: 10 })), 'dropout has no parameters');
    assert.throws(() => smallAlexNet({ numClasses: 10, denseDropout: 1 }), /denseDropout must be in \[0, 1\), got 1/);
    assert.throws(() => alexNet({ numClasses: 10, convDropout: -0.1 }), /convDropout must be in \[0, 1\), got -0.1/);
  });

  it('counts forward FLOPs analytically (ungrouped AlexNet: 2.26 GFLOP per 227² image)', () => {
    // 2·(55²·96·11²·3 + 27²·256·5²·96 + 13²·384·3²·256 + 13²·384·3²·384 + 13²·256·3²·384 + 9216·4096 + 4096² + 4096·256)
    assert.equal(forwardFlops(alexNet({ numClasses: 256 })), 2264417344);
  });

  it('rejects inputs that do not fit, with the expected shape in the message', () => {
    assert.throws(() => layerShapes(smallAlexNet({ numClasses: 10, inputSize: 8 })), /too small/);
    assert.throws(() => alexNet({ numClasses: 1 }), /numClasses must be an integer ≥ 2/);
    const net = buildNetwork(smallAlexNet({ numClasses: 10, inputSize: 28 }), { seed: 1 });
    try {
      assert.throws(() => tf.tidy(() => net.forwardEval(tf.zeros([1, 32, 32, 3]))), /expects input \[batch, 28, 28, 3\]/);
    } finally {
      net.dispose();
    }
  });
});
