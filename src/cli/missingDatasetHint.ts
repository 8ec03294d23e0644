import * as path from 'node:path';

/**
 * What to do about an IDX dataset folder that does not exist. The npm scripts read Debian's copy
 * of Fashion-MNIST: a machine without the package needs to be told which one (or how to do
 * without it), not shown an ENOENT.
 *
 * @example
 * ```ts
 * missingDatasetHint('/usr/share/datasets/fashion-mnist');
 * // "Debian's dataset-fashion-mnist package installs it (apt-get install dataset-fashion-mnist); or download …"
 * ```
 */
export function missingDatasetHint(dir: string): string {
  const debian = path.resolve(dir) === '/usr/share/datasets/fashion-mnist'
    ? "Debian's dataset-fashion-mnist package installs it (apt-get install dataset-fashion-mnist); or "
    : '';
  return `${debian}download the four *-ubyte.gz files (https://github.com/zalandoresearch/fashion-mnist for Fashion-MNIST) into a folder and pass it as --dataset-dir`;
}
