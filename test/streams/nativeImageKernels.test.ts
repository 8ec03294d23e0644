import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { addonBuildHint } from '../../src/model/wasm/addonBuildHint';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * What `NODE_DEBUG=rxtrain` prints about the image kernels in a process standing in `cwd`
 * whose addon fails to load (`missing`) or loads without the image kernels (`old`, a build
 * from before them). A child process: the addon is loaded once per thread.
 */
function debugOutput(addon: 'missing' | 'old', cwd: string): string {
  const script = `
    const Module = require('node:module');
    const load = Module._load;
    Module._load = function (request, ...rest) {
      if (String(request).endsWith('rxtrain_native.node')) {
        if (${JSON.stringify(addon)} === 'old') return { conv2d() {} };
        throw new Error('Cannot find module ' + request);
      }
      return load.call(this, request, ...rest);
    };
    const { nativeImageKernels } = require(${JSON.stringify(path.join(ROOT, 'src', 'streams', 'nativeImageKernels'))});
    if (nativeImageKernels() !== undefined) throw new Error('image kernels from a stub addon');
  `;
  const r = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', script], { cwd, encoding: 'utf8', env: { ...process.env, NODE_DEBUG: 'rxtrain', RXTRAIN_NATIVE: '1' } });
  assert.equal(r.status, 0, r.stderr);
  return r.stderr;
}

describe('nativeImageKernels', () => {
  // Outside the clone the hint names the script by its full path (in an installed package:
  // `npm rebuild rxtrain`), as the training kernels' message does; `node native/install.mjs`
  // is right only inside the clone.
  const hint = addonBuildHint(ROOT, os.tmpdir());

  it('says how to build the addon, in the words of the training kernels, when it is not built (NODE_DEBUG=rxtrain)', () => {
    const out = debugOutput('missing', os.tmpdir());
    assert.match(out, /native image kernels not available, using the JavaScript ones: addon not built \(Cannot find module /);
    assert.ok(out.includes(`; build it with ${hint} (needs a C++ compiler, make, python3)`), out);
  });

  it('says how to rebuild an addon built before the image kernels, with the same hint', () => {
    const out = debugOutput('old', os.tmpdir());
    assert.ok(out.includes(`(lacks cropResize); rebuild it with ${hint}`), out);
    assert.doesNotMatch(out, /`node native\/install\.mjs`/);
  });
});
