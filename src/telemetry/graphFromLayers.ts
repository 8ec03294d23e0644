import type { GraphAttr, GraphNode } from './GraphDef';

type Shape = readonly (number | null)[];

/**
 * The part of a tfjs `Layer` that {@link graphFromLayers} reads; typed structurally so the
 * telemetry code does not import tfjs.
 *
 * @example
 * ```ts
 * const layers: readonly LayerLike[] = tfModel.layers;
 * ```
 */
export interface LayerLike {
  readonly name: string;
  getClassName(): string;
  readonly outputShape: Shape | readonly Shape[];
  readonly inboundNodes: readonly { readonly inboundLayers: readonly LayerLike[] }[];
  countParams(): number;
}

function isShapeList(s: Shape | readonly Shape[]): s is readonly Shape[] {
  return s.length > 0 && Array.isArray(s[0]);
}

/**
 * Converts a tfjs model's layers (e.g. `model.layers` of a `tf.Sequential` or
 * `tf.LayersModel`) to the {@link GraphNode}s the TensorBoard writer puts in the graph:
 * one node per layer, edges from each layer's inbound layers (input layers that the model
 * does not list are added), output shape, and the parameter count as attribute `params`.
 *
 * @example
 * ```ts
 * tensorBoardWriter('runs/a', { graph: graphFromLayers(model.layers) });
 * ```
 */
export function graphFromLayers(layers: readonly LayerLike[]): GraphNode[] {
  const nodes: GraphNode[] = [];
  const seen = new Set<string>();
  const visit = (layer: LayerLike): void => {
    if (seen.has(layer.name)) return;
    seen.add(layer.name);
    const inputs: string[] = [];
    for (const node of layer.inboundNodes) {
      for (const inbound of node.inboundLayers) {
        visit(inbound);
        if (!inputs.includes(inbound.name)) inputs.push(inbound.name);
      }
    }
    const out = layer.outputShape;
    const attrs: Record<string, GraphAttr> = { params: layer.countParams() };
    nodes.push({
      name: layer.name,
      op: layer.getClassName(),
      inputs,
      shape: isShapeList(out) ? out[0] : out,
      attrs,
    });
  };
  for (const layer of layers) visit(layer);
  return nodes;
}
