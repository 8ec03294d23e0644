import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, BACKEND_NAMES, type BackendName } from '../model/backend';
import { networkSpecOf } from '../model/createTrainer';
import { layersModelArtifacts } from '../model/layersModelArtifacts';
import type { NetworkSpec } from '../model/NetworkSpec';
import { parseCommandArgs } from './parseCommandArgs';
import { scoredWeights, scoringCheckpoint, scoringInference, scoringTrainer, type ScoringCheckpoint, type WeightKind } from './scoringCheckpoint';
import { scoringFlags } from './scoringFlags';
import { shownPath } from './shownPath';

const USAGE = `usage: rxtrain export CHECKPOINT|RUN_DIR OUT_DIR [options]

Writes a checkpoint's model as a standard TensorFlow.js Layers model: OUT_DIR/model.json and
its weight files (group1-shard1ofN.bin, 4 MB each), which tf.loadLayersModel loads in a browser
or in Node without rxtrain. The model outputs each class's probability; model.json's metadata
(model.getUserDefinedMetadata()) holds the class names and how to prepare an image (resize,
centre crop, mean and std on the 0..255 scale). Before writing, the export is loaded and checked
against rxtrain's own inference on random inputs. RUN_DIR means RUN_DIR/checkpoints/best.rxckpt,
or the run's latest checkpoint when it has no best one.

options:
  --weights KIND       ema | trained: the moving average of the weights or the trained
                       weights (default: ema when the run kept one, as its validation did)
  --backend NAME       where the check runs: auto | ${BACKEND_NAMES.join(' | ')} (default: auto)
  --force              replace the export in a non-empty OUT_DIR (its model.json and weight
                       files; other files are left alone)
  -h, --help           show this help

exit codes: 0 written, 1 unreadable checkpoint, an OUT_DIR in the way, or a model that cannot be
exported, 2 usage error

examples:
  rxtrain export runs/sample exports/sample
  rxtrain export runs/caltech256/checkpoints/best.rxckpt public/model --weights trained --force`;

/** tensorflowjs_converter's shard size: small enough for browsers to cache each file. */
const SHARD_BYTES = 4 * 1024 * 1024;

/** Largest difference of probabilities the check accepts (float32 through different kernels). */
const CHECK_TOLERANCE = 1e-4;

const isExportFile = (name: string): boolean => name === 'model.json' || /^group\d+-shard\d+of\d+\.bin$/.test(name);

/**
 * Console streams of `rxtrain export`, injectable for tests.
 *
 * @example
 * ```ts
 * await run(['runs/sample', 'exports/sample'], { out: process.stdout, err: process.stderr });
 * ```
 */
export interface ExportCommandIo {
  readonly out: { write(text: string): unknown };
  readonly err: { write(text: string): unknown };
}

class UsageError extends Error {}

/**
 * What OUT_DIR holds that an export replaces: nothing when it does not exist or is empty, else
 * (only with --force) its export files. Throws when OUT_DIR is in the way.
 */
function existingExport(outDir: string, force: boolean): { exists: boolean; replaced: string[] } {
  let names: string[];
  try {
    if (!fs.statSync(outDir).isDirectory()) throw new Error(`${outDir} exists and is not a folder`);
    names = fs.readdirSync(outDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { exists: false, replaced: [] };
    throw e;
  }
  if (names.length === 0) return { exists: true, replaced: [] };
  if (!force) throw new Error(`${outDir} is not empty (${names.length} entries): choose a new folder, or --force to replace the export in it`);
  return { exists: true, replaced: names.filter(isExportFile) };
}

/** Largest difference between rxtrain's probabilities and the loaded export's on random inputs. */
async function checkExport(opened: ScoringCheckpoint, spec: NetworkSpec, artifacts: tf.io.ModelArtifacts, backend: BackendName): Promise<number> {
  const trainer = await scoringTrainer(opened, { numClasses: spec.numClasses, inputShape: spec.inputShape, backend });
  try {
    const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    // Inputs on the scale of normalised images.
    const x = tf.randomNormal([2, ...spec.inputShape], 0, 1, 'float32', 1) as tf.Tensor4D;
    try {
      const logp = await trainer.predict(x);
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.exp(logp), model.predict(x) as tf.Tensor2D))));
      logp.dispose();
      const d = (await diff.data())[0];
      diff.dispose();
      return d;
    } finally {
      x.dispose();
      model.dispose();
    }
  } finally {
    await trainer.dispose();
  }
}

/**
 * Writes model.json and its weight shards into a new folder beside `outDir`, then moves them
 * into place: the whole folder when `outDir` is new or empty, else file by file, the old
 * model.json out first and the new one in last, so a reader never sees a model.json with
 * another export's weights. Returns the weight file names.
 */
async function writeExport(artifacts: tf.io.ModelArtifacts, outDir: string, existing: { exists: boolean; replaced: string[] }): Promise<string[]> {
  const data = artifacts.weightData as ArrayBuffer;
  const n = Math.max(1, Math.ceil(data.byteLength / SHARD_BYTES));
  const paths = Array.from({ length: n }, (_, i) => `group1-shard${i + 1}of${n}.bin`);
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as object,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [{ paths, weights: artifacts.weightSpecs ?? [] }],
    userDefinedMetadata: artifacts.userDefinedMetadata,
  };
  const parent = path.dirname(path.resolve(outDir));
  await fs.promises.mkdir(parent, { recursive: true });
  // Not mkdtemp: its folder is private (0700), and the export is moved into place as it is, to be served.
  const tmp = path.join(parent, `.${path.basename(path.resolve(outDir))}.export-${process.pid}-${randomBytes(4).toString('hex')}`);
  await fs.promises.mkdir(tmp);
  try {
    for (let i = 0; i < n; i++) {
      await fs.promises.writeFile(path.join(tmp, paths[i]), Buffer.from(data, i * SHARD_BYTES, Math.min(SHARD_BYTES, data.byteLength - i * SHARD_BYTES)));
    }
    await fs.promises.writeFile(path.join(tmp, 'model.json'), JSON.stringify(modelJson));
    if (existing.replaced.length === 0) {
      // An empty folder gives way to the new one (rmdir fails, rightly, if something arrived meanwhile).
      if (existing.exists) await fs.promises.rmdir(outDir);
      await fs.promises.rename(tmp, outDir);
      return paths;
    }
    const old = [...existing.replaced].sort((a, b) => (a === 'model.json' ? -1 : b === 'model.json' ? 1 : a.localeCompare(b)));
    for (const f of old) await fs.promises.rm(path.join(outDir, f), { force: true });
    for (const f of [...paths, 'model.json']) await fs.promises.rename(path.join(tmp, f), path.join(outDir, f));
    await fs.promises.rmdir(tmp);
    return paths;
  } catch (e) {
    await fs.promises.rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/**
 * `rxtrain export`: writes a checkpoint's model as a TensorFlow.js Layers model (model.json +
 * weight shards) after checking it computes what rxtrain computes. Returns the exit code: 0
 * written, 1 unreadable checkpoint, OUT_DIR in the way or model not exportable, 2 usage error.
 *
 * @example
 * ```ts
 * process.exitCode = await run(['runs/sample', 'exports/sample', '--weights', 'trained']);
 * ```
 */
export async function run(argv: string[], io: ExportCommandIo = { out: process.stdout, err: process.stderr }): Promise<number> {
  let target: string;
  let outDir: string;
  let weightsFlag: WeightKind | undefined;
  let backendName: BackendName | 'auto';
  let force: boolean;
  try {
    const args = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      options: {
        weights: { type: 'string' },
        backend: { type: 'string' },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (args.values.help === true) {
      io.out.write(`${USAGE}\n`);
      return 0;
    }
    if (args.positionals.length === 0) throw new UsageError('missing CHECKPOINT or RUN_DIR, and OUT_DIR');
    if (args.positionals.length === 1) throw new UsageError('missing OUT_DIR, the folder to write model.json and its weights into');
    if (args.positionals.length > 2) throw new UsageError(`one checkpoint and one OUT_DIR, got ${args.positionals.length} paths`);
    [target, outDir] = args.positionals;
    ({ weights: weightsFlag, backend: backendName } = scoringFlags(args.values));
    force = args.values.force === true;
  } catch (e) {
    io.err.write(`rxtrain export: ${(e as Error).message}\n(rxtrain export --help lists the options)\n`);
    return 2;
  }

  try {
    // Before the (possibly 470 MB) checkpoint is read: a folder in the way fails at once.
    existingExport(outDir, force);
    const opened = await scoringCheckpoint(target, weightsFlag);
    for (const n of opened.notes) io.err.write(`rxtrain export: note: ${n}\n`);
    const info = await scoringInference(opened);
    const { inputSize: crop, channels } = opened.config.model;
    const spec = networkSpecOf({ model: opened.config.model.name, numClasses: info.classes.length, inputShape: [crop, crop, channels], dropout: opened.config.model.dropout });
    const artifacts = layersModelArtifacts(spec, scoredWeights(opened), { inference: info, weights: opened.weights });
    const backend = await initBackend({ prefer: backendName, preferSource: '--backend' });
    const diff = await checkExport(opened, spec, artifacts, backend.name as BackendName);
    if (!(diff <= CHECK_TOLERANCE)) {
      throw new Error(`the exported model's probabilities differ from rxtrain's by ${diff} on a test input (more than ${CHECK_TOLERANCE}): nothing written; please report this with the checkpoint's model config`);
    }
    const shards = await writeExport(artifacts, outDir, existingExport(outDir, force));
    const ck = opened.checkpoint;
    io.out.write(
      `exported ${shownPath(opened.file)} (${opened.weights} weights, step ${ck.step}) to ${shownPath(outDir)}: model.json + ${shards.length} weight file${shards.length === 1 ? '' : 's'}, ${megabytes((artifacts.weightData as ArrayBuffer).byteLength)}\n` +
        `model ${spec.name}: input [batch, ${crop}, ${crop}, ${channels}] float32, output probabilities of ${spec.numClasses} classes; matches rxtrain within ${diff.toExponential(1)} (on ${backend.name})\n`,
    );
    return 0;
  } catch (e) {
    io.err.write(`rxtrain export: ${(e as Error).message}\n`);
    return 1;
  }
}
