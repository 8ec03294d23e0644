import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { lastValueFrom } from 'rxjs';
import sharp from 'sharp';
import { renderEvaluateReport, run, type EvaluateReport } from '../../src/cli/evaluateCommand';
import { run as train, TRAIN_EXIT, type TrainCommandIo } from '../../src/cli/trainCommand';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/model/Checkpoint';
import { preprocess } from '../../src/streams/preprocess';
import { asUnprivileged } from '../streams/fixtures';
import { captureIo } from './fixtures/captureIo';
import { tinyRunConfig } from './fixtures/tinyRunConfig';
import { writeDarkBrightDataset } from './fixtures/writeDarkBrightDataset';

function captureTrain(): { io: TrainCommandIo; err: () => string } {
  const err = new PassThrough();
  let e = '';
  err.on('data', (c: Buffer) => (e += c.toString()));
  return { io: { out: new PassThrough(), err, env: {}, onStopSignal: () => () => undefined }, err: () => e };
}

describe('rxtrain evaluate', function () {
  this.timeout(300_000);
  let tmp: string;
  let runDir: string;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-eval-'));
    await writeDarkBrightDataset(path.join(tmp, 'train'), ['001.dark', '002.bright'], 4);
    await writeDarkBrightDataset(path.join(tmp, 'val'), ['001.dark', '002.bright'], 3);
    await writeDarkBrightDataset(path.join(tmp, 'other'), ['001.dark', '002.bright', '003.extra'], 1);
    runDir = path.join(tmp, 'run');
    fs.writeFileSync(
      path.join(tmp, 'cfg.json'),
      JSON.stringify(tinyRunConfig(tmp, { runDir, tensorboard: false })),
    );
    const t = captureTrain();
    assert.equal(await train(['--config', path.join(tmp, 'cfg.json')], t.io), TRAIN_EXIT.OK, t.err());
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('scores the best checkpoint of a run dir on its validation data: the accuracy and loss its training logged', async () => {
    const c = captureIo();
    assert.equal(await run([runDir, '--json', '--backend', 'wasm'], c.io), 0, c.err());
    const r = JSON.parse(c.out()) as EvaluateReport;
    const best = path.join(runDir, 'checkpoints', 'best.rxckpt');
    assert.equal(r.checkpoint, best);
    const ck = decodeCheckpoint(fs.readFileSync(best));
    const own = ck.history.at(-1);
    assert.ok(own !== undefined && typeof own.valAccuracy === 'number' && typeof own.valLoss === 'number');
    assert.equal(r.epochs, own.epoch + 1, 'written at the end of the epoch it scored');
    assert.equal(r.batch, 0);
    assert.equal(r.accuracy, own.valAccuracy);
    assert.ok(Math.abs(r.loss - own.valLoss) < 1e-5, `${r.loss} vs ${own.valLoss}`);
    assert.equal(r.count, 6);
    assert.equal(r.tta, 'none');
    assert.equal(r.weights, 'trained', 'the run kept no average');
    assert.deepEqual(r.perClass.map((p) => [p.name, p.count]), [['dark', 3], ['bright', 3]]);
    assert.equal(r.confusion.flat().reduce((a, b) => a + b, 0), 6);
    assert.equal(r.meanClassAccuracy, (r.perClass[0].accuracy + r.perClass[1].accuracy) / 2, 'both classes have 3 images');
    assert.ok(!('top5Accuracy' in r) && !('top5Correct' in r), 'two classes: every image is in the top 5, so no top-5');
    const text = captureIo();
    assert.equal(await run([runDir, '--confusion', '--backend', 'wasm'], text.io), 0, text.err());
    assert.match(text.out(), /^mean per-class accuracy \d+\.\d\d% \(2 classes\)$/m);
    assert.match(text.out(), /rows: true class/);
  });

  it('prints tables by default, takes a checkpoint file, and flip TTA scores the mirror images too', async () => {
    const file = path.join(runDir, 'checkpoints', fs.readdirSync(path.join(runDir, 'checkpoints')).find((f) => f.startsWith('ckpt-s0000000002-e0001')) ?? 'missing');
    const c = captureIo();
    assert.equal(await run([file, '--backend', 'wasm'], c.io), 0, c.err());
    assert.match(c.out(), /checkpoint .*ckpt-s0000000002-e0001.*\(step 2: 1 epoch\)/);
    assert.match(c.out(), /accuracy \d+\.\d\d% \(\d \/ 6\)/);
    assert.match(c.out(), /^dark +\d+\.\d\d% +\d \/ 3$/m);
    // A header row numbers the predicted classes, aligned with the counts below it.
    assert.match(c.out(), /confusion matrix \(rows: true class, columns: predicted, in class order\)\n {7}0 {3}1\n {2}0 {2}[ \d]{2}\d {1}[ \d]{2}\d {2}dark\n/);
    const plain = captureIo();
    const flip = captureIo();
    assert.equal(await run([file, '--json', '--backend', 'wasm'], plain.io), 0);
    assert.equal(await run([file, '--json', '--tta', 'flip', '--backend', 'wasm', '--batch-size', '2'], flip.io), 0, flip.err());
    const [p, f] = [JSON.parse(plain.out()) as EvaluateReport, JSON.parse(flip.out()) as EvaluateReport];
    assert.equal(f.tta, 'flip');
    assert.equal(f.count, 6);
    assert.notEqual(f.loss, p.loss, 'the gradient images are not mirror-symmetric, so flip TTA changes the loss');
  });

  it('scores the moving average of a run that kept one (as its validation did), or the trained weights on request', async () => {
    const emaDir = path.join(tmp, 'run-ema');
    const t = captureTrain();
    const args = ['--config', path.join(tmp, 'cfg.json'), '--run-dir', emaDir, '--ema-decay', '0.5', '--ema-every', '1', '--log-level', 'info'];
    assert.equal(await train(args, t.io), TRAIN_EXIT.OK, t.err());
    assert.match(t.err(), /weight EMA: decay 0\.5 per step, folded in every 1 step\(s\)/);
    const ck = decodeCheckpoint(fs.readFileSync(path.join(emaDir, 'checkpoints', 'best.rxckpt')));
    assert.ok(ck.ema !== undefined && ck.ema.updates === ck.step, 'folded in at every step');
    const own = ck.history.at(-1);
    const report = async (...extra: string[]): Promise<EvaluateReport> => {
      const c = captureIo();
      assert.equal(await run([emaDir, '--json', '--backend', 'wasm', ...extra], c.io), 0, c.err());
      return JSON.parse(c.out()) as EvaluateReport;
    };
    const avg = await report();
    assert.equal(avg.weights, 'ema');
    assert.ok(own !== undefined && typeof own.valLoss === 'number');
    assert.ok(Math.abs(avg.loss - own.valLoss) < 1e-5, `the loss training logged: ${avg.loss} vs ${own.valLoss}`);
    assert.equal(avg.accuracy, own.valAccuracy);
    assert.deepEqual(await report('--weights', 'ema'), avg);
    const trained = await report('--weights', 'trained');
    assert.equal(trained.weights, 'trained');
    assert.notEqual(trained.loss, avg.loss);
    const c = captureIo();
    assert.equal(await run([emaDir, '--backend', 'wasm'], c.io), 0, c.err());
    assert.match(c.out(), /tta none; weights: moving average; backend/);
  });

  it('says why an image was skipped, in the tables and in --json', async () => {
    const data = path.join(tmp, 'with-small');
    await writeDarkBrightDataset(data, ['001.dark', '002.bright'], 2);
    await sharp(Buffer.alloc(10 * 10 * 3, 90), { raw: { width: 10, height: 10, channels: 3 } }).png().toFile(path.join(data, '001.dark', 'tiny.png'));
    const c = captureIo();
    assert.equal(await run([runDir, '--data', data, '--backend', 'wasm', '--json'], c.io), 0, c.err());
    const r = JSON.parse(c.out()) as EvaluateReport;
    assert.equal(r.count, 4);
    assert.deepEqual(r.skipped.map((k) => [path.basename(k.path), k.reason]), [['tiny.png', 'unsupported']]);
    assert.match(r.skipped[0].message, /image 10x10 is smaller than the 28x28 crop/);
    const d = captureIo();
    assert.equal(await run([runDir, '--data', data, '--backend', 'wasm'], d.io), 0, d.err());
    assert.match(d.out(), /skipped .*tiny\.png \(unsupported\): image 10x10 is smaller than the 28x28 crop/);
  });

  it('--max-pixels N: an image file of --data over it is skipped as too-many-pixels, naming the flag; a larger N scores it; the run\'s own validation data too', async () => {
    const data = path.join(tmp, 'with-big');
    await writeDarkBrightDataset(data, ['001.dark', '002.bright'], 2);
    // 40×40 = 1,600 pixels, the others 28×28 = 784.
    await sharp(Buffer.alloc(40 * 40 * 3, 200), { raw: { width: 40, height: 40, channels: 3 } }).png().toFile(path.join(data, '002.bright', 'big.png'));
    const limited = captureIo();
    assert.equal(await run([runDir, '--data', data, '--max-pixels', '1000', '--backend', 'wasm', '--json'], limited.io), 0, limited.err());
    const r = JSON.parse(limited.out()) as EvaluateReport;
    assert.equal(r.count, 4);
    assert.deepEqual(r.skipped.map((k) => [path.basename(k.path), k.reason]), [['big.png', 'too-many-pixels']]);
    assert.equal(r.skipped[0].message, 'image is 40x40 (1,600 pixels), over the limit of 1,000, a guard against decompression bombs (raise it with --max-pixels)');
    const raised = captureIo();
    assert.equal(await run([runDir, '--data', data, '--max-pixels', '1600', '--backend', 'wasm', '--json'], raised.io), 0, raised.err());
    assert.deepEqual([(JSON.parse(raised.out()) as EvaluateReport).count, (JSON.parse(raised.out()) as EvaluateReport).skipped], [5, []]);
    // The run's validation images (28×28) under a limit set below them: the flag reaches openDatasets too.
    const own = captureIo();
    assert.equal(await run([runDir, '--max-pixels', '700', '--backend', 'wasm'], own.io), 1);
    assert.match(own.err(), /no image could be evaluated \(every one was skipped\)/);
  });

  it('reports what listing --data left out with the rest of its skips: a class folder it may not read is one plain line, not a silent 0 / 0 (as an unprivileged user when run as root)', async () => {
    const data = path.join(tmp, 'with-private');
    await writeDarkBrightDataset(data, ['001.dark', '002.bright'], 2);
    fs.chmodSync(path.join(data, '002.bright'), 0o000);
    // What the unprivileged user reads: the run and the images (mkdtemp made tmp 0700).
    fs.chmodSync(tmp, 0o755);
    const cwd = process.cwd();
    process.chdir(tmp);
    try {
      const j = captureIo();
      assert.equal(await asUnprivileged(() => run(['run', '--data', 'with-private', '--json', '--backend', 'wasm'], j.io)), 0, j.err());
      const r = JSON.parse(j.out()) as EvaluateReport;
      assert.equal(r.count, 2);
      assert.deepEqual(r.skipped, [{ path: path.join('with-private', '002.bright'), reason: 'unreadable', message: 'cannot list class folder: permission denied' }]);
      const t = captureIo();
      assert.equal(await asUnprivileged(() => run(['run', '--data', 'with-private', '--backend', 'wasm'], t.io)), 0, t.err());
      assert.match(t.out(), /^data with-private: 2 images, 1 skipped;/m);
      assert.match(t.out(), /^skipped with-private\/002\.bright \(unreadable\): cannot list class folder: permission denied$/m);
    } finally {
      process.chdir(cwd);
      fs.chmodSync(path.join(data, '002.bright'), 0o755);
    }
  });

  it('never scores one checkpoint for another silently, and leaves a live run\'s files alone', async () => {
    const copy = path.join(tmp, 'run-damaged');
    fs.cpSync(runDir, copy, { recursive: true });
    const ckpts = path.join(copy, 'checkpoints');
    const newest = fs.readdirSync(ckpts).filter((f) => f.startsWith('ckpt-')).sort();
    assert.ok(newest.length >= 2, newest.join(', '));
    // A training writing its next checkpoint right now: evaluate must not remove its temp file.
    fs.writeFileSync(path.join(ckpts, '.ckpt-next.rxckpt.tmp'), 'half written');
    const damage = (f: string): void => {
      const b = fs.readFileSync(f);
      b[b.length - 40] ^= 0xff;
      fs.writeFileSync(f, b);
    };
    damage(path.join(ckpts, 'best.rxckpt'));
    const c = captureIo();
    assert.equal(await run([copy, '--backend', 'wasm'], c.io), 1);
    assert.match(c.err(), new RegExp(`best\\.rxckpt: .*; the newest valid checkpoint is .*${newest[newest.length - 1]}: pass it instead of `));
    // Without a best one, the newest valid checkpoint is scored, and the damaged newer one named.
    fs.rmSync(path.join(ckpts, 'best.rxckpt'));
    damage(path.join(ckpts, newest[newest.length - 1]));
    const d = captureIo();
    assert.equal(await run([copy, '--backend', 'wasm', '--json'], d.io), 0, d.err());
    assert.match(d.err(), new RegExp(`note: checkpoint .*${newest[newest.length - 1]} is unusable \\(.*\\); falling back to the previous one`));
    assert.equal((JSON.parse(d.out()) as EvaluateReport).checkpoint, path.join(ckpts, newest[newest.length - 2]));
    assert.ok(fs.existsSync(path.join(ckpts, '.ckpt-next.rxckpt.tmp')), 'the temp file of a running training is still there');
  });

  it('--data scores a checkpoint away from its training data: it carries its classes and normalisation', async () => {
    const best = path.join(runDir, 'checkpoints', 'best.rxckpt');
    const ck = decodeCheckpoint(fs.readFileSync(best));
    assert.deepEqual(ck.inference, { classes: ['dark', 'bright'], mean: [128, 128, 128], std: [64, 64, 64] });
    const report = async (args: string[]): Promise<{ code: number; r?: EvaluateReport; err: string }> => {
      const c = captureIo();
      const code = await run([...args, '--json', '--backend', 'wasm'], c.io);
      return { code, ...(code === 0 ? { r: JSON.parse(c.out()) as EvaluateReport } : {}), err: c.err() };
    };
    const here = await report([best, '--data', path.join(tmp, 'val')]);
    assert.equal(here.code, 0, here.err);
    const away = path.join(tmp, 'elsewhere');
    fs.mkdirSync(away);
    fs.copyFileSync(best, path.join(away, 'best.rxckpt'));
    const old = path.join(away, 'old.rxckpt');
    const { inference: _dropped, ...withoutInfo } = ck;
    fs.writeFileSync(old, encodeCheckpoint(withoutInfo));
    fs.renameSync(path.join(tmp, 'train'), path.join(tmp, 'train-away'));
    try {
      const there = await report([path.join(away, 'best.rxckpt'), '--data', path.join(tmp, 'val')]);
      assert.equal(there.code, 0, there.err);
      assert.deepEqual({ ...there.r, checkpoint: '' }, { ...here.r, checkpoint: '' }, 'the same figures as next to the training data');
      const noData = await report([path.join(away, 'best.rxckpt')]);
      assert.equal(noData.code, 1);
      assert.match(noData.err, /data\.train: .*train does not exist \(the run's data is not here; to score other data with this checkpoint, pass --data\)/);
      const older = await report([old, '--data', path.join(tmp, 'val')]);
      assert.equal(older.code, 1, 'a checkpoint without the info still needs the training data');
      assert.match(older.err, /data\.train: .*train does not exist/);
      const wrong = await report([path.join(away, 'best.rxckpt'), '--data', path.join(tmp, 'other')]);
      assert.equal(wrong.code, 1);
      assert.match(wrong.err, /--data .*other: its class folders differ from the training classes \(missing: none; extra: extra\)/);
    } finally {
      fs.renameSync(path.join(tmp, 'train-away'), path.join(tmp, 'train'));
    }
  });

  it('--mistakes lists the most confident wrong predictions with the originals a preprocess output names', async () => {
    // Dark images filed as bright and bright as dark: the run's model gets most of them wrong.
    const swapped = path.join(tmp, 'swapped');
    await writeDarkBrightDataset(swapped, ['002.bright', '001.dark'], 6);
    fs.renameSync(path.join(swapped, '002.bright'), path.join(swapped, 'tmp'));
    fs.renameSync(path.join(swapped, '001.dark'), path.join(swapped, '002.bright'));
    fs.renameSync(path.join(swapped, 'tmp'), path.join(swapped, '001.dark'));
    const pre = path.join(tmp, 'swapped-pre');
    await lastValueFrom(preprocess({ src: swapped, out: pre, size: 28, valRatio: 0.5, records: true }), { defaultValue: undefined });
    const c = captureIo();
    assert.equal(await run([runDir, '--data', path.join(pre, 'val.rec'), '--mistakes', '3', '--json', '--backend', 'wasm'], c.io), 0, c.err());
    const r = JSON.parse(c.out()) as EvaluateReport;
    assert.ok(r.count - r.correct >= 2, `a model that gets swapped labels wrong (${r.correct} / ${r.count} right)`);
    assert.equal(r.mistakes.length, Math.min(3, r.count - r.correct));
    for (const m of r.mistakes) {
      assert.match(m.path, /^val\/\d{6}\.jpg$/, 'the record\'s name');
      assert.ok(m.original !== undefined && fs.existsSync(m.original), JSON.stringify(m));
      assert.equal(path.dirname(path.dirname(m.original)), swapped);
      assert.equal(path.basename(path.dirname(m.original)).slice(4), m.truth, 'filed under its true (swapped) class');
      assert.notEqual(m.predicted, m.truth);
      assert.ok(m.confidence > m.truthProbability);
    }
    assert.deepEqual([...r.mistakes].sort((a, b) => b.confidence - a.confidence), r.mistakes, 'most confident first');
    const t = captureIo();
    assert.equal(await run([runDir, '--data', path.join(pre, 'val.rec'), '--mistakes', '2', '--backend', 'wasm'], t.io), 0, t.err());
    assert.match(t.out(), new RegExp(`most confident mistakes \\(2 of ${r.count - r.correct} wrong\\)\np\\(pred\\)  p\\(true\\)  true → predicted +image\n`));
    assert.match(t.out(), /^ *\d+\.\d\d% +\d+\.\d\d% +(dark → bright|bright → dark) +\S*swapped\/00[12]\.(dark|bright)\/\d\.png$/m);
    const none = captureIo();
    assert.equal(await run([runDir, '--data', path.join(pre, 'val.rec'), '--backend', 'wasm'], none.io), 0);
    assert.doesNotMatch(none.out(), /most confident mistakes/);
    // The dataset folder moved: the originals are still named, and said to be missing.
    fs.renameSync(swapped, `${swapped}-moved`);
    try {
      const moved = captureIo();
      assert.equal(await run([runDir, '--data', path.join(pre, 'val.rec'), '--mistakes', '1', '--backend', 'wasm'], moved.io), 0, moved.err());
      assert.match(moved.out(), /swapped\/00[12]\.(dark|bright)\/\d\.png \(not found: the dataset folder moved\?\)$/m);
    } finally {
      fs.renameSync(`${swapped}-moved`, swapped);
    }
  });

  it('shows each path in --json as in its tables: relative to the working directory when inside it', async () => {
    // Dark images filed as bright and bright as dark (mistakes), and one image too small (a skip).
    const swapped = path.join(tmp, 'swapped-files');
    await writeDarkBrightDataset(swapped, ['002.bright', '001.dark'], 2);
    await sharp(Buffer.alloc(10 * 10 * 3, 90), { raw: { width: 10, height: 10, channels: 3 } }).png().toFile(path.join(swapped, '001.dark', 'tiny.png'));
    const cwd = process.cwd();
    process.chdir(tmp);
    try {
      const j = captureIo();
      assert.equal(await run(['run', '--data', swapped, '--mistakes', '4', '--json', '--backend', 'wasm'], j.io), 0, j.err());
      const r = JSON.parse(j.out()) as EvaluateReport;
      assert.equal(r.checkpoint, path.join('run', 'checkpoints', 'best.rxckpt'));
      assert.equal(r.data, 'swapped-files', 'given absolute, inside the working directory');
      assert.deepEqual(r.skipped.map((k) => k.path), [path.join('swapped-files', '001.dark', 'tiny.png')]);
      assert.ok(r.mistakes.length >= 2, `a model that gets swapped labels wrong (${r.correct} / ${r.count} right)`);
      for (const m of r.mistakes) assert.match(m.path, /^swapped-files\/00[12]\.(dark|bright)\/\d\.png$/);
      const t = captureIo();
      assert.equal(await run(['run', '--data', 'swapped-files', '--mistakes', '4', '--backend', 'wasm'], t.io), 0, t.err());
      assert.match(t.out(), new RegExp(`^checkpoint ${r.checkpoint} .*\ndata ${r.data}: `));
      const shown = t.out().split('most confident mistakes')[1].split('\n').slice(2).filter((l) => /^ *\d/.test(l)).map((l) => l.trim().split(/ {2,}/).at(-1));
      assert.deepEqual(shown, r.mistakes.map((m) => m.path));
      assert.match(t.out(), new RegExp(`^skipped ${r.skipped[0].path} \\(unsupported\\)`, 'm'));
    } finally {
      process.chdir(cwd);
    }
  });

  it('a split folder of a preprocess output as --data: says what to give instead, with paths shown as everywhere (relative to here when inside it)', async () => {
    const pre = path.join(tmp, 'pre-shown');
    fs.mkdirSync(path.join(pre, 'val'), { recursive: true });
    fs.writeFileSync(path.join(pre, 'val.csv'), 'file,class\n');
    fs.writeFileSync(path.join(pre, 'val.rec'), '');
    fs.copyFileSync(path.join(tmp, 'val', '001.dark', '0.png'), path.join(pre, 'val', '000001.png'));
    const cwd = process.cwd();
    process.chdir(tmp);
    try {
      for (const given of ['pre-shown/val', './pre-shown/val/', path.join(pre, 'val')]) {
        const c = captureIo();
        assert.equal(await run(['run', '--data', given, '--backend', 'wasm'], c.io), 1, c.err());
        assert.equal(
          c.err(),
          "rxtrain evaluate: --data pre-shown/val is the val split of the rxtrain preprocess output pre-shown, not a folder-per-class tree (its images' classes are in pre-shown/val.csv): give its record file pre-shown/val.rec or the folder-per-class tree it was made from\n",
          given,
        );
      }
      const whole = captureIo();
      assert.equal(await run(['run', '--data', pre, '--backend', 'wasm'], whole.io), 1);
      assert.equal(whole.err(), 'rxtrain evaluate: --data pre-shown is a rxtrain preprocess output, not a folder-per-class tree: give its record file pre-shown/val.rec or the folder-per-class tree it was made from\n');
    } finally {
      process.chdir(cwd);
    }
  });

  it('refuses what it cannot evaluate with a message: usage errors exit 2, bad checkpoints and data exit 1', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [[], 2, /missing CHECKPOINT or RUN_DIR/],
      [[runDir, '--tta', 'twelve-crop'], 2, /--tta must be none, flip, ten-crop; got 'twelve-crop'/],
      [[runDir, '--batch-size', '0'], 2, /--batch-size must be a positive integer/],
      [[runDir, '--max-pixels', '0'], 2, /--max-pixels must be a positive integer, got '0'/],
      [[runDir, '--max-pixels=-5'], 2, /--max-pixels must be a positive integer, got '-5'/],
      [[runDir, '--max-pixels', '1.5'], 2, /--max-pixels must be a positive integer, got '1\.5'/],
      [[runDir, '--backend', 'gpu'], 2, /--backend must be auto, tensorflow, wasm, cpu; got 'gpu'/],
      [[path.join(tmp, 'nowhere')], 1, /nowhere: no such checkpoint file or run directory/],
      [[tmp], 1, /no checkpoint found/],
      [[runDir, '--data', path.join(tmp, 'other'), '--backend', 'wasm'], 1, /--data .*other: its class folders differ from the training classes \(missing: none; extra: extra\)/],
      [[runDir, '--tta', 'ten-crop', '--backend', 'wasm'], 1, /tenCrop: needs images of one known size/],
      [[runDir, '--mistakes', 'all'], 2, /--mistakes must be a whole number, got 'all'/],
      [[runDir, '--weights', 'best'], 2, /--weights must be ema or trained; got 'best'/],
      [[runDir, '--weights', 'ema'], 1, /the run kept no moving average of the weights \(config ema\.decay 0\): use --weights trained/],
    ];
    // A preprocess output and a folder of images without class folders: what to pass instead.
    const preLike = path.join(tmp, 'pre-like');
    fs.mkdirSync(path.join(preLike, 'val'), { recursive: true });
    fs.writeFileSync(path.join(preLike, 'val.csv'), 'file,class\n');
    fs.copyFileSync(path.join(tmp, 'val', '001.dark', '0.png'), path.join(preLike, 'val', '000001.png'));
    cases.push([[runDir, '--data', preLike, '--backend', 'wasm'], 1, /--data .*pre-like is a rxtrain preprocess output, not a folder-per-class tree: give its val\.rec \(written by rxtrain preprocess --records\) or the folder-per-class tree it was made from/]);
    cases.push([[runDir, '--data', path.join(preLike, 'val'), '--backend', 'wasm'], 1, /--data .*pre-like\/val is the val split of the rxtrain preprocess output .*pre-like, not a folder-per-class tree \(its images' classes are in .*pre-like\/val\.csv\): give its val\.rec \(written by rxtrain preprocess --records\) or the folder-per-class tree it was made from/]);
    const flat = path.join(tmp, 'flat');
    fs.mkdirSync(flat);
    fs.copyFileSync(path.join(tmp, 'val', '001.dark', '0.png'), path.join(flat, '0.png'));
    cases.push([[runDir, '--data', flat, '--backend', 'wasm'], 1, /--data .*flat has no class folders \(one sub-folder per class expected: dark\/, bright\/, …\)/]);
    // An image given as the data: what it is and what --data takes, not "bad magic".
    cases.push([[runDir, '--data', path.join(tmp, 'val', '001.dark', '0.png'), '--backend', 'wasm'], 1, /^rxtrain evaluate: --data \S*0\.png is a PNG image, not a folder or a record file: expected a folder-per-class tree with the training classes, or a record file \(\.rec, from rxtrain preprocess --records or import-idx --records\)\n$/]);
    const garbage = path.join(tmp, 'garbage.rxckpt');
    fs.writeFileSync(garbage, 'not a checkpoint at all');
    cases.push([[garbage], 1, /garbage\.rxckpt: not an rxtrain checkpoint or truncated/]);
    // What train() in code writes without an identity: no config to build the model from.
    const fromCode = path.join(tmp, 'from-code.rxckpt');
    const ck = decodeCheckpoint(fs.readFileSync(path.join(runDir, 'checkpoints', 'best.rxckpt')));
    fs.writeFileSync(fromCode, encodeCheckpoint({ ...ck, identity: { config: null, data: null } }));
    cases.push([[fromCode], 1, /from-code\.rxckpt: the checkpoint holds no training config \(train\(\) in code writes one only when given identity: runIdentity\(cfg, fingerprint\)\), and rxtrain evaluate, predict and export build the model and the data from it; score it in code instead: evaluateSource or predictSource/]);
    for (const [args, code, message] of cases) {
      const c = captureIo();
      assert.equal(await run(args, c.io), code, `${args.join(' ')}: ${c.err()}`);
      assert.match(c.err(), message, args.join(' '));
      assert.equal(c.out(), '', 'nothing on stdout');
    }
  });

  it('prints the tables of a 1000-class report (ImageNet\'s): a million confusion cells', () => {
    const n = 1000;
    const names = Array.from({ length: n }, (_, i) => `class_${i}`);
    const confusion = names.map((_, i) => names.map((__, j) => (i === j ? 40 : j === (i + 1) % n ? 10 : 0)));
    const report: EvaluateReport = {
      checkpoint: 'best.rxckpt', epochs: 1, batch: 0, step: 10, data: 'val.rec', tta: 'none', weights: 'trained', backend: 'wasm',
      loss: 1, accuracy: 0.8, correct: 40 * n, count: 50 * n, meanClassAccuracy: 0.8,
      perClass: names.map((name) => ({ name, accuracy: 0.8, correct: 40, count: 50 })),
      confusion,
      skipped: [],
      mistakes: names.map((name, i) => ({ path: `val/${i}.jpg`, truth: name, predicted: names[(i + 1) % n], confidence: 0.9, truthProbability: 0.1 })),
    };
    const text = renderEvaluateReport(report, { confusion: true });
    assert.match(text, /^class_999 +80\.00% +40 \/ 50$/m);
    assert.match(text, /^999 +10 +0 .* 40 {2}class_999$/m);
    assert.match(text, /most confident mistakes \(1000 of 10000 wrong\)/);
  });

  it('a Caltech-256-sized report: top-5 and mean per-class accuracy in the summary; the most confused pairs instead of a 257 × 257 matrix, unless asked', () => {
    const n = 257;
    const names = Array.from({ length: n }, (_, i) => `${String(i + 1).padStart(3, '0')}.class`);
    // Classes 250–256 have no images; class i sends (i % 7) images to class i + 1, so the
    // largest off-diagonal cells are those of i % 7 = 6: 6 → 7 (6 images), 13 → 14, …
    const confusion = names.map((_, i) => names.map((__, j) => (i >= 250 ? 0 : i === j ? 20 : j === i + 1 ? i % 7 : 0)));
    const perClass = confusion.map((row, i) => ({ name: names[i], correct: row[i], count: row.reduce((a, b) => a + b, 0), accuracy: row[i] / row.reduce((a, b) => a + b, 0) }));
    const count = perClass.reduce((a, p) => a + p.count, 0);
    const report: EvaluateReport = {
      checkpoint: 'best.rxckpt', epochs: 1, batch: 0, step: 10, data: 'val.rec', tta: 'ten-crop', weights: 'trained', backend: 'wasm',
      loss: 1, accuracy: (250 * 20) / count, correct: 250 * 20, count, top5Accuracy: 0.9, top5Correct: Math.round(0.9 * count), meanClassAccuracy: 0.77,
      perClass, confusion, skipped: [], mistakes: [],
    };
    const text = renderEvaluateReport(report);
    assert.match(text, new RegExp(`^loss 1\\.0000  accuracy \\d+\\.\\d\\d% \\(5000 / ${count}\\)  top-5 90\\.00% \\(${Math.round(0.9 * count)} / ${count}\\)$`, 'm'));
    assert.match(text, /^mean per-class accuracy 77\.00% \(250 of 257 classes: 7 without images count nowhere\)$/m);
    assert.match(text, /^confusion matrix: not printed for 257 classes \(--confusion prints it, --json has it\)$/m);
    assert.doesNotMatch(text, /rows: true class/);
    const pairs = text.split('most confused pairs (10 largest off-diagonal cells)\n')[1].split('\n').slice(1, 11);
    assert.deepEqual(pairs.map((l) => l.split(/ {2,}/)[0]), [6, 13, 20, 27, 34, 41, 48, 55, 62, 69].map((i) => `${names[i]} → ${names[i + 1]}`));
    assert.match(pairs[0], /^007\.class → 008\.class +6 +23\.08%$/, '6 of class 6\'s 26 images');
    const longest = text.split('\n').reduce((m, l) => Math.max(m, l.length), 0);
    assert.ok(longest < 100, `no line wider than a terminal (${longest})`);
    const full = renderEvaluateReport(report, { confusion: true });
    assert.match(full, /rows: true class/);
    assert.match(full, /^256 +(0 +){256}0 {2}257\.class$/m);
    assert.match(renderEvaluateReport({ ...report, perClass: perClass.slice(0, 20), confusion: confusion.slice(0, 20).map((r) => r.slice(0, 20)) }), /rows: true class/, 'up to 20 classes the matrix is printed');
  });

  it('without top-5 (5 classes or fewer) the summary leaves it out; a mean per-class accuracy over every class says so', () => {
    const report: EvaluateReport = {
      checkpoint: 'best.rxckpt', epochs: 1, batch: 0, step: 10, data: 'val', tta: 'none', weights: 'trained', backend: 'wasm',
      loss: 0.5, accuracy: 0.75, correct: 3, count: 4, meanClassAccuracy: 0.5,
      perClass: [{ name: 'dark', accuracy: 1, correct: 3, count: 3 }, { name: 'bright', accuracy: 0, correct: 0, count: 1 }],
      confusion: [[3, 0], [1, 0]], skipped: [], mistakes: [],
    };
    const text = renderEvaluateReport(report);
    assert.match(text, /^loss 0\.5000 {2}accuracy 75\.00% \(3 \/ 4\)$/m);
    assert.match(text, /^mean per-class accuracy 50\.00% \(2 classes\)$/m);
    assert.doesNotMatch(text, /top-5|most confused/);
  });

  it('shows a class without images as — (its accuracy is 0 / 0), not NaN%', () => {
    const report: EvaluateReport = {
      checkpoint: 'best.rxckpt', epochs: 1, batch: 0, step: 10, data: 'val', tta: 'none', weights: 'trained', backend: 'wasm',
      loss: 0.5, accuracy: 0.75, correct: 3, count: 4, meanClassAccuracy: 0.75,
      perClass: [{ name: 'dark', accuracy: 0.75, correct: 3, count: 4 }, { name: 'bright', accuracy: NaN, correct: 0, count: 0 }],
      confusion: [[3, 1], [0, 0]],
      skipped: [{ path: 'val/bright', reason: 'unreadable', message: 'cannot list class folder: permission denied' }],
      mistakes: [],
    };
    const text = renderEvaluateReport(report);
    assert.match(text, /^bright +— +0 \/ 0$/m);
    assert.doesNotMatch(text, /NaN/);
  });

  it('shows a class named with a line break (its folder\'s name) quoted and escaped, as paths are: every row stays one line', () => {
    const names = ['new\nclass', 'plain', 'tab\there'];
    const report: EvaluateReport = {
      checkpoint: 'best.rxckpt', epochs: 1, batch: 0, step: 10, data: 'val', tta: 'none', weights: 'trained', backend: 'wasm',
      loss: 0.5, accuracy: 0.5, correct: 2, count: 4, meanClassAccuracy: 0.5,
      perClass: names.map((name, i) => ({ name, accuracy: i === 0 ? 0.5 : 0.5, correct: i === 2 ? 0 : 1, count: i === 2 ? 0 : 2 })),
      confusion: [[1, 1, 0], [1, 1, 0], [0, 0, 0]], skipped: [],
      mistakes: [{ path: 'val/1.jpg', truth: 'new\nclass', predicted: 'plain', confidence: 0.9, truthProbability: 0.1 }],
    };
    const text = renderEvaluateReport(report);
    assert.match(text, /^"new\\nclass" +50\.00% +1 \/ 2$/m);
    assert.match(text, /^ {2}0 +1 +1 +0 {2}"new\\nclass"$/m);
    assert.match(text, /^ {2}2 +0 +0 +0 {2}"tab\\there"$/m);
    assert.match(text, /^ 90\.00% +10\.00% {2}"new\\nclass" → plain {2}val\/1\.jpg$/m);
    assert.doesNotMatch(text, /new\nclass|tab\there/, 'no raw line break or tab left');
    // Many classes: the most confused pairs name them the same way.
    const n = 60;
    const many = Array.from({ length: n }, (_, i) => (i === 3 ? 'odd\nname' : `c${i}`));
    const confusion = many.map((_, i) => many.map((__, j) => (i === j ? 5 : i === 3 && j === 4 ? 3 : 0)));
    const big = renderEvaluateReport({ ...report, perClass: many.map((name) => ({ name, accuracy: 1, correct: 5, count: 5 })), confusion, mistakes: [] });
    assert.match(big, /most confused pairs/);
    assert.match(big, /^"odd\\nname" → c4 +3 +60\.00%$/m);
    assert.doesNotMatch(big, /odd\nname/);
  });

  it('lines up its columns by terminal width when class names are Japanese or carry combining accents (Caltech-style names in any script)', () => {
    const names = ['ak47', '日本の寿司', 'cre\u0300me bru\u0302le\u0301e', 'hummingbird-feeder'];
    const confusion = names.map((_, i) => names.map((__, j) => (i === j ? 2 : j === (i + 1) % names.length ? 1 : 0)));
    const report: EvaluateReport = {
      checkpoint: 'best.rxckpt', epochs: 1, batch: 0, step: 10, data: 'val', tta: 'none', weights: 'trained', backend: 'wasm',
      loss: 1, accuracy: 8 / 12, correct: 8, count: 12, meanClassAccuracy: 8 / 12,
      perClass: names.map((name) => ({ name, accuracy: 2 / 3, correct: 2, count: 3 })),
      confusion, skipped: [],
      mistakes: names.map((name, i) => ({ path: `val/${i}.jpg`, truth: name, predicted: names[(i + 1) % names.length], confidence: 0.9, truthProbability: 0.1 })),
    };
    // A terminal's columns: two for a CJK character, none for a combining mark.
    const columns = (s: string): number => [...s.normalize('NFC')].reduce((w, ch) => w + (/\p{Script=Han}|\p{Script=Hiragana}/u.test(ch) ? 2 : 1), 0);
    const where = (line: string, token: string): number => columns(line.slice(0, line.indexOf(token)));
    const text = renderEvaluateReport(report, { confusion: false });
    const lines = text.split('\n');
    const rows = lines.filter((l) => names.some((n) => l.startsWith(`${n} `)) && / \/ 3$/.test(l));
    assert.equal(rows.length, 4, text);
    assert.deepEqual(new Set(rows.map((l) => where(l, '66.67%'))).size, 1, `per-class accuracy in one column:\n${rows.join('\n')}`);
    const mistakes = lines.filter((l) => /val\/\d\.jpg$/.test(l));
    assert.equal(mistakes.length, 4, text);
    assert.equal(new Set(mistakes.map((l) => where(l, 'val/'))).size, 1, `images in one column:\n${mistakes.join('\n')}`);
  });

  it('renders an image or skipped file whose name holds a line break on one line, quoted', () => {
    const report: EvaluateReport = {
      checkpoint: 'best.rxckpt', epochs: 1, batch: 0, step: 10, data: 'val', tta: 'none', weights: 'trained', backend: 'wasm',
      loss: 1, accuracy: 0.5, correct: 1, count: 2, meanClassAccuracy: 0.5,
      perClass: [{ name: 'a', accuracy: 1, correct: 1, count: 1 }, { name: 'b', accuracy: 0, correct: 0, count: 1 }],
      confusion: [[1, 0], [1, 0]],
      skipped: [{ path: 'val/a/bad\nname.jpg', reason: 'empty', message: 'file has 0 bytes' }],
      mistakes: [{ path: 'val/b/new\nline.jpg', truth: 'b', predicted: 'a', confidence: 0.9, truthProbability: 0.1 }],
    };
    const lines = renderEvaluateReport(report).split('\n');
    assert.ok(lines.some((l) => / b → a +"val\/b\/new\\nline\.jpg"$/.test(l)), lines.join('\n'));
    assert.ok(lines.includes('skipped "val/a/bad\\nname.jpg" (empty): file has 0 bytes'), lines.join('\n'));
    assert.ok(!lines.some((l) => /^(line|name)\.jpg/.test(l)));
  });
});
