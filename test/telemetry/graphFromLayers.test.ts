import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { graphFromLayers } from '../../src/telemetry/graphFromLayers';
import { encodeGraphDef } from '../../src/telemetry/GraphDef';

describe('graphFromLayers', () => {
  // Building layers makes weights: the highest-priority backend must be ready, whichever test file
  // registered it (run alone, that is cpu; after the backend tests, wasm).
  before(() => tf.ready());

  it('turns a tfjs Sequential model into connected nodes with shapes and parameter counts', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, name: 'conv1' }),
        tf.layers.flatten({ name: 'flat' }),
        tf.layers.dense({ units: 10, name: 'logits' }),
      ],
    });
    try {
      const nodes = graphFromLayers(model.layers);
      assert.equal(nodes.length, 4);
      const [input, conv, flat, logits] = nodes;
      assert.equal(input.op, 'InputLayer');
      assert.deepEqual(input.shape, [null, 28, 28, 1]);
      assert.deepEqual(conv, { name: 'conv1', op: 'Conv2D', inputs: [input.name], shape: [null, 26, 26, 4], attrs: { params: 40 } });
      assert.deepEqual(flat.inputs, ['conv1']);
      assert.deepEqual(logits.inputs, ['flat']);
      assert.deepEqual(logits.shape, [null, 10]);
      assert.equal(logits.attrs?.params, 26 * 26 * 4 * 10 + 10);
      assert.ok(encodeGraphDef(nodes).length > 0);
    } finally {
      model.dispose();
    }
  });
});
