import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Where `npm run train:caltech256` expects the unpacked Caltech-256 archive (its folder
 * `256_ObjectCategories`, one sub-folder per class), relative to the clone's root.
 *
 * @example
 * ```ts
 * CALTECH256_SOURCE; // 'data/256_ObjectCategories'
 * ```
 */
export const CALTECH256_SOURCE = 'data/256_ObjectCategories';

/**
 * The `rxtrain preprocess --records` output the recipe trains on: `data.train` of
 * configs/caltech256.json (a test keeps the two equal).
 *
 * @example
 * ```ts
 * CALTECH256_PREPROCESSED; // 'data/caltech256-pre'
 * ```
 */
export const CALTECH256_PREPROCESSED = 'data/caltech256-pre';

/**
 * The recipe's config, relative to the clone's root.
 *
 * @example
 * ```ts
 * CALTECH256_CONFIG; // 'configs/caltech256.json'
 * ```
 */
export const CALTECH256_CONFIG = 'configs/caltech256.json';

// What training reads from a preprocess output; the record files spare decoding JPEGs every epoch.
const MANIFESTS = ['categories.csv', 'train.csv', 'val.csv', 'rgb_val.json'];
const RECORDS = ['train.rec', 'val.rec'];

/**
 * What {@link trainCaltech256} runs and where it writes.
 *
 * @example
 * ```ts
 * const o: TrainCaltech256Options = { cwd: '.', cli: [process.execPath, 'dist/cli/main.js'], args: ['--epochs', '2'] };
 * ```
 */
export interface TrainCaltech256Options {
  /** The clone's root: the data, config and run paths are relative to it. */
  readonly cwd: string;
  /** The command that runs the rxtrain CLI, e.g. `[node, 'dist/cli/main.js']`. */
  readonly cli: readonly string[];
  /** Extra `rxtrain train` options (`npm run train:caltech256 -- --epochs 2`). */
  readonly args: readonly string[];
  /** Where the script's own lines go (default: stderr). */
  readonly write?: (line: string) => void;
  /** The children's output: the terminal (default), or `'ignore'` (tests). */
  readonly stdio?: 'inherit' | 'ignore';
}

/**
 * The message for a clone without the dataset: what it is, where to get it, where to unpack it.
 *
 * @example
 * ```ts
 * missingCaltech256Message().includes('256_ObjectCategories.tar'); // true
 * ```
 */
export function missingCaltech256Message(): string {
  return [
    `train:caltech256: no Caltech-256 images in ${CALTECH256_SOURCE} and no preprocessed data in ${CALTECH256_PREPROCESSED}.`,
    `Caltech-256 (Griffin, Holub & Perona, Caltech 2007: 30,607 images, 256 object classes + 257.clutter) is not`,
    `bundled and cannot be downloaded by this script: get 256_ObjectCategories.tar (≈ 1.2 GB) from`,
    `https://data.caltech.edu/records/nyy15-4j048 and unpack it into data/:`,
    `  tar -xf 256_ObjectCategories.tar -C data     # → ${CALTECH256_SOURCE}/001.ak47/001_0001.jpg …`,
    `then run npm run train:caltech256 again: it preprocesses into ${CALTECH256_PREPROCESSED} first, then trains.`,
  ].join('\n');
}

const isDir = (p: string): boolean => fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() === true;
const isFile = (p: string): boolean => fs.statSync(p, { throwIfNoEntry: false })?.isFile() === true;

// Runs a child with the terminal, waiting for it also when Ctrl-C reaches both: the child
// (rxtrain) saves its checkpoint and exits with 130, and this script must not quit first and
// hand the prompt back while training still writes.
function runChild(argv: readonly string[], cwd: string, stdio: 'inherit' | 'ignore'): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd, stdio });
    const forward = (signal: NodeJS.Signals): void => {
      // Ctrl-C already reached the child through the terminal's process group; a SIGTERM sent
      // to this script alone must be passed on.
      if (signal === 'SIGTERM') child.kill(signal);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const done = (code: number): void => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code);
    };
    child.on('error', (err) => {
      process.stderr.write(`train:caltech256: cannot run ${argv.join(' ')}: ${err.message}\n`);
      done(1);
    });
    child.on('exit', (code, signal) => done(code ?? 128 + (signal === null ? 0 : os.constants.signals[signal])));
  });
}

/**
 * `npm run train:caltech256`: preprocesses `data/256_ObjectCategories` into
 * `data/caltech256-pre` (with record files) unless that is done, then trains with
 * configs/caltech256.json. Without the data it says where to get it. Resolves to the exit code.
 *
 * @example
 * ```ts
 * const code = await trainCaltech256({ cwd: process.cwd(), cli: [process.execPath, 'dist/cli/main.js'], args: [] });
 * ```
 */
export async function trainCaltech256(o: TrainCaltech256Options): Promise<number> {
  const write = o.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const stdio = o.stdio ?? 'inherit';
  const pre = path.join(o.cwd, CALTECH256_PREPROCESSED);
  const missing = [...MANIFESTS, ...RECORDS].filter((f) => !isFile(path.join(pre, f)));
  // Reading the options or the resolved recipe needs no data: nothing to preprocess or to ask for.
  const noRun = o.args.some((a) => a === '--help' || a === '-h' || a === '--print-config');
  if (missing.length > 0 && !noRun) {
    if (isDir(path.join(o.cwd, CALTECH256_SOURCE))) {
      write(`train:caltech256: ${CALTECH256_PREPROCESSED} lacks ${missing.join(', ')}: preprocessing ${CALTECH256_SOURCE} first`);
      const code = await runChild([...o.cli, 'preprocess', CALTECH256_SOURCE, CALTECH256_PREPROCESSED, '--records'], o.cwd, stdio);
      if (code !== 0) return code;
    } else if (missing.some((f) => MANIFESTS.includes(f))) {
      write(missingCaltech256Message());
      return 1;
    } else {
      // The images are there, the record files not, and nothing to remake them from: train on the JPEGs.
      write(`train:caltech256: ${CALTECH256_PREPROCESSED} has no ${missing.join(', ')} and ${CALTECH256_SOURCE} is gone: training on its JPEG files (decoded every epoch, slower)`);
    }
  }
  return runChild([...o.cli, 'train', '--config', CALTECH256_CONFIG, ...o.args], o.cwd, stdio);
}

if (require.main === module) {
  void trainCaltech256({ cwd: process.cwd(), cli: [process.execPath, path.join('dist', 'cli', 'main.js')], args: process.argv.slice(2) }).then((code) => {
    process.exitCode = code;
  });
}
