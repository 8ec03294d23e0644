import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '..');

/** A ```ts block of the README that starts with an import, i.e. claims to be a whole program. */
interface Example {
  readonly line: number;
  readonly code: string;
}

async function readmeExamples(): Promise<Example[]> {
  const readme = await fsp.readFile(path.join(ROOT, 'README.md'), 'utf8');
  const out: Example[] = [];
  for (const m of readme.matchAll(/```ts\n([\s\S]*?)```/g)) {
    if (!m[1].trimStart().startsWith('import ')) continue;
    out.push({ line: readme.slice(0, m.index).split('\n').length + 1, code: m[1] });
  }
  return out;
}

/**
 * The example as a module that type-checks against this checkout: `'rxtrain'` and its subpaths
 * (`'rxtrain/ops'`) are the sources that package.json's `exports` build them from, via
 * `toSource`, and the statements after the imports become the body of an async
 * function, because several examples use `await` at the top level (fine in an ES module,
 * which a user's file may be; this project compiles to CommonJS).
 */
function asModule(code: string, toSource: (specifier: string) => string): string {
  // Imports, then any `declare` lines (how an example says "you have one of these").
  const imports = /^(?:import\s[\s\S]*?from\s+'[^']+';\s*\n)+(?:\s*\n)*(?:declare\s[^\n]*\n)*/.exec(code)?.[0] ?? '';
  const body = code.slice(imports.length);
  return `${imports.replace(/from '(rxtrain(?:\/[^']*)?)'/g, (_m, spec: string) => `from ${JSON.stringify(toSource(spec))}`)}\nexport async function example(): Promise<void> {\n${body}\n}\n`;
}

/** Where `'rxtrain'` or `'rxtrain/…'` comes from in src/: its `exports` entry's dist/…/x.js is src/…/x. */
async function sourceResolver(fromDir: string): Promise<(specifier: string) => string> {
  const pkg = JSON.parse(await fsp.readFile(path.join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { default?: string }> };
  return (specifier) => {
    const key = `.${specifier.slice('rxtrain'.length)}`;
    const built = pkg.exports[key]?.default;
    if (!built) throw new Error(`a README example imports '${specifier}', which package.json does not export`);
    const src = path.join(ROOT, built.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, ''));
    return path.relative(fromDir, src).split(path.sep).join('/');
  };
}

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
