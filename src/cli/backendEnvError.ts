import * as E from 'fp-ts/Either';
import { formatBackendEnvProblem, readBackendEnv, type BackendName } from '../model/backend';

/**
 * What a command that initialises a backend says, before it starts anything, when
 * `RXTRAIN_BACKEND` or `RXTRAIN_THREADS` holds a value it cannot use (one line per variable,
 * each naming the value and what is accepted), or undefined when the environment is fine. Such
 * a setting is a configuration error like a bad flag: the commands exit 2 with it, not 1 after
 * loading the checkpoint or the data. `prefer` is the command's `--backend`: a named one wins, so
 * `RXTRAIN_BACKEND` is then not read (as in `initBackend`).
 *
 * @example
 * ```ts
 * const bad = backendEnvError('predict', process.env, 'auto');
 * if (bad !== undefined) { process.stderr.write(bad); process.exitCode = 2; }
 * // RXTRAIN_THREADS=0: 'rxtrain predict: RXTRAIN_THREADS="0" in the environment: expected a positive integer (…) (or leave it unset)\n'
 * ```
 */
export function backendEnvError(command: string, env: Readonly<Record<string, string | undefined>>, prefer: BackendName | 'auto'): string | undefined {
  const read = readBackendEnv(env, { prefer });
  return E.isLeft(read) ? read.left.map((p) => `rxtrain ${command}: ${formatBackendEnvProblem(p)}\n`).join('') : undefined;
}
