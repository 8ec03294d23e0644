import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { machineCores } from '../../src/model/machineCores';

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('machineCores', () => {
  it("is the cores Node says this process may use, a positive integer", () => {
    const cores = machineCores();
    assert.ok(Number.isInteger(cores) && cores >= 1, String(cores));
    assert.equal(cores, os.availableParallelism());
  });

  it('is the one place src/model and src/cli ask Node for the core count', () => {
    // src/streams stays free of src/model imports and asks Node itself; loadWasmBackend patches
    // os.cpus for Emscripten, which is not a count rxtrain uses.
    const root = path.join(__dirname, '..', '..', 'src');
    const askers = [path.join(root, 'model'), path.join(root, 'cli')]
      .flatMap(sourceFiles)
      .filter((f) => path.basename(f) !== 'machineCores.ts')
      .filter((f) => /availableParallelism\b|\bos\.cpus\(\)\.length/.test(fs.readFileSync(f, 'utf8')))
      .map((f) => path.relative(root, f));
    assert.deepEqual(askers, []);
  });
});
