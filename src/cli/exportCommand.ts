import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/Either';
import { initBackend, BACKEND_NAMES, type BackendName } from '../model/backend';
import { networkSpecOf } from '../model/createTrainer';
import { layersModelArtifacts } from '../model/layersModelArtifacts';
import type { NetworkSpec } from '../model/NetworkSpec';
import { weightsManifestPaths } from '../model/weightsManifestPaths';
import { exportLeftovers, exportWorkFolder } from './exportWorkFolder';
import { liveLockHolder, lockFile, type FileLock, type LockHolder } from '../model/lockFile';
import { parseCommandArgs } from './parseCommandArgs';
import { processStopSignal, type StopSignal } from './processStopSignal';
import { scoredWeights, scoringCheckpoint, scoringInference, scoringTrainer, type ScoringCheckpoint, type WeightKind } from './scoringCheckpoint';
import { scoringFlags } from './scoringFlags';
import { backendEnvError } from './backendEnvError';
import { shownPath } from './shownPath';
import { isDirectory } from '../streams/fsPredicates';
import { ioErrorReason } from '../streams/ioErrorReason';
import { stopExitCode } from './stopExitCode';
import { folderWriteProblem } from './whyNoFolder';

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
  --force              replace the export in a non-empty OUT_DIR: its model.json, the weight
                       files that model.json lists (in OUT_DIR itself) and group*-shard*.bin;
                       other files are left alone
  -h, --help           show this help

Ctrl-C (or SIGTERM) before the files are in place removes what was written: OUT_DIR is left as it
was; once they are in place the export has succeeded, and a signal changes nothing (exit 0). An
export killed outright (kill -9) leaves a hidden .export-* working folder in or beside OUT_DIR:
the next export to that OUT_DIR removes it, and says so.

exit codes: 0 written, 1 unreadable checkpoint, an OUT_DIR in the way, or a model that cannot be
exported, 2 usage error (or a bad RXTRAIN_BACKEND / RXTRAIN_THREADS), 130 interrupted by Ctrl-C
(143: by SIGTERM, 129: by SIGHUP)

examples:
  rxtrain export runs/sample exports/sample
  rxtrain export runs/caltech256/checkpoints/best.rxckpt public/model --weights trained --force`;

/** tensorflowjs_converter's shard size: small enough for browsers to cache each file. */
const SHARD_BYTES = 4 * 1024 * 1024;

/** Largest difference of probabilities the check accepts (float32 through different kernels). */
const CHECK_TOLERANCE = 1e-4;

const isExportFile = (name: string): boolean => name === 'model.json' || /^group\d+-shard\d+of\d+\.bin$/.test(name);

/** The lock an export holds in an existing OUT_DIR while it writes there (see {@link lockOutDir}). */
const EXPORT_LOCK_FILE = '.rxtrain-export.lock';

/** The lock, and the files beside it that taking it makes for a moment (FILE.takeover-…, FILE.PID….tmp): not "in" OUT_DIR. */
const isLockFile = (name: string): boolean => name === EXPORT_LOCK_FILE || name.startsWith(`${EXPORT_LOCK_FILE}.`);

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
  /** Signals that stop the export (default: the process's SIGINT and SIGTERM); returns an unhook. */
  readonly onStopSignal?: (handler: (signal: StopSignal) => void) => () => void;
}

class UsageError extends Error {}

/** What OUT_DIR holds: whether it exists, and its entries (none unless --force). */
interface OutDirState {
  readonly exists: boolean;
  readonly names: readonly string[];
}

/** The errno code of a failed fs call, if it has one. */
const errnoCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

/** A killed export's working folder in OUT_DIR that could not be removed, and why (`permission denied`). */
interface StuckLeftover {
  readonly path: string;
  readonly pid: number;
  readonly why: string;
}

/**
 * Removes the working folders that killed exports (`kill -9`, a crash) left in or beside OUT_DIR,
 * saying so on `err`. Throws when one in OUT_DIR is a running export's (or from another host,
 * where its process cannot be checked): two exports moving files into one folder could pair a
 * model.json with the other's weights. Returns those in OUT_DIR that could not be removed (no
 * permission: written by another user), which the caller names, by their entry names there;
 * one beside it is noted once (`noted`).
 */
function clearLeftovers(outDir: string, err: ExportCommandIo['err'], noted: Set<string>): Map<string, StuckLeftover> {
  const stuck = new Map<string, StuckLeftover>();
  for (const l of exportLeftovers(outDir)) {
    if (l.state === 'dead') {
      try {
        fs.rmSync(l.path, { recursive: true, force: true });
      } catch (e) {
        // One in OUT_DIR makes it "not empty": said there, with what to do. One beside it is in nobody's way.
        if (l.inside) stuck.set(path.basename(l.path), { path: l.path, pid: l.pid, why: ioErrorReason(e) });
        else if (!noted.has(l.path)) {
          noted.add(l.path);
          err.write(`rxtrain export: note: cannot remove ${shownPath(l.path)}, left by an export that was killed (PID ${l.pid} no longer runs): ${ioErrorReason(e)}; delete it yourself (it holds no finished export)\n`);
        }
        continue;
      }
      err.write(`rxtrain export: removed ${shownPath(l.path)}, left by an export that was killed (PID ${l.pid} no longer runs)\n`);
    } else if (l.inside) {
      throw new Error(
        l.state === 'running'
          ? `${outDir} is being written by another rxtrain export (PID ${l.pid}): wait for it to end (if none runs, PID ${l.pid} is another program now: delete ${shownPath(l.path)})`
          : `${outDir} is being written by an rxtrain export on another host, or was left by one killed there: wait for it to end, or delete ${shownPath(l.path)} if none runs`,
      );
    }
  }
  return stuck;
}

/** A weight file name of a model.json that stays in OUT_DIR: no folder part, no `..`. */
const isPlainName = (p: string): boolean => p !== '' && p !== '.' && p !== '..' && !p.includes('/') && !p.includes('\\');

/**
 * The files --force replaces among OUT_DIR's `names`: model.json, every group*-shard*.bin, and
 * the weight files the old model.json lists (a tfjs-node `weights.bin`, another converter's
 * names) when they are plain files of OUT_DIR itself. What it lists elsewhere is left, with a
 * note; so is everything when it is unreadable, but for the shards.
 */
function replacedFiles(outDir: string, names: readonly string[], err: ExportCommandIo['err']): string[] {
  const files = new Set(names.filter(isExportFile));
  if (!names.includes('model.json')) return [...files];
  const modelJson = path.join(outDir, 'model.json');
  let listed: E.Either<string, string[]>;
  try {
    listed = weightsManifestPaths(fs.readFileSync(modelJson, 'utf8'));
  } catch (e) {
    listed = E.left((e as Error).message);
  }
  if (E.isLeft(listed)) {
    err.write(`rxtrain export: note: the old ${shownPath(modelJson)} is unreadable (${listed.left}): of its weight files only group*-shard*.bin are replaced\n`);
    return [...files];
  }
  const outside: string[] = [];
  for (const p of new Set(listed.right)) {
    if (!isPlainName(p)) outside.push(p);
    else if (names.includes(p) && !fs.lstatSync(path.join(outDir, p), { throwIfNoEntry: false })?.isDirectory()) files.add(p);
  }
  if (outside.length > 0) err.write(`rxtrain export: note: left alone what the old model.json lists outside ${shownPath(outDir)}: ${outside.join(', ')}\n`);
  return [...files];
}

/**
 * Whether OUT_DIR exists and what it holds (anything only with --force), after removing what
 * killed exports left in or beside it. Throws a readable error when OUT_DIR is in the way or
 * cannot be written (checked before the checkpoint is read, and again before writing). `noted`:
 * the leftovers already noted as not removable, said once for both checks.
 */
function existingExport(outDir: string, force: boolean, err: ExportCommandIo['err'], noted: Set<string>): OutDirState {
  const stuck = clearLeftovers(outDir, err, noted);
  let names: string[];
  try {
    if (!fs.statSync(outDir).isDirectory()) throw new Error(`${outDir} exists and is not a folder`);
    names = fs.readdirSync(outDir).filter((n) => !isLockFile(n));
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      // Created with its missing parents, in the nearest folder that exists.
      let ancestor = path.dirname(path.resolve(outDir));
      while (!fs.existsSync(ancestor)) ancestor = path.dirname(ancestor);
      if (!fs.statSync(ancestor).isDirectory()) throw new Error(`cannot create ${outDir}: ${shownPath(ancestor)} is a file, not a folder`);
      writable(ancestor, `cannot create ${outDir}`);
      return { exists: false, names: [] };
    }
    if (code === 'EACCES' || code === 'EPERM') throw new Error(`cannot read ${outDir}: permission denied`);
    throw e;
  }
  const junk = names.filter((n) => stuck.has(n)).map((n) => stuck.get(n) as StuckLeftover);
  const killed = junk.map((j) => `${shownPath(j.path)}, left by an export that was killed (PID ${j.pid} no longer runs), which cannot be removed (${j.why})`).join('; ');
  if (junk.length > 0 && junk.length === names.length && !force) {
    throw new Error(`${outDir} holds only ${killed}: delete ${junk.length === 1 ? 'it' : 'them'} yourself (no finished export is in ${junk.length === 1 ? 'it' : 'them'}), then run again`);
  }
  if (names.length > 0 && !force) {
    const among = junk.length === 0 ? '' : `, among them ${killed}`;
    throw new Error(`${outDir} is not empty (${names.length} entries${among}): choose a new folder, or --force to replace the export in it`);
  }
  for (const j of junk) {
    if (noted.has(j.path)) continue;
    noted.add(j.path);
    err.write(`rxtrain export: note: cannot remove ${shownPath(j.path)}, left by an export that was killed (PID ${j.pid} no longer runs): ${j.why}; delete it yourself (it holds no finished export)\n`);
  }
  writable(outDir, `cannot write into ${outDir}`);
  return { exists: true, names };
}

/**
 * Takes an existing OUT_DIR for this export from its last check until its files are in place
 * (OUT_DIR/.rxtrain-export.lock, see {@link lockFile}): two exports that both passed the check
 * before either made its working folder would move their files in interleaved, pairing one's
 * model.json with the other's weights. Throws a readable error when another export holds it.
 * Undefined for an OUT_DIR that does not exist (the export's own rename creates it, and a
 * second one's rename then fails) or is not a folder (the check says so).
 */
function lockOutDir(outDir: string): FileLock | undefined {
  if (!fs.statSync(outDir, { throwIfNoEntry: false })?.isDirectory()) return undefined;
  const file = path.join(outDir, EXPORT_LOCK_FILE);
  const lock = lockFile(file);
  if (E.isRight(lock)) return lock.right;
  const r = lock.left;
  const shown = shownPath(file);
  switch (r.kind) {
    case 'failed':
      throw new Error(`cannot write into ${outDir}: ${r.message}`);
    case 'changing':
      throw new Error(`cannot take ${outDir} for this export: ${shown} keeps changing (another process is taking it over; if none is, delete ${shown} and ${shown}.takeover-*)`);
    case 'held':
      throw heldError(outDir, r.holder, r.elsewhere);
  }
}

/** What an export says when another one holds OUT_DIR (at its first check or at the lock). */
function heldError(outDir: string, holder: LockHolder, elsewhere: boolean): Error {
  const { pid, host, since } = holder;
  const shown = shownPath(path.join(outDir, EXPORT_LOCK_FILE));
  return new Error(
    elsewhere
      ? `${outDir} is being written by an rxtrain export on host ${host} (PID ${pid}, since ${since}): nothing of this export was written; wait for it to end, or delete ${shown} if none runs`
      : `${outDir} is being written by another rxtrain export (PID ${pid}, since ${since}): nothing of this export was written; wait for it to end, then run again (if none runs, PID ${pid} is another program now: delete ${shown})`,
  );
}

/**
 * Refuses at once an OUT_DIR that another export holds, before the (possibly 470 MB) checkpoint
 * is read and checked; a stale lock is left to {@link lockOutDir} to take over, and a lock taken
 * after this look is still refused there.
 */
function refuseHeldOutDir(outDir: string): void {
  // No OUT_DIR yet, or one in the way: the check after this says which.
  if (!isDirectory(outDir)) return;
  const held = liveLockHolder(path.join(outDir, EXPORT_LOCK_FILE));
  if (held !== undefined) throw heldError(outDir, held.holder, held.elsewhere);
}

/** Throws `what: no permission to write in DIR` unless this process may create files in `dir`. */
function writable(dir: string, what: string): void {
  const problem = folderWriteProblem(dir, shownPath);
  if (problem !== undefined) throw new Error(`${what}: ${problem}`);
}

/**
 * Why an export stopped early: Ctrl-C or SIGTERM before its files were moved into place, so
 * nothing of it was written to OUT_DIR.
 */
class Interrupted extends Error {
  constructor(readonly signal: StopSignal) {
    super(`interrupted by ${signal === 'SIGINT' ? 'Ctrl-C' : signal}`);
  }
}

/**
 * The interruption state of one export: `check()` throws {@link Interrupted} once a stop
 * signal came; `commit(work)` runs the moves into OUT_DIR, which a signal does not break
 * off (a handful of renames: the export is then complete rather than half replaced).
 */
interface StopState {
  check(): void;
  commit<T>(work: () => Promise<T>): Promise<T>;
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
 * Writes model.json and its weight shards into a temporary folder, then moves them into place.
 * A new OUT_DIR is that folder, written beside it and renamed. An existing one (empty, or with
 * --force) is written into file by file from a temporary folder inside it (so a folder one may
 * write in, under a parent one may not, works, and keeps its own permissions): the old
 * model.json out first and the new one in last, so a reader never sees a model.json with
 * another export's weights, nor one naming a missing file; `replaced` are the old export's
 * files to remove. `tmpRef` receives the temporary folder's path, for removal by a second
 * Ctrl-C. Returns the weight file names.
 */
async function writeExport(artifacts: tf.io.ModelArtifacts, outDir: string, existing: { exists: boolean; replaced: readonly string[] }, stop: StopState, tmpRef: { path?: string }): Promise<string[]> {
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
  const work = exportWorkFolder(outDir, existing.exists);
  const tmp = work.path;
  try {
    if (!existing.exists) await fs.promises.mkdir(path.dirname(tmp), { recursive: true });
    // Not mkdtemp: its folder is private (0700), and a new OUT_DIR is this folder, to be served.
    await fs.promises.mkdir(tmp);
  } catch (e) {
    work.release();
    throw e;
  }
  tmpRef.path = tmp;
  try {
    for (let i = 0; i < n; i++) {
      stop.check();
      await fs.promises.writeFile(path.join(tmp, paths[i]), Buffer.from(data, i * SHARD_BYTES, Math.min(SHARD_BYTES, data.byteLength - i * SHARD_BYTES)));
    }
    await fs.promises.writeFile(path.join(tmp, 'model.json'), JSON.stringify(modelJson));
    stop.check();
    await stop.commit(async () => {
      if (!existing.exists) {
        try {
          await fs.promises.rename(tmp, outDir);
        } catch (e) {
          const code = errnoCode(e);
          // Another export to the same new OUT_DIR (or anything else) made it since it was checked.
          if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') {
            throw new Error(
              `${outDir} was created by another program while this export was writing (another rxtrain export to the same new folder?): nothing of this export was written there; ` +
                `check what ${code === 'ENOTDIR' ? 'is there (a file)' : 'it holds'}, then run again (--force replaces the export in it), or choose another OUT_DIR`,
            );
          }
          throw e;
        }
        return;
      }
      const old = [...existing.replaced].sort((a, b) => (a === 'model.json' ? -1 : b === 'model.json' ? 1 : a.localeCompare(b)));
      for (const f of old) await fs.promises.rm(path.join(outDir, f), { force: true });
      for (const f of [...paths, 'model.json']) await fs.promises.rename(path.join(tmp, f), path.join(outDir, f));
      await fs.promises.rmdir(tmp);
    });
    return paths;
  } catch (e) {
    await fs.promises.rm(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    tmpRef.path = undefined;
    work.release();
  }
}

const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/**
 * `rxtrain export`: writes a checkpoint's model as a TensorFlow.js Layers model (model.json +
 * weight shards) after checking it computes what rxtrain computes. Returns the exit code: 0
 * written, 1 unreadable checkpoint, OUT_DIR in the way or model not exportable, 2 usage error,
 * 130 / 143 stopped by Ctrl-C / SIGTERM before anything was moved into OUT_DIR (a signal once
 * the files are in place changes nothing: 0).
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
  // Before the checkpoint is read: a typo in RXTRAIN_BACKEND or RXTRAIN_THREADS is a setting like a bad flag.
  const badEnv = backendEnvError('export', process.env, backendName);
  if (badEnv !== undefined) {
    io.err.write(badEnv);
    return 2;
  }

  let stopped: StopSignal | undefined;
  // working: a signal stops the export; committing: the files are being moved into OUT_DIR (a
  // few renames), which a signal does not break off; done: they are in place, so the export has
  // succeeded and a signal changes nothing (the summary follows, and exit code 0).
  let phase: 'working' | 'committing' | 'done' = 'working';
  const tmpRef: { path?: string } = {};
  const stop: StopState = {
    check: () => {
      if (stopped !== undefined) throw new Interrupted(stopped);
    },
    commit: async (work) => {
      phase = 'committing';
      try {
        const done = await work();
        phase = 'done';
        return done;
      } finally {
        if (phase === 'committing') phase = 'working';
      }
    },
  };
  // The first Ctrl-C (or SIGTERM) stops the export at its next step and removes what it wrote;
  // a second one quits at once, after removing the temporary folder.
  const unhook = (io.onStopSignal ?? processStopSignal)((signal) => {
    if (phase !== 'working') return;
    if (stopped === undefined) {
      stopped = signal;
      return;
    }
    if (tmpRef.path !== undefined) fs.rmSync(tmpRef.path, { recursive: true, force: true });
    io.err.write(`rxtrain export: interrupted; nothing written to ${outDir}\n`);
    process.exit(stopExitCode(signal));
  });
  try {
    // Before the (possibly 470 MB) checkpoint is read: a folder in the way fails at once.
    // First: while another export writes there, its working folder makes OUT_DIR "not empty",
    // which would hide who is writing.
    refuseHeldOutDir(outDir);
    const noted = new Set<string>();
    existingExport(outDir, force, io.err, noted);
    const opened = await scoringCheckpoint(target, weightsFlag);
    stop.check();
    for (const n of opened.notes) io.err.write(`rxtrain export: note: ${n}\n`);
    const info = await scoringInference(opened);
    const { inputSize: crop, channels } = opened.config.model;
    const spec = networkSpecOf({ model: opened.config.model.name, numClasses: info.classes.length, inputShape: [crop, crop, channels], dropout: opened.config.model.dropout });
    const artifacts = layersModelArtifacts(spec, scoredWeights(opened), { inference: info, weights: opened.weights });
    const backend = await initBackend({ prefer: backendName, preferSource: '--backend' });
    stop.check();
    const diff = await checkExport(opened, spec, artifacts, backend.name as BackendName);
    if (!(diff <= CHECK_TOLERANCE)) {
      throw new Error(`the exported model's probabilities differ from rxtrain's by ${diff} on a test input (more than ${CHECK_TOLERANCE}): nothing written; please report this with the checkpoint's model config`);
    }
    stop.check();
    const lock = lockOutDir(outDir);
    let shards: string[];
    try {
      const existing = existingExport(outDir, force, io.err, noted);
      const replaced = existing.names.length === 0 ? [] : replacedFiles(outDir, existing.names, io.err);
      shards = await writeExport(artifacts, outDir, { exists: existing.exists, replaced }, stop, tmpRef);
    } finally {
      lock?.release();
    }
    const ck = opened.checkpoint;
    io.out.write(
      `exported ${shownPath(opened.file)} (${opened.weights} weights, step ${ck.step}) to ${shownPath(outDir)}: model.json + ${shards.length} weight file${shards.length === 1 ? '' : 's'}, ${megabytes((artifacts.weightData as ArrayBuffer).byteLength)}\n` +
        `model ${spec.name}: input [batch, ${crop}, ${crop}, ${channels}] float32, output probabilities of ${spec.numClasses} classes; matches rxtrain within ${diff.toExponential(1)} (on ${backend.name})\n`,
    );
    return 0;
  } catch (e) {
    if (e instanceof Interrupted) {
      io.err.write(`rxtrain export: ${e.message}; nothing written to ${outDir}\n`);
      return stopExitCode(e.signal);
    }
    io.err.write(`rxtrain export: ${(e as Error).message}\n`);
    return 1;
  } finally {
    unhook();
  }
}
