/**
 * One layer of a {@link NetworkSpec}. Convolutions and pooling use PyTorch's geometry:
 * symmetric zero padding `pad`, output size ⌊(n + 2·pad − kernel) / stride⌋ + 1.
 *
 * @example
 * ```ts
 * const conv: LayerSpec = { kind: 'conv', name: 'conv2', filters: 256, kernel: 5, stride: 1, pad: 2 };
 * ```
 */
export type LayerSpec =
  | { readonly kind: 'conv'; readonly name: string; readonly filters: number; readonly kernel: number; readonly stride: number; readonly pad: number }
  | { readonly kind: 'relu' }
  | { readonly kind: 'batchNorm'; readonly name: string }
  | { readonly kind: 'maxPool'; readonly size: number; readonly stride: number }
  | { readonly kind: 'dropout'; readonly rate: number }
  | { readonly kind: 'flatten' }
  | { readonly kind: 'dense'; readonly name: string; readonly units: number }
  | { readonly kind: 'logSoftmax' };

/**
 * A feed-forward classifier as data: input shape (NHWC, without batch) and layers in order.
 * Being plain data it crosses to worker threads and into checkpoints unchanged.
 *
 * @example
 * ```ts
 * const spec = alexNet({ numClasses: 10 });
 * spec.inputShape; // [227, 227, 3]
 * ```
 */
export interface NetworkSpec {
  readonly name: string;
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  readonly layers: readonly LayerSpec[];
}

/**
 * The channel count of each BatchNorm layer of `spec`, in layer order: the order in which
 * data-parallel replicas pack their shards' BatchNorm statistics.
 *
 * @example
 * ```ts
 * batchNormChannels(alexNet({ numClasses: 10 }))[0]; // 96, after conv1
 * ```
 */
export function batchNormChannels(spec: NetworkSpec): number[] {
  const shapes = layerShapes(spec);
  return spec.layers.flatMap((l, i) => (l.kind === 'batchNorm' ? [shapes[i][shapes[i].length - 1]] : []));
}

/**
 * Output shape (without batch) of every layer of `spec`, computed with PyTorch's formulas.
 * Throws a RangeError naming the layer when the input is too small for it.
 *
 * @example
 * ```ts
 * layerShapes(alexNet({ numClasses: 10 }))[0]; // [55, 55, 96] after conv1
 * ```
 */
export function layerShapes(spec: NetworkSpec): number[][] {
  let shape: number[] = [...spec.inputShape];
  const out: number[][] = [];
  const spatial = (n: number, k: number, s: number, p: number, what: string): number => {
    const o = Math.floor((n + 2 * p - k) / s) + 1;
    if (o < 1) throw new RangeError(`${spec.name}: input ${spec.inputShape.join('×')} is too small for ${what} (would give size ${o})`);
    return o;
  };
  spec.layers.forEach((l, i) => {
    switch (l.kind) {
      case 'conv':
        shape = [spatial(shape[0], l.kernel, l.stride, l.pad, l.name), spatial(shape[1], l.kernel, l.stride, l.pad, l.name), l.filters];
        break;
      case 'maxPool':
        shape = [spatial(shape[0], l.size, l.stride, 0, `maxPool (layer ${i})`), spatial(shape[1], l.size, l.stride, 0, `maxPool (layer ${i})`), shape[2]];
        break;
      case 'flatten':
        shape = [shape.reduce((a, b) => a * b, 1)];
        break;
      case 'dense':
        shape = [l.units];
        break;
      default:
        break;
    }
    out.push(shape);
  });
  return out;
}

/**
 * Trainable parameters of `spec` (weights, biases, BatchNorm scale and shift; not the
 * moving statistics), counted like PyTorch's `sum(p.numel() for p in net.parameters())`.
 *
 * @example
 * ```ts
 * countParameters(alexNet({ numClasses: 256 })); // 59349312
 * ```
 */
export function countParameters(spec: NetworkSpec): number {
  const shapes = layerShapes(spec);
  let prev: number[] = [...spec.inputShape];
  let n = 0;
  spec.layers.forEach((l, i) => {
    if (l.kind === 'conv') n += l.kernel * l.kernel * prev[2] * l.filters + l.filters;
    else if (l.kind === 'dense') n += prev[0] * l.units + l.units;
    else if (l.kind === 'batchNorm') n += 2 * prev[prev.length - 1];
    prev = shapes[i];
  });
  return n;
}

/**
 * Floating-point operations of one forward pass for one image (multiply-add = 2 FLOPs;
 * convolutions and dense layers only, which dominate). A training step costs about three
 * times this per image (forward, input gradient, weight gradient).
 *
 * @example
 * ```ts
 * const gflopPerImage = (3 * forwardFlops(alexNet({ numClasses: 10 }))) / 1e9;
 * ```
 */
export function forwardFlops(spec: NetworkSpec): number {
  const shapes = layerShapes(spec);
  let prev: number[] = [...spec.inputShape];
  let f = 0;
  spec.layers.forEach((l, i) => {
    const s = shapes[i];
    if (l.kind === 'conv') f += 2 * s[0] * s[1] * s[2] * l.kernel * l.kernel * prev[2];
    else if (l.kind === 'dense') f += 2 * prev[0] * l.units;
    prev = s;
  });
  return f;
}
