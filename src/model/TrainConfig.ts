import * as t from 'io-ts';
import * as E from 'fp-ts/Either';
import { defaultCosineOptions } from './CosineAnnealingLR';
import { defaultPlateauOptions } from './ReduceLROnPlateau';
import { Duration } from './Duration';
import { closestName } from './closestName';

// Refined numbers: a config that says `"batchSize": 0` or `"lr": -1` must fail at the edge
// with the field named, not deep inside the loop.
function refined(name: string, ok: (n: number) => boolean): t.Type<number, number, unknown> {
  return new t.Type<number, number, unknown>(
    name,
    (u): u is number => typeof u === 'number' && ok(u),
    (u, c) => (typeof u === 'number' && ok(u) ? t.success(u) : t.failure(u, c)),
    t.identity,
  );
}

const PositiveInt = refined('a positive integer', (n) => Number.isInteger(n) && n > 0);
const NonNegInt = refined('an integer ≥ 0', (n) => Number.isInteger(n) && n >= 0);
const NonNeg = refined('a number ≥ 0', (n) => Number.isFinite(n) && n >= 0);
const Positive = refined('a number > 0', (n) => Number.isFinite(n) && n > 0);
const Factor = refined('a number in (0, 1)', (n) => n > 0 && n < 1);
const Fraction = refined('a number in [0, 1)', (n) => n >= 0 && n < 1);
const Seed = refined('an integer in [0, 2³²)', (n) => Number.isInteger(n) && n >= 0 && n < 2 ** 32);
const isPerChannel = (u: unknown): u is readonly number[] =>
  Array.isArray(u) && (u.length === 1 || u.length === 3) && u.every((x) => typeof x === 'number' && Number.isFinite(x));
// One number serves grey models (and is used for every channel of an RGB one), so a grey
// config need not repeat its mean three times. It may be written bare (`"mean": 72`, as the
// flag `--mean 72` is) or as a list of one; either decodes to the list.
const PerChannel = new t.Type<readonly number[], readonly number[], unknown>(
  'one number (every channel) or three [r, g, b]',
  isPerChannel,
  (u, c) => (isPerChannel(u) ? t.success(u) : typeof u === 'number' && Number.isFinite(u) ? t.success([u]) : t.failure(u, c)),
  t.identity,
);

/** Where the images come from. */
const DataConfig = t.type({
  /**
   * Training data: a directory written by `rxtrain preprocess` (has train.csv, categories.csv),
   * or a folder-per-class image tree (`<dir>/<class>/*.png`).
   */
  train: t.string,
  /**
   * Validation data: a folder-per-class tree, or null to use the `val` split of a preprocess
   * directory (none for a plain folder).
   */
  val: t.union([t.string, t.null]),
  /** How to read `train`: `auto` looks for train.csv. */
  format: t.keyof({ auto: null, manifest: null, folder: null }),
  /**
   * Read the packed record file written by `rxtrain preprocess --records` when present.
   * `rxtrain train` given neither the flag nor the field reads what a resumed checkpoint was
   * trained on instead ({@link recordFilesNotTrainedOn}).
   */
  records: t.boolean,
  /** Batches prepared ahead of the training step (backpressure bound). */
  prefetch: PositiveInt,
  /**
   * Image files larger than this many pixels are skipped (`too-many-pixels`), unread: a guard
   * against decompression bombs, as `rxtrain preprocess --max-pixels` (the same default).
   * Packed record files are not decoded, so it does not apply to them.
   */
  maxPixels: PositiveInt,
});

const ModelConfig = t.type({
  name: t.keyof({ alexnet: null, small: null }),
  /** Side of the square image the network sees (after cropping), e.g. 227 or 32. */
  inputSize: PositiveInt,
  /** 1 for grey, 3 for RGB (grey images are replicated to 3 channels). */
  channels: t.union([t.literal(1), t.literal(3)]),
  /** Number of classes; null reads it from categories.csv or counts the class folders. */
  numClasses: t.union([PositiveInt, t.null]),
  /** Dropout rates: after each pooled conv block, and after each hidden dense layer. */
  dropout: t.type({ conv: Fraction, dense: Fraction }),
});

const OptimizerConfig = t.type({
  lr: Positive,
  momentum: Fraction,
  nesterov: t.boolean,
  weightDecay: NonNeg,
});

const PlateauConfig = t.type({
  name: t.literal('ReduceLROnPlateau'),
  mode: t.keyof({ min: null, max: null }),
  factor: Factor,
  patience: NonNegInt,
  threshold: NonNeg,
  thresholdMode: t.keyof({ rel: null, abs: null }),
  cooldown: NonNegInt,
  minLr: NonNeg,
  eps: NonNeg,
});

const CosineConfig = t.type({
  name: t.literal('CosineAnnealingLR'),
  etaMin: NonNeg,
  horizon: t.keyof({ epochs: null, budget: null }),
});

const SchedulerConfig = t.union([PlateauConfig, CosineConfig, t.type({ name: t.literal('none') })]);

// Each scheduler's complete defaults, by name (the reducers' own, so config and code cannot drift).
const SCHEDULER_DEFAULTS: Readonly<Record<string, object>> = {
  ReduceLROnPlateau: { name: 'ReduceLROnPlateau', ...defaultPlateauOptions },
  CosineAnnealingLR: { name: 'CosineAnnealingLR', ...defaultCosineOptions },
  none: { name: 'none' },
};

const AugmentationConfig = t.type({
  /** Centre-crop each decoded image to a square and resize it to this side first (raw, unevenly sized images); null = as stored. */
  resize: t.union([PositiveInt, t.null]),
  /** Zero padding added on each side before cropping (e.g. 28² + pad 2 → random 32² crops of 32²). */
  pad: NonNegInt,
  /** Random crops of model.inputSize in training (centre crop for validation); false = centre crops in training too. */
  randomCrop: t.boolean,
  /** Random horizontal flips in training. */
  flip: t.boolean,
  /** Per-channel mean (0..255 pixel units) to subtract: one number (all channels) or three, `"dataset"` (rgb_val.json of a preprocess directory), or null. */
  mean: t.union([PerChannel, t.literal('dataset'), t.null]),
  /** Per-channel standard deviation (0..255 units) to divide by, or null (mean subtraction only, as AlexNet). */
  std: t.union([PerChannel, t.null]),
});

const CheckpointConfig = t.type({
  /** Save after every N epochs (0 = only at the end / on stop). */
  everyEpochs: NonNegInt,
  /** Also save every N steps inside an epoch (0 = off). */
  everySteps: NonNegInt,
  /** How many recent checkpoints to keep (older ones are deleted). */
  keepLast: PositiveInt,
  /** Also keep the best checkpoint by the monitored metric as best.ckpt. */
  keepBest: t.boolean,
});

const EarlyStoppingConfig = t.type({
  enabled: t.boolean,
  /** valTop5Accuracy needs more than 5 classes (`rxtrain train` refuses it otherwise). */
  monitor: t.keyof({ valLoss: null, valAccuracy: null, valTop5Accuracy: null, trainLoss: null }),
  patience: NonNegInt,
  minDelta: NonNeg,
});

const EmaConfig = t.type({
  /**
   * Per-step decay of the moving average of the weights, in [0, 1): 0 = no average (the same
   * as an average that forgets at once); 0.999 averages over ≈ 1,000 steps.
   */
  decay: Fraction,
  /** Fold the weights in every N steps (with decay^N), to spend less time reading them (default 10). */
  everySteps: PositiveInt,
});

const TelemetryConfig = t.type({
  /** host:port to serve training events over gRPC, or `"off"`. */
  address: t.string,
  /** TLS certificate and key (PEM paths); null = plaintext (only allowed on loopback unless insecure). */
  tls: t.union([t.type({ cert: t.string, key: t.string }), t.null]),
  /** Allow plaintext on a non-loopback address. */
  insecure: t.boolean,
  /** Bearer token monitors must present; null = none. */
  token: t.union([t.string, t.null]),
  /**
   * After the run ends, how long to go on serving it to monitors that connect only then
   * (`"10m"`); 0 = close at once. Closes earlier once the monitors connected have been sent the end
   * (and 2 s passed without another).
   */
  linger: t.union([t.literal(0), Duration]),
});

const LogConfig = t.type({
  level: t.keyof({ debug: null, info: null, warn: null, error: null }),
  /** Log file, relative to runDir unless absolute; null = console only. */
  file: t.union([t.string, t.null]),
});

const ProgressConfig = t.type({
  /** Progress bar on stderr: `auto` = only on a TTY (plain lines otherwise). */
  bar: t.keyof({ auto: null, on: null, off: null }),
  /** At most this many BatchEnd events per second (while validating, ValidationProgress events). */
  batchEventsPerSec: Positive,
  /** If > 0, a BatchEnd (ValidationProgress) every N batches instead of the time throttle. */
  everyBatches: NonNegInt,
});

/**
 * A training run's configuration: the io-ts codec (runtime) and the type (compile time)
 * share this name. Decode user input with {@link decodeTrainConfig}, which fills in
 * {@link DEFAULT_TRAIN_CONFIG} and reports errors that name field, value and expectation.
 *
 * @example
 * ```ts
 * const ok = TrainConfig.is(DEFAULT_TRAIN_CONFIG); // true
 * ```
 */
export const TrainConfig = t.type({
  data: DataConfig,
  model: ModelConfig,
  epochs: PositiveInt,
  /**
   * Training-time budget ("2h", "1h30m"; null = none) on training time (steps and validation,
   * summed over resumes). No epoch starts that the previous one's duration says would overrun
   * it; an epoch that overruns anyway stops at the first step past it, with a checkpoint.
   */
  maxTime: t.union([t.null, Duration]),
  batchSize: PositiveInt,
  optimizer: OptimizerConfig,
  /**
   * Label smoothing ε of the training loss, in [0, 1): the target is (1 − ε)·onehot + ε/K, as
   * PyTorch's `CrossEntropyLoss(label_smoothing=ε)`. 0 = plain NLL. Validation loss is always
   * the plain NLL, so the scheduler and early stopping compare like with like.
   */
  labelSmoothing: Fraction,
  scheduler: SchedulerConfig,
  /**
   * Exponential moving average of the weights (timm's ModelEma), validated instead of the
   * trained weights: EpochEnd's validation metrics, the scheduler, early stopping, the best
   * checkpoint and `rxtrain evaluate` then use the average. Training itself is unchanged.
   */
  ema: EmaConfig,
  augmentation: AugmentationConfig,
  seed: Seed,
  /**
   * Fine-tuning: a checkpoint file, or a run directory (its `best.rxckpt`, else its newest
   * checkpoint), whose weights a NEW run starts from where name and shape match (the rest,
   * e.g. a last layer for another class count, is freshly initialised); null = none. A run
   * directory that already has checkpoints of its own resumes them instead: with the same
   * `initFrom` (or none), never with another one.
   */
  initFrom: t.union([t.string, t.null]),
  /** Which weights of `initFrom`: its moving average (`ema`) or the `trained` ones; null = as `rxtrain evaluate` scores (the average when the run kept one). */
  initWeights: t.union([t.keyof({ ema: null, trained: null }), t.null]),
  /** Run directory: checkpoints, logs, TensorBoard events, charts. Resumes when it has a checkpoint. */
  runDir: t.string,
  checkpoint: CheckpointConfig,
  earlyStopping: EarlyStoppingConfig,
  /** Validate with 10-crop averaging (4 corners + centre and their flips), as in the AlexNet paper. */
  tenCrop: t.boolean,
  /**
   * Validate on each image and its mirror image, log-probabilities averaged (test-time flip;
   * twice the validation time). `tenCrop` already includes the flips.
   */
  valFlip: t.boolean,
  backend: t.keyof({ auto: null, wasm: null, cpu: null, tensorflow: null }),
  /** Data-parallel replicas (worker threads); 0 = `createTrainer`'s `'auto'` (1 with threaded kernels, else one per core). */
  replicas: NonNegInt,
  /**
   * How replicas split a batch: `even` (bit-reproducible) or `speed` (by each replica's
   * measured speed, for cores of different speeds; not bit-reproducible).
   */
  balance: t.keyof({ even: null, speed: null }),
  /**
   * Resume a checkpoint made on another replica count (a machine with other cores) instead of
   * refusing it; the result then differs from an uninterrupted run (BatchNorm statistics per
   * shard, another batch split), and the log says so. Not part of the run's identity.
   */
  allowReplicaChange: t.boolean,
  /**
   * Start more than 4 replicas per core (`rxtrain train` refuses them otherwise: they train no
   * faster than one per core, and each costs start-up time and memory). Not part of the run's identity.
   */
  allowManyReplicas: t.boolean,
  telemetry: TelemetryConfig,
  tensorboard: t.boolean,
  log: LogConfig,
  charts: t.boolean,
  progress: ProgressConfig,
});

/**
 * The decoded, complete training configuration.
 *
 * @example
 * ```ts
 * const cfg: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, epochs: 3 };
 * ```
 */
export type TrainConfig = t.TypeOf<typeof TrainConfig>;

/**
 * Defaults: the AlexNet recipe (SGD lr 0.01, momentum 0.9, Nesterov, ReduceLROnPlateau
 * factor 0.5 patience 5), telemetry on loopback. `data.train` has no sensible default and
 * must be given.
 *
 * @example
 * ```ts
 * DEFAULT_TRAIN_CONFIG.optimizer.lr; // 0.01
 * ```
 */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  // maxPixels: DEFAULT_MAX_PIXELS of decodeFile, which this file cannot import (sharp).
  data: { train: '', val: null, format: 'auto', records: true, prefetch: 4, maxPixels: 100_000_000 },
  model: { name: 'alexnet', inputSize: 227, channels: 3, numClasses: null, dropout: { conv: 0.25, dense: 0.5 } },
  epochs: 90,
  maxTime: null,
  batchSize: 128,
  optimizer: { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 0.0005 },
  labelSmoothing: 0,
  // The scheduler's own defaults, so the config and the reducer cannot drift apart.
  scheduler: { name: 'ReduceLROnPlateau', ...defaultPlateauOptions },
  // Reading 4.6M weights and folding them in costs ≈ 20 % of a small-model step on wasm
  // (bench:train-loop); every 10 steps ≈ 2 %.
  ema: { decay: 0, everySteps: 10 },
  augmentation: { resize: null, pad: 0, randomCrop: true, flip: true, mean: 'dataset', std: null },
  seed: 42,
  initFrom: null,
  initWeights: null,
  runDir: 'runs/default',
  checkpoint: { everyEpochs: 1, everySteps: 0, keepLast: 3, keepBest: true },
  earlyStopping: { enabled: false, monitor: 'valLoss', patience: 10, minDelta: 0 },
  tenCrop: false,
  valFlip: false,
  backend: 'auto',
  replicas: 1,
  balance: 'even',
  allowReplicaChange: false,
  allowManyReplicas: false,
  telemetry: { address: '127.0.0.1:50051', tls: null, insecure: false, token: null, linger: 0 },
  tensorboard: true,
  log: { level: 'info', file: 'train.log' },
  charts: true,
  progress: { bar: 'auto', batchEventsPerSec: 10, everyBatches: 0 },
};

/**
 * One readable problem with a config: the dotted field path, the offending value and what was expected.
 *
 * @example
 * ```ts
 * const p: ConfigProblem = { field: 'batchSize', value: 0, expected: 'a positive integer' };
 * ```
 */
export interface ConfigProblem {
  readonly field: string;
  readonly value: unknown;
  readonly expected: string;
}

/**
 * Renders a {@link ConfigProblem} as one line of text for the CLI.
 *
 * @example
 * ```ts
 * formatConfigProblem({ field: 'batchSize', value: 0, expected: 'a positive integer' });
 * // 'batchSize: got 0, expected a positive integer'
 * ```
 */
export function formatConfigProblem(p: ConfigProblem): string {
  // JSON.stringify shows Infinity and NaN (1e400 in a config file parses to Infinity) as null.
  const shown = p.value === undefined ? 'nothing' : typeof p.value === 'number' && !Number.isFinite(p.value) ? String(p.value) : JSON.stringify(p.value);
  return `${p.field}: got ${shown}, expected ${p.expected}`;
}

function isPlainObject(u: unknown): u is Record<string, unknown> {
  return typeof u === 'object' && u !== null && !Array.isArray(u);
}

/**
 * Deep-merges `override` onto `base`: objects merge key by key, everything else (numbers,
 * strings, arrays, null) replaces. Used for defaults ← file ← command-line flags.
 *
 * @example
 * ```ts
 * mergeConfig({ a: { b: 1, c: 2 } }, { a: { c: 3 } }); // { a: { b: 1, c: 3 } }
 * ```
 */
export function mergeConfig(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) out[k] = mergeConfig(base[k], v);
  return out;
}

type AnyCodec = t.Mixed;

function propsOf(codec: AnyCodec): Record<string, AnyCodec> | undefined {
  if (codec instanceof t.InterfaceType) return codec.props as Record<string, AnyCodec>;
  return undefined;
}

// io-ts ignores unknown keys; a typo like "epoch" for "epochs" must not be silently dropped.
function unknownFields(codec: AnyCodec, value: unknown, prefix: string, out: ConfigProblem[]): void {
  if (!isPlainObject(value)) return;
  let props = propsOf(codec);
  // Fields another member of a tagged union has, by that member's tag: a config printed with
  // one scheduler and edited to another keeps the old one's options (one problem, not eight).
  const otherMembers = new Map<string, string[]>();
  if (props === undefined && codec instanceof t.UnionType) {
    // Take the union member the value matches by its tag, if any (scheduler.name).
    const members = (codec as t.UnionType<AnyCodec[]>).types;
    const match = members.find((m) => {
      const p = propsOf(m);
      return p !== undefined && 'name' in p && p.name.is(value.name);
    });
    props = match === undefined ? undefined : propsOf(match);
    for (const m of members) {
      const p = propsOf(m);
      if (m !== match && p?.name instanceof t.LiteralType) otherMembers.set(String(p.name.value), Object.keys(p));
    }
  }
  if (props === undefined) return;
  const known = props;
  const strays = Object.keys(value).filter((k) => known[k] === undefined);
  // The member owning the most of the unknown fields (ties: the first declared, the default).
  const owner = [...otherMembers].map(([tag, keys]) => ({ tag, fields: strays.filter((k) => keys.includes(k)) })).reduce<{ tag: string; fields: string[] } | undefined>(
    (best, o) => (o.fields.length > (best?.fields.length ?? 0) ? o : best),
    undefined,
  );
  if (owner !== undefined) {
    const one = owner.fields.length === 1;
    out.push({
      field: prefix,
      value: owner.fields,
      expected:
        `the fields of ${String(value.name)} only (${Object.keys(known).join(', ')}): ${one ? 'this one belongs' : 'these belong'} to ${owner.tag}; ` +
        `remove ${one ? 'it' : 'them'}, or set ${prefix}.name to ${JSON.stringify(owner.tag)}`,
    });
  }
  for (const [k, v] of Object.entries(value)) {
    const field = prefix === '' ? k : `${prefix}.${k}`;
    const sub = props[k];
    if (owner?.fields.includes(k) === true) continue;
    if (sub === undefined) {
      const near = closestName(k, Object.keys(props));
      out.push({ field, value: v, expected: `no such field (known: ${Object.keys(props).join(', ')})${near === undefined ? '' : `; did you mean "${near}"?`}` });
    } else {
      unknownFields(sub, v, field, out);
    }
  }
}

function problemsOf(errors: t.Errors): ConfigProblem[] {
  const seen = new Map<string, ConfigProblem>();
  for (const err of errors) {
    const keys: string[] = [];
    let expected = err.context[err.context.length - 1]?.type.name ?? 'a valid value';
    let value: unknown = err.value;
    for (let i = 1; i < err.context.length; i++) {
      const parent = err.context[i - 1];
      if (parent.type instanceof t.UnionType) {
        const branch = propsOf(err.context[i].type as AnyCodec);
        const actual = parent.actual;
        if (branch !== undefined && 'name' in branch && isPlainObject(actual) && branch.name.is(actual.name)) {
          continue; // a tagged union member the value chose: descend into it
        }
        // The branch index is not a field: report the union as a whole.
        expected = parent.type.name;
        value = parent.actual;
        break;
      }
      keys.push(err.context[i].key);
    }
    const field = keys.join('.') || '(root)';
    if (!seen.has(field)) seen.set(field, { field, value, expected });
  }
  return [...seen.values()];
}

/**
 * Decodes user input (parsed JSON, possibly partial) into a complete {@link TrainConfig}:
 * defaults first, then the input on top; unknown fields, wrong types and out-of-range values
 * are reported together, each naming field, value and expectation.
 *
 * @example
 * ```ts
 * const r = decodeTrainConfig({ data: { train: 'data/x' }, epochs: 0 });
 * if (E.isLeft(r)) console.error(r.left.map(formatConfigProblem).join('\n'));
 * // epochs: got 0, expected a positive integer
 * ```
 */
export function decodeTrainConfig(raw: unknown): E.Either<ConfigProblem[], TrainConfig> {
  if (!isPlainObject(raw)) return E.left([{ field: '(root)', value: raw, expected: 'a JSON object' }]);
  // "telemetry": "off" (or "host:port") says what --telemetry says: the address alone.
  const input = typeof raw.telemetry === 'string' ? { ...raw, telemetry: { address: raw.telemetry } } : raw;
  const problems: ConfigProblem[] = [];
  unknownFields(TrainConfig, input, '', problems);
  const merged = mergeConfig(DEFAULT_TRAIN_CONFIG, input) as Record<string, unknown>;
  // A named scheduler gets its own defaults, never the default scheduler's fields.
  const name = isPlainObject(input.scheduler) ? input.scheduler.name : undefined;
  if (typeof name === 'string' && Object.hasOwn(SCHEDULER_DEFAULTS, name)) merged.scheduler = { ...SCHEDULER_DEFAULTS[name], ...(input.scheduler as object) };
  const decoded = TrainConfig.decode(merged);
  if (E.isLeft(decoded)) return E.left([...problems, ...problemsOf(decoded.left)]);
  if (decoded.right.data.train === '') problems.push({ field: 'data.train', value: '', expected: 'a directory of training images' });
  // An empty path resolves to the working directory: checkpoints, logs and charts would land
  // among whatever is there (a source checkout), and an empty log file name on the run folder.
  if (decoded.right.runDir.trim() === '') problems.push({ field: 'runDir', value: decoded.right.runDir, expected: 'a folder for the checkpoints and logs, such as "runs/my-run"' });
  if (decoded.right.log.file?.trim() === '') problems.push({ field: 'log.file', value: decoded.right.log.file, expected: 'a file name (relative to runDir), or null for no log file' });
  problems.push(...cropProblems(decoded.right));
  // Which of a source's weights to start from means nothing without a source: a run that
  // seemed to ask for the average would train from scratch without a word.
  if (decoded.right.initWeights !== null && decoded.right.initFrom === null) {
    problems.push({ field: 'initWeights', value: decoded.right.initWeights, expected: 'null without initFrom (it picks which of the initFrom run\'s weights to start from): set initFrom too, or remove it' });
  }
  return problems.length > 0 ? E.left(problems) : E.right(decoded.right);
}

// A resize smaller than the crop skips every image (a skip per file, then a run that "completes"
// with no step): say so at the edge instead. Training crops from the image padded by `pad`;
// centre crops (validation, `randomCrop: false`) never pad.
function cropProblems(cfg: TrainConfig): ConfigProblem[] {
  const { resize, pad, randomCrop } = cfg.augmentation;
  const crop = cfg.model.inputSize;
  if (resize === null) return [];
  const trainPad = randomCrop ? pad : 0;
  if (resize + 2 * trainPad < crop) {
    const need = trainPad > 0 ? `≥ ${crop - 2 * trainPad} (model.inputSize ${crop} − 2 × augmentation.pad ${trainPad})` : `≥ model.inputSize (${crop})`;
    return [{ field: 'augmentation.resize', value: resize, expected: `null or ${need}: every training image would be smaller than the ${crop}×${crop} crop` }];
  }
  if (resize < crop && cfg.data.val !== null) {
    return [{ field: 'augmentation.resize', value: resize, expected: `null or ≥ model.inputSize (${crop}): every validation image would be smaller than the ${crop}×${crop} centre crop (padding applies to training only)` }];
  }
  return [];
}
