import { layerShapes, type LayerSpec, type NetworkSpec } from '../model/NetworkSpec';
import type { GraphAttr, GraphNode } from './GraphDef';

const OPS: Record<LayerSpec['kind'], string> = {
  conv: 'Conv2D',
  relu: 'Relu',
  batchNorm: 'BatchNormalization',
  maxPool: 'MaxPool',
  dropout: 'Dropout',
  flatten: 'Flatten',
  dense: 'Dense',
  logSoftmax: 'LogSoftmax',
};

function attrsOf(l: LayerSpec): Record<string, GraphAttr> {
  switch (l.kind) {
    case 'conv':
      return { filters: l.filters, kernel_size: [l.kernel, l.kernel], strides: [l.stride, l.stride], padding: l.pad };
    case 'maxPool':
      return { ksize: [l.size, l.size], strides: [l.stride, l.stride] };
    case 'dropout':
      return { rate: l.rate };
    case 'dense':
      return { units: l.units };
    default:
      return {};
  }
}

/**
 * The graph of a {@link NetworkSpec} for TensorBoard's Graphs tab: an `input` placeholder,
 * then one node per layer in a chain, each with its op, output shape (batch unknown) and
 * hyper-parameters. Layers without a name get `<kind><n>` (`relu1`, `dropout2`, ...).
 *
 * @example
 * ```ts
 * tensorBoardWriter('runs/a/tensorboard', { graph: graphFromNetworkSpec(alexNet({ numClasses: 256 })) });
 * ```
 */
export function graphFromNetworkSpec(spec: NetworkSpec): GraphNode[] {
  const shapes = layerShapes(spec);
  const nodes: GraphNode[] = [{ name: 'input', op: 'Placeholder', shape: [null, ...spec.inputShape], attrs: { model: spec.name } }];
  const counters = new Map<string, number>();
  const used = new Set<string>(['input']);
  spec.layers.forEach((l, i) => {
    let name: string;
    if ('name' in l && !used.has(l.name)) name = l.name;
    else {
      do {
        const n = (counters.get(l.kind) ?? 0) + 1;
        counters.set(l.kind, n);
        name = `${l.kind}${n}`;
      } while (used.has(name));
    }
    used.add(name);
    nodes.push({ name, op: OPS[l.kind], inputs: [nodes[nodes.length - 1].name], shape: [null, ...shapes[i]], attrs: attrsOf(l) });
  });
  return nodes;
}
