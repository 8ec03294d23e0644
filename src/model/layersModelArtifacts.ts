import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import type { InferenceInfo } from './InferenceInfo';
import { BN_EPSILON, BN_MOMENTUM } from './Network';
import { layerShapes, type NetworkSpec } from './NetworkSpec';
import type { TrainerState } from './Trainer';

/**
 * The preprocessing and labelling contract of an exported model, stored as the
 * `userDefinedMetadata` of its model.json, so that a server without rxtrain prepares images as
 * `rxtrain predict` does: decode to 8-bit RGB (`colour: 'grey'`: luminance, one channel), centre-crop
 * to a square and resize it to `resize`×`resize`, centre-crop `input.height`×`input.width`
 * (offsets rounded down), then per channel `(pixel − mean[c]) / std[c]` with pixels in 0..255.
 * The model's output is the probability of each class, in the order of `classes`.
 *
 * @example
 * ```ts
 * const meta = (await tf.loadLayersModel(url)).getUserDefinedMetadata() as LayersExportMetadata;
 * console.log(meta.classes?.length, meta.input.height, meta.preprocessing?.mean);
 * ```
 */
export interface LayersExportMetadata {
  readonly rxtrain: {
    /** Version of rxtrain that wrote the export. */
    readonly version: string;
    /** The network spec's name (`small`, `alexnet`). */
    readonly model: string;
    /** Which of the checkpoint's weights were exported, when the exporter says so. */
    readonly weights?: 'ema' | 'trained';
  };
  /** The model's input: float32 [batch, height, width, channels] (NHWC). */
  readonly input: { readonly height: number; readonly width: number; readonly channels: number; readonly layout: 'NHWC' };
  /** What the model outputs: softmax probabilities [batch, classes], each row summing to 1. */
  readonly output: 'probabilities';
  /** Class names; index = output column. Present when the export was given its InferenceInfo. */
  readonly classes?: readonly string[];
  /** How to turn an image into the model's input; present with `classes`. */
  readonly preprocessing?: {
    readonly colour: 'rgb' | 'grey';
    /** Side of the square the centre-cropped image is resized to before the centre crop to the input size. */
    readonly resize: number;
    /** What transparent pixels are flattened onto before anything else (the run's `preprocess --background`). */
    readonly background: 'black' | 'white';
    /** Pixel values are on this scale (8-bit) before normalisation. */
    readonly pixelRange: readonly [0, 255];
    /** Per channel (one value per input channel). */
    readonly mean: readonly number[];
    /** Per channel; ones when the run only subtracted the mean. */
    readonly std: readonly number[];
  };
}

/**
 * Options of {@link layersModelArtifacts}.
 *
 * @example
 * ```ts
 * const o: LayersExportOptions = { inference: ck.inference, weights: 'ema' };
 * ```
 */
export interface LayersExportOptions {
  /** Class names and normalisation (a checkpoint's `inference`): become the metadata's `classes` and `preprocessing`. */
  readonly inference?: InferenceInfo | undefined;
  /** Recorded in the metadata: which weights these are. */
  readonly weights?: 'ema' | 'trained' | undefined;
}

/**
 * A network spec that cannot be exported as standard Keras layers computing what rxtrain
 * computes; the message names the layer.
 *
 * @example
 * ```ts
 * try { layersModelArtifacts(spec, weights); } catch (e) { if (e instanceof LayersExportError) console.error(e.message); }
 * ```
 */
export class LayersExportError extends Error {
  override readonly name = 'LayersExportError';
}

/** One layer of a Keras Sequential model.json (snake_case, as Keras and tfjs write it). */
interface KerasLayer {
  readonly class_name: string;
  readonly config: Record<string, unknown>;
}

type Weights = TrainerState['weights'];

function packageVersion(): string {
  // src/model and dist/model are both two levels below the package root.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(path.join(__dirname, '..', '..', 'package.json')) as { version: string }).version;
}

/** A per-channel vector from one value for all channels or one per channel. */
function perChannel(what: string, v: readonly number[], channels: number): number[] {
  if (v.length === channels) return [...v];
  if (v.length === 1) return Array.from({ length: channels }, () => v[0]);
  throw new LayersExportError(`the ${what} has ${v.length} values, the model has ${channels} input channels`);
}

/**
 * The standard TensorFlow.js Layers model (Keras `Sequential`) that computes what `spec`'s
 * inference pass (`Network.forwardEval`) computes with `weights`, as `tf.io.ModelArtifacts`:
 * `tf.loadLayersModel(tf.io.fromMemory(artifacts))` loads it with nothing of rxtrain installed,
 * and model.json plus the weight data are what a browser loads from a URL. Every layer is a
 * standard one: `Conv2D` (a ReLU right after it becomes its activation; PyTorch's symmetric
 * padding is `same` where that is equal, else a `ZeroPadding2D` before a `valid` convolution),
 * `BatchNormalization` (moving statistics, epsilon 1e-5, momentum 0.9 in Keras' sense),
 * `MaxPooling2D` (`valid`: PyTorch's floor rounding), `Dropout` (identity at inference), `Flatten`
 * (NHWC order, as rxtrain flattens), `Dense`, and a final `Activation('softmax')`: the output is
 * probabilities (exp of rxtrain's log-probabilities); the layer before it gives the logits.
 * A spec that standard layers cannot reproduce (a log-softmax not at the end, a dense layer on
 * an unflattened input, a network without a final log-softmax) is refused with a
 * {@link LayersExportError} naming the layer, as are missing or misshapen weights. Plain data
 * in, plain data out: no tensors are created.
 *
 * @example
 * ```ts
 * const artifacts = layersModelArtifacts(spec, ck.trainer.weights, { inference: ck.inference, weights: 'trained' });
 * const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
 * const probs = model.predict(xs) as tf.Tensor2D;
 * ```
 */
export function layersModelArtifacts(spec: NetworkSpec, weights: Weights, options: LayersExportOptions = {}): tf.io.ModelArtifacts {
  let shapes: number[][];
  try {
    shapes = layerShapes(spec);
  } catch (e) {
    throw new LayersExportError((e as Error).message);
  }
  const last = spec.layers[spec.layers.length - 1];
  if (last?.kind !== 'logSoftmax') {
    throw new LayersExportError(`${spec.name}: the network does not end in a log-softmax, so its output is not log-probabilities an exported softmax could reproduce`);
  }
  const byName = new Map(weights.map((w) => [w.name, w]));
  const used = new Set<string>();
  const specs: tf.io.WeightsManifestEntry[] = [];
  const arrays: Float32Array[] = [];
  const take = (from: string, to: string, shape: readonly number[]): void => {
    const w = byName.get(from);
    if (w === undefined) throw new LayersExportError(`${spec.name}: the weights lack ${from}`);
    const same = w.shape.length === shape.length && w.shape.every((d, i) => d === shape[i]) && w.data.length === shape.reduce((a, b) => a * b, 1);
    if (!same) throw new LayersExportError(`${spec.name}: weight ${from} has shape [${w.shape.join(', ')}] (${w.data.length} values), the layer needs [${shape.join(', ')}]`);
    used.add(from);
    specs.push({ name: to, shape: [...shape], dtype: 'float32' });
    arrays.push(w.data);
  };
  const names = new Set(spec.layers.flatMap((l) => ('name' in l ? [l.name] : [])));
  const counters = new Map<string, number>();
  // Layers rxtrain does not name get `base1`, `base2`, … (or `base` for a one-off), skipping names the spec uses.
  const fresh = (base: string, numbered = true): string => {
    if (!numbered && !names.has(base)) {
      names.add(base);
      return base;
    }
    for (;;) {
      const n = (counters.get(base) ?? 0) + 1;
      counters.set(base, n);
      const name = `${base}${n}`;
      if (!names.has(name)) {
        names.add(name);
        return name;
      }
    }
  };
  const layers: KerasLayer[] = [];
  const add = (className: string, config: Record<string, unknown>): void => {
    const first = layers.length === 0 ? { batch_input_shape: [null, ...spec.inputShape], dtype: 'float32' } : {};
    layers.push({ class_name: className, config: { ...config, trainable: true, ...first } });
  };
  let shape: number[] = [...spec.inputShape];
  let skipRelu = -1;
  spec.layers.forEach((l, i) => {
    const where = `${spec.name} layer ${i} (${l.kind}${'name' in l ? ` ${l.name}` : ''})`;
    const spatial = (): void => {
      if (shape.length !== 3) throw new LayersExportError(`${where}: needs an image input [height, width, channels], gets [${shape.join(', ')}]`);
    };
    // A ReLU right after a weighted layer is that layer's activation, as rxtrain fuses it into the convolution.
    const activation = (): string => {
      if (spec.layers[i + 1]?.kind !== 'relu') return 'linear';
      skipRelu = i + 1;
      return 'relu';
    };
    switch (l.kind) {
      case 'conv': {
        spatial();
        const channels = shape[2];
        let padding = 'valid';
        if (l.pad > 0 && l.stride === 1 && 2 * l.pad === l.kernel - 1) padding = 'same';
        // TF's 'same' pads asymmetrically for strides > 1; PyTorch pads both sides alike.
        else if (l.pad > 0) add('ZeroPadding2D', { name: `${l.name}_pad`, padding: [[l.pad, l.pad], [l.pad, l.pad]], data_format: 'channels_last' });
        add('Conv2D', {
          name: l.name,
          filters: l.filters,
          kernel_size: [l.kernel, l.kernel],
          strides: [l.stride, l.stride],
          padding,
          data_format: 'channels_last',
          dilation_rate: [1, 1],
          activation: activation(),
          use_bias: true,
        });
        take(`${l.name}/kernel`, `${l.name}/kernel`, [l.kernel, l.kernel, channels, l.filters]);
        take(`${l.name}/bias`, `${l.name}/bias`, [l.filters]);
        break;
      }
      case 'relu':
        if (i !== skipRelu) add('Activation', { name: fresh('relu'), activation: 'relu' });
        break;
      case 'batchNorm': {
        const c = shape[shape.length - 1];
        add('BatchNormalization', { name: l.name, axis: -1, momentum: 1 - BN_MOMENTUM, epsilon: BN_EPSILON, center: true, scale: true });
        take(`${l.name}/gamma`, `${l.name}/gamma`, [c]);
        take(`${l.name}/beta`, `${l.name}/beta`, [c]);
        take(`${l.name}/movingMean`, `${l.name}/moving_mean`, [c]);
        take(`${l.name}/movingVariance`, `${l.name}/moving_variance`, [c]);
        break;
      }
      case 'maxPool':
        spatial();
        add('MaxPooling2D', { name: fresh('pool'), pool_size: [l.size, l.size], strides: [l.stride, l.stride], padding: 'valid', data_format: 'channels_last' });
        break;
      case 'dropout':
        add('Dropout', { name: fresh('dropout'), rate: l.rate, noise_shape: null, seed: null });
        break;
      case 'flatten':
        // Keras' Flatten needs rank ≥ 3; rxtrain's flatten of a flat input changes nothing.
        if (shape.length > 1) add('Flatten', { name: fresh('flatten', false), data_format: 'channels_last' });
        break;
      case 'dense':
        if (shape.length !== 1) throw new LayersExportError(`${where}: a dense layer on an unflattened input [${shape.join(', ')}] (Keras would apply it per pixel, rxtrain cannot run it)`);
        add('Dense', { name: l.name, units: l.units, activation: activation(), use_bias: true });
        take(`${l.name}/kernel`, `${l.name}/kernel`, [shape[0], l.units]);
        take(`${l.name}/bias`, `${l.name}/bias`, [l.units]);
        break;
      case 'logSoftmax':
        if (i !== spec.layers.length - 1) throw new LayersExportError(`${where}: a log-softmax before the last layer has no standard Keras layer`);
        add('Activation', { name: fresh('softmax', false), activation: 'softmax' });
        break;
      default:
        // A spec decoded from elsewhere may hold a kind this version does not know.
        throw new LayersExportError(`${where}: no standard layer for this kind`);
    }
    shape = shapes[i];
  });
  const extra = weights.filter((w) => !used.has(w.name)).map((w) => w.name);
  if (extra.length > 0) throw new LayersExportError(`${spec.name}: the weights have entries the network does not use: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ` and ${extra.length - 5} more` : ''} (a different model?)`);

  const bytes = arrays.reduce((n, a) => n + a.byteLength, 0);
  const weightData = new ArrayBuffer(bytes);
  const out = new Float32Array(weightData);
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  const version = packageVersion();
  const [height, width, channels] = spec.inputShape;
  const info = options.inference;
  let labelling: Pick<LayersExportMetadata, 'classes' | 'preprocessing'> = {};
  if (info !== undefined) {
    if (info.classes.length !== spec.numClasses) throw new LayersExportError(`${spec.name}: ${info.classes.length} class names for a model of ${spec.numClasses} classes`);
    labelling = {
      classes: [...info.classes],
      preprocessing: {
        colour: channels === 1 ? 'grey' : 'rgb',
        // As `rxtrain predict`: images used at their own sizes are resized to the input.
        resize: info.imageSide ?? Math.max(height, width),
        background: info.background ?? 'black',
        pixelRange: [0, 255],
        mean: perChannel('mean', info.mean, channels),
        std: info.std === undefined ? Array.from({ length: channels }, () => 1) : perChannel('std', info.std, channels),
      },
    };
  }
  const metadata: LayersExportMetadata = {
    rxtrain: { version, model: spec.name, ...(options.weights === undefined ? {} : { weights: options.weights }) },
    input: { height, width, channels, layout: 'NHWC' },
    output: 'probabilities',
    ...labelling,
  };
  return {
    modelTopology: {
      class_name: 'Sequential',
      config: { name: spec.name, layers },
      keras_version: `rxtrain ${version}`,
      backend: 'tensor_flow.js',
    },
    format: 'layers-model',
    generatedBy: `rxtrain ${version}`,
    convertedBy: null,
    weightSpecs: specs,
    weightData,
    userDefinedMetadata: metadata as unknown as { [key: string]: object },
  };
}
