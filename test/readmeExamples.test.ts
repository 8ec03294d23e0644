import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, asModule, readmeExamples, sourceResolver } from './fixtures/readmeExamples';

describe('README TypeScript examples', () => {
  it('every example that starts with an import type-checks against the sources', async function () {
    this.timeout(180_000);
    const examples = await readmeExamples();
    assert.ok(examples.length >= 8, `found only ${examples.length} examples`);
    // Under node_modules so that rxjs, tfjs and grpc-js resolve as from a user's project.
    const dir = path.join(ROOT, 'node_modules', '.cache', `rxtrain-readme-tsc-${process.pid}`);
    await fsp.rm(dir, { recursive: true, force: true });
    await fsp.mkdir(dir, { recursive: true });
    try {
      const files: string[] = [];
      const toSource = await sourceResolver(dir);
      for (const ex of examples) {
        const file = path.join(dir, `readme-line-${ex.line}.ts`);
        await fsp.writeFile(file, asModule(ex.code, toSource));
        files.push(file);
      }
      await fsp.writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify({
        extends: path.join(ROOT, 'tsconfig.json'),
        compilerOptions: { noEmit: true, rootDir: ROOT, types: ['node', 'mocha'] },
        include: [],
        files,
      }));
      const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      const result = await promisify(execFile)(process.execPath, [tsc, '-p', dir], { cwd: ROOT, timeout: 170_000 })
        .then(() => '', (e: { stdout?: string }) => e.stdout ?? String(e));
      // Name each error by its README line so the message points at the example to fix.
      const errors = result.replace(/node_modules\/\.cache\/[^/]+\/readme-line-(\d+)\.ts\((\d+),\d+\)/g,
        (_m, line: string, row: string) => `README.md example at line ${line} (its line ${Number(row) - 1})`);
      assert.equal(errors, '', errors);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
