import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ROOT, asModule, readmeExamples, sourceResolver } from './fixtures/readmeExamples';
import { TYPESCRIPTS, runTsc } from './fixtures/typeScripts';

describe('README TypeScript examples', () => {
  // Under node_modules so that rxjs, tfjs and grpc-js resolve as from a user's project.
  const dir = path.join(ROOT, 'node_modules', '.cache', `rxtrain-readme-tsc-${process.pid}`);

  before(async () => {
    const examples = await readmeExamples();
    assert.ok(examples.length >= 8, `found only ${examples.length} examples`);
    await fsp.rm(dir, { recursive: true, force: true });
    await fsp.mkdir(dir, { recursive: true });
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
  });

  after(() => fsp.rm(dir, { recursive: true, force: true }));

  // The README says rxtrain's typings check under TypeScript 5.9 and 7: its examples are
  // checked with both, their expected type errors included.
  for (const ts of TYPESCRIPTS) {
    it(`every example that starts with an import type-checks against the sources (${ts.name})`, async function () {
      this.timeout(180_000);
      const result = await runTsc(ts, ['-p', dir]);
      // Name each error by its README line so the message points at the example to fix.
      const errors = result.replace(/node_modules\/\.cache\/[^/]+\/readme-line-(\d+)\.ts\((\d+),\d+\)/g,
        (_m, line: string, row: string) => `README.md example at line ${line} (its line ${Number(row) - 1})`);
      assert.equal(errors, '', errors);
    });
  }

  // `tsc --init` (TypeScript 7) writes noUncheckedIndexedAccess and exactOptionalPropertyTypes
  // into a new project: an example pasted there must check too. rxtrain's own sources are not
  // written for those options, so only the examples' errors count.
  it('every example also type-checks with the strict options of a new TypeScript 7 project (noUncheckedIndexedAccess, exactOptionalPropertyTypes)', async function () {
    this.timeout(180_000);
    const ts7 = TYPESCRIPTS.find((ts) => ts.major === 7);
    assert.ok(ts7, 'no TypeScript 7 among TYPESCRIPTS');
    const result = await runTsc(ts7, ['-p', dir, '--noUncheckedIndexedAccess', '--exactOptionalPropertyTypes']);
    // A diagnostic is a line naming its file, then indented lines that explain it.
    const blocks = result.split(/\n(?=\S)/).filter((b) => /readme-line-\d+\.ts\(/.test(b.split('\n')[0] ?? ''));
    const errors = blocks.join('\n').replace(/\S*readme-line-(\d+)\.ts\((\d+),\d+\)/g,
      (_m, line: string, row: string) => `README.md example at line ${line} (its line ${Number(row) - 1})`);
    assert.ok(result === '' || /error TS/.test(result), `tsc failed without diagnostics:\n${result.slice(0, 2000)}`);
    assert.equal(errors, '', errors);
  });
});
