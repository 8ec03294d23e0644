import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import sharp from 'sharp';
import { DEFAULT_TRAIN_CONFIG, decodeTrainConfig, mergeConfig } from '../../src/model/TrainConfig';
import { CALTECH256_CONFIG, CALTECH256_PREPROCESSED, CALTECH256_SOURCE, trainCaltech256 } from '../../scripts/trainCaltech256';

const root = path.join(__dirname, '..', '..');

// Every key path of a nested object, to check that the recipe spells out every field.
function keyPaths(o: unknown, prefix = ''): string[] {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return [prefix];
  return Object.entries(o).flatMap(([k, v]) => keyPaths(v, prefix === '' ? k : `${prefix}.${k}`));
}

// A stand-in for the rxtrain CLI that records each call and exits as the test says.
function fakeCli(dir: string): { cli: string[]; calls: () => string[][] } {
  const file = path.join(dir, 'fake-cli.js');
  fs.writeFileSync(
    file,
    `const fs = require('fs');
fs.appendFileSync(${JSON.stringify(path.join(dir, 'calls.jsonl'))}, JSON.stringify(process.argv.slice(2)) + '\\n');
const how = process.env['FAKE_' + process.argv[2].toUpperCase()];
if (how === 'SIGTERM') process.kill(process.pid, 'SIGTERM');
else process.exit(Number(how ?? 0));`,
  );
  const log = path.join(dir, 'calls.jsonl');
  return {
    cli: [process.execPath, file],
    calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]) : []),
  };
}

function withEnv<T>(env: Record<string, string>, f: () => Promise<T>): Promise<T> {
  Object.assign(process.env, env);
  return f().finally(() => {
    for (const k of Object.keys(env)) delete process.env[k];
  });
}

describe('npm run train:caltech256 (scripts/trainCaltech256)', function () {
  this.timeout(300_000);
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-caltech-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('configs/caltech256.json spells out every field and is the built-in defaults but for its data, run folder and step checkpoints', () => {
    const raw = JSON.parse(fs.readFileSync(path.join(root, CALTECH256_CONFIG), 'utf8')) as unknown;
    assert.deepEqual(keyPaths(raw).sort(), keyPaths(DEFAULT_TRAIN_CONFIG).sort());
    const decoded = decodeTrainConfig(raw);
    assert.ok(E.isRight(decoded), JSON.stringify(decoded));
    // The only fields the recipe may set apart from the defaults: a default that changes shows here.
    const expected = mergeConfig(DEFAULT_TRAIN_CONFIG, {
      data: { train: CALTECH256_PREPROCESSED },
      runDir: 'runs/caltech256',
      checkpoint: { everySteps: 50 },
    });
    assert.deepStrictEqual(decoded.right, expected);
  });

  it('without the dataset says where to get it and where to unpack it, exit 1, no stack trace', async () => {
    const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(root, 'scripts', 'trainCaltech256.ts')], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 1, out);
    assert.match(out, /no Caltech-256 images in data\/256_ObjectCategories and no preprocessed data in data\/caltech256-pre/);
    assert.match(out, /256_ObjectCategories\.tar \(≈ 1\.2 GB\)/);
    assert.match(out, /https:\/\/data\.caltech\.edu\/records\/nyy15-4j048/);
    assert.match(out, /tar -xf 256_ObjectCategories\.tar -C data/);
    assert.doesNotMatch(out, /\n\s+at /, 'no stack trace');
  });

  it('preprocesses the archive with record files first, then trains with the recipe and the extra options', async () => {
    fs.mkdirSync(path.join(tmp, CALTECH256_SOURCE, '001.ak47'), { recursive: true });
    const { cli, calls } = fakeCli(tmp);
    const lines: string[] = [];
    assert.equal(await trainCaltech256({ cwd: tmp, cli, args: ['--epochs', '2'], write: (l) => lines.push(l) }), 0);
    assert.deepEqual(calls(), [
      ['preprocess', CALTECH256_SOURCE, CALTECH256_PREPROCESSED, '--records'],
      ['train', '--config', CALTECH256_CONFIG, '--epochs', '2'],
    ]);
    assert.match(lines.join('\n'), /data\/caltech256-pre lacks categories\.csv, train\.csv, val\.csv, rgb_val\.json, train\.rec, val\.rec: preprocessing/);
  });

  it('does not train when preprocessing fails, and exits with its code', async () => {
    fs.mkdirSync(path.join(tmp, CALTECH256_SOURCE), { recursive: true });
    const { cli, calls } = fakeCli(tmp);
    const code = await withEnv({ FAKE_PREPROCESS: '1' }, () => trainCaltech256({ cwd: tmp, cli, args: [], write: () => undefined }));
    assert.equal(code, 1);
    assert.deepEqual(calls().map((c) => c[0]), ['preprocess']);
  });

  it('trains at once on a complete preprocess output; on one without record files and no archive, trains on its images with a note', async () => {
    const pre = path.join(tmp, CALTECH256_PREPROCESSED);
    fs.mkdirSync(pre, { recursive: true });
    for (const f of ['categories.csv', 'train.csv', 'val.csv', 'rgb_val.json']) fs.writeFileSync(path.join(pre, f), '');
    const { cli, calls } = fakeCli(tmp);
    const lines: string[] = [];
    assert.equal(await trainCaltech256({ cwd: tmp, cli, args: [], write: (l) => lines.push(l) }), 0);
    assert.deepEqual(calls(), [['train', '--config', CALTECH256_CONFIG]]);
    assert.match(lines.join('\n'), /has no train\.rec, val\.rec and data\/256_ObjectCategories is gone: training on its JPEG files/);
    for (const f of ['train.rec', 'val.rec']) fs.writeFileSync(path.join(pre, f), '');
    lines.length = 0;
    assert.equal(await trainCaltech256({ cwd: tmp, cli, args: [], write: (l) => lines.push(l) }), 0);
    assert.deepEqual(lines, []);
    assert.equal(calls().length, 2);
  });

  it('--help and --print-config go straight to rxtrain train, without data', async () => {
    const { cli, calls } = fakeCli(tmp);
    const lines: string[] = [];
    for (const a of ['--help', '-h', '--print-config']) assert.equal(await trainCaltech256({ cwd: tmp, cli, args: [a], write: (l) => lines.push(l) }), 0);
    assert.deepEqual(calls(), [['train', '--config', CALTECH256_CONFIG, '--help'], ['train', '--config', CALTECH256_CONFIG, '-h'], ['train', '--config', CALTECH256_CONFIG, '--print-config']]);
    assert.deepEqual(lines, []);
  });

  it('exits 128 + the signal when training is ended by one (143 for SIGTERM), as a shell reports it', async () => {
    fs.mkdirSync(path.join(tmp, CALTECH256_SOURCE), { recursive: true });
    const { cli } = fakeCli(tmp);
    assert.equal(await withEnv({ FAKE_TRAIN: 'SIGTERM' }, () => trainCaltech256({ cwd: tmp, cli, args: [], write: () => undefined })), 143);
  });

  it('runs the real journey on a tiny archive: preprocess (a non-image file skipped), then a training run that ends', async () => {
    for (const [c, cls] of ['001.dark', '257.clutter'].entries()) {
      const dir = path.join(tmp, CALTECH256_SOURCE, cls);
      fs.mkdirSync(dir, { recursive: true });
      for (let i = 0; i < 5; i++) {
        await sharp(Buffer.alloc(40 * 30 * 3, c === 0 ? 20 + i : 200 - i), { raw: { width: 40, height: 30, channels: 3 } }).jpeg().toFile(path.join(dir, `${i}.jpg`));
      }
    }
    fs.writeFileSync(path.join(tmp, CALTECH256_SOURCE, '001.dark', 'RENAME2'), 'not an image');
    fs.mkdirSync(path.join(tmp, 'configs'));
    fs.copyFileSync(path.join(root, CALTECH256_CONFIG), path.join(tmp, CALTECH256_CONFIG));
    const cli = [process.execPath, '--require', require.resolve('tsx/cjs'), path.join(root, 'src', 'cli', 'main.ts')];
    // The recipe's data and run paths, a model small enough for a unit test.
    const args = ['--epochs', '1', '--model', 'small', '--input-size', '32', '--resize', '32', '--batch-size', '4', '--telemetry', 'off', '--progress', 'off', '--no-charts', '--no-tensorboard'];
    assert.equal(await trainCaltech256({ cwd: tmp, cli, args, write: () => undefined, stdio: 'ignore' }), 0);
    assert.equal(fs.readFileSync(path.join(tmp, CALTECH256_PREPROCESSED, 'categories.csv'), 'utf8').trim(), 'id,name\n1,dark\n257,clutter');
    const log = fs.readFileSync(path.join(tmp, 'runs', 'caltech256', 'train.log'), 'utf8');
    assert.match(log, /train: packed records data\/caltech256-pre\/train\.rec/);
    assert.match(log, /training ended \(completed\)/);
  });
});
