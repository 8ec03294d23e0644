#!/usr/bin/env node
/**
 * The `rxtrain` command: dispatches to one module per subcommand so that starting
 * `rxtrain monitor` does not load tfjs, and `rxtrain train` does not load the monitor UI.
 */
import * as path from 'node:path';
import { closestName } from '../model/closestName';
import { processStopSignal } from './processStopSignal';
import { stopExitCode } from './stopExitCode';

/**
 * A subcommand: takes its own argv (after the subcommand name), returns the exit code. Every
 * `src/cli/<name>Command.ts` exports one as `run`.
 *
 * @example
 * ```ts
 * import { run } from './trainCommand';
 * const train: Command = run;
 * process.exitCode = await train(['--config', 'configs/sample.json', '--epochs', '2']);
 * ```
 */
export type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { module: string; summary: string }> = {
  preprocess: { module: './preprocessCommand', summary: 'folder-per-class images → 256² train/val split, manifests, mean RGB' },
  train: { module: './trainCommand', summary: 'train a model; resumes automatically from its run directory' },
  evaluate: { module: './evaluateCommand', summary: 'score a checkpoint: accuracy, per class, confusion matrix, test-time augmentation' },
  predict: { module: './predictCommand', summary: 'classify image files with a checkpoint: the most probable classes of each' },
  export: { module: './exportCommand', summary: 'write a checkpoint as a TensorFlow.js Layers model (model.json + weights) for serving' },
  monitor: { module: './monitorCommand', summary: 'watch a training run live over gRPC' },
  'import-idx': { module: './importIdxCommand', summary: 'IDX files (MNIST, Fashion-MNIST) → folder-per-class PNG tree and/or record files' },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return `usage: rxtrain <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nrxtrain <command> --help shows the options of a command; rxtrain --version the version.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    console.log((require(path.join(__dirname, '..', '..', 'package.json')) as { version: string }).version);
    return 0;
  }
  const entry = COMMANDS[name];
  if (entry === undefined) {
    const near = closestName(name, Object.keys(COMMANDS));
    console.error(`rxtrain: unknown command '${name}'${near === undefined ? '' : ` (did you mean ${near}?)`}\n\n${usage()}`);
    return 2;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(path.join(__dirname, entry.module)) as { run: Command };
  return mod.run(rest);
}

/**
 * Sets the finished command's exit code. Node then exits once its threads and handles close
 * (tens of milliseconds after an export); a Ctrl-C or SIGTERM meanwhile would kill the process
 * (130 / 143) although the command's work is done, its files in place. From here a signal ends
 * the process with the command's own code instead.
 */
function finish(code: number): void {
  process.exitCode = code;
  const unhook = processStopSignal(() => process.exit());
  if (code === stopExitCode('SIGHUP')) {
    // Stopped by SIGHUP: its terminal is most likely gone, and Node 20 aborts as it exits when it
    // cannot restore a terminal's settings (EIO; nodejs/node#51519, fixed in Node 24), leaving a
    // Node assertion and exit 134 after a clean stop. Ending by the signal itself, as its default
    // action would have, skips that, and a shell reports it as 129 all the same. Last of the exit
    // listeners: the command's own (the lock, a temp file) have run.
    process.once('exit', () => {
      unhook();
      process.kill(process.pid, 'SIGHUP');
    });
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(finish, (err: unknown) => {
    console.error(`rxtrain: ${err instanceof Error ? err.message : String(err)}`);
    finish(1);
  });
}
