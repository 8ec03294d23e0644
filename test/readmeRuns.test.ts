import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, mapRxtrainImports, readmeExamples, sourceResolver, splitExample, type Example } from './fixtures/readmeExamples';
import { runInLanes } from './fixtures/runInLanes';

const run = promisify(execFile);

/**
 * What an example is given (`declare const items: SourceItem[]`), by name: an expression the
 * run awaits before the example's statements, as a reader's own program would compute it. Paths
 * are the README's, relative to the data folder the examples run in.
 */
const GIVEN_VALUES: Readonly<Record<string, string>> = {
  items: `(await given.rxjs.lastValueFrom(given.rxtrain.folderSource('data/my-dataset').pipe(given.rxjs.toArray()))).filter((i) => i.kind === 'item')`,
  cfg: `(() => {
    const r = given.rxtrain.decodeTrainConfig({ ...JSON.parse(given.fs.readFileSync(${JSON.stringify(path.join(ROOT, 'configs', 'sample.json'))}, 'utf8')), telemetry: 'off' });
    if (r._tag === 'Left') throw new Error(r.left.map(given.rxtrain.formatConfigProblem).join('; '));
    return r.right;
  })()`,
};

/** A declared function (`declare function cutoutImage(…)`, "the kernel above"), by name: a stand-in that runs. */
const GIVEN_FUNCTIONS: Readonly<Record<string, string>> = {
  cutoutImage: 'function cutoutImage(img: any, _size: number, _rng: unknown): any { return img; }',
};

/**
 * Examples that train or serve a run take 10–30 s each here (training itself is tested
 * elsewhere), the export example needs a trained model (`exports/…`), and the pipeline
 * example, which takes its folder from the command line, has a test of its own
 * (test/streams/readmePipeline.test.ts). Everything else runs.
 */
function isQuick(ex: Example): boolean {
  return !/\b(?:train|createTrainer|startTelemetryServer)\(|process\.argv|'exports\//.test(ex.code);
}

const isMochaTest = (ex: Example): boolean => /^describe\(/m.test(ex.code);

/** The example as a program: imports as written (rxtrain: this checkout's sources), givens, then its statements. */
function asProgram(ex: Example, toSource: (specifier: string) => string): string {
  const { head, body } = splitExample(ex.code);
  const imports = head.replace(/^declare\s[^\n]*\n/gm, '');
  const values: string[] = [];
  const functions: string[] = [];
  for (const [, kind, name] of head.matchAll(/^declare\s+(const|function)\s+(\w+)/gm)) {
    const given = kind === 'const' ? GIVEN_VALUES[name] : GIVEN_FUNCTIONS[name];
    if (given === undefined) throw new Error(`README example at line ${ex.line} declares ${kind} ${name}, which ${path.basename(__filename)} does not know how to give`);
    if (kind === 'const') values.push(`const ${name} = ${given};`);
    else functions.push(given);
  }
  return [
    mapRxtrainImports(imports, toSource),
    `import * as givenRxtrain from ${JSON.stringify(toSource('rxtrain'))};`,
    `import * as givenRxjs from 'rxjs';`,
    `import * as givenFs from 'node:fs';`,
    'const given = { rxtrain: givenRxtrain, rxjs: givenRxjs, fs: givenFs };',
    ...functions,
    'async function example(): Promise<void> {',
    ...values,
    body,
    '}',
    'example().catch((e: unknown) => { console.error(e); process.exitCode = 1; });',
    '',
  ].join('\n');
}

/** A folder like a reader's project: a small class-folder tree where the examples look for one, and the bundled sample. */
async function dataFolder(): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rxtrain-readme-run-'));
  const sample = path.join(ROOT, 'data', 'fashion-mnist-sample');
  const tree = path.join(dir, 'data', '256_ObjectCategories');
  for (const cls of (await fsp.readdir(path.join(sample, 'train'))).sort().slice(0, 3)) {
    await fsp.mkdir(path.join(tree, cls), { recursive: true });
    for (const file of (await fsp.readdir(path.join(sample, 'train', cls))).sort().slice(0, 5)) {
      await fsp.copyFile(path.join(sample, 'train', cls, file), path.join(tree, cls, file));
    }
  }
  await fsp.symlink(tree, path.join(dir, 'data', 'my-dataset'));
  // The CSV source example's list: `path,label`, relative to the CSV.
  const rows = (await fsp.readdir(tree)).sort().flatMap((cls, label) => fs.readdirSync(path.join(tree, cls)).sort().map((f) => `my-dataset/${cls}/${f},${label}`));
  await fsp.writeFile(path.join(dir, 'data', 'train.csv'), ['path,label', ...rows, ''].join('\n'));
  await fsp.symlink(sample, path.join(dir, 'data', 'fashion-mnist-sample'));
  return dir;
}

describe('README TypeScript examples, run', () => {
  it('every quick example runs to the end without an error, in a process of its own as a reader runs it', async function () {
    this.timeout(300_000);
    const examples = (await readmeExamples()).filter(isQuick);
    const programs = examples.filter((ex) => !isMochaTest(ex));
    const tests = examples.filter(isMochaTest);
    assert.ok(programs.length >= 6 && tests.length >= 2, `found only ${programs.length} quick examples and ${tests.length} tests`);
    // Under node_modules so that rxjs and tfjs resolve as from a user's project.
    const dir = path.join(ROOT, 'node_modules', '.cache', `rxtrain-readme-run-${process.pid}`);
    await fsp.rm(dir, { recursive: true, force: true });
    await fsp.mkdir(dir, { recursive: true });
    const data = await dataFolder();
    try {
      const toSource = await sourceResolver(dir);
      const failures: string[] = [];
      const tsx = require.resolve('tsx/cjs');
      // One process each, as a reader runs them: an example that forgets initBackend() must not
      // ride on an earlier one's.
      const runProgram = async (ex: Example): Promise<void> => {
        const file = path.join(dir, `readme-line-${ex.line}.ts`);
        await fsp.writeFile(file, asProgram(ex, toSource));
        const out = await run(process.execPath, ['--require', tsx, file], { cwd: data, timeout: 120_000 }).catch((e: { stderr?: string; message: string }) => {
          failures.push(`README example at line ${ex.line} failed:\n${(e.stderr ?? '').trim() || e.message}`);
        });
        // An example that prints what it got, and prints nothing, ran without doing what it
        // shows: a loop over batches that were all skipped, say.
        if (out !== undefined && /\bconsole\.log\(/.test(ex.code) && out.stdout.trim() === '') {
          failures.push(`README example at line ${ex.line} printed nothing, though it logs what it got${out.stderr.trim() === '' ? '' : `; its stderr:\n${out.stderr.trim()}`}`);
        }
      };
      // The mocha test files, as the README says to run them.
      const runTests = async (): Promise<void> => {
        const files: string[] = [];
        for (const ex of tests) {
          const file = path.join(dir, `readme-line-${ex.line}.test.ts`);
          await fsp.writeFile(file, mapRxtrainImports(ex.code, toSource));
          files.push(file);
        }
        const mocha = path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
        await run(process.execPath, [mocha, '--no-config', '--require', tsx, '--timeout', '60000', ...files], { cwd: data, timeout: 120_000 }).catch((e: { stdout?: string; message: string }) => {
          failures.push(`README test examples (lines ${tests.map((t) => t.line).join(', ')}) failed:\n${(e.stdout ?? '').trim() || e.message}`);
        });
      };
      // Two at a time. The examples on data/pre run in README order, one after the other: the
      // record file example reads what the preprocess example wrote.
      const chained = programs.filter((ex) => ex.code.includes("'data/pre"));
      const jobs: Array<() => Promise<void>> = [
        async () => { for (const ex of chained) await runProgram(ex); },
        ...programs.filter((ex) => !chained.includes(ex)).map((ex) => () => runProgram(ex)),
        runTests,
      ];
      // Settles once both lanes have ended, so the cleanup below removes folders nothing writes in
      // any more, and a job that throws is reported with its own error.
      await runInLanes(jobs, 2);
      assert.deepEqual(failures, [], failures.join('\n\n'));
    } finally {
      // maxRetries: a process an example started (a worker's last write) may still be letting go.
      await fsp.rm(dir, { recursive: true, force: true, maxRetries: 5 });
      await fsp.rm(data, { recursive: true, force: true, maxRetries: 5 });
    }
  });
});
