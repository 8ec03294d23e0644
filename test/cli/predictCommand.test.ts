import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { lastValueFrom } from 'rxjs';
import sharp from 'sharp';
import { run as evaluate, type EvaluateReport } from '../../src/cli/evaluateCommand';
import { run, type PredictLine } from '../../src/cli/predictCommand';
import { run as train, TRAIN_EXIT } from '../../src/cli/trainCommand';
import { preprocess } from '../../src/streams/preprocess';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/model/Checkpoint';
import { captureIo } from './fixtures/captureIo';
import { tinyRunConfig } from './fixtures/tinyRunConfig';
import { writeDarkBrightDataset } from './fixtures/writeDarkBrightDataset';
import { asUnprivileged } from '../streams/fixtures';

describe('rxtrain predict --help', () => {
  it('has examples that work in an installed package: no path only a clone has (the bundled sample)', async () => {
    const c = captureIo();
    assert.equal(await run(['--help'], c.io), 0);
    const examples = c.out().split('\nexamples:\n')[1]?.split('\n') ?? [];
    assert.ok(examples.length >= 2, c.out());
    for (const l of examples) assert.doesNotMatch(l, /configs\/|fashion-mnist-sample/);
  });
});

describe('rxtrain predict', function () {
  this.timeout(300_000);
  let tmp: string;
  let runDir: string;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-predict-'));
    await writeDarkBrightDataset(path.join(tmp, 'train'), ['001.dark', '002.bright'], 4);
    await writeDarkBrightDataset(path.join(tmp, 'val'), ['001.dark', '002.bright'], 4);
    runDir = path.join(tmp, 'run');
    fs.writeFileSync(path.join(tmp, 'cfg.json'), JSON.stringify(tinyRunConfig(tmp, { runDir, tensorboard: false })));
    const err = new PassThrough();
    let e = '';
    err.on('data', (c: Buffer) => (e += c.toString()));
    assert.equal(await train(['--config', path.join(tmp, 'cfg.json')], { out: new PassThrough(), err, env: {}, onStopSignal: () => () => undefined }), TRAIN_EXIT.OK, e);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('classifies every image of a folder as evaluate scores it: the same top class for each', async () => {
    const c = captureIo();
    assert.equal(await run([runDir, path.join(tmp, 'val'), '--json', '--backend', 'wasm', '--batch-size', '3'], c.io), 0, c.err());
    const lines = c.out().trim().split('\n').map((l) => JSON.parse(l) as PredictLine);
    assert.equal(lines.length, 8);
    let right = 0;
    for (const l of lines) {
      assert.ok('predictions' in l, JSON.stringify(l));
      assert.equal(l.predictions.length, 2, 'top 3 of 2 classes');
      assert.ok(l.predictions[0].probability >= l.predictions[1].probability);
      assert.ok(Math.abs(l.predictions[0].probability + l.predictions[1].probability - 1) < 1e-5);
      if (l.predictions[0].class === path.basename(path.dirname(l.image)).slice(4)) right++;
    }
    const e = captureIo();
    assert.equal(await evaluate([runDir, '--data', path.join(tmp, 'val'), '--json', '--backend', 'wasm'], e.io), 0, e.err());
    assert.equal(right, (JSON.parse(e.out()) as EvaluateReport).correct, 'the images are prepared as validation prepares them');
    const t = captureIo();
    assert.equal(await run([runDir, path.join(tmp, 'val', '002.bright', '1.png'), '--top', '1', '--backend', 'wasm'], t.io), 0, t.err());
    assert.match(t.out(), /^\S*val\/002\.bright\/1\.png {2}(dark|bright) \d+\.\d%\n$/);
  });

  it('--max-pixels N: an image over it is skipped as too-many-pixels, naming the flag, and the others classified; a larger N classifies it; 0, -5, 1.5 and words are usage errors', async () => {
    const big = path.join(tmp, 'big.png');
    // 40×40 = 1,600 pixels, the val images 28×28 = 784.
    await sharp(Buffer.alloc(40 * 40 * 3, 200), { raw: { width: 40, height: 40, channels: 3 } }).png().toFile(big);
    const small = path.join(tmp, 'val', '001.dark', '0.png');
    const limited = captureIo();
    assert.equal(await run([runDir, big, small, '--max-pixels', '1000', '--json', '--backend', 'wasm'], limited.io), 0, limited.err());
    const lines = limited.out().trim().split('\n').map((l) => JSON.parse(l) as PredictLine);
    assert.deepEqual(lines.map((l) => ('skipped' in l ? [path.basename(l.image), l.skipped, l.message] : [path.basename(l.image)])), [
      ['big.png', 'too-many-pixels', 'image is 40x40 (1,600 pixels), over the limit of 1,000, a guard against decompression bombs (raise it with --max-pixels)'],
      ['0.png'],
    ]);
    const text = captureIo();
    // 1e3 as rxtrain train reads it: 1000.
    assert.equal(await run([runDir, big, small, '--max-pixels', '1e3', '--backend', 'wasm'], text.io), 0, text.err());
    assert.match(text.err(), /^rxtrain predict: skipped \S*big\.png \(too-many-pixels\): image is 40x40 .*over the limit of 1,000, .*\(raise it with --max-pixels\)\n$/);
    const raised = captureIo();
    assert.equal(await run([runDir, big, '--max-pixels', '1600', '--json', '--backend', 'wasm'], raised.io), 0, raised.err());
    assert.ok('predictions' in (JSON.parse(raised.out()) as PredictLine), raised.out());
    for (const bad of ['0', '-5', '1.5', '', 'lots']) {
      const c = captureIo();
      assert.equal(await run([runDir, big, `--max-pixels=${bad}`], c.io), 2, bad);
      assert.match(c.err(), new RegExp(`^rxtrain predict: --max-pixels must be a positive integer, got '${bad.replace('.', '\\.')}'\n`));
    }
  });

  it('lines up the predictions after paths in any script: by terminal columns, not UTF-16 units', async () => {
    const dir = path.join(tmp, 'scripts');
    const names = [path.join(dir, '101.日本の寿司', 'a.png'), path.join(dir, '102.sushi-roll', 'b.png')];
    for (const f of names) {
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.copyFileSync(path.join(tmp, 'val', '001.dark', '0.png'), f);
    }
    const c = captureIo();
    assert.equal(await run([runDir, ...names, '--backend', 'wasm'], c.io), 0, c.err());
    const lines = c.out().trim().split('\n');
    assert.equal(lines.length, 2, c.out());
    // A terminal gives each CJK character two columns.
    const columns = (s: string): number => [...s].reduce((w, ch) => w + (/\p{Script=Han}|\p{Script=Hiragana}/u.test(ch) ? 2 : 1), 0);
    const at = lines.map((l) => columns(l.slice(0, l.search(/ {2}(dark|bright) /))));
    assert.equal(at[0], at[1], `the classes start in one column:\n${lines.join('\n')}`);
  });

  it('shows a class named with a line break (its folder\'s name) quoted and escaped, as paths are: one line per image', async () => {
    const ck = decodeCheckpoint(fs.readFileSync(path.join(runDir, 'checkpoints', 'best.rxckpt')));
    assert.ok(ck.inference !== undefined);
    const renamed = path.join(tmp, 'renamed.rxckpt');
    fs.writeFileSync(renamed, encodeCheckpoint({ ...ck, inference: { ...ck.inference, classes: ['dark\nside', 'bright\tside'] } }));
    const c = captureIo();
    assert.equal(await run([renamed, path.join(tmp, 'val', '002.bright', '1.png'), '--backend', 'wasm'], c.io), 0, c.err());
    assert.match(c.out(), /^\S*val\/002\.bright\/1\.png {2}("dark\\nside"|"bright\\tside") \d+\.\d% {2}("dark\\nside"|"bright\\tside") \d+\.\d%\n$/);
    const j = captureIo();
    assert.equal(await run([renamed, path.join(tmp, 'val', '002.bright', '1.png'), '--backend', 'wasm', '--json'], j.io), 0, j.err());
    const line = JSON.parse(j.out()) as PredictLine;
    assert.deepEqual('predictions' in line && line.predictions.map((p) => p.class).sort(), ['bright\tside', 'dark\nside'], '--json carries the names as they are');
  });

  it('skips files it cannot decode with a message and classifies the rest; nothing classified is an error', async () => {
    const mixed = path.join(tmp, 'mixed');
    fs.mkdirSync(mixed);
    fs.copyFileSync(path.join(tmp, 'val', '001.dark', '0.png'), path.join(mixed, 'a.png'));
    fs.writeFileSync(path.join(mixed, 'b.jpg'), 'not an image');
    const c = captureIo();
    assert.equal(await run([runDir, mixed, '--backend', 'wasm'], c.io), 0, c.err());
    assert.match(c.err(), /skipped \S*mixed\/b\.jpg \(not-an-image\): /);
    assert.equal(c.out().trim().split('\n').length, 1);
    // One line per file also for names with a line break: quoted and escaped, as git shows them.
    fs.copyFileSync(path.join(tmp, 'val', '001.dark', '0.png'), path.join(mixed, 'new\nline.png'));
    fs.writeFileSync(path.join(mixed, 'bad\nname.png'), '');
    const nl = captureIo();
    assert.equal(await run([runDir, mixed, '--backend', 'wasm'], nl.io), 0, nl.err());
    assert.match(nl.err(), /^rxtrain predict: skipped "\S*mixed\/bad\\nname\.png" \(empty\): file has 0 bytes$/m);
    assert.equal(nl.out().split('\n').filter((l) => l !== '').length, 2, nl.out());
    assert.match(nl.out(), /^"\S*mixed\/new\\nline\.png" +(dark|bright) /m);
    fs.rmSync(path.join(mixed, 'new\nline.png'));
    fs.rmSync(path.join(mixed, 'bad\nname.png'));
    const j = captureIo();
    assert.equal(await run([runDir, mixed, '--json', '--backend', 'wasm'], j.io), 0, j.err());
    assert.deepEqual(j.out().trim().split('\n').map((l) => Object.keys(JSON.parse(l) as object).sort().join(',')).sort(), ['image,message,skipped', 'image,predictions']);
    const junk = path.join(tmp, 'junk');
    fs.mkdirSync(junk);
    fs.writeFileSync(path.join(junk, 'x.png'), '');
    const n = captureIo();
    assert.equal(await run([runDir, junk, '--backend', 'wasm'], n.io), 1);
    assert.match(n.err(), /no image could be classified \(1 skipped\)/);
  });

  it('classifies every path that exists and names each missing one, then exits 1, as cat and grep do', async () => {
    const a = path.join(tmp, 'val', '001.dark', '0.png');
    const b = path.join(tmp, 'val', '002.bright', '1.png');
    const gone = path.join(tmp, 'gone.png');
    const c = captureIo();
    assert.equal(await run([runDir, a, gone, b, '--backend', 'wasm'], c.io), 1, c.err());
    assert.deepEqual(c.out().trim().split('\n').map((l) => l.split(/ {2,}/)[0]), [a, b]);
    assert.equal(c.err(), `rxtrain predict: ${gone}: no such file or folder\n`);
    const j = captureIo();
    assert.equal(await run([runDir, a, gone, b, '--json', '--backend', 'wasm'], j.io), 1, j.err());
    const lines = j.out().trim().split('\n').map((l) => JSON.parse(l) as PredictLine);
    assert.deepEqual(lines[0], { image: gone, skipped: 'not-found', message: 'no such file or folder' }, 'its own record, first');
    assert.deepEqual(lines.slice(1).map((l) => ('predictions' in l ? l.image : '')), [a, b]);
    assert.equal(j.err(), '');
    const none = captureIo();
    assert.equal(await run([runDir, gone, `${gone}2`, '--backend', 'wasm'], none.io), 1);
    assert.equal(none.err(), `rxtrain predict: ${gone}: no such file or folder\nrxtrain predict: ${gone}2: no such file or folder\n`);
    assert.equal(none.out(), '');
  });

  it('names a folder it may not read ("permission denied", shown as paths are) and classifies the rest, exit 1 as for a missing path (as an unprivileged user when run as root)', async () => {
    const shelf = path.join(tmp, 'shelf');
    for (const d of ['open', 'private']) {
      fs.mkdirSync(path.join(shelf, d), { recursive: true });
      fs.copyFileSync(path.join(tmp, 'val', '001.dark', '0.png'), path.join(shelf, d, 'a.png'));
    }
    fs.chmodSync(path.join(shelf, 'private'), 0o000);
    // What the unprivileged user reads: the run and the images (mkdtemp made tmp 0700).
    fs.chmodSync(tmp, 0o755);
    const cwd = process.cwd();
    process.chdir(tmp);
    try {
      const t = captureIo();
      assert.equal(await asUnprivileged(() => run(['run', 'shelf', '--top', '1', '--backend', 'wasm'], t.io)), 1, t.err());
      assert.equal(t.err(), 'rxtrain predict: shelf/private: permission denied\n');
      assert.match(t.out(), /^shelf\/open\/a\.png {2}(dark|bright) \d+\.\d%\n$/);
      const j = captureIo();
      assert.equal(await asUnprivileged(() => run(['run', path.join(shelf, 'private'), 'shelf/open/a.png', '--json', '--backend', 'wasm'], j.io)), 1, j.err());
      const lines = j.out().trim().split('\n').map((l) => JSON.parse(l) as PredictLine);
      assert.deepEqual(lines[0], { image: 'shelf/private', skipped: 'unreadable', message: 'permission denied' }, 'its own record, first, the path shown relative as the others');
      assert.deepEqual(lines.slice(1).map((l) => ('predictions' in l ? l.image : '')), ['shelf/open/a.png']);
      assert.equal(j.err(), '');
    } finally {
      process.chdir(cwd);
      fs.chmodSync(path.join(shelf, 'private'), 0o755);
    }
  });

  it('shows each path in --json as in its text: relative to the working directory when inside it', async () => {
    const cwd = process.cwd();
    process.chdir(tmp);
    try {
      const t = captureIo();
      assert.equal(await run(['run', 'val', 'gone.png', '--top', '1', '--backend', 'wasm'], t.io), 1, t.err());
      const j = captureIo();
      assert.equal(await run(['run', path.join(tmp, 'val'), 'gone.png', '--json', '--backend', 'wasm'], j.io), 1, j.err());
      const shown = t.out().trim().split('\n').map((l) => l.split(/ {2,}/)[0]);
      assert.equal(shown.length, 8);
      assert.ok(shown.every((p) => /^val\/00[12]\.(dark|bright)\/\d\.png$/.test(p)), shown.join(' '));
      assert.match(t.err(), /^rxtrain predict: gone\.png: no such file or folder$/m);
      const images = j.out().trim().split('\n').map((l) => (JSON.parse(l) as PredictLine).image);
      assert.deepEqual(images, ['gone.png', ...shown], 'an absolute path inside the working directory is shown relative too');
    } finally {
      process.chdir(cwd);
    }
  });

  it('flattens transparent pixels onto the background the run\'s preprocess used (--background white), as evaluate --data does', async () => {
    const src = path.join(tmp, 'bg-src');
    await writeDarkBrightDataset(src, ['001.dark', '002.bright'], 4);
    const pre = path.join(tmp, 'bg-pre');
    await lastValueFrom(preprocess({ src, out: pre, size: 28, valRatio: 0.25, background: 'white' }), { defaultValue: undefined });
    const bgRun = path.join(tmp, 'bg-run');
    // A gentler run than the others': its outputs must not saturate, or white and black could not be told apart.
    fs.writeFileSync(path.join(tmp, 'bg.json'), JSON.stringify(tinyRunConfig(tmp, { runDir: bgRun, tensorboard: false, data: { train: pre, val: null }, optimizer: { lr: 0.001 }, epochs: 12 })));
    const err = new PassThrough();
    let e = '';
    err.on('data', (c: Buffer) => (e += c.toString()));
    assert.equal(await train(['--config', path.join(tmp, 'bg.json')], { out: new PassThrough(), err, env: {}, onStopSignal: () => () => undefined }), TRAIN_EXIT.OK, e);
    // Mid-grey on the right; on the left transparent pixels (their colour dark), or opaque white
    // or black ones: transparent flattened onto white must be exactly the white image.
    const images = path.join(tmp, 'bg-images');
    const left = { transparent: [20, 20, 20, 0], white: [255, 255, 255, 255], black: [0, 0, 0, 255] };
    for (const cls of ['001.dark', '002.bright']) {
      for (const [name, rgba] of Object.entries(left)) {
        fs.mkdirSync(path.join(images, name, cls), { recursive: true });
        const px = Buffer.from(Array.from({ length: 28 * 28 }, (_, i) => (i % 28 < 14 ? rgba : [128, 128, 128, 255])).flat());
        await sharp(px, { raw: { width: 28, height: 28, channels: 4 } }).png().toFile(path.join(images, name, cls, 'x.png'));
      }
    }
    const p = captureIo();
    assert.equal(await run([bgRun, ...['transparent', 'white', 'black'].map((n) => path.join(images, n, '001.dark', 'x.png')), '--json', '--backend', 'wasm'], p.io), 0, p.err());
    const [transparent, white, black] = p.out().trim().split('\n').map((l) => JSON.parse(l) as PredictLine).map((l) => ('predictions' in l ? l.predictions : []));
    assert.notDeepEqual(white, black, `the model tells white from black: ${p.out()}`);
    assert.deepEqual(transparent, white, 'flattened onto white');
    const score = async (name: string): Promise<number> => {
      const c = captureIo();
      assert.equal(await evaluate([bgRun, '--data', path.join(images, name), '--json', '--backend', 'wasm'], c.io), 0, c.err());
      return (JSON.parse(c.out()) as EvaluateReport).loss;
    };
    const [lossTransparent, lossWhite, lossBlack] = [await score('transparent'), await score('white'), await score('black')];
    assert.notEqual(lossWhite, lossBlack);
    assert.equal(lossTransparent, lossWhite, 'evaluate --data flattens onto white too');
    const ck = fs.readdirSync(path.join(bgRun, 'checkpoints')).find((f) => f.endsWith('.rxckpt'));
    assert.equal(decodeCheckpoint(fs.readFileSync(path.join(bgRun, 'checkpoints', ck ?? ''))).inference?.background, 'white', 'the checkpoint carries it');
  });

  it('stops quietly, exit 0, when the reader of its output goes away (| head -1), as evaluate does', async () => {
    let writes = 0;
    const closing = (): Writable =>
      new Writable({
        write(_chunk, _enc, cb) {
          writes++;
          // The reader is gone after the first line: the next write fails as a pipe does.
          cb(writes > 1 ? Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }) : null);
        },
      });
    const err = captureIo();
    assert.equal(await run([runDir, path.join(tmp, 'val'), '--batch-size', '1', '--backend', 'wasm'], { out: closing(), err: err.io.err }), 0, err.err());
    assert.ok(writes < 8, `stopped early (${writes} writes for 8 images)`);
    writes = 1; // the first write of evaluate's report fails already
    assert.equal(await evaluate([runDir, '--backend', 'wasm'], { out: closing(), err: err.io.err }), 0, err.err());
    await new Promise((r) => setTimeout(r, 50)); // a late 'error' event would crash the test process
  });

  it('takes a folder of more files than a call can pass as arguments', () => {
    // A spread of ~125 000 arguments overflows the default stack; with a tenth of the stack,
    // 15 000 files (empty: skipped, quick) do the same in a second.
    const many = path.join(tmp, 'many');
    fs.mkdirSync(many);
    fs.copyFileSync(path.join(tmp, 'val', '001.dark', '0.png'), path.join(many, '000000.png'));
    for (let i = 1; i <= 15_000; i++) fs.closeSync(fs.openSync(path.join(many, `e${i}.png`), 'w'));
    try {
      const main = path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts');
      const r = spawnSync(process.execPath, ['--stack-size=100', '--require', 'tsx/cjs', main, 'predict', runDir, many, '--backend', 'wasm'], { encoding: 'utf8', maxBuffer: 1 << 26 });
      assert.equal(r.status, 0, r.stderr.slice(-500));
      assert.match(r.stdout, /000000\.png +(dark|bright) /);
      assert.match(r.stderr, /skipped .*e15000\.png \(empty\)/);
    } finally {
      fs.rmSync(many, { recursive: true, force: true });
    }
  });

  it('refuses what it cannot do with a message: usage errors exit 2, the rest 1', async () => {
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    const old = path.join(tmp, 'old.rxckpt');
    const { inference: _dropped, ...withoutInfo } = decodeCheckpoint(fs.readFileSync(path.join(runDir, 'checkpoints', 'best.rxckpt')));
    fs.writeFileSync(old, encodeCheckpoint({ ...withoutInfo, identity: { ...withoutInfo.identity, config: { ...(withoutInfo.identity.config as object), data: { train: path.join(tmp, 'gone'), val: null } } } }));
    const cases: Array<[string[], number, RegExp]> = [
      [[], 2, /missing CHECKPOINT or RUN_DIR, and the images to classify/],
      [[runDir], 2, /missing the images to classify/],
      [[runDir, empty, '--top', '0'], 2, /--top must be a positive integer, got '0'/],
      [[runDir, empty, '--weights', 'best'], 2, /--weights must be ema or trained; got 'best'/],
      [[runDir, empty, '--tops', '2'], 2, /unknown option --tops \(did you mean --top\?\)/],
      [[runDir, path.join(tmp, 'nowhere')], 1, /nowhere: no such file or folder/],
      [[runDir, empty], 1, /no image files in .*empty/],
      [[path.join(tmp, 'nothing'), empty], 1, /no such checkpoint file or run directory/],
      [[runDir, empty, '--weights', 'ema'], 1, /the run kept no moving average/],
      [[old, path.join(tmp, 'val'), '--backend', 'wasm'], 1, /does not carry its class names and normalisation .* data\.train: .*gone does not exist/],
    ];
    for (const [args, code, message] of cases) {
      const c = captureIo();
      assert.equal(await run(args, c.io), code, `${args.join(' ')}: ${c.err()}`);
      assert.match(c.err(), message, args.join(' '));
      assert.equal(c.out(), '', 'nothing on stdout');
    }
  });
});
