import type { LayerSpec, NetworkSpec } from './NetworkSpec';

/**
 * Options of {@link alexNet} and {@link smallAlexNet}.
 *
 * @example
 * ```ts
 * const o: AlexNetOptions = { numClasses: 256, inputSize: 227 };
 * ```
 */
export interface AlexNetOptions {
  /** Number of classes (width of the last dense layer). */
  readonly numClasses: number;
  /** Square input side in pixels (227 for AlexNet, 28–64 for the small variant). */
  readonly inputSize?: number | undefined;
  /** Input [height, width, channels]; overrides `inputSize` (e.g. [28, 28, 1] for grey images). */
  readonly inputShape?: readonly [number, number, number] | undefined;
  /** Dropout after each pooled convolution block (default 0.25, the seed's). */
  readonly convDropout?: number | undefined;
  /** Dropout after each hidden dense layer (default 0.5, the seed's). */
  readonly denseDropout?: number | undefined;
}

/**
 * The shared layer pattern of the seed's AlexNet variant (torch_train.py): every conv and
 * dense layer is followed by ReLU then BatchNorm, pools are 3/2, dropout after each pool
 * block and after the hidden dense layers, log-softmax at the end. {@link alexNet} and
 * {@link smallAlexNet} are this pattern with their widths.
 *
 * @example
 * ```ts
 * const wide = alexNetPattern('wide', { filters: 128, kernel: 5, stride: 1, pad: 2 }, [256, 512, 384, 384], 2048, { numClasses: 10 }, 32);
 * ```
 */
export function alexNetPattern(
  name: string,
  first: { filters: number; kernel: number; stride: number; pad: number },
  channels: readonly [number, number, number, number],
  hidden: number,
  o: AlexNetOptions,
  defaultSize: number,
): NetworkSpec {
  if (!(Number.isInteger(o.numClasses) && o.numClasses >= 2)) {
    throw new RangeError(`numClasses must be an integer ≥ 2, got ${o.numClasses}`);
  }
  const size = o.inputSize ?? defaultSize;
  const inputShape: [number, number, number] = o.inputShape !== undefined ? [o.inputShape[0], o.inputShape[1], o.inputShape[2]] : [size, size, 3];
  if (!inputShape.every((d) => Number.isInteger(d) && d > 0) || o.inputShape?.length !== undefined && o.inputShape.length !== 3) {
    throw new RangeError(`input shape must be three positive integers [height, width, channels], got [${inputShape.join(', ')}]`);
  }
  const drop = o.convDropout ?? 0.25;
  if (!(drop >= 0 && drop < 1)) throw new RangeError(`convDropout must be in [0, 1), got ${drop}`);
  const denseDrop = o.denseDropout ?? 0.5;
  if (!(denseDrop >= 0 && denseDrop < 1)) throw new RangeError(`denseDropout must be in [0, 1), got ${denseDrop}`);
  let bn = 0;
  const block = (l: LayerSpec): LayerSpec[] => [l, { kind: 'relu' }, { kind: 'batchNorm', name: `bn${++bn}` }];
  const pool: LayerSpec = { kind: 'maxPool', size: 3, stride: 2 };
  // A rate-0 dropout would only multiply by ones, so it is left out of the network.
  const dropout = (rate: number): LayerSpec[] => (rate === 0 ? [] : [{ kind: 'dropout', rate }]);
  const layers: LayerSpec[] = [
    ...block({ kind: 'conv', name: 'conv1', ...first }),
    pool,
    ...dropout(drop),
    ...block({ kind: 'conv', name: 'conv2', filters: channels[0], kernel: 5, stride: 1, pad: 2 }),
    pool,
    ...dropout(drop),
    ...block({ kind: 'conv', name: 'conv3', filters: channels[1], kernel: 3, stride: 1, pad: 1 }),
    ...block({ kind: 'conv', name: 'conv4', filters: channels[2], kernel: 3, stride: 1, pad: 1 }),
    ...block({ kind: 'conv', name: 'conv5', filters: channels[3], kernel: 3, stride: 1, pad: 1 }),
    pool,
    ...dropout(drop),
    { kind: 'flatten' },
    ...block({ kind: 'dense', name: 'fc1', units: hidden }),
    ...dropout(denseDrop),
    ...block({ kind: 'dense', name: 'fc2', units: hidden }),
    ...dropout(denseDrop),
    { kind: 'dense', name: 'fc3', units: o.numClasses },
    { kind: 'logSoftmax' },
  ];
  return { name, inputShape, numClasses: o.numClasses, layers };
}

/**
 * The seed project's AlexNet variant with BatchNorm, for 227² RGB input: conv 96 11×11/4 →
 * pool → conv 256 5×5 pad 2 → pool → conv 384, 384, 256 3×3 pad 1 → pool → fc 4096, 4096 →
 * fc numClasses → log-softmax (59 349 312 parameters for 256 classes, as in PyTorch).
 *
 * @example
 * ```ts
 * const spec = alexNet({ numClasses: 256 });
 * const net = buildNetwork(spec, { seed: 1 });
 * ```
 */
export function alexNet(options: AlexNetOptions): NetworkSpec {
  return alexNetPattern('alexnet', { filters: 96, kernel: 11, stride: 4, pad: 0 }, [256, 384, 384, 256], 4096, options, 227);
}
