/**
 * The guard in front of the npm scripts that run the built CLI (`npm start`, `npm run train:*`):
 * after `npm ci --ignore-scripts` there is no dist/, and node would answer with a "Cannot find
 * module" stack that does not say what to do. Plain JavaScript, not TypeScript: it runs before
 * every training start, and loading tsx to check for one file would cost more than the check.
 *
 * @example
 * ```sh
 * node scripts/requireBuilt.mjs && exec node dist/cli/main.js train --config configs/sample.json
 * node scripts/requireBuilt.mjs /tmp/elsewhere/main.js   # the file to look for instead (tests)
 * ```
 */
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const built = process.argv[2] ?? new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write('rxtrain is not built: run npm run build\n');
  process.exitCode = 1;
}
