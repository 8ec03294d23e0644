import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.join(__dirname, '..', '..');
const guard = path.join(root, 'scripts', 'requireBuilt.mjs');

function runGuard(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [guard, ...args], (error, out, err) => resolve({ code: error === null ? 0 : Number(error.code), out, err }));
  });
}

describe('scripts/requireBuilt.mjs (the npm scripts\' guard for a clone without dist/)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-built-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('says to build and exits 1 when the built CLI is missing, instead of node\'s "Cannot find module" stack', async () => {
    const r = await runGuard(path.join(dir, 'dist', 'cli', 'main.js'));
    assert.deepEqual(r, { code: 1, out: '', err: 'rxtrain is not built: run npm run build\n' });
  });

  it('is silent and exits 0 when it is there', async () => {
    const built = path.join(dir, 'main.js');
    fs.writeFileSync(built, '');
    assert.deepEqual(await runGuard(built), { code: 0, out: '', err: '' });
  });

  it('runs first in every npm script that runs the built CLI', () => {
    const { scripts } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    // scripts/trainCaltech256.ts runs dist/cli/main.js as its child.
    const needDist = Object.entries(scripts).filter(([, command]) => /dist\/cli\/main\.js|scripts\/trainCaltech256\.ts/.test(command));
    assert.ok(needDist.length >= 7, needDist.map(([name]) => name).join(', '));
    for (const [name, command] of needDist) assert.ok(command.startsWith('node scripts/requireBuilt.mjs && '), `${name}: ${command}`);
  });

  it('execs the command it ends with, so that a SIGTERM to npm reaches the training instead of orphaning it', () => {
    // npm runs a script through sh and signals sh; sh with a list of commands (the guard first)
    // does not pass the signal on, so the last command must replace it.
    const { scripts } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const needDist = Object.entries(scripts).filter(([, command]) => /dist\/cli\/main\.js|scripts\/trainCaltech256\.ts/.test(command));
    for (const [name, command] of needDist) assert.match(command, /&& exec node [^&|;]*$/, `${name}: ${command}`);
  });
});
