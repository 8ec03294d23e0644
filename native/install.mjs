/* global process, console */
// The package's "install" script: builds rxtrain's optional native GEMM addon
// (build/Release/rxtrain_native.node) with node-gyp. It never fails the install: without a C++
// toolchain (or with RXTRAIN_NATIVE=0) rxtrain runs its pure-wasm kernels and says so at start.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.join(root, 'build', 'Release', 'rxtrain_native.node');

function say(msg) {
  console.error(`rxtrain native: ${msg}`);
}

/** node-gyp: npm's own copy (npm passes its path), else one resolvable from here or on PATH. */
function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return [process.execPath, fromNpm];
  try {
    return [process.execPath, createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js')];
  } catch {
    // The copy bundled with the npm that ships next to this Node.
    const bundled = path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    return existsSync(bundled) ? [process.execPath, bundled] : ['node-gyp'];
  }
}

function main() {
  const off = (process.env.RXTRAIN_NATIVE ?? '').trim().toLowerCase();
  if (['0', 'false', 'off', 'no'].includes(off)) {
    say('RXTRAIN_NATIVE=0: not building the addon (pure wasm kernels)');
    return;
  }
  const [cmd, ...pre] = nodeGyp();
  const args = [...pre, 'rebuild', '--release'];
  // Headers that came with this Node (Debian/NodeSource packages, official tarballs): use them
  // rather than letting node-gyp download them, which fails offline.
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) && existsSync(path.join(prefix, 'include', 'node', 'common.gypi'))) {
    args.push(`--nodedir=${prefix}`);
  }
  const started = Date.now();
  // Built in a private folder and renamed into place at the end: node-gyp's rebuild starts by
  // deleting build/, and a process loading the addon meanwhile (tests, a training run, a
  // benchmark) would silently fall back to pure wasm. A rename replaces the file atomically.
  const work = path.join(root, 'build', `tmp-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  cpSync(path.join(root, 'binding.gyp'), path.join(work, 'binding.gyp'));
  cpSync(path.join(root, 'native'), path.join(work, 'native'), { recursive: true });
  let r;
  try {
    r = spawnSync(cmd, args, { cwd: work, encoding: 'utf8', timeout: 10 * 60 * 1000, env: process.env });
    if (r.status === 0) {
      mkdirSync(path.dirname(target), { recursive: true });
      renameSync(path.join(work, 'build', 'Release', 'rxtrain_native.node'), target);
      say(`addon built in ${((Date.now() - started) / 1000).toFixed(0)}s (build/Release/rxtrain_native.node)`);
      return;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  // A failed build must not leave an addon from older sources in use.
  rmSync(target, { force: true });
  const lines = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  // The first real error (compiler, make, python), not node-gyp's closing "gyp ERR! not ok" lines.
  const first = lines.find((l) => /error|not found|no such file/i.test(l) && !/^gyp ERR! (node -v|node-gyp -v|cwd|command|System|not ok)/.test(l));
  const why = r.error ? r.error.message : (first ?? lines.at(-1) ?? `exit code ${r.status}`);
  say(`addon not built, rxtrain will use its pure wasm kernels (${why})`);
}

try {
  main();
} catch (e) {
  say(`addon not built, rxtrain will use its pure wasm kernels (${e instanceof Error ? e.message : String(e)})`);
}
process.exitCode = 0;
