import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
// The module object itself (the namespace import is a read-only view), to stand in for the calls the command makes.
import nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { run } from '../../src/cli/exportCommand';
import { run as predict, type PredictLine } from '../../src/cli/predictCommand';
import { run as train, TRAIN_EXIT } from '../../src/cli/trainCommand';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/model/Checkpoint';
import type { LayersExportMetadata } from '../../src/model/layersModelArtifacts';
import { captureIo } from './fixtures/captureIo';
import { spawnExport } from './fixtures/spawnExport';
import { tinyRunConfig } from './fixtures/tinyRunConfig';
import { writeDarkBrightDataset } from './fixtures/writeDarkBrightDataset';

const EXPORT_FILES = [1, 2, 3, 4, 5].map((i) => `group1-shard${i}of5.bin`).concat('model.json');

/** The PID of a process that has ended. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

/** An export read back from its files the way a Node server without rxtrain (or tfjs-node) does. */
async function loadExport(dir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const artifacts = await tf.io.getModelArtifactsForJSON(json, async (manifest) => [
    manifest.flatMap((group) => group.weights),
    manifest.flatMap((group) => group.paths.map((p) => new Uint8Array(fs.readFileSync(path.join(dir, p))).buffer)),
  ]);
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}

/** An image prepared from the export's metadata alone, as the README shows. */
async function prepare(file: string, meta: LayersExportMetadata): Promise<tf.Tensor4D> {
  const p = meta.preprocessing;
  assert.ok(p !== undefined);
  const { height, width, channels } = meta.input;
  const { data } = await sharp(file)
    .rotate()
    .resize(p.resize, p.resize, { fit: 'cover', position: 'centre' })
    .flatten({ background: p.background === 'white' ? '#ffffff' : '#000000' })
    .toColourspace(p.colour === 'grey' ? 'b-w' : 'srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const top = Math.floor((p.resize - height) / 2);
  const left = Math.floor((p.resize - width) / 2);
  const x = new Float32Array(height * width * channels);
  for (let y = 0; y < height; y++) {
    for (let c = 0; c < width * channels; c++) {
      const ch = c % channels;
      x[y * width * channels + c] = (data[(top + y) * p.resize * channels + left * channels + c] - p.mean[ch]) / p.std[ch];
    }
  }
  return tf.tensor4d(x, [1, height, width, channels]);
}

describe('rxtrain export', function () {
  this.timeout(300_000);
  let tmp: string;
  let runDir: string;
  let images: string[];
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-export-'));
    await writeDarkBrightDataset(path.join(tmp, 'train'), ['001.dark', '002.bright'], 4);
    await writeDarkBrightDataset(path.join(tmp, 'val'), ['001.dark', '002.bright'], 4);
    runDir = path.join(tmp, 'run');
    // A moving average that differs from the trained weights: decay 0.5, every step. A small lr
    // keeps the probabilities away from 0 and 1 (lr 0.01 saturates them on these images), so
    // that comparing them means something.
    fs.writeFileSync(path.join(tmp, 'cfg.json'), JSON.stringify(tinyRunConfig(tmp, { runDir, tensorboard: false, ema: { decay: 0.5, everySteps: 1 }, optimizer: { lr: 0.0001 } })));
    const err = new PassThrough();
    let e = '';
    err.on('data', (c: Buffer) => (e += c.toString()));
    assert.equal(await train(['--config', path.join(tmp, 'cfg.json')], { out: new PassThrough(), err, env: {}, onStopSignal: () => () => undefined }), TRAIN_EXIT.OK, e);
    // Images predict resizes and crops: a non-square one larger than the model's 28² input.
    const odd = path.join(tmp, 'odd.png');
    const px = Buffer.alloc(50 * 36 * 3);
    for (let p = 0; p < 50 * 36; p++) px.fill(((p % 50) * 5 + Math.floor(p / 50) * 3) % 256, p * 3, p * 3 + 2).fill(p % 200, p * 3 + 2, p * 3 + 3);
    await sharp(px, { raw: { width: 50, height: 36, channels: 3 } }).png().toFile(odd);
    images = [odd, path.join(tmp, 'val', '001.dark', '1.png'), path.join(tmp, 'val', '002.bright', '2.png')];
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('writes model.json and weights that plain tfjs loads, giving rxtrain predict\'s probabilities for the chosen weights', async () => {
    const written: Record<string, Float32Array> = {};
    for (const weights of ['ema', 'trained'] as const) {
      const out = path.join(tmp, 'exports', weights);
      const c = captureIo();
      const before = tf.memory().numTensors;
      assert.equal(await run([runDir, out, '--weights', weights, '--backend', 'wasm'], c.io), 0, c.err());
      assert.equal(tf.memory().numTensors, before, 'the check leaves no tensor behind');
      assert.match(c.out(), new RegExp(`^exported \\S*best\\.rxckpt \\(${weights} weights, step \\d+\\) to \\S*exports/${weights}: model\\.json \\+ 5 weight files, 18\\.\\d MB\\n`));
      assert.match(c.out(), /model small: input \[batch, 28, 28, 3\] float32, output probabilities of 2 classes; matches rxtrain within /);
      // 4.56 M float32 weights: 18.3 MB in shards of 4 MiB, as tensorflowjs_converter writes them.
      assert.deepEqual(fs.readdirSync(out).sort(), [1, 2, 3, 4, 5].map((i) => `group1-shard${i}of5.bin`).concat('model.json'));
      assert.deepEqual(fs.readdirSync(path.join(tmp, 'exports')).filter((f) => f.startsWith('.')), [], 'no temporary folder left');
      const plain = path.join(tmp, `plain-${weights}`);
      fs.mkdirSync(plain);
      assert.equal(fs.statSync(out).mode, fs.statSync(plain).mode, 'the folder is as readable as any new folder (to be served), not private as a temporary one');
      written[weights] = new Float32Array(new Uint8Array(fs.readFileSync(path.join(out, 'group1-shard5of5.bin'))).buffer);

      const model = await loadExport(out);
      try {
        const meta = model.getUserDefinedMetadata() as unknown as LayersExportMetadata;
        assert.deepEqual(meta.classes, ['dark', 'bright']);
        assert.equal(meta.rxtrain.weights, weights);
        const p = captureIo();
        assert.equal(await predict([runDir, ...images, '--json', '--weights', weights, '--backend', 'wasm'], p.io), 0, p.err());
        const lines = p.out().trim().split('\n').map((l) => JSON.parse(l) as PredictLine);
        assert.equal(lines.length, images.length);
        for (const [i, file] of images.entries()) {
          const line = lines[i];
          assert.ok('predictions' in line && line.image === file);
          const x = await prepare(file, meta);
          const probs = tf.tidy(() => model.predict(x) as tf.Tensor2D);
          const got = await probs.data();
          tf.dispose([x, probs]);
          assert.ok(line.predictions[0].probability < 0.99, `not saturated: ${JSON.stringify(line)}`);
          for (const { class: cls, probability } of line.predictions) {
            const k = meta.classes?.indexOf(cls) ?? -1;
            assert.ok(Math.abs(got[k] - probability) < 1e-5, `${path.basename(file)} ${cls}: export ${got[k]}, predict ${probability}`);
          }
        }
      } finally {
        model.dispose();
      }
    }
    assert.notDeepEqual(written.ema, written.trained, 'the two exports hold different weights');
    const d = captureIo();
    assert.equal(await run([runDir, path.join(tmp, 'exports', 'default'), '--backend', 'wasm'], d.io), 0, d.err());
    assert.match(d.out(), /\(ema weights, /, 'the moving average by default, as validation scored it');
  });

  it('refuses a non-empty OUT_DIR; --force replaces the export in it and leaves other files alone', async () => {
    const out = path.join(tmp, 'busy');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'index.html'), '<html></html>');
    const c = captureIo();
    assert.equal(await run([runDir, out, '--backend', 'wasm'], c.io), 1);
    assert.match(c.err(), /busy is not empty \(1 entries\): choose a new folder, or --force to replace the export in it/);
    assert.deepEqual(fs.readdirSync(out), ['index.html']);
    fs.writeFileSync(path.join(out, 'model.json'), '{}');
    fs.writeFileSync(path.join(out, 'group1-shard1of3.bin'), 'old');
    fs.writeFileSync(path.join(out, 'group1-shard3of3.bin'), 'old');
    const f = captureIo();
    assert.equal(await run([runDir, out, '--force', '--weights', 'trained', '--backend', 'wasm'], f.io), 0, f.err());
    assert.deepEqual(fs.readdirSync(out).sort(), [1, 2, 3, 4, 5].map((i) => `group1-shard${i}of5.bin`).concat('index.html', 'model.json'));
    assert.equal(fs.readFileSync(path.join(out, 'index.html'), 'utf8'), '<html></html>');
    assert.deepEqual(fs.readdirSync(tmp).filter((n) => n.startsWith('.busy')), [], 'no temporary folder left');
    const model = await loadExport(out);
    assert.equal((model.getUserDefinedMetadata() as unknown as LayersExportMetadata).rxtrain.weights, 'trained');
    model.dispose();
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    const e = captureIo();
    assert.equal(await run([runDir, empty, '--backend', 'wasm'], e.io), 0, e.err());
    assert.ok(fs.existsSync(path.join(empty, 'model.json')), 'an empty folder is no obstacle');
  });

  it('--force into a folder of other files only (a site\'s index.html) adds the export beside them; an existing folder stays the same folder', async () => {
    const site = path.join(tmp, 'site');
    fs.mkdirSync(site);
    fs.chmodSync(site, 0o2750); // as a web server's folder might be: group-owned, setgid
    fs.writeFileSync(path.join(site, 'index.html'), '<html></html>');
    const { ino } = fs.statSync(site);
    const c = captureIo();
    assert.equal(await run([runDir, site, '--force', '--backend', 'wasm'], c.io), 0, c.err());
    assert.deepEqual(fs.readdirSync(site).sort(), [1, 2, 3, 4, 5].map((i) => `group1-shard${i}of5.bin`).concat('index.html', 'model.json'));
    assert.equal(fs.statSync(site).ino, ino, 'written into the folder, not replaced by another');
    assert.equal(fs.statSync(site).mode & 0o7777, 0o2750, 'its permissions kept');
    const empty = path.join(tmp, 'empty-own');
    fs.mkdirSync(empty);
    fs.chmodSync(empty, 0o750);
    const e = captureIo();
    assert.equal(await run([runDir, empty, '--backend', 'wasm'], e.io), 0, e.err());
    assert.equal(fs.statSync(empty).mode & 0o7777, 0o750, 'an empty folder given keeps its permissions too');
    assert.deepEqual(fs.readdirSync(tmp).filter((n) => n.includes('.export-')), [], 'no temporary folder left');
  });

  it('Ctrl-C or SIGTERM while writing leaves OUT_DIR as it was, removes what it wrote, and exits 130 / 143', async () => {
    const writeFile = fs.promises.writeFile;
    let stop: ((signal: 'SIGINT' | 'SIGTERM') => void) | undefined;
    let signal: 'SIGINT' | 'SIGTERM' = 'SIGINT';
    // The signal comes as the first weight file is written: after the check, before anything is in place.
    fs.promises.writeFile = (async (...a: Parameters<typeof writeFile>) => {
      if (typeof a[0] === 'string' && a[0].endsWith('group1-shard1of5.bin')) stop?.(signal);
      return writeFile(...a);
    }) as typeof writeFile;
    const onStopSignal = (h: (s: 'SIGINT' | 'SIGTERM') => void): (() => void) => {
      stop = h;
      return () => (stop = undefined);
    };
    try {
      const fresh = path.join(tmp, 'interrupted', 'new');
      const c = captureIo();
      assert.equal(await run([runDir, fresh, '--backend', 'wasm'], { ...c.io, onStopSignal }), 130, c.err());
      assert.match(c.err(), /^rxtrain export: interrupted by Ctrl-C; nothing written to \S*new\n$/);
      assert.deepEqual(fs.readdirSync(path.join(tmp, 'interrupted')), [], 'no OUT_DIR, no temporary folder beside it');

      const kept = path.join(tmp, 'interrupted', 'kept');
      assert.equal(await run([runDir, kept, '--weights', 'trained', '--backend', 'wasm'], captureIo().io), 0);
      fs.writeFileSync(path.join(kept, 'group1-shard1of9.bin'), 'an older export\'s');
      const before = fs.readdirSync(kept).sort().map((f) => [f, fs.readFileSync(path.join(kept, f))]);
      signal = 'SIGTERM';
      const t = captureIo();
      assert.equal(await run([runDir, kept, '--force', '--backend', 'wasm'], { ...t.io, onStopSignal }), 143, t.err());
      assert.match(t.err(), /interrupted by SIGTERM; nothing written to /);
      assert.deepEqual(fs.readdirSync(kept).sort().map((f) => [f, fs.readFileSync(path.join(kept, f))]), before, 'the export there untouched, no temporary folder in it');
    } finally {
      fs.promises.writeFile = writeFile;
    }
  });

  it('a Ctrl-C or SIGTERM once the files are in place changes nothing: the export has succeeded, exit 0', async () => {
    const out = path.join(tmp, 'signalled', 'late');
    let stop: ((signal: 'SIGINT' | 'SIGTERM') => void) | undefined;
    const c = captureIo();
    // Both signals come as the summary is printed, after the files were moved into place; the
    // second would quit at once, as while writing.
    const exit = process.exit;
    process.exit = ((code?: number) => {
      throw new Error(`process.exit(${code})`);
    }) as typeof process.exit;
    try {
      const code = await run([runDir, out, '--backend', 'wasm'], {
        out: { write: (t: string) => (stop?.('SIGINT'), stop?.('SIGTERM'), c.io.out.write(t)) },
        err: c.io.err,
        onStopSignal: (h) => ((stop = h), () => (stop = undefined)),
      });
      assert.equal(code, 0, c.err());
    } finally {
      process.exit = exit;
    }
    assert.equal(c.err(), '', 'nothing about an interruption');
    assert.match(c.out(), /^exported \S+ \(ema weights, step \d+\) to \S*late: model\.json \+ 5 weight files/);
    assert.deepEqual(fs.readdirSync(out).sort(), EXPORT_FILES);

    // And after the command has returned, while Node shuts down (a real process: what ends it).
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const dir = path.join(tmp, 'signalled', signal);
      const child = spawnExport([runDir, dir, '--backend', 'wasm'], path.join(__dirname, 'fixtures', 'signalAtExit.ts'), { RXTRAIN_FIXTURE_EXIT_SIGNAL: signal });
      const ended = await child.ended;
      assert.deepEqual([ended.code, ended.signal], [0, null], ended.err);
      assert.equal(ended.err, `signalAtExit: ${signal}\n`, 'the signal came, and nothing else was said');
      assert.match(ended.out, /^exported /);
      assert.deepEqual(fs.readdirSync(dir).sort(), EXPORT_FILES);
    }
  });

  it('a kill -9 in the middle of an export leaves its working folder, which the next export removes (saying so): OUT_DIR is not "not empty" for it', async () => {
    const dir = path.join(tmp, 'killed');
    const existing = path.join(dir, 'existing');
    const fresh = path.join(dir, 'fresh');
    fs.mkdirSync(existing, { recursive: true });
    // Real processes, killed outright while their second weight file is being written.
    const children = [existing, fresh].map((out, i) => {
      const marker = path.join(tmp, `hang-${i}`);
      const child = spawnExport([runDir, out, '--backend', 'wasm'], path.join(__dirname, 'fixtures', 'hangExportWrite.ts'), { RXTRAIN_FIXTURE_HANG_MARKER: marker });
      return { child, marker };
    });
    for (const { child, marker } of children) {
      while (!fs.existsSync(marker)) {
        await Promise.race([child.ended.then((e) => Promise.reject(new Error(`exited before it hung: ${JSON.stringify(e)}`))), new Promise((r) => setTimeout(r, 50))]);
      }
      child.kill('SIGKILL');
      assert.equal((await child.ended).signal, 'SIGKILL');
    }
    const [inside] = fs.readdirSync(existing);
    assert.match(inside, new RegExp(`^\\.export-${children[0].child.pid}-[0-9a-f]{8}-[0-9a-f]{8}$`));
    assert.ok(fs.existsSync(path.join(existing, inside, 'group1-shard1of5.bin')), 'the killed export had written into it');
    const beside = fs.readdirSync(dir).filter((n) => n.startsWith('.'));
    assert.equal(beside.length, 1);
    assert.match(beside[0], new RegExp(`^\\.fresh\\.export-${children[1].child.pid}-[0-9a-f]{8}-[0-9a-f]{8}$`));

    const c = captureIo();
    assert.equal(await run([runDir, existing, '--backend', 'wasm'], c.io), 0, c.err());
    assert.equal(c.err(), `rxtrain export: removed ${path.join(existing, inside)}, left by an export that was killed (PID ${children[0].child.pid} no longer runs)\n`);
    assert.deepEqual(fs.readdirSync(existing).sort(), EXPORT_FILES);
    const f = captureIo();
    assert.equal(await run([runDir, fresh, '--backend', 'wasm'], f.io), 0, f.err());
    assert.equal(f.err(), `rxtrain export: removed ${path.join(dir, beside[0])}, left by an export that was killed (PID ${children[1].child.pid} no longer runs)\n`);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['existing', 'fresh']);
    assert.deepEqual(fs.readdirSync(fresh).sort(), EXPORT_FILES);
  });

  it('leaves alone the working folder of an export that runs (or ran on another host), and refuses to write into its OUT_DIR, even with --force', async () => {
    const live = spawn(process.execPath, ['-e', 'setInterval(() => undefined, 1e6)'], { stdio: 'ignore' });
    const dead = deadPid();
    const dir = path.join(tmp, 'concurrent');
    try {
      assert.ok(live.pid !== undefined);
      // Also the names of an rxtrain that wrote no host (judged by their PID alone).
      const running = path.join(dir, 'running', `.export-${live.pid}-0123abcd`);
      const elsewhere = path.join(dir, 'elsewhere', `.export-${dead}-0123abcd-00000000`);
      const besideRunning = path.join(dir, `.fresh.export-${live.pid}-0123abcd`);
      // Named with this process's PID but not this process's: an earlier one had the PID (a container's).
      const reused = path.join(dir, 'reused', `.export-${process.pid}-0123abcd`);
      const gone = path.join(dir, 'reused', `.export-${dead}-4567cdef`);
      for (const d of [running, elsewhere, besideRunning, reused, gone]) fs.mkdirSync(d, { recursive: true });
      for (const force of [[], ['--force']]) {
        const r = captureIo();
        assert.equal(await run([runDir, path.join(dir, 'running'), '--backend', 'wasm', ...force], r.io), 1);
        assert.equal(r.err(), `rxtrain export: ${path.join(dir, 'running')} is being written by another rxtrain export (PID ${live.pid}): wait for it to end (if none runs, PID ${live.pid} is another program now: delete ${running})\n`);
        const e = captureIo();
        assert.equal(await run([runDir, path.join(dir, 'elsewhere'), '--backend', 'wasm', ...force], e.io), 1);
        assert.match(e.err(), /elsewhere is being written by an rxtrain export on another host, or was left by one killed there: wait for it to end, or delete \S*elsewhere\/\.export-\d+-0123abcd-00000000 if none runs\n$/);
      }
      assert.ok(fs.existsSync(running) && fs.existsSync(elsewhere), 'both left alone');
      const f = captureIo();
      assert.equal(await run([runDir, path.join(dir, 'fresh'), '--backend', 'wasm'], f.io), 0, f.err());
      assert.equal(f.err(), '');
      assert.ok(fs.existsSync(besideRunning), 'a running export\'s folder beside OUT_DIR is left alone');
      const u = captureIo();
      assert.equal(await run([runDir, path.join(dir, 'reused'), '--backend', 'wasm'], u.io), 0, u.err());
      assert.match(u.err(), new RegExp(`removed \\S*reused/\\.export-${process.pid}-0123abcd, left by an export that was killed \\(PID ${process.pid} no longer runs\\)`));
      assert.match(u.err(), new RegExp(`removed \\S*reused/\\.export-${dead}-4567cdef, left by an export that was killed`));
      assert.deepEqual(fs.readdirSync(path.join(dir, 'reused')).sort(), EXPORT_FILES);
    } finally {
      live.kill('SIGKILL');
    }
  });

  it('a new OUT_DIR that another export creates first: the later one says so and leaves it, and its own files, alone', async () => {
    const out = path.join(tmp, 'race', 'model');
    const writeFile = nodeFs.promises.writeFile;
    // The other export wins while this one writes its model.json: its rename into OUT_DIR is first.
    nodeFs.promises.writeFile = (async (...a: Parameters<typeof writeFile>) => {
      if (String(a[0]).endsWith('model.json') && !fs.existsSync(out)) {
        fs.mkdirSync(out);
        fs.writeFileSync(path.join(out, 'model.json'), '{"theirs":true}');
      }
      return writeFile(...a);
    }) as typeof writeFile;
    const c = captureIo();
    try {
      assert.equal(await run([runDir, out, '--backend', 'wasm'], c.io), 1);
    } finally {
      nodeFs.promises.writeFile = writeFile;
    }
    assert.equal(
      c.err(),
      `rxtrain export: ${out} was created by another program while this export was writing (another rxtrain export to the same new folder?): nothing of this export was written there; check what it holds, then run again (--force replaces the export in it), or choose another OUT_DIR\n`,
    );
    assert.deepEqual(fs.readdirSync(path.dirname(out)), ['model'], 'no working folder left beside it');
    assert.deepEqual(fs.readdirSync(out), ['model.json']);
    assert.equal(fs.readFileSync(path.join(out, 'model.json'), 'utf8'), '{"theirs":true}');
  });

  it('two exports into one existing OUT_DIR at once: the later one refuses and leaves the other\'s export whole', async () => {
    const out = path.join(tmp, 'both');
    fs.mkdirSync(out);
    const mkdir = nodeFs.promises.mkdir;
    const second = captureIo();
    // Not the process's signals: a Ctrl-C meant for another program's process group (a shell's,
    // a test runner's) would end an export with 130 and look like a lost race.
    const noSignals = { onStopSignal: () => () => undefined };
    let secondCode: Promise<number> | undefined;
    // The first export has passed its last check, holds the lock and is about to make its working
    // folder: the second one runs from start to end in that moment, finding OUT_DIR as empty as
    // the first did (its first check refuses it, seeing the lock; the next test has the lock
    // taken only after that check).
    nodeFs.promises.mkdir = (async (...a: Parameters<typeof mkdir>) => {
      if (secondCode === undefined && path.dirname(String(a[0])) === out && path.basename(String(a[0])).startsWith('.export-')) {
        secondCode = run([runDir, out, '--backend', 'wasm'], { ...second.io, ...noSignals });
        await secondCode;
      }
      return mkdir(...a);
    }) as typeof mkdir;
    const first = captureIo();
    try {
      assert.equal(await run([runDir, out, '--backend', 'wasm'], { ...first.io, ...noSignals }), 0, first.err());
    } finally {
      nodeFs.promises.mkdir = mkdir;
    }
    assert.equal(await secondCode, 1, second.err());
    assert.match(
      second.err(),
      new RegExp(`^rxtrain export: ${out} is being written by another rxtrain export \\(PID ${process.pid}, since \\d{4}-[^)]*\\): nothing of this export was written; wait for it to end, then run again \\(if none runs, PID ${process.pid} is another program now: delete \\S*both/\\.rxtrain-export\\.lock\\)\n$`),
    );
    assert.equal(second.out(), '');
    assert.deepEqual(fs.readdirSync(out).sort(), EXPORT_FILES, 'the first export, and no lock or working folder');
    (await loadExport(out)).dispose();
  });

  it('refuses an OUT_DIR another export holds before reading the checkpoint, and still at the lock when it was taken after that first check', async () => {
    const out = path.join(tmp, 'held');
    fs.mkdirSync(out);
    const lockPath = path.join(out, '.rxtrain-export.lock');
    const readFileSync = nodeFs.readFileSync;
    const checkpointReads: string[] = [];
    let onCheckpointRead = (): void => undefined;
    nodeFs.readFileSync = ((...a: Parameters<typeof readFileSync>) => {
      if (String(a[0]).endsWith('.rxckpt')) {
        checkpointReads.push(String(a[0]));
        onCheckpointRead();
      }
      return readFileSync(...a);
    }) as typeof readFileSync;
    try {
      // A live export on this host (this very process stands for it), then one on another host.
      const here = JSON.stringify({ pid: process.pid, host: os.hostname(), since: '2026-12-07T14:00:00.000Z' });
      fs.writeFileSync(lockPath, here);
      const c = captureIo();
      assert.equal(await run([runDir, out, '--backend', 'wasm'], c.io), 1, c.err());
      assert.equal(
        c.err(),
        `rxtrain export: ${out} is being written by another rxtrain export (PID ${process.pid}, since 2026-12-07T14:00:00.000Z): nothing of this export was written; wait for it to end, then run again (if none runs, PID ${process.pid} is another program now: delete ${lockPath})\n`,
      );
      const elsewhere = captureIo();
      fs.writeFileSync(lockPath, JSON.stringify({ pid: 1, host: 'gpu-box-7', since: 'x' }));
      assert.equal(await run([runDir, out, '--backend', 'wasm'], elsewhere.io), 1, elsewhere.err());
      assert.match(elsewhere.err(), /^rxtrain export: .* is being written by an rxtrain export on host gpu-box-7 \(PID 1, since x\): nothing of this export was written/);
      assert.deepEqual(checkpointReads, [], 'refused before the checkpoint was read');
      assert.deepEqual(fs.readdirSync(out), ['.rxtrain-export.lock'], 'the holder\'s lock left alone');

      // Free at the first check, taken while this export reads its checkpoint: the lock decides.
      fs.rmSync(lockPath);
      onCheckpointRead = () => fs.writeFileSync(lockPath, here);
      const late = captureIo();
      assert.equal(await run([runDir, out, '--backend', 'wasm'], late.io), 1, late.err());
      assert.equal(checkpointReads.length, 1);
      assert.equal(late.err(), c.err());
      assert.deepEqual(fs.readdirSync(out), ['.rxtrain-export.lock']);
    } finally {
      nodeFs.readFileSync = readFileSync;
    }
  });

  it('takes over the lock a killed export left in OUT_DIR, which does not make it "not empty"', async () => {
    const out = path.join(tmp, 'stale-lock');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, '.rxtrain-export.lock'), JSON.stringify({ pid: deadPid(), host: os.hostname(), since: 'x' }));
    const c = captureIo();
    assert.equal(await run([runDir, out, '--backend', 'wasm'], c.io), 0, c.err());
    assert.deepEqual(fs.readdirSync(out).sort(), EXPORT_FILES);
  });

  it('a killed export\'s working folder that cannot be removed (another user\'s) is named with what to do, not a bare "not empty"', async () => {
    const out = path.join(tmp, 'stuck');
    const left = path.join(out, `.export-${deadPid()}-0123abcd`);
    fs.mkdirSync(left, { recursive: true });
    fs.writeFileSync(path.join(left, 'group1-shard1of5.bin'), 'x');
    const rmSync = nodeFs.rmSync;
    // What removing another user's folder says (as root, permissions do not stop a test).
    nodeFs.rmSync = ((p: fs.PathLike, o?: fs.RmOptions) => {
      if (String(p) === left) throw Object.assign(new Error(`EACCES: permission denied, unlink '${left}/group1-shard1of5.bin'`), { code: 'EACCES' });
      rmSync(p, o);
    }) as typeof nodeFs.rmSync;
    const stuck = `${left}, left by an export that was killed (PID ${/-(\d+)-/.exec(left)?.[1]} no longer runs)`;
    try {
      const c = captureIo();
      assert.equal(await run([runDir, out, '--backend', 'wasm'], c.io), 1);
      assert.equal(c.err(), `rxtrain export: ${out} holds only ${stuck}, which cannot be removed (permission denied): delete it yourself (no finished export is in it), then run again\n`);
      fs.writeFileSync(path.join(out, 'index.html'), 'site');
      const d = captureIo();
      assert.equal(await run([runDir, out, '--backend', 'wasm'], d.io), 1);
      assert.equal(d.err(), `rxtrain export: ${out} is not empty (2 entries, among them ${stuck}, which cannot be removed (permission denied)): choose a new folder, or --force to replace the export in it\n`);
      const f = captureIo();
      assert.equal(await run([runDir, out, '--backend', 'wasm', '--force'], f.io), 0, f.err());
      assert.equal(f.err(), `rxtrain export: note: cannot remove ${stuck}: permission denied; delete it yourself (it holds no finished export)\n`, 'said once');
    } finally {
      nodeFs.rmSync = rmSync;
    }
    assert.deepEqual(fs.readdirSync(out).sort(), [path.basename(left), ...EXPORT_FILES, 'index.html'].sort());
  });

  it('--force also removes the weight files the old model.json lists in OUT_DIR (a tfjs-node weights.bin), never one outside it', async () => {
    const dir = path.join(tmp, 'tfjs-node');
    const out = path.join(dir, 'model');
    fs.mkdirSync(path.join(out, 'sub'), { recursive: true });
    const oldJson = { modelTopology: {}, weightsManifest: [{ paths: ['weights.bin', '../outside.bin', 'sub/w.bin', 'missing.bin', 'sub'], weights: [] }] };
    fs.writeFileSync(path.join(out, 'model.json'), JSON.stringify(oldJson));
    for (const f of ['weights.bin', 'sub/w.bin', 'index.html', '../outside.bin']) fs.writeFileSync(path.join(out, f), 'old');
    const c = captureIo();
    assert.equal(await run([runDir, out, '--force', '--backend', 'wasm'], c.io), 0, c.err());
    assert.deepEqual(fs.readdirSync(out).sort(), EXPORT_FILES.concat('index.html', 'sub').sort());
    assert.ok(fs.existsSync(path.join(out, 'sub', 'w.bin')) && fs.existsSync(path.join(dir, 'outside.bin')), 'nothing outside OUT_DIR itself');
    assert.equal(c.err(), `rxtrain export: note: left alone what the old model.json lists outside ${out}: ../outside.bin, sub/w.bin\n`);

    const garbled = path.join(dir, 'garbled');
    fs.mkdirSync(garbled);
    fs.writeFileSync(path.join(garbled, 'model.json'), '{"weightsManifest": [{"paths": ["weights.bin"]');
    fs.writeFileSync(path.join(garbled, 'weights.bin'), 'old');
    const g = captureIo();
    assert.equal(await run([runDir, garbled, '--force', '--backend', 'wasm'], g.io), 0, g.err());
    assert.match(g.err(), /^rxtrain export: note: the old \S*garbled\/model\.json is unreadable \(not JSON \(.*\)\): of its weight files only group\*-shard\*\.bin are replaced\n$/);
    assert.deepEqual(fs.readdirSync(garbled).sort(), EXPORT_FILES.concat('weights.bin').sort());
  });

  it('refuses what it cannot do with a message and writes nothing: usage errors exit 2, the rest 1', async () => {
    const damaged = path.join(tmp, 'damaged.rxckpt');
    const good = fs.readFileSync(path.join(runDir, 'checkpoints', 'best.rxckpt'));
    fs.writeFileSync(damaged, good.subarray(0, good.length - 100));
    fs.writeFileSync(path.join(tmp, 'a-file'), 'x');
    const old = path.join(tmp, 'old.rxckpt');
    const { inference: _dropped, ...withoutInfo } = decodeCheckpoint(good);
    fs.writeFileSync(old, encodeCheckpoint({ ...withoutInfo, identity: { ...withoutInfo.identity, config: { ...(withoutInfo.identity.config as object), data: { train: path.join(tmp, 'gone'), val: null } } } }));
    const out = path.join(tmp, 'never');
    const cases: Array<[string[], number, RegExp]> = [
      [[], 2, /missing CHECKPOINT or RUN_DIR, and OUT_DIR/],
      [[runDir], 2, /missing OUT_DIR/],
      [[runDir, out, 'extra'], 2, /one checkpoint and one OUT_DIR, got 3 paths/],
      [[runDir, out, '--weights', 'best'], 2, /--weights must be ema or trained; got 'best'/],
      [[runDir, out, '--backend', 'gpu'], 2, /--backend must be auto, tensorflow, wasm, cpu; got 'gpu'/],
      [[runDir, out, '--forse'], 2, /unknown option --forse \(did you mean --force\?\)/],
      [[path.join(tmp, 'nothing'), out], 1, /nothing: no such checkpoint file or run directory/],
      [[damaged, out], 1, /damaged\.rxckpt: checksum mismatch .*truncated or damaged/],
      [[runDir, path.join(tmp, 'a-file')], 1, /a-file exists and is not a folder/],
      [[runDir, path.join(tmp, 'a-file', 'sub', 'out')], 1, /cannot create \S*a-file\/sub\/out: \S*a-file is a file, not a folder/],
      [[old, out, '--backend', 'wasm'], 1, /does not carry its class names and normalisation .* data\.train: .*gone does not exist/],
    ];
    for (const [args, code, message] of cases) {
      const c = captureIo();
      assert.equal(await run(args, c.io), code, `${args.join(' ')}: ${c.err()}`);
      assert.match(c.err(), message, args.join(' '));
      assert.equal(c.out(), '', 'nothing on stdout');
      assert.ok(!fs.existsSync(out), 'nothing written');
    }
    const h = captureIo();
    assert.equal(await run(['--help'], h.io), 0);
    assert.match(h.out(), /^usage: rxtrain export CHECKPOINT\|RUN_DIR OUT_DIR/);
  });
});
