import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '..');

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...await sourceFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

// What `npm pack` puts in the package a user installs (README "In your own project").
describe('the npm package', () => {
  let packed: Set<string>;

  before(async function () {
    this.timeout(60_000);
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, maxBuffer: 64 << 20 });
    const [report] = JSON.parse(stdout) as { files: { path: string }[] }[];
    packed = new Set(report.files.map((f) => f.path));
  });

  it('holds the compiled JavaScript and typings of every source file (workers included)', async () => {
    const missing: string[] = [];
    for (const file of await sourceFiles(path.join(ROOT, 'src'))) {
      const base = path.relative(path.join(ROOT, 'src'), file).replace(/\.ts$/, '').split(path.sep).join('/');
      for (const ext of ['.js', '.d.ts']) if (!packed.has(`dist/${base}${ext}`)) missing.push(`dist/${base}${ext}`);
    }
    assert.deepEqual(missing, [], `not in the package (is dist/ built? npm run build): ${missing.slice(0, 10).join(', ')}`);
  });

  it('holds what runs at install and at run time outside dist/: the addon sources, its build file, the proto', () => {
    for (const f of ['package.json', 'README.md', 'binding.gyp', 'native/install.mjs', 'native/addon.cc', 'native/gemm.cc', 'proto/telemetry.proto']) {
      assert.ok(packed.has(f), `${f} is not in the package`);
    }
  });

  it('leaves out the tests, benchmarks, sample data and TypeScript sources', () => {
    const stray = [...packed].filter((f) => /^(test|bench|data|src|runs|docs|node_modules|build)\//.test(f));
    assert.deepEqual(stray, []);
  });

  // Stack traces (tsx, node --enable-source-maps) follow a script's source map to the files it
  // names: every such file must be one the package holds, not ../src/*.ts left behind.
  it('names no file it does not hold in its source maps: stack traces point at files that exist', async () => {
    const dangling: string[] = [];
    for (const file of [...packed].filter((f) => f.endsWith('.js'))) {
      const js = await fsp.readFile(path.join(ROOT, file), 'utf8');
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(js)?.[1];
      if (url === undefined || url.startsWith('data:')) continue;
      const map = path.posix.join(path.posix.dirname(file), url);
      if (!packed.has(map)) {
        dangling.push(`${file} → ${map}`);
        continue;
      }
      const m = JSON.parse(await fsp.readFile(path.join(ROOT, map), 'utf8')) as { sources: string[]; sourcesContent?: unknown[] };
      m.sources.forEach((src, i) => {
        const named = path.posix.join(path.posix.dirname(map), src);
        if (!packed.has(named) && typeof m.sourcesContent?.[i] !== 'string') dangling.push(`${map} → ${named}`);
      });
    }
    assert.deepEqual(dangling.slice(0, 5), [], `${dangling.length} dangling source-map references (dist/ built before the fix? npm run build)`);
  });

  it("resolves 'rxtrain' to the built entry point, also inside this checkout (package exports)", async () => {
    assert.equal(require.resolve('rxtrain', { paths: [ROOT] }), path.join(ROOT, 'dist', 'index.js'));
    const pkg = JSON.parse(await fsp.readFile(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    assert.ok(packed.has(pkg.bin.rxtrain.replace(/^\.\//, '')), 'the rxtrain CLI is in the package');
  });

  it("resolves 'rxtrain/ops' to the built operators entry, with typings also for TypeScript's older node10 resolution", async () => {
    assert.equal(require.resolve('rxtrain/ops', { paths: [ROOT] }), path.join(ROOT, 'dist', 'ops', 'index.js'));
    const pkg = JSON.parse(await fsp.readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, { types?: string }>;
      typesVersions?: Record<string, Record<string, string[]>>;
    };
    const types = pkg.exports['./ops']?.types;
    assert.equal(types, './dist/ops/index.d.ts');
    assert.ok(packed.has(types.replace(/^\.\//, '')), `${types} is not in the package`);
    // moduleResolution node10 (the default of "module": "commonjs") ignores `exports`.
    assert.deepEqual(pkg.typesVersions?.['*']?.ops, [types]);
  });
});

// The light entry for tests of users' operators: what it loads, compiled from the current sources.
describe("the 'rxtrain/ops' entry point", () => {
  const dir = path.join(ROOT, 'node_modules', '.cache', `rxtrain-ops-entry-${process.pid}`);

  before(async function () {
    this.timeout(180_000);
    await fsp.rm(dir, { recursive: true, force: true });
    await fsp.mkdir(dir, { recursive: true });
    // A package of its own: this package.json, and the build config's output for src/ops and
    // what it imports, so `require('rxtrain/ops')` inside it goes through the real `exports`.
    await fsp.copyFile(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    await fsp.writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify({
      extends: path.join(ROOT, 'tsconfig.build.json'),
      compilerOptions: { outDir: path.join(dir, 'dist') },
      include: [],
      files: [path.join(ROOT, 'src', 'ops', 'index.ts')],
    }));
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await promisify(execFile)(process.execPath, [tsc, '-p', dir], { cwd: ROOT, timeout: 170_000 })
      .catch((e: { stdout?: string }) => assert.fail(`tsc failed:\n${e.stdout ?? String(e)}`));
  });

  after(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('loads neither tfjs, sharp nor gRPC, and runs the operator checklist and transformFromOperator without a test framework', async function () {
    this.timeout(60_000);
    const probe = path.join(dir, 'probe.js');
    await fsp.writeFile(probe, `
      const ops = require('rxtrain/ops');
      const img = ops.testImage(3, 2, 1);
      const carrier = (image) => ({ image, label: 1, path: 'cls/1.png' });
      const cases = ops.operatorChecklist({
        make: () => ops.flipHorizontal(),
        a: carrier(img),
        b: img,
        expected: () => ({ a: carrier(ops.flipHorizontalImage(img)), b: ops.flipHorizontalImage(img) }),
        bad: { data: new Uint8Array(5), width: 3, height: 2, channels: 1 },
        badError: /RangeError/,
      });
      for (const c of cases) c.run();
      // The operator bridged into a dataset transform, skips included, without the dataset's code.
      const ctx = { epoch: 0, index: 0, path: 'cls/1.png', label: 1 };
      const flip = ops.transformFromOperator(() => ops.flipHorizontal());
      const flipped = flip(img, ops.createRng(1), ctx);
      const skipped = ops.transformFromOperator(() => () => require('rxjs').of(ops.skipSample('blank')))(img, ops.createRng(1), ctx);
      const bridged = JSON.stringify(flipped) === JSON.stringify(ops.flipHorizontalImage(img)) && skipped.reason === 'transform';
      console.log(JSON.stringify({ entry: require.resolve('rxtrain/ops'), cases: cases.length, bridged, loaded: Object.keys(require.cache) }));
    `);
    const { stdout } = await promisify(execFile)(process.execPath, [probe], { cwd: dir, timeout: 50_000 });
    const got = JSON.parse(stdout) as { entry: string; cases: number; bridged: boolean; loaded: string[] };
    assert.equal(got.entry, path.join(dir, 'dist', 'ops', 'index.js'));
    assert.equal(got.cases, 6);
    assert.equal(got.bridged, true, 'transformFromOperator and skipSample work from the light entry');
    const packages = new Set(got.loaded.map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path.relative(ROOT, f))?.[1]).filter((p) => p !== undefined));
    assert.ok(packages.has('rxjs'), `the probe did not see rxjs load: ${[...packages].join(', ')}`);
    const heavy = [...packages].filter((p) => /^(@tensorflow\/|sharp$|@img\/|@grpc\/|protobufjs$|mocha$)/.test(p));
    assert.deepEqual(heavy, [], `'rxtrain/ops' loaded ${heavy.join(', ')}`);
  });
});
