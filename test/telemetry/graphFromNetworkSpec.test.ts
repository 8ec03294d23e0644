import assert from 'node:assert/strict';
import { alexNet } from '../../src/model/alexNet';
import type { NetworkSpec } from '../../src/model/NetworkSpec';
import { encodeGraphDef } from '../../src/telemetry/GraphDef';
import { graphFromNetworkSpec } from '../../src/telemetry/graphFromNetworkSpec';

describe('graphFromNetworkSpec', () => {
  it('chains an input placeholder and every layer with ops, shapes and hyper-parameters', () => {
    const spec: NetworkSpec = {
      name: 'tiny',
      inputShape: [8, 8, 1],
      numClasses: 3,
      layers: [
        { kind: 'conv', name: 'conv1', filters: 4, kernel: 3, stride: 1, pad: 1 },
        { kind: 'relu' },
        { kind: 'maxPool', size: 2, stride: 2 },
        { kind: 'relu' },
        { kind: 'flatten' },
        { kind: 'dropout', rate: 0.5 },
        { kind: 'dense', name: 'fc', units: 3 },
        { kind: 'logSoftmax' },
      ],
    };
    const g = graphFromNetworkSpec(spec);
    assert.deepEqual(g.map((n) => `${n.name}:${n.op}`), [
      'input:Placeholder', 'conv1:Conv2D', 'relu1:Relu', 'maxPool1:MaxPool', 'relu2:Relu', 'flatten1:Flatten', 'dropout1:Dropout', 'fc:Dense', 'logSoftmax1:LogSoftmax',
    ]);
    for (let i = 1; i < g.length; i++) assert.deepEqual(g[i].inputs, [g[i - 1].name]);
    assert.deepEqual(g.map((n) => n.shape), [[null, 8, 8, 1], [null, 8, 8, 4], [null, 8, 8, 4], [null, 4, 4, 4], [null, 4, 4, 4], [null, 64], [null, 64], [null, 3], [null, 3]]);
    assert.deepEqual(g[1].attrs, { filters: 4, kernel_size: [3, 3], strides: [1, 1], padding: 1 });
    assert.deepEqual(g[6].attrs, { rate: 0.5 });
  });

  it('gives the flagship AlexNet a valid GraphDef', () => {
    const g = graphFromNetworkSpec(alexNet({ numClasses: 256 }));
    assert.equal(new Set(g.map((n) => n.name)).size, g.length);
    assert.deepEqual(g[g.length - 1].shape?.slice(-1), [256]);
    assert.ok(encodeGraphDef(g).length > 500);
  });
});
