import { ProtoWriter } from './ProtoWriter';

/**
 * An attribute value of a {@link GraphNode}: shown in TensorBoard's graph node details.
 *
 * @example
 * ```ts
 * const a: GraphAttr = [3, 3]; // kernel size
 * ```
 */
export type GraphAttr = string | number | boolean | readonly number[];

/**
 * One node of a model graph as TensorBoard's Graphs tab draws it: a layer, its op (class),
 * the names of the nodes feeding it and its output shape. Backend-neutral: build it from a
 * tfjs model with {@link graphFromLayers} or by hand.
 *
 * @example
 * ```ts
 * const nodes: GraphNode[] = [
 *   { name: 'input', op: 'Placeholder', shape: [null, 227, 227, 3] },
 *   { name: 'conv1', op: 'Conv2D', inputs: ['input'], shape: [null, 55, 55, 96], attrs: { kernel: [11, 11], strides: [4, 4] } },
 * ];
 * ```
 */
export interface GraphNode {
  /** Unique node name; `/` separates name scopes, which TensorBoard folds into groups. */
  readonly name: string;
  /** Op or layer class, e.g. `Conv2D`, `Dense`, `BatchNormalization`. */
  readonly op: string;
  /** Names of the nodes whose outputs feed this node. */
  readonly inputs?: readonly string[] | undefined;
  /** Output shape; `null` or -1 marks an unknown size (usually the batch). */
  readonly shape?: readonly (number | null)[] | undefined;
  /** Extra attributes (kernel size, units, parameter count, ...). */
  readonly attrs?: Readonly<Record<string, GraphAttr>> | undefined;
  /** Device the node runs on, if meaningful. */
  readonly device?: string | undefined;
}

function shapeProto(shape: readonly (number | null)[]): ProtoWriter {
  const w = new ProtoWriter();
  // TensorShapeProto.dim = 2; Dim.size = 1 (-1 = unknown)
  for (const d of shape) w.message(2, new ProtoWriter().int64(1, d === null || d < 0 ? -1 : d));
  return w;
}

function attrValue(v: GraphAttr): ProtoWriter {
  const w = new ProtoWriter();
  // AttrValue: list = 1, s = 2, i = 3, f = 4, b = 5; ListValue: i = 3 (packed), f = 4 (packed)
  if (typeof v === 'string') return w.string(2, v);
  if (typeof v === 'boolean') return w.bool(5, v);
  if (typeof v === 'number') return Number.isInteger(v) ? w.int64(3, v) : w.float(4, v);
  const list = new ProtoWriter();
  if (v.every(Number.isInteger)) list.packedInt64(3, v);
  else list.packedFloat(4, v);
  return w.message(1, list);
}

function attrEntry(key: string, value: ProtoWriter): ProtoWriter {
  return new ProtoWriter().string(1, key).message(2, value);
}

/**
 * Encodes nodes as a serialized `tensorflow.GraphDef`, the bytes TensorBoard expects in
 * `Event.graph_def`. The output shape goes in the conventional `_output_shapes` attribute,
 * which TensorBoard displays on the edges.
 *
 * @example
 * ```ts
 * const bytes = encodeGraphDef([{ name: 'x', op: 'Placeholder', shape: [null, 28, 28, 1] }]);
 * ```
 */
export function encodeGraphDef(nodes: readonly GraphNode[]): Buffer {
  const names = new Set<string>();
  for (const n of nodes) {
    if (names.has(n.name)) throw new Error(`graph: duplicate node name '${n.name}'`);
    names.add(n.name);
  }
  const graph = new ProtoWriter();
  for (const n of nodes) {
    for (const i of n.inputs ?? []) {
      if (!names.has(i)) throw new Error(`graph: node '${n.name}' has input '${i}', which is not a node of the graph`);
    }
    // NodeDef: name = 1, op = 2, input = 3, device = 4, attr = 5 (map<string, AttrValue>)
    const node = new ProtoWriter().string(1, n.name).string(2, n.op);
    for (const i of n.inputs ?? []) node.string(3, i);
    if (n.device !== undefined) node.string(4, n.device);
    if (n.shape !== undefined) {
      node.message(5, attrEntry('_output_shapes', new ProtoWriter().message(1, new ProtoWriter().message(7, shapeProto(n.shape)))));
    }
    for (const [k, v] of Object.entries(n.attrs ?? {})) node.message(5, attrEntry(k, attrValue(v)));
    graph.message(1, node);
  }
  // GraphDef.versions = 4 (VersionDef.producer = 1)
  graph.message(4, new ProtoWriter().int64(1, 1));
  return graph.finish();
}
