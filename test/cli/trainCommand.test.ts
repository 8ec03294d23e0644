import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
// The module object itself (the namespace import is a read-only view), to stub a read-only file system.
import nodeFs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import * as E from 'fp-ts/Either';
import { filter, lastValueFrom, map, toArray } from 'rxjs';
import sharp from 'sharp';
import { resolveTrainConfig, run, TRAIN_EXIT, type TrainCommandIo } from '../../src/cli/trainCommand';
import { SAME_STOP_MS } from '../../src/cli/processStopSignal';
import { decodeCheckpoint, encodeCheckpoint, hashIdentity } from '../../src/model/Checkpoint';
import { DEFAULT_TRAIN_CONFIG } from '../../src/model/TrainConfig';
import { DEFAULT_MAX_PIXELS } from '../../src/streams/decodeFile';
import { preprocess } from '../../src/streams/preprocess';
import { tinyRunConfig } from './fixtures/tinyRunConfig';
import { selfSignedCert } from '../telemetry/telemetryTestKit';
import { watchTelemetry } from '../../src/telemetry/watchTelemetry';

/**
 * A real `rxtrain train` process (stop signals that end it with process.exit, or that Node's own
 * handling decides, need one), its stderr collected.
 */
function spawnTrain(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts'), 'train', ...args], {
    cwd: path.join(__dirname, '..', '..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const waitFor = (re: RegExp): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (re.test(err)) resolve();
      };
      child.stderr.on('data', check);
      check();
      void exited.then((e) => reject(new Error(`exited (${e.code ?? e.signal}) before ${re}: ${err}`)));
    });
  const waitForFile = async (file: string): Promise<void> => {
    while (!fs.existsSync(file)) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited (${child.exitCode ?? child.signalCode}) before ${file} appeared: ${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, err: () => err, exited, waitFor, waitForFile };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function capture(extra: Partial<TrainCommandIo> = {}): { io: TrainCommandIo; out: () => string; err: () => string } {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (c: Buffer) => (o += c.toString()));
  err.on('data', (c: Buffer) => (e += c.toString()));
  return { io: { out, err, env: {}, onStopSignal: () => () => undefined, ...extra }, out: () => o, err: () => e };
}

async function writeDataset(root: string, perClass: number): Promise<void> {
  for (const [ci, cls] of ['001.dark', '002.bright'].entries()) {
    fs.mkdirSync(path.join(root, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const px = Buffer.alloc(28 * 28, ci === 0 ? 30 + i : 220 - i);
      await sharp(px, { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(path.join(root, cls, `${i}.png`));
    }
  }
}

describe('rxtrain train', function () {
  this.timeout(300_000);
  let tmp: string;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-cli-'));
    await writeDataset(path.join(tmp, 'train'), 4);
    await writeDataset(path.join(tmp, 'val'), 2);
    fs.writeFileSync(
      path.join(tmp, 'cfg.json'),
      JSON.stringify(tinyRunConfig(tmp)),
    );
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('decodes every config shipped in configs/, and the sample\'s data is in the repository', () => {
    // `npm start` and the README run these files; a field renamed in TrainConfig must not leave them behind.
    const dir = path.join(__dirname, '..', '..', 'configs');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
    assert.ok(files.includes('sample.json'), `configs/ has ${files.join(', ')}`);
    for (const f of files) {
      const r = resolveTrainConfig(['--config', path.join(dir, f)]);
      assert.ok(E.isRight(r), `${f}: ${E.isLeft(r) ? r.left : ''}`);
      if (f === 'sample.json' && E.isRight(r) && r.right !== 'help') {
        const { data } = r.right.config;
        for (const d of [data.train, data.val]) assert.ok(d !== null && fs.existsSync(path.join(__dirname, '..', '..', d)), `sample data folder ${String(d)} exists`);
      }
    }
  });

  it('--help documents every option and the exit codes', async () => {
    const c = capture();
    assert.equal(await run(['--help'], c.io), TRAIN_EXIT.OK);
    for (const flag of ['--config', '--data', '--val', '--epochs', '--batch-size', '--lr', '--no-nesterov', '--run-dir', '--telemetry', '--progress', '--ten-crop', '--checkpoint-steps']) {
      assert.ok(c.out().includes(flag), `help mentions ${flag}`);
    }
    // Each flag's config field and its default, so `--data X` alone says what it will do.
    const oneLine = c.out().replace(/\n {30}/g, ' ');
    assert.match(oneLine, /--epochs N .*\[epochs, default 90\]/);
    assert.match(oneLine, /--batch-size N .*\[batchSize, default 128\]/);
    assert.match(oneLine, /--run-dir DIR .*\[runDir, default runs\/default\]/);
    assert.match(oneLine, /--model alexnet\|small .*\[model\.name, default alexnet\]/);
    assert.match(oneLine, /--data DIR .*\[data\.train\]/);
    // CosineAnnealingLR's defaults, though the default scheduler is ReduceLROnPlateau.
    assert.match(oneLine, /--eta-min X .*\[scheduler\.etaMin, default 0\]/);
    assert.match(oneLine, /--cosine-horizon budget\|epochs\s+.*\[scheduler\.horizon, default budget\]/);
    // A default said in words is not contradicted by the field's placeholder, nor said twice.
    assert.match(oneLine, /--classes N .*\(default: from the data\) \[model\.numClasses\]/);
    assert.match(oneLine, /--init-weights ema\|trained .*\[initWeights\]/);
    assert.equal(oneLine.match(/default 127\.0\.0\.1:50051/g)?.length, 1, 'the telemetry default once');
    assert.match(c.out(), /exit codes:\n {2}0 {5}finished/);
    assert.match(c.out(), /\n {2}130 {3}interrupted/);
  });

  it('--help examples work in an installed package: a path only a clone has (configs/, the bundled sample) is marked as such', async () => {
    const c = capture();
    assert.equal(await run(['--help'], c.io), TRAIN_EXIT.OK);
    const examples = c.out().split('\nexamples:\n')[1]?.split('\n') ?? [];
    assert.ok(examples.length >= 3, c.out());
    for (const l of examples) if (/configs\/|fashion-mnist-sample/.test(l)) assert.match(l, /# in a clone$/, l);
    assert.ok(examples.some((l) => /^ {2}rxtrain train --data \S+/.test(l)), 'an example on a folder of the user\'s own');
  });

  it('--help lays options out in a column that long options cannot run into', async () => {
    for (const columns of [undefined, 40, 80, 200]) {
      const c = capture();
      const out = Object.assign(c.io.out, { columns });
      assert.equal(await run(['--help'], { ...c.io, out }), TRAIN_EXIT.OK);
      const width = columns === undefined ? 100 : Math.min(Math.max(columns - 1, 60), 120);
      const lines = c.out().trimEnd().split('\n');
      for (const l of lines) assert.ok(l.length <= width, `${columns}: ${l.length} > ${width}: ${l}`);
      const options = lines.flatMap((l, i) => (/^ {2}-/.test(l) ? [i] : []));
      assert.ok(options.length > 40, `${options.length} option lines`);
      for (const i of options) {
        // The option, two or more spaces and its description at column 30; or the option alone
        // with its description on the next line, at column 30.
        const l = lines[i];
        if (/ {2,}\S/.test(l.slice(2))) assert.match(l, /^ {2}\S.{0,25}\S {2,}/, l);
        else assert.match(lines[i + 1], /^ {30}\S/, `${l}\n${lines[i + 1]}`);
        assert.ok(!/ {2,}\S/.test(l.slice(2)) || l.charAt(30) !== ' ', `description of ${l} at column 30`);
      }
      assert.match(c.out(), /\n {2}--telemetry-insecure \/ --no-telemetry-insecure\n {30}allow plaintext/);
      assert.equal(c.out().match(/--telemetry-token TOKEN/g)?.length, 1, 'each option listed once');
    }
  });

  it('--print-config alone prints every default with data.train empty: a file to start from that names what is missing', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const err = new PassThrough();
    assert.equal(await run(['--print-config', '--epochs', '3'], { out, err, env: {} }), TRAIN_EXIT.OK);
    const printed = JSON.parse(text) as { data: { train: string; records?: boolean }; epochs: number; batchSize: number };
    assert.equal(printed.data.train, '');
    assert.equal(printed.epochs, 3);
    assert.equal(printed.batchSize, DEFAULT_TRAIN_CONFIG.batchSize);
    const file = path.join(tmp, 'printed.json');
    fs.writeFileSync(file, text);
    const again = resolveTrainConfig(['--config', file]);
    assert.ok(E.isLeft(again) && /data\.train: got "", expected a directory of training images/.test(again.left), JSON.stringify(again));
    const filled = resolveTrainConfig(['--config', file, '--data', tmp]);
    assert.ok(E.isRight(filled) && filled.right !== 'help' && filled.right.config.epochs === 3 && filled.right.config.data.train === tmp);
    // Without --print-config the missing data is still an error.
    assert.ok(E.isLeft(resolveTrainConfig(['--epochs', '3'])));
    // data.records is printed only when given: a file that pinned the default would count as given.
    assert.ok(!('records' in printed.data), text);
    const recordsOf = (file: string): { records: boolean; recordsGiven: boolean } => {
      const r = resolveTrainConfig(['--config', file, '--data', tmp]);
      assert.ok(E.isRight(r) && r.right !== 'help', JSON.stringify(r));
      return { records: r.right.config.data.records, recordsGiven: r.right.recordsGiven };
    };
    assert.deepEqual(recordsOf(file), { records: DEFAULT_TRAIN_CONFIG.data.records, recordsGiven: false });
    for (const [flag, records] of [['--records', true], ['--no-records', false]] as const) {
      const c = capture();
      assert.equal(await run(['--print-config', flag], c.io), TRAIN_EXIT.OK);
      const given = path.join(tmp, `printed${flag}.json`);
      fs.writeFileSync(given, c.out());
      assert.deepEqual(recordsOf(given), { records, recordsGiven: true });
    }
  });

  it('--max-pixels sets data.maxPixels, the decode limit of image files, with the default of rxtrain preprocess; 0, 1.5 and 1e20 are refused as the other commands refuse them', () => {
    const given = resolveTrainConfig(['--data', tmp, '--max-pixels', '250000000']);
    assert.ok(E.isRight(given) && given.right !== 'help', JSON.stringify(given));
    assert.equal(given.right.config.data.maxPixels, 250_000_000);
    const by = resolveTrainConfig(['--data', tmp]);
    assert.ok(E.isRight(by) && by.right !== 'help');
    assert.equal(by.right.config.data.maxPixels, DEFAULT_MAX_PIXELS);
    // Worded as preprocess, predict and evaluate word it (one parser); a number past 2^53 too.
    for (const bad of ['0', '1.5', '1e20', 'lots']) {
      const r = resolveTrainConfig(['--data', tmp, '--max-pixels', bad]);
      assert.ok(E.isLeft(r) && r.left.includes(`--max-pixels must be a positive integer, got '${bad}'`), JSON.stringify(r));
    }
    const exp = resolveTrainConfig(['--data', tmp, '--max-pixels', '1e9']);
    assert.ok(E.isRight(exp) && exp.right !== 'help' && exp.right.config.data.maxPixels === 1e9, JSON.stringify(exp));
  });

  it('--print-config redacts the telemetry token; saved and used as a config, the token then comes from RXTRAIN_TELEMETRY_TOKEN', async () => {
    const c = capture();
    assert.equal(await run(['--print-config', '--data', tmp, '--telemetry-token', 's3cret'], c.io), TRAIN_EXIT.OK);
    assert.doesNotMatch(c.out(), /s3cret/);
    const printed = JSON.parse(c.out()) as { telemetry: { token: string } };
    assert.equal(printed.telemetry.token, '<redacted: 6 characters>');
    const file = path.join(tmp, 'printed-token.json');
    fs.writeFileSync(file, c.out());
    const args = ['--config', file, '--data', path.join(tmp, 'missing'), '--backend', 'wasm', '--telemetry', '127.0.0.1:0', '--run-dir', path.join(tmp, 'r-token')];
    const without = capture();
    assert.equal(await run(args, without.io), TRAIN_EXIT.USAGE);
    assert.equal(
      without.err(),
      'rxtrain train: telemetry.token is "<redacted: 6 characters>", the placeholder --print-config writes for the token: set RXTRAIN_TELEMETRY_TOKEN to the token (or pass --telemetry-token TOKEN)\n',
    );
    assert.ok(!fs.existsSync(path.join(tmp, 'r-token')), 'refused before the run directory');
    const withEnv = capture({ env: { RXTRAIN_TELEMETRY_TOKEN: 's3cret' } });
    assert.equal(await run(args, withEnv.io), TRAIN_EXIT.FAILED, 'the variable gives the token: the run starts (and stops at the missing data)');
    await new Promise((r) => setImmediate(r));
    assert.match(withEnv.err(), /telemetry: rxtrain monitor 127\.0\.0\.1:\d+ \(the token as --token or RXTRAIN_TELEMETRY_TOKEN\)/);
  });

  it('a printed config edited to another scheduler is one problem naming the old scheduler\'s fields, not one per field', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    assert.equal(await run(['--print-config'], { out, err: new PassThrough(), env: {} }), TRAIN_EXIT.OK);
    const printed = JSON.parse(text) as { data: { train: string }; scheduler: Record<string, unknown> };
    const plateauFields = Object.keys(printed.scheduler).filter((k) => k !== 'name');
    assert.ok(plateauFields.length > 1, 'the default scheduler has options');
    const file = path.join(tmp, 'printed-cosine.json');
    fs.writeFileSync(file, JSON.stringify({ ...printed, data: { ...printed.data, train: tmp }, scheduler: { ...printed.scheduler, name: 'CosineAnnealingLR' } }));
    const r = resolveTrainConfig(['--config', file]);
    assert.ok(E.isLeft(r), JSON.stringify(r));
    const lines = r.left.split('\n').filter((l) => /scheduler/.test(l));
    assert.equal(lines.length, 1, r.left);
    assert.match(lines[0], new RegExp(`scheduler: got \\[${plateauFields.map((f) => `"${f}"`).join(',')}\\], expected the fields of CosineAnnealingLR only \\(name, etaMin, horizon\\): these belong to ReduceLROnPlateau; remove them, or set scheduler.name to "ReduceLROnPlateau"`));
  });

  it('reads a config file saved with a byte-order mark, and names the line of a comment, an empty file or a folder', () => {
    const write = (name: string, text: string): string => {
      fs.writeFileSync(path.join(tmp, name), text);
      return path.join(tmp, name);
    };
    const bom = resolveTrainConfig(['--config', write('bom.json', `\ufeff${JSON.stringify({ data: { train: tmp }, epochs: 3 })}\r\n`)]);
    assert.ok(E.isRight(bom) && bom.right !== 'help' && bom.right.config.epochs === 3, JSON.stringify(bom));
    const left = (argv: string[]): string => {
      const r = resolveTrainConfig(argv);
      assert.ok(E.isLeft(r), JSON.stringify(r));
      return r.left;
    };
    const commented = write('commented.json', '{\n  // mine\n  "epochs": 3\n}\n');
    assert.equal(left(['--config', commented]), `--config: ${commented} is not valid JSON: line 2, column 3: a comment; JSON has none (remove it)`);
    assert.match(left(['--config', write('empty.json', '')]), /empty\.json is not valid JSON: the file is empty; expected a JSON object of config fields/);
    assert.equal(left(['--config', tmp]), `--config: cannot read ${tmp}: it is a folder, not a file`);
  });

  it('flags override the config file, field by field', () => {
    const r = resolveTrainConfig(['--config', path.join(tmp, 'cfg.json'), '--epochs', '7', '--no-flip', '--mean', '1,2,3', '--val', 'none']);
    assert.ok(E.isRight(r) && r.right !== 'help');
    const { config } = r.right;
    assert.equal(config.epochs, 7);
    assert.equal(config.batchSize, 4, 'kept from the file');
    assert.equal(config.augmentation.flip, false);
    assert.equal(config.augmentation.pad, 2);
    assert.deepEqual(config.augmentation.mean, [1, 2, 3]);
    assert.equal(config.data.val, null);
    const budget = resolveTrainConfig(['--config', path.join(tmp, 'cfg.json'), '--max-time', '1h30m']);
    assert.ok(E.isRight(budget) && budget.right !== 'help' && budget.right.config.maxTime === '1h30m');
    const none = resolveTrainConfig(['--config', path.join(tmp, 'cfg.json'), '--max-time', 'none']);
    assert.ok(E.isRight(none) && none.right !== 'help' && none.right.config.maxTime === null);
    const flip = resolveTrainConfig(['--config', path.join(tmp, 'cfg.json'), '--val-flip']);
    assert.ok(E.isRight(flip) && flip.right !== 'help' && flip.right.config.valFlip && !config.valFlip);
    const drop = resolveTrainConfig(['--config', path.join(tmp, 'cfg.json'), '--conv-dropout', '0']);
    assert.ok(E.isRight(drop) && drop.right !== 'help');
    assert.deepEqual(drop.right.config.model.dropout, { conv: 0, dense: 0.5 }, 'one rate set, the other kept');
    const smooth = resolveTrainConfig(['--config', path.join(tmp, 'cfg.json'), '--label-smoothing', '0.1']);
    assert.ok(E.isRight(smooth) && smooth.right !== 'help' && smooth.right.config.labelSmoothing === 0.1 && config.labelSmoothing === 0);
    const auto = resolveTrainConfig(['--config', path.join(tmp, 'cfg.json'), '--replicas', 'auto']);
    assert.ok(E.isRight(auto) && auto.right !== 'help' && auto.right.config.replicas === 0, '--replicas auto is the config\'s 0');
    const balanced = resolveTrainConfig(['--config', path.join(tmp, 'cfg.json'), '--replicas', '2', '--balance', 'speed']);
    assert.ok(E.isRight(balanced) && balanced.right !== 'help' && balanced.right.config.balance === 'speed' && config.balance === 'even');
    assert.ok(E.isLeft(resolveTrainConfig(['--config', path.join(tmp, 'cfg.json'), '--balance', 'fast'])));
    const tooMuch = resolveTrainConfig(['--config', path.join(tmp, 'cfg.json'), '--dense-dropout', '1']);
    assert.ok(E.isLeft(tooMuch));
    assert.match(tooMuch.left, /model\.dropout\.dense: got 1, expected a number in \[0, 1\)/);
  });

  it('--scheduler switches the schedule without carrying the file\'s options of another one', () => {
    const file = path.join(tmp, 'plateau.json');
    fs.writeFileSync(file, JSON.stringify({ data: { train: 'd' }, scheduler: { name: 'ReduceLROnPlateau', factor: 0.2, patience: 1 } }));
    const r = resolveTrainConfig(['--config', file, '--scheduler', 'CosineAnnealingLR', '--eta-min', '0.0001']);
    assert.ok(E.isRight(r) && r.right !== 'help');
    assert.deepEqual(r.right.config.scheduler, { name: 'CosineAnnealingLR', etaMin: 0.0001, horizon: 'budget' });
    const same = resolveTrainConfig(['--config', file, '--scheduler', 'ReduceLROnPlateau', '--lr-patience', '3']);
    assert.ok(E.isRight(same) && same.right !== 'help' && same.right.config.scheduler.name === 'ReduceLROnPlateau');
    assert.equal(same.right.config.scheduler.factor, 0.2, 'the same scheduler keeps the file\'s options');
    assert.equal(same.right.config.scheduler.patience, 3);
    const bad = resolveTrainConfig(['--config', file, '--cosine-horizon', 'epochs']);
    assert.ok(E.isLeft(bad));
    assert.match(bad.left, /scheduler: got \["horizon"\], expected the fields of ReduceLROnPlateau only .*: this one belongs to CosineAnnealingLR; remove it, or set scheduler\.name to "CosineAnnealingLR"/);
  });

  it('--mean/--std take one number (every channel) or three; two is a usage error', () => {
    const r = resolveTrainConfig(['--config', path.join(tmp, 'cfg.json'), '--mean', '72.9', '--std', '90']);
    assert.ok(E.isRight(r) && r.right !== 'help');
    assert.deepEqual(r.right.config.augmentation.mean, [72.9]);
    assert.deepEqual(r.right.config.augmentation.std, [90]);
    const bad = resolveTrainConfig(['--config', path.join(tmp, 'cfg.json'), '--mean', '1,2']);
    assert.ok(E.isLeft(bad));
    assert.match(JSON.stringify(bad.left), /--mean: expected one number or three R,G,B/);
  });

  it('rejects bad flags and bad config values with exit 2, naming the problem', async () => {
    const a = capture();
    assert.equal(await run(['--epochs', 'many'], a.io), TRAIN_EXIT.USAGE);
    assert.match(a.err(), /--epochs: expected an integer, got 'many'/);
    const b = capture();
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--lr=-1', '--model', 'vgg'], b.io), TRAIN_EXIT.USAGE);
    assert.match(b.err(), /optimizer\.lr: got -1, expected a number > 0/);
    assert.match(b.err(), /model\.name: got "vgg", expected "alexnet" \| "small"/);
    const c = capture();
    assert.equal(await run(['--frobnicate'], c.io), TRAIN_EXIT.USAGE);
    assert.match(c.err(), /frobnicate/);
    const d = capture();
    assert.equal(await run(['--config', path.join(tmp, 'nope.json')], d.io), TRAIN_EXIT.USAGE);
    assert.match(d.err(), /cannot read/);
    for (const [text, what] of [['[]', 'an array'], ['"configs/sample.json"', '"configs/sample.json"'], ['null', 'null']]) {
      const file = path.join(tmp, 'not-an-object.json');
      fs.writeFileSync(file, text);
      const x = capture();
      assert.equal(await run(['--config', file, '--data', 'd'], x.io), TRAIN_EXIT.USAGE);
      assert.ok(x.err().includes(`--config: ${file} holds ${what}, expected a JSON object`), x.err());
    }
    const e = capture();
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--telemetry', '0.0.0.0:5000'], e.io), TRAIN_EXIT.USAGE);
    assert.match(e.err(), /^rxtrain train: refusing to serve telemetry in plaintext/);
    // The flag's messages name it already: one prefix, not 'telemetry: --telemetry: '.
    const u = capture();
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--telemetry', 'http://gpu-box:50051'], u.io), TRAIN_EXIT.USAGE);
    assert.match(u.err(), /^rxtrain train: --telemetry: expected HOST:PORT/);
    const f = capture();
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--max-time', '2 hours'], f.io), TRAIN_EXIT.USAGE);
    assert.match(f.err(), /maxTime: got "2 hours", expected .*"1h30m"/);
  });

  it('refuses a bad RXTRAIN_THREADS or RXTRAIN_BACKEND with exit 2 before anything starts, one line each naming the value and what is accepted', async () => {
    const runDir = path.join(tmp, 'run-bad-env');
    const c = capture({ env: { RXTRAIN_BACKEND: 'gpu', RXTRAIN_THREADS: '0' } });
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--epochs', '1', '--backend', 'auto'], c.io), TRAIN_EXIT.USAGE, c.err());
    assert.equal(
      c.err(),
      'rxtrain train: RXTRAIN_BACKEND="gpu" in the environment: expected auto, tensorflow, wasm or cpu (or leave it unset)\n' +
        'rxtrain train: RXTRAIN_THREADS="0" in the environment: expected a positive integer (the wasm backend\'s compute threads) (or leave it unset)\n',
    );
    assert.ok(!fs.existsSync(runDir), 'no run directory, no lock, no log: nothing started');
    // A backend named by flag or config (here the config's wasm) wins over the variable, which initBackend then does not read either.
    const named = capture({ env: { RXTRAIN_BACKEND: 'gpu', RXTRAIN_THREADS: ' ' } });
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir], named.io), TRAIN_EXIT.USAGE);
    assert.equal(named.err(), 'rxtrain train: RXTRAIN_THREADS=" " in the environment: expected a positive integer (the wasm backend\'s compute threads) (or leave it unset)\n');
  });

  it('refuses TLS files that cannot serve (missing, a folder, not PEM, swapped, another certificate\'s key, encrypted) with exit 2 and one line, before the run directory exists', async () => {
    const tls = await selfSignedCert(['DNS:gpu-box']);
    const other = await selfSignedCert(['DNS:gpu-box']);
    try {
      const notPem = path.join(tls.dir, 'notes.txt');
      fs.writeFileSync(notPem, 'not a certificate\n');
      const encrypted = path.join(tls.dir, 'encrypted-key.pem');
      const { execFileSync } = await import('node:child_process');
      execFileSync('openssl', ['pkey', '-in', tls.key, '-aes256', '-passout', 'pass:secret', '-out', encrypted]);
      const cases: [string, string, RegExp][] = [
        [path.join(tls.dir, 'missing.pem'), tls.key, /^rxtrain train: cannot read telemetry TLS certificate \S*missing\.pem: no such file or folder$/m],
        [tls.dir, tls.key, /^rxtrain train: cannot read telemetry TLS certificate \S+: it is a folder, not a file$/m],
        [notPem, tls.key, /^rxtrain train: telemetry TLS: .*notes\.txt holds no PEM certificate/],
        [tls.key, tls.cert, /^rxtrain train: telemetry TLS: the certificate \(.*key\.pem\) and the key \(.*cert\.pem\) look swapped/],
        [tls.cert, other.key, /^rxtrain train: telemetry TLS: the key \(.*key\.pem\) does not belong to the certificate \(.*cert\.pem\): pass the key made together with it/],
        [tls.cert, encrypted, /^rxtrain train: telemetry TLS: .*encrypted-key\.pem is encrypted with a passphrase; the server needs it without one/],
      ];
      for (const [cert, key, said] of cases) {
        const runDir = path.join(tmp, 'run-bad-tls');
        const c = capture();
        const code = await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--telemetry', '127.0.0.1:0', '--telemetry-cert', cert, '--telemetry-key', key], c.io);
        await new Promise((r) => setImmediate(r)); // the captured stderr arrives a tick later
        assert.equal(code, TRAIN_EXIT.USAGE, c.err());
        assert.match(c.err(), said);
        assert.equal(c.err().split('\n').length, 2, `one line: ${c.err()}`);
        assert.ok(!fs.existsSync(runDir), 'no run directory, no lock, no log: nothing started');
      }
    } finally {
      fs.rmSync(tls.dir, { recursive: true, force: true });
      fs.rmSync(other.dir, { recursive: true, force: true });
    }
  });

  it('--telemetry-linger serves the finished run to a monitor that connects only after it ended, then exits 0', async () => {
    const err = new PassThrough();
    let said = '';
    const lingering = new Promise<string>((resolve) =>
      err.on('data', (c: Buffer) => {
        said += c.toString();
        const m = /serving it at (\S+) for up to 10m/.exec(said);
        if (m !== null) resolve(m[1]);
      }),
    );
    const args = ['--config', path.join(tmp, 'cfg.json'), '--run-dir', path.join(tmp, 'run-linger'), '--epochs', '1', '--telemetry', '127.0.0.1:0', '--telemetry-linger', '10m'];
    const exit = run(args, { out: new PassThrough(), err, env: {}, onStopSignal: () => () => undefined });
    const first = await Promise.race([lingering, exit.then((code) => ({ code }))]);
    assert.equal(typeof first, 'string', `exited before a late monitor could connect: ${JSON.stringify(first)}\n${said}`);
    const kinds = await lastValueFrom(
      watchTelemetry({ address: first as string }).pipe(
        filter((s) => s.type === 'event'),
        map((s) => (s.type === 'event' ? s.event.kind : '')),
        toArray(),
      ),
    );
    assert.equal(kinds[0], 'TrainBegin', kinds.join(' '));
    assert.equal(kinds[kinds.length - 1], 'TrainEnd', kinds.join(' '));
    assert.equal(await exit, TRAIN_EXIT.OK, said);
  });

  it('Ctrl-C while --telemetry-linger waits for a monitor exits at once with the run\'s own exit code', async () => {
    const err = new PassThrough();
    let said = '';
    let signal: ((s: 'SIGINT') => void) | undefined;
    err.on('data', (c: Buffer) => {
      said += c.toString();
      if (signal !== undefined && /serving it at \S+ for up to 10m/.test(said)) {
        const h = signal;
        signal = undefined;
        h('SIGINT');
        h('SIGINT'); // a second Ctrl-C while the server closes: no quitting at once, no checkpoint talk
      }
    });
    const args = ['--config', path.join(tmp, 'cfg.json'), '--run-dir', path.join(tmp, 'run-linger-stop'), '--epochs', '1', '--telemetry', '127.0.0.1:0', '--telemetry-linger', '10m'];
    const code = await run(args, { out: new PassThrough(), err, env: {}, onStopSignal: (h) => ((signal = h), () => undefined) });
    assert.equal(code, TRAIN_EXIT.OK, said);
    assert.match(said, /training ended \(completed\)/);
    assert.equal(said.match(/telemetry: no longer serving the finished run/g)?.length, 1, said);
    assert.doesNotMatch(said, /stopping after the current step|quitting at once/);
  });

  it('--telemetry-linger takes a duration or 0, as telemetry.linger; the default is 0', () => {
    const linger = (...argv: string[]): unknown => {
      const r = resolveTrainConfig(['--data', 'd', ...argv]);
      return E.isRight(r) && r.right !== 'help' ? r.right.config.telemetry.linger : E.isLeft(r) ? r.left : r.right;
    };
    assert.equal(linger(), 0);
    assert.equal(linger('--telemetry-linger', '10m'), '10m');
    assert.equal(linger('--telemetry-linger', '0'), 0);
    assert.match(String(linger('--telemetry-linger', '10')), /telemetry\.linger: got "10", expected .*"1h30m"/);
  });

  it('reads the TLS files once: the server binds with, and the monitor hint names, the bytes it checked', async () => {
    const tls = await selfSignedCert(['IP:127.0.0.1']);
    const readFile = nodeFs.promises.readFile;
    const reads: string[] = [];
    // Each file is gone once read: a second read anywhere (the server's worker included) fails.
    nodeFs.promises.readFile = (async (...args: Parameters<typeof readFile>) => {
      const data = await readFile(...args);
      if (args[0] === tls.cert || args[0] === tls.key) {
        reads.push(path.basename(String(args[0])));
        fs.rmSync(String(args[0]));
      }
      return data;
    }) as typeof readFile;
    try {
      const c = capture();
      const runDir = path.join(tmp, 'run-tls-once');
      const code = await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--epochs', '1', '--telemetry', '127.0.0.1:0', '--telemetry-cert', tls.cert, '--telemetry-key', tls.key], c.io);
      assert.equal(code, TRAIN_EXIT.OK, c.err());
      assert.deepEqual(reads, ['cert.pem', 'key.pem']);
      assert.match(c.err(), /telemetry: rxtrain monitor 127\.0\.0\.1:\d+ --ca \S*cert\.pem/);
    } finally {
      nodeFs.promises.readFile = readFile;
      fs.rmSync(tls.dir, { recursive: true, force: true });
    }
  });

  it('trains from folders, writes the run directory, resumes, and refuses a changed config', async () => {
    const runDir = path.join(tmp, 'run');
    const first = capture();
    const code = await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir], first.io);
    assert.equal(code, TRAIN_EXIT.OK, first.err());
    assert.match(first.err(), /starting run: 2 epochs × 2 steps, backend wasm/);
    assert.match(first.err(), /epoch 2\/2: train loss \d/);
    assert.match(first.err(), /training ended \(completed\)/);
    const ckpts = fs.readdirSync(path.join(runDir, 'checkpoints'));
    assert.ok(ckpts.includes('best.rxckpt'), `${ckpts}`);
    assert.ok(ckpts.some((f) => f.startsWith('ckpt-s0000000004-e0002')), `${ckpts}`);
    assert.ok(fs.readdirSync(path.join(runDir, 'tensorboard')).some((f) => f.startsWith('events.out.tfevents.')));
    assert.match(fs.readFileSync(path.join(runDir, 'train.log'), 'utf8'), /training ended \(completed\)/);

    const again = capture();
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--epochs', '3'], again.io), TRAIN_EXIT.OK, again.err());
    assert.match(again.err(), /resuming run: 3 epochs .* at epoch 3\/3, step 4/);
    assert.ok(!/epoch 1\/3:/.test(again.err()), 'did not retrain epoch 1');

    const changed = capture();
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--epochs', '4', '--batch-size', '2'], changed.io), TRAIN_EXIT.FAILED);
    assert.match(changed.err(), /refusing to resume .*\n.*config\.batchSize: checkpoint 4, now 2/);
  });

  it('records the replica count "auto" resolved to, so the same count given explicitly resumes; a checkpoint that recorded auto as 0 resumes with a warning', async () => {
    const runDir = path.join(tmp, 'run-auto');
    const args = (epochs: number, replicas: string): string[] => ['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--epochs', String(epochs), '--replicas', replicas];
    const first = capture();
    assert.equal(await run(args(1, 'auto'), first.io), TRAIN_EXIT.OK, first.err());
    const used = Number(/(\d+) replicas?\b/.exec(first.err())?.[1]);
    const dir = path.join(runDir, 'checkpoints');
    const newest = (): string => path.join(dir, fs.readdirSync(dir).filter((f) => f.startsWith('ckpt-')).sort().at(-1) ?? '');
    const ck = decodeCheckpoint(fs.readFileSync(newest()));
    assert.equal((ck.identity.config as { replicas: number }).replicas, used, 'the count, not 0');
    const again = capture();
    assert.equal(await run(args(2, String(used)), again.io), TRAIN_EXIT.OK, again.err());
    assert.match(again.err(), /resuming run/);
    assert.doesNotMatch(again.err(), /WARN/);

    // What a checkpoint written before the count was resolved says: 0, and nothing else records the count.
    const old = decodeCheckpoint(fs.readFileSync(newest()));
    const identity = { config: { ...(old.identity.config as object), replicas: 0 }, data: old.identity.data };
    fs.writeFileSync(newest(), encodeCheckpoint({ ...old, identity, identityHash: hashIdentity(identity) }));
    const legacy = capture();
    assert.equal(await run(args(3, '1'), legacy.io), TRAIN_EXIT.OK, legacy.err());
    assert.match(legacy.err(), /WARN {2}warning at epoch 3\/3, step 4: resuming with a config that differs from the checkpoint's: config\.replicas: checkpoint 0, now 1: the checkpoint recorded replicas "auto" as 0, not the count it trained on .*; resuming on 1 replica,/);
  });

  it('refuses more than 4 replicas per core (exit 2) before anything starts, unless --allow-many-replicas', async () => {
    const top = path.join(tmp, 'never-made-replicas');
    const args = (...more: string[]): string[] => ['--config', path.join(tmp, 'cfg.json'), '--data', path.join(tmp, 'missing'), '--run-dir', path.join(top, 'run'), ...more];
    const refused = capture({ cores: 2 });
    assert.equal(await run(args('--replicas', '64'), refused.io), TRAIN_EXIT.USAGE);
    assert.match(refused.err(), /^rxtrain train: replicas 64 on 2 cores: more than 8 \(4 per core\) take turns on the cores, .*use at most 2 \(or --replicas auto\), or pass --allow-many-replicas \(config "allowManyReplicas": true\) to start them anyway\n$/);
    assert.ok(!fs.existsSync(top), 'refused before the run directory is made');
    // Past the check, each of these fails at the missing data (exit 1), long before a replica starts.
    for (const more of [['--replicas', '8'], ['--replicas', 'auto'], ['--replicas', '64', '--allow-many-replicas']]) {
      const c = capture({ cores: 2 });
      assert.equal(await run(args(...more), c.io), TRAIN_EXIT.FAILED, `${more.join(' ')}: ${c.err()}`);
      await new Promise((r) => setImmediate(r));
      assert.match(c.err(), /ERROR data\.train: /, more.join(' '));
    }
    const fromConfig = path.join(tmp, 'cfg-many.json');
    fs.writeFileSync(fromConfig, JSON.stringify({ ...JSON.parse(fs.readFileSync(path.join(tmp, 'cfg.json'), 'utf8')), replicas: 9 }));
    const c = capture({ cores: 2 });
    assert.equal(await run(['--config', fromConfig, '--run-dir', path.join(top, 'run')], c.io), TRAIN_EXIT.USAGE);
    assert.match(c.err(), /^rxtrain train: replicas 9 on 2 cores: more than 8/);
  });

  it('early stopping without validation data: a validation accuracy is refused before training, the validation loss follows the training loss (said)', async () => {
    const args = (runDir: string, ...more: string[]): string[] => ['--config', path.join(tmp, 'cfg.json'), '--run-dir', path.join(tmp, runDir), '--val', 'none', '--early-stopping', ...more];
    const refused = capture();
    assert.equal(await run(args('run-es-noval-acc', '--es-monitor', 'valAccuracy'), refused.io), TRAIN_EXIT.FAILED, refused.err());
    await new Promise((r) => setImmediate(r));
    assert.match(refused.err(), /ERROR earlyStopping\.monitor valAccuracy needs validation data, and this run has none \(no --val \/ data\.val, and no val split in [^)]*train\): give it some, or monitor valLoss or trainLoss\n/);
    assert.doesNotMatch(refused.err(), /epoch 1\//, 'no epoch trained');
    const loss = capture();
    assert.equal(await run(args('run-es-noval-loss', '--epochs', '2'), loss.io), TRAIN_EXIT.OK, loss.err());
    await new Promise((r) => setImmediate(r));
    assert.match(loss.err(), /early stopping follows the training loss: this run has no validation data\n/);
    assert.doesNotMatch(loss.err(), /early stop: valLoss/, loss.err());
  });

  it('refuses to early-stop on valTop5Accuracy with 5 classes or fewer, where it is always 100 %, before training', async () => {
    const runDir = path.join(tmp, 'run-top5');
    const c = capture();
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--early-stopping', '--es-monitor', 'valTop5Accuracy'], c.io), TRAIN_EXIT.FAILED, c.err());
    await new Promise((r) => setImmediate(r));
    assert.match(c.err(), /ERROR earlyStopping\.monitor valTop5Accuracy needs more than 5 classes, and the data has 2 \(every image is in their top 5\): monitor valAccuracy instead\n/);
    assert.doesNotMatch(c.err(), /epoch 1\//, 'no epoch trained');
  });

  it('refuses another replica count, naming --allow-replica-change, which resumes with a warning in the log', async () => {
    const runDir = path.join(tmp, 'run-replicas');
    const args = (epochs: number, ...more: string[]): string[] => ['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--epochs', String(epochs), ...more];
    const first = capture();
    assert.equal(await run(args(1, '--replicas', '1'), first.io), TRAIN_EXIT.OK, first.err());
    const refused = capture();
    assert.equal(await run(args(2, '--replicas', '2'), refused.io), TRAIN_EXIT.FAILED);
    assert.match(refused.err(), /refusing to resume .*\n.*config\.replicas: checkpoint 1, now 2\n.*to resume on 2 replicas anyway \(another machine's core count\), pass --allow-replica-change \(config "allowReplicaChange": true\); the result then differs from an uninterrupted run/);
    const allowed = capture();
    assert.equal(await run(args(2, '--replicas', '2', '--allow-replica-change'), allowed.io), TRAIN_EXIT.OK, allowed.err());
    assert.match(allowed.err(), /resuming run run-replicas: 2 epochs × 2 steps, backend .*, 2 replicas, from .* at epoch 2\/2, step 2/);
    const line = /warning at epoch 2\/2, step 2: resuming with a config that differs from the checkpoint's: config\.replicas: checkpoint 1, now 2: --allow-replica-change: resuming on 2 replicas, so the result differs from an uninterrupted run \(BatchNorm statistics per shard instead of over the whole batch, the batch split 2 ways\)/;
    assert.match(allowed.err(), line);
    assert.match(fs.readFileSync(path.join(runDir, 'train.log'), 'utf8'), line, 'the log records the change');
    assert.match(allowed.err(), /epoch 2\/2: train loss \d/);
    // And back: one replica normalises over the whole batch, which the warning says.
    const back = capture();
    assert.equal(await run(args(3, '--replicas', '1', '--allow-replica-change'), back.io), TRAIN_EXIT.OK, back.err());
    assert.match(back.err(), /config\.replicas: checkpoint 2, now 1: --allow-replica-change: resuming on 1 replica, so the result differs from an uninterrupted run \(BatchNorm statistics over the whole batch instead of per shard, the batch no longer split\)/);
  });

  it('resuming on another replica count with --balance speed: the refusal names everything to pass, and --allow-replica-change covers both', async () => {
    const runDir = path.join(tmp, 'run-balance');
    const args = (epochs: number, ...more: string[]): string[] => ['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--epochs', String(epochs), ...more];
    const first = capture();
    assert.equal(await run(args(1, '--replicas', '1'), first.io), TRAIN_EXIT.OK, first.err());
    const refused = capture();
    assert.equal(await run(args(2, '--replicas', '2', '--balance', 'speed'), refused.io), TRAIN_EXIT.FAILED);
    const problems = refused.err().split('\n').filter((l) => / ERROR {3}\S/.test(l)).map((l) => l.replace(/^.* ERROR {3}/, ''));
    assert.deepEqual(problems, [
      'config.balance: checkpoint (absent), now "speed"',
      'config.replicas: checkpoint 1, now 2',
      'to resume with balance speed anyway (the checkpoint\'s is even), pass --allow-replica-change (config "allowReplicaChange": true), which covers the balance as well as the replica count, or --balance even; the result then differs from an uninterrupted run',
      'to resume on 2 replicas anyway (another machine\'s core count), pass --allow-replica-change (config "allowReplicaChange": true); the result then differs from an uninterrupted run',
    ], refused.err());
    const allowed = capture();
    assert.equal(await run(args(2, '--replicas', '2', '--balance', 'speed', '--allow-replica-change'), allowed.io), TRAIN_EXIT.OK, allowed.err());
    assert.match(allowed.err(), /resuming run run-balance: 2 epochs × 2 steps, backend .*, 2 replicas, from .* at epoch 2\/2, step 2/);
    assert.match(allowed.err(), /warning at epoch 2\/2, step 2: resuming with a config that differs from the checkpoint's: config\.balance: checkpoint \(absent\), now "speed": --allow-replica-change: resuming with balance speed \(the checkpoint's is even\), so the result differs from an uninterrupted run \(another batch split\)/);
    assert.match(allowed.err(), /warning at epoch 2\/2, step 2: resuming with a config that differs from the checkpoint's: config\.replicas: checkpoint 1, now 2: --allow-replica-change/);
    assert.match(allowed.err(), /epoch 2\/2: train loss \d/);
    // Back to even on the same count: the balance alone, and the way back named.
    const back = capture();
    assert.equal(await run(args(3, '--replicas', '2'), back.io), TRAIN_EXIT.FAILED);
    assert.match(back.err(), /config\.balance: checkpoint "speed", now \(absent\)\n.*to resume with balance even anyway \(the checkpoint's is speed\), pass --allow-replica-change .*, or --balance speed;/);
    assert.doesNotMatch(back.err(), /config\.replicas/);
  });

  it('on 1 replica the balance changes nothing: --balance speed resumes, also from a checkpoint that recorded speed on 1 replica', async () => {
    const runDir = path.join(tmp, 'run-balance-one');
    const args = (epochs: number, ...more: string[]): string[] => ['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--epochs', String(epochs), '--replicas', '1', ...more];
    const first = capture();
    assert.equal(await run(args(1), first.io), TRAIN_EXIT.OK, first.err());
    const speed = capture();
    assert.equal(await run(args(2, '--balance', 'speed'), speed.io), TRAIN_EXIT.OK, speed.err());
    assert.match(speed.err(), /resuming run run-balance-one: 2 epochs .* at epoch 2\/2, step 2/);
    assert.doesNotMatch(speed.err(), /WARN/);

    // What a 1-replica run with --balance speed recorded before the balance was left out there.
    const dir = path.join(runDir, 'checkpoints');
    const newest = path.join(dir, fs.readdirSync(dir).filter((f) => f.startsWith('ckpt-')).sort().at(-1) ?? '');
    const ck = decodeCheckpoint(fs.readFileSync(newest));
    assert.equal((ck.identity.config as { balance?: string }).balance, undefined, 'not recorded on 1 replica');
    const identity = { config: { ...(ck.identity.config as object), balance: 'speed' }, data: ck.identity.data };
    fs.writeFileSync(newest, encodeCheckpoint({ ...ck, identity, identityHash: hashIdentity(identity) }));
    const legacy = capture();
    assert.equal(await run(args(3, '--balance', 'speed'), legacy.io), TRAIN_EXIT.OK, legacy.err());
    const warnings = legacy.err().split('\n').filter((l) => / WARN /.test(l));
    assert.equal(warnings.length, 1, legacy.err());
    assert.match(warnings[0], /warning at epoch 3\/3, step 4: resuming with a config that differs from the checkpoint's: config\.balance: checkpoint "speed", now \(absent\): the balance has no effect on 1 replica, the count this run trains on \(each batch is trained whole\), and is recorded only for 2 or more replicas now: the checkpoint's speed makes no difference from here$/);
  });

  it('refuses to resume on a preprocess output remade with another --background; a checkpoint from before preprocess.json was fingerprinted resumes with a warning', async () => {
    const pre = path.join(tmp, 'pre-background');
    const make = (background: 'black' | 'white'): Promise<unknown> =>
      lastValueFrom(preprocess({ src: path.join(tmp, 'train'), out: pre, size: 28, valRatio: 0.25, background }), { defaultValue: undefined });
    await make('black');
    const runDir = path.join(tmp, 'run-background');
    const args = (epochs: number): string[] => ['--config', path.join(tmp, 'cfg.json'), '--data', pre, '--val', 'none', '--run-dir', runDir, '--epochs', String(epochs)];
    const first = capture();
    assert.equal(await run(args(1), first.io), TRAIN_EXIT.OK, first.err());
    // The images are opaque: the same pixels, manifests and mean either way; only preprocess.json tells.
    const manifests = ['train.csv', 'val.csv', 'rgb_val.json'].map((f) => fs.readFileSync(path.join(pre, f), 'utf8'));
    await make('white');
    assert.deepEqual(['train.csv', 'val.csv', 'rgb_val.json'].map((f) => fs.readFileSync(path.join(pre, f), 'utf8')), manifests);
    const refused = capture();
    assert.equal(await run(args(2), refused.io), TRAIN_EXIT.FAILED, refused.err());
    assert.match(refused.err(), /refusing to resume .*: it was made with different data:\n.*the data is not what the checkpoint was trained on: its fingerprint .* differs in data\.preprocess\.json\n.*data\.preprocess\.json: checkpoint "[0-9a-f]{64}", now "[0-9a-f]{64}"/);

    // A checkpoint written before the fingerprint held preprocess.json: resumes, saying why it cannot tell.
    await make('black');
    const dir = path.join(runDir, 'checkpoints');
    const newest = path.join(dir, fs.readdirSync(dir).filter((f) => f.startsWith('ckpt-')).sort().at(-1) ?? '');
    const ck = decodeCheckpoint(fs.readFileSync(newest));
    const { 'preprocess.json': recorded, ...older } = ck.identity.data as Record<string, string>;
    assert.equal(typeof recorded, 'string', 'recorded by this version');
    const identity = { config: ck.identity.config, data: older };
    fs.writeFileSync(newest, encodeCheckpoint({ ...ck, identity, identityHash: hashIdentity(identity) }));
    const legacy = capture();
    assert.equal(await run(args(2), legacy.io), TRAIN_EXIT.OK, legacy.err());
    const warnings = legacy.err().split('\n').filter((l) => / WARN /.test(l));
    assert.equal(warnings.length, 1, legacy.err());
    assert.match(warnings[0], /warning at epoch 2\/2, step 2: resuming with data that differs from the checkpoint's: data\.preprocess\.json: checkpoint \(absent\), now "[0-9a-f]{64}": the checkpoint predates preprocess\.json in the data fingerprint, so it cannot show that the preprocess output was not remade with another --background since it was written; resuming as if not \(a change from now on is refused\)$/);
    await make('white');
    const after = capture();
    assert.equal(await run(args(3), after.io), TRAIN_EXIT.FAILED, 'its checkpoints record preprocess.json from now on');
    assert.match(after.err(), /differs in data\.preprocess\.json/);
  });

  it('refuses to resume a run on a preprocess output\'s record files with --no-records, saying what to pass; a checkpoint from before they were fingerprinted resumes with a warning each', async () => {
    const pre = path.join(tmp, 'pre-records');
    await lastValueFrom(preprocess({ src: path.join(tmp, 'train'), out: pre, size: 28, valRatio: 0.25, records: true }), { defaultValue: undefined });
    const runDir = path.join(tmp, 'run-records');
    const args = (epochs: number, ...more: string[]): string[] => ['--config', path.join(tmp, 'cfg.json'), '--data', pre, '--val', 'none', '--run-dir', runDir, '--epochs', String(epochs), ...more];
    const first = capture();
    assert.equal(await run(args(1), first.io), TRAIN_EXIT.OK, first.err());
    assert.match(first.err(), /train: packed records/);
    const refused = capture();
    assert.equal(await run(args(2, '--no-records'), refused.io), TRAIN_EXIT.FAILED, refused.err());
    const problems = refused.err().split('\n').filter((l) => / ERROR {3}\S/.test(l)).map((l) => l.replace(/^.* ERROR {3}/, ''));
    assert.deepEqual(problems.map((p) => p.replace(/[0-9a-f]{64}/g, 'HASH')), [
      'the data is not what the checkpoint was trained on: its fingerprint (a folder\'s file listing and labels, a record file\'s index, a preprocess output\'s files, and the sizes of a sample of image files) differs in data.train.rec, data.val.rec',
      'data.train.rec: checkpoint "HASH", now "not read (--no-records)"',
      'data.val.rec: checkpoint "HASH", now "not read (--no-records)"',
      'the checkpoint was trained on the pixels of train.rec as it was then: resuming needs that record file, read as before (without --no-records)',
      'the checkpoint was trained on the pixels of val.rec as it was then: resuming needs that record file, read as before (without --no-records)',
    ], refused.err());
    assert.match(refused.err(), /refusing to resume .*: it was made with different data:\n/);

    // A checkpoint written before the record files were part of the fingerprint.
    const dir = path.join(runDir, 'checkpoints');
    const newest = path.join(dir, fs.readdirSync(dir).filter((f) => f.startsWith('ckpt-')).sort().at(-1) ?? '');
    const ck = decodeCheckpoint(fs.readFileSync(newest));
    const { 'train.rec': _t, 'val.rec': _v, ...older } = ck.identity.data as Record<string, string>;
    const identity = { config: ck.identity.config, data: older };
    fs.writeFileSync(newest, encodeCheckpoint({ ...ck, identity, identityHash: hashIdentity(identity) }));
    const legacy = capture();
    assert.equal(await run(args(2), legacy.io), TRAIN_EXIT.OK, legacy.err());
    const warnings = legacy.err().split('\n').filter((l) => / WARN /.test(l)).map((l) => l.replace(/^.* WARN {2}/, ''));
    assert.deepEqual(warnings.map((w) => w.replace(/[0-9a-f]{64}/g, 'HASH')), ['train', 'val'].map(
      (split) => `warning at epoch 2/2, step 2: resuming with data that differs from the checkpoint's: data.${split}.rec: checkpoint (absent), now "HASH": the checkpoint's data fingerprint has no ${split}.rec (it predates record files there, or the preprocess output had none then), so it cannot show that it was trained on these pixels; resuming as if so (a change from now on is refused)`,
    ), legacy.err());
  });

  it('resumes a run trained on a preprocess output\'s image files on them once its record files are made, saying so; --records (flag or config) is refused; --init-from reads them', async () => {
    const pre = path.join(tmp, 'pre-made-since');
    const make = (records: boolean): Promise<unknown> =>
      lastValueFrom(preprocess({ src: path.join(tmp, 'train'), out: pre, size: 28, valRatio: 0.25, records }), { defaultValue: undefined });
    await make(false);
    const runDir = path.join(tmp, 'run-made-since');
    const cfg = path.join(tmp, 'cfg.json');
    const args = (epochs: number, ...more: string[]): string[] => ['--config', cfg, '--data', pre, '--val', 'none', '--run-dir', runDir, '--epochs', String(epochs), ...more];
    const dir = path.join(runDir, 'checkpoints');
    const newest = (): string => path.join(dir, fs.readdirSync(dir).filter((f) => f.startsWith('ckpt-')).sort().at(-1) ?? '');
    const fingerprint = (): Record<string, string> => decodeCheckpoint(fs.readFileSync(newest())).identity.data as Record<string, string>;
    const first = capture();
    assert.equal(await run(args(1), first.io), TRAIN_EXIT.OK, first.err());
    assert.match(first.err(), /train: \d+ image files \(no train\.rec/);
    const trained = fingerprint();
    assert.equal(typeof trained['train image sizes'], 'string');
    assert.ok(!('train.rec' in trained) && !('val.rec' in trained));

    await make(true);
    assert.ok(fs.existsSync(path.join(pre, 'train.rec')) && fs.existsSync(path.join(pre, 'val.rec')));
    // Asked for, the record files are read, and the resume is refused as before.
    const recordsCfg = path.join(tmp, 'cfg-records.json');
    fs.writeFileSync(recordsCfg, JSON.stringify(tinyRunConfig(tmp, { data: { train: pre, val: null, records: true } })));
    for (const given of [args(2, '--records'), ['--config', recordsCfg, '--run-dir', runDir, '--epochs', '2']]) {
      const refused = capture();
      assert.equal(await run(given, refused.io), TRAIN_EXIT.FAILED, refused.err());
      assert.match(refused.err(), /refusing to resume .*: it was made with different data:\n/);
      assert.match(refused.err(), /the checkpoint was trained on the train image files \(--no-records, or no train\.rec then\); train\.rec, read now, holds the pixels before JPEG compression: pass --no-records \(config data\.records false\) to resume/);
      assert.doesNotMatch(refused.err(), /resuming on the image files/);
    }

    // A config saved from --print-config resumes the same: data.records, not given, is not pinned in it.
    const printed = capture();
    assert.equal(await run(['--print-config', ...args(2)], printed.io), TRAIN_EXIT.OK, printed.err());
    const printedCfg = path.join(tmp, 'cfg-printed-made-since.json');
    fs.writeFileSync(printedCfg, printed.out());
    const resumed = capture();
    assert.equal(await run(['--config', printedCfg], resumed.io), TRAIN_EXIT.OK, resumed.err());
    const ckName = /resuming on the image files, as the checkpoint (\S+) was trained/.exec(resumed.err())?.[1] ?? '';
    assert.equal(path.resolve(ckName), path.join(dir, 'ckpt-s0000000002-e0001-b000000.rxckpt'), resumed.err());
    assert.match(resumed.err(), /INFO {2}resuming on the image files, as the checkpoint \S+ was trained: train\.rec and val\.rec are not read \(they hold the pixels before JPEG compression, not the ones trained on; --records would be refused: train on them in a new --run-dir\)\n/);
    assert.match(resumed.err(), /INFO {2}train: \d+ image files\n/);
    assert.doesNotMatch(resumed.err(), /packed records/);
    assert.match(resumed.err(), /resuming run run-made-since: 2 epochs .* at epoch 2\/2, step 2/);
    // The INFO line above says it all: no warning per record file besides.
    assert.doesNotMatch(resumed.err(), / WARN /);
    // The same JPEG-decoded pixels: the fingerprint as it was, plus the record files left unread.
    assert.deepEqual(fingerprint(), { ...trained, 'train.rec': 'not read (--no-records)', 'val.rec': 'not read (--no-records)' });
    const again = capture();
    assert.equal(await run(args(3), again.io), TRAIN_EXIT.OK, again.err());
    assert.match(again.err(), /resuming on the image files, as the checkpoint \S+ was trained/);
    assert.doesNotMatch(again.err(), / WARN /);

    // Fine-tuning is a new run, whatever its source trained on: it reads the record files.
    const tuned = capture();
    assert.equal(await run(['--config', cfg, '--data', pre, '--val', 'none', '--run-dir', path.join(tmp, 'run-made-since-ft'), '--epochs', '1', '--init-from', runDir], tuned.io), TRAIN_EXIT.OK, tuned.err());
    assert.match(tuned.err(), /train: packed records/);
    assert.doesNotMatch(tuned.err(), /resuming on the image files/);
  });

  it('refuses, saying what to pass, a resume that reads the image files as its newest checkpoint was trained when that one is damaged and the older one it falls back on was trained on the record files', async () => {
    const pre = path.join(tmp, 'pre-fell-back');
    await lastValueFrom(preprocess({ src: path.join(tmp, 'train'), out: pre, size: 28, valRatio: 0.25, records: true }), { defaultValue: undefined });
    const runDir = path.join(tmp, 'run-fell-back');
    const args = (epochs: number, ...more: string[]): string[] => ['--config', path.join(tmp, 'cfg.json'), '--data', pre, '--val', 'none', '--run-dir', runDir, '--epochs', String(epochs), ...more];
    const first = capture();
    assert.equal(await run(args(1), first.io), TRAIN_EXIT.OK, first.err());
    const dir = path.join(runDir, 'checkpoints');
    const older = path.join(dir, fs.readdirSync(dir).filter((f) => f.startsWith('ckpt-')).sort().at(-1) ?? '');
    // A newer checkpoint whose header says the image files, and whose tensors are damaged.
    const ck = decodeCheckpoint(fs.readFileSync(older));
    const data = { ...(ck.identity.data as Record<string, string>), 'train.rec': 'not read (--no-records)', 'val.rec': 'not read (--no-records)', 'train image sizes': 'a'.repeat(64), 'val image sizes': 'b'.repeat(64) };
    const identity = { config: ck.identity.config, data };
    const bytes = encodeCheckpoint({ ...ck, step: ck.step + 1, identity, identityHash: hashIdentity(identity) });
    bytes[bytes.length - 40] ^= 0xff;
    const damaged = path.join(dir, `ckpt-s${String(ck.step + 1).padStart(10, '0')}-e0001-b000000.rxckpt`);
    fs.writeFileSync(damaged, bytes);

    const refused = capture();
    assert.equal(await run(args(2), refused.io), TRAIN_EXIT.FAILED, refused.err());
    assert.match(refused.err(), /resuming on the image files, as the checkpoint \S+ckpt-s0000000003-e0001-b000000\.rxckpt was trained/);
    assert.match(refused.err(), /checkpoint \S+ckpt-s0000000003-e0001-b000000\.rxckpt is unusable \(checksum mismatch/);
    assert.match(refused.err(), /refusing to resume from \S+ckpt-s0000000002-e0001-b000000\.rxckpt: it was made with different data:\n/);
    for (const file of ['train.rec', 'val.rec']) {
      assert.match(refused.err(), new RegExp(`ERROR {3}${file.replace('.', '\\.')} was left unread because \\S+ckpt-s0000000003-e0001-b000000\\.rxckpt, the newest checkpoint, was trained on the image files, but it is unusable \\(see above\\) and the older checkpoint resumed instead was trained on ${file.replace('.', '\\.')}: pass --records to resume from that one\n`));
    }
    const withRecords = capture();
    assert.equal(await run(args(2, '--records'), withRecords.io), TRAIN_EXIT.OK, withRecords.err());
    assert.match(withRecords.err(), /resuming run run-fell-back: 2 epochs .* at epoch 2\/2, step 2/);
  });

  it('resumes after the project folder moves, and refuses once the data differs', async () => {
    const before = path.join(tmp, 'proj-a');
    const after = path.join(tmp, 'proj-b');
    await writeDataset(path.join(before, 'data', 'train'), 4);
    const args = (root: string, epochs: number) => [
      '--config', path.join(tmp, 'cfg.json'),
      '--data', path.join(root, 'data', 'train'),
      '--val', 'none',
      '--run-dir', path.join(root, 'run'),
      '--epochs', String(epochs),
    ];
    const first = capture();
    assert.equal(await run(args(before, 1), first.io), TRAIN_EXIT.OK, first.err());
    fs.renameSync(before, after);
    const moved = capture();
    assert.equal(await run(args(after, 2), moved.io), TRAIN_EXIT.OK, moved.err());
    assert.match(moved.err(), /resuming run: 2 epochs .* at epoch 2\/2, step 2/);

    fs.copyFileSync(path.join(after, 'data', 'train', '001.dark', '0.png'), path.join(after, 'data', 'train', '001.dark', 'extra.png'));
    const changed = capture();
    assert.equal(await run(args(after, 3), changed.io), TRAIN_EXIT.FAILED);
    assert.match(changed.err(), /refusing to resume .*\n.*the data is not what the checkpoint was trained on: .* differs in data\.train/);
  });

  it('--init-from starts a new run from another run\'s weights (a new last layer for another class count), resumes with the same --init-from, and refuses what would mix two runs', async () => {
    const cfg = path.join(tmp, 'cfg.json');
    const source = path.join(tmp, 'ft-source');
    const made = capture();
    assert.equal(await run(['--config', cfg, '--run-dir', source, '--epochs', '1'], made.io), TRAIN_EXIT.OK, made.err());
    // Three classes: the two of the source run and a third one.
    const three = path.join(tmp, 'ft-three');
    for (const split of ['train', 'val']) {
      fs.cpSync(path.join(tmp, split), path.join(three, split), { recursive: true });
      fs.cpSync(path.join(tmp, split, '001.dark'), path.join(three, split, '003.third'), { recursive: true });
    }
    const target = path.join(tmp, 'ft-target');
    const args = (epochs: number, ...more: string[]): string[] => [
      '--config', cfg, '--data', path.join(three, 'train'), '--val', path.join(three, 'val'), '--run-dir', target, '--epochs', String(epochs), '--mean', '100', ...more,
    ];

    const notCheckpoint = capture();
    assert.equal(await run(args(1, '--init-from', cfg), notCheckpoint.io), TRAIN_EXIT.FAILED);
    assert.match(notCheckpoint.err(), /ERROR fatal error: --init-from .*cfg\.json: not an rxtrain checkpoint or truncated \(\d+ bytes\)/);
    assert.ok(!fs.existsSync(target), 'a refused start leaves nothing behind');

    const tuned = capture();
    assert.equal(await run(args(1, '--init-from', source), tuned.io), TRAIN_EXIT.OK, tuned.err());
    assert.match(tuned.err(), /INFO {2}starting run ft-target: .*; initialised (\d+) of (\d+) weight tensors from .*ft-source\/checkpoints\/best\.rxckpt \(step 2, trained weights\); fresh: fc3\/kernel \[1024,2\] vs \[1024,3\], fc3\/bias \[2\] vs \[3\]\n/);
    const [, taken, total] = /initialised (\d+) of (\d+)/.exec(tuned.err()) ?? [];
    assert.equal(Number(taken), Number(total) - 2);
    assert.match(tuned.err(), /INFO {2}--init-from: its run normalised the images with mean \[128, 128, 128\] std \[64, 64, 64\], this run with mean \[100\] std \[64, 64, 64\]/);
    const ck = decodeCheckpoint(fs.readFileSync(path.join(target, 'checkpoints', 'best.rxckpt')));
    const steps = Number(/1 epoch × (\d+) steps/.exec(tuned.err())?.[1]);
    assert.equal(ck.step, steps, 'its own steps, from 0');
    assert.equal((ck.identity.config as { initFrom?: string }).initFrom, path.join(fs.realpathSync(source), 'checkpoints', 'best.rxckpt'), 'one spelling: the file the run directory resolves to');

    const resumed = capture();
    assert.equal(await run(args(2, '--init-from', source), resumed.io), TRAIN_EXIT.OK, resumed.err());
    assert.match(resumed.err(), /resuming run ft-target: 2 epochs .* at epoch 2\/2, step (\d+)\n/);
    assert.equal(Number(/at epoch 2\/2, step (\d+)/.exec(resumed.err())?.[1]), steps);
    assert.doesNotMatch(resumed.err(), /initialised|WARN/);

    const without = capture();
    assert.equal(await run(args(3), without.io), TRAIN_EXIT.FAILED);
    assert.match(without.err(), /config\.initFrom: checkpoint ".*ft-source\/checkpoints\/best\.rxckpt", now \(absent\)\n.*resume it with that same --init-from/);
    // The same source spelt otherwise resumes: its best.rxckpt, relative, through a symlinked folder.
    fs.symlinkSync(source, path.join(tmp, 'ft-link'));
    const spellings = [path.join(source, 'checkpoints', 'best.rxckpt'), path.relative(process.cwd(), source), path.join(tmp, 'ft-link')];
    for (const [i, spelt] of spellings.entries()) {
      const again = capture();
      assert.equal(await run(args(3 + i, '--init-from', spelt), again.io), TRAIN_EXIT.OK, again.err());
      assert.match(again.err(), new RegExp(`resuming run ft-target: ${3 + i} epochs`));
    }
    const otherFile = path.join(tmp, 'ft-other.rxckpt');
    fs.copyFileSync(path.join(source, 'checkpoints', 'best.rxckpt'), otherFile);
    const other = capture();
    assert.equal(await run(args(6, '--init-from', otherFile), other.io), TRAIN_EXIT.FAILED);
    assert.match(other.err(), /config\.initFrom: checkpoint ".*ft-source\/checkpoints\/best\.rxckpt", now ".*ft-other\.rxckpt"/);
    // The run took the default weights (the source kept no average: trained); naming them is refused, saying what to pass.
    const named = capture();
    assert.equal(await run(args(6, '--init-from', source, '--init-weights', 'trained'), named.io), TRAIN_EXIT.FAILED);
    assert.match(named.err(), /config\.initWeights: checkpoint \(absent\), now "trained"\n.*the run took its --init-from's default weights: resume it without --init-weights/);
    const onItsOwn = capture();
    assert.equal(await run(['--config', cfg, '--run-dir', source, '--epochs', '2', '--init-from', target], onItsOwn.io), TRAIN_EXIT.FAILED);
    assert.match(onItsOwn.err(), /config\.initFrom: checkpoint \(absent\), now ".*ft-target\/checkpoints\/best\.rxckpt"\n.*--init-from starts a new run from another run's weights, and this run directory holds checkpoints of a run that started without it: give the new run a new --run-dir/);
  });

  it('resumes a fine-tuned run whose source is gone, spelt as its run directory, then as its checkpoints folder: the checkpoints keep the spelling of the start', async () => {
    const cfg = path.join(tmp, 'cfg.json');
    const source = path.join(tmp, 'gone-source');
    const made = capture();
    assert.equal(await run(['--config', cfg, '--run-dir', source, '--epochs', '1'], made.io), TRAIN_EXIT.OK, made.err());
    const target = path.join(tmp, 'gone-target');
    const args = (epochs: number, initFrom: string): string[] => ['--config', cfg, '--run-dir', target, '--epochs', String(epochs), '--init-from', initFrom];
    const dir = path.join(target, 'checkpoints');
    const recorded = (): unknown => {
      const newest = path.join(dir, fs.readdirSync(dir).filter((f) => f.startsWith('ckpt-')).sort().at(-1) ?? '');
      return (decodeCheckpoint(fs.readFileSync(newest)).identity.config as { initFrom?: unknown }).initFrom;
    };
    const tuned = capture();
    assert.equal(await run(args(1, source), tuned.io), TRAIN_EXIT.OK, tuned.err());
    const started = path.join(fs.realpathSync(source), 'checkpoints', 'best.rxckpt');
    assert.equal(recorded(), started);
    fs.rmSync(source, { recursive: true });
    for (const [i, spelt] of [source, path.join(source, 'checkpoints')].entries()) {
      const resumed = capture();
      assert.equal(await run(args(2 + i, spelt), resumed.io), TRAIN_EXIT.OK, resumed.err());
      assert.match(resumed.err(), new RegExp(`resuming run gone-target: ${2 + i} epochs .* at epoch ${2 + i}/${2 + i}`));
      assert.equal(recorded(), started, 'the checkpoints keep the spelling of the start');
      const warnings = resumed.err().split('\n').filter((l) => / WARN /.test(l)).map((l) => l.replace(/^.* WARN {2}/, ''));
      assert.deepEqual(warnings, [
        `--init-from ${spelt} resolves to ${path.resolve(spelt)} now, not to ${started} as when the run started (its source run went on, or is gone): resuming, since it is not read again (the run's own checkpoint holds the weights it took)`,
      ], resumed.err());
    }
  });

  it('Ctrl-C stops after a checkpoint with exit 130, and the next run resumes', async () => {
    const runDir = path.join(tmp, 'run-int');
    const c = capture({ onStopSignal: (h) => (setImmediate(() => h('SIGINT')), () => undefined) });
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir], c.io), TRAIN_EXIT.INTERRUPTED, c.err());
    assert.match(c.err(), /INFO {2}run directory .*run-int: checkpoints\/, train\.log, tensorboard\/\n/); // where everything goes
    assert.match(c.err(), /stopping after the current step/);
    assert.match(c.err(), /training ended \(stopped\)/);
    // What to do next: the same command again.
    assert.match(c.err(), /INFO {2}stopped at step \d+: the same command resumes it from there \(run directory \S+run-int\)\n/);
    assert.equal(fs.readdirSync(path.join(runDir, 'checkpoints')).filter((f) => f.startsWith('ckpt-')).length, 1);
    const d = capture();
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir], d.io), TRAIN_EXIT.OK, d.err());
    assert.match(d.err(), /resuming run/);
    assert.match(d.err(), /INFO {2}next: rxtrain evaluate \S+run-int \(accuracy per class\), rxtrain predict \S+run-int IMAGE…, rxtrain export \S+run-int OUT_DIR\n/);
  });

  it('names in its run directory line every file and folder the run writes there, charts and their history.json included', async () => {
    const runDir = path.join(tmp, 'run-outputs');
    const c = capture();
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--epochs', '1', '--charts', '--tensorboard'], c.io), TRAIN_EXIT.OK, c.err());
    const named = /INFO {2}run directory \S+run-outputs: (.*)\n/.exec(c.err())?.[1].split(', ').map((f) => f.replace(/\/$/, ''));
    assert.deepEqual(named, ['checkpoints', 'train.log', 'tensorboard', 'plot.png', 'lr.png', 'history.json']);
    assert.deepEqual(fs.readdirSync(runDir).filter((f) => !f.startsWith('.')).sort(), [...named].sort());
  });

  it('SIGTERM stops after a checkpoint like Ctrl-C, with exit 143 (128 + 15)', async () => {
    const runDir = path.join(tmp, 'run-term');
    const c = capture({ onStopSignal: (h) => (setImmediate(() => h('SIGTERM')), () => undefined) });
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir], c.io), TRAIN_EXIT.TERMINATED, c.err());
    assert.equal(TRAIN_EXIT.TERMINATED, 143);
    assert.match(c.err(), /training ended \(stopped\)/);
    assert.match(c.err(), /WARN {2}SIGTERM: stopping after the current step and saving a checkpoint \(another SIGTERM or Ctrl-C quits at once\)/, 'says which signal, not "Ctrl-C again"');
    assert.equal(fs.readdirSync(path.join(runDir, 'checkpoints')).filter((f) => f.startsWith('ckpt-')).length, 1);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`a second ${signal} quits at once with exit ${signal === 'SIGINT' ? 130 : 143}, even in the middle of a checkpoint write, naming the last complete checkpoint`, async () => {
      const runDir = path.join(tmp, `run-twice-${signal}`);
      const marker = path.join(tmp, `paused-${signal}`);
      // A real process, since the second signal ends it with process.exit. It checkpoints every
      // step, and its second checkpoint write pauses half-written (the test hook of
      // CheckpointStore): both signals land then, one after the other.
      const { child, err, exited, waitFor, waitForFile } = spawnTrain(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--checkpoint-steps', '1'], {
        RXTRAIN_TEST_CHECKPOINT_PAUSE_AT: '2',
        RXTRAIN_TEST_CHECKPOINT_PAUSE_MARKER: marker,
      });
      try {
        await waitFor(/checkpoint saved at step 1: /);
        await waitForFile(marker);
        assert.ok(fs.readdirSync(path.join(runDir, 'checkpoints')).some((f) => f.endsWith('.tmp')), 'the write is half done');
        child.kill(signal);
        // The paused write is of step 2, the end of epoch 1 (2 steps an epoch): the stop waits for it.
        await waitFor(/stopping after saving this epoch's checkpoint/);
        // A second press, not the same one delivered twice (see SAME_STOP_MS).
        await sleep(SAME_STOP_MS + 100);
        child.kill(signal);
        const code = signal === 'SIGINT' ? 130 : 143;
        assert.equal((await exited).code, code, err());
        const last = [...err().matchAll(/checkpoint saved at step \d+: (\S+)/g)].at(-1)?.[1];
        assert.ok(last !== undefined && fs.existsSync(last), err());
        assert.ok(err().includes(`quitting at once (exit ${code}): the checkpoint of the current step is not written; the last checkpoint is ${last}, where the next run resumes`), err());
        assert.deepEqual(fs.readdirSync(path.join(runDir, 'checkpoints')).filter((f) => f.endsWith('.tmp')), [], 'the half-written checkpoint is removed, not left (as large as a checkpoint) until the next start');
        assert.ok(!fs.existsSync(path.join(runDir, '.rxtrain.lock')), 'the lock is released');
      } finally {
        child.kill('SIGKILL');
      }
    });
  }

  it("a stop while an epoch's checkpoint is written says it waits for that checkpoint, not for a step, and stops there", async () => {
    const runDir = path.join(tmp, 'run-stop-saving');
    const marker = path.join(tmp, 'paused-stop-saving');
    // The first checkpoint is the end of epoch 1's; its write pauses until the signal has been seen.
    const { child, err, waitFor, waitForFile } = spawnTrain(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir], {
      RXTRAIN_TEST_CHECKPOINT_PAUSE_AT: '1',
      RXTRAIN_TEST_CHECKPOINT_PAUSE_MARKER: marker,
    });
    try {
      await waitFor(/INFO {2}epoch 1\/2: /);
      await waitForFile(marker);
      child.kill('SIGINT');
      await waitFor(/WARN {2}stopping/);
      assert.match(err(), /WARN {2}stopping after saving this epoch's checkpoint \(Ctrl-C again to quit at once\)\n/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it("a stop while a step's checkpoint (--checkpoint-steps) is written says it waits for that write, not for a step", async () => {
    const runDir = path.join(tmp, 'run-stop-saving-step');
    const marker = path.join(tmp, 'paused-stop-saving-step');
    // The first checkpoint is step 1's, in the middle of epoch 1 (2 steps an epoch); its write
    // pauses until the signal has been seen.
    const { child, err, waitFor, waitForFile } = spawnTrain(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--checkpoint-steps', '1'], {
      RXTRAIN_TEST_CHECKPOINT_PAUSE_AT: '1',
      RXTRAIN_TEST_CHECKPOINT_PAUSE_MARKER: marker,
    });
    try {
      await waitFor(/starting run/);
      await waitForFile(marker);
      child.kill('SIGINT');
      await waitFor(/WARN {2}stopping/);
      assert.match(err(), /WARN {2}stopping after the checkpoint being saved \(step 1\) is written \(Ctrl-C again to quit at once\)\n/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('one stop delivered twice at once (a terminal\'s Ctrl-C to npm and to rxtrain, npm passing it on) is one Ctrl-C, not a second one that quits', async () => {
    const runDir = path.join(tmp, 'run-same-stop');
    const marker = path.join(tmp, 'paused-same-stop');
    // The run's first checkpoint write pauses half-written: the run is still stopping when the copy comes.
    const t = spawnTrain(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--epochs', '50'], {
      RXTRAIN_TEST_CHECKPOINT_PAUSE_AT: '1',
      RXTRAIN_TEST_CHECKPOINT_PAUSE_MARKER: marker,
    });
    try {
      await t.waitFor(/starting run/);
      await t.waitForFile(marker);
      t.child.kill('SIGINT');
      // npm passes it on once its own handler has run: a few milliseconds later (back to back, the
      // kernel would merge the two into one pending signal).
      await sleep(50);
      t.child.kill('SIGINT');
      await sleep(SAME_STOP_MS + 200);
      assert.equal(t.child.exitCode, null, `still stopping: ${t.err()}`);
      assert.match(t.err(), /stopping after saving this epoch's checkpoint/);
      assert.doesNotMatch(t.err(), /quitting at once/);
      // A real second press still quits at once.
      t.child.kill('SIGINT');
      assert.equal((await t.exited).code, 130, t.err());
      assert.match(t.err(), /quitting at once \(exit 130\)/);
    } finally {
      t.child.kill('SIGKILL');
    }
  });

  it('SIGHUP (an ssh connection dropped) stops after a checkpoint, then ends by SIGHUP itself (129 in a shell); another SIGHUP does not make it quit at once', async () => {
    const runDir = path.join(tmp, 'run-hup');
    const marker = path.join(tmp, 'paused-hup');
    // The stop's checkpoint (the run's first save) pauses half-written, so that the later signals find the run still stopping.
    const t = spawnTrain(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--epochs', '50'], {
      RXTRAIN_TEST_CHECKPOINT_PAUSE_AT: '1',
      RXTRAIN_TEST_CHECKPOINT_PAUSE_MARKER: marker,
    });
    try {
      await t.waitFor(/starting run/);
      t.child.kill('SIGHUP');
      await t.waitFor(/WARN {2}SIGHUP \(the terminal hung up\): stopping after the current step and saving a checkpoint \(a Ctrl-C or SIGTERM quits at once\)/);
      await t.waitForFile(marker);
      // The terminal's hangup, then the shell passing it on to its jobs: the same stop.
      await sleep(SAME_STOP_MS + 100);
      t.child.kill('SIGHUP');
      await sleep(SAME_STOP_MS + 100);
      t.child.kill('SIGINT');
      assert.deepEqual(await t.exited, { code: 130, signal: null }, t.err());
      assert.match(t.err(), /quitting at once \(exit 130\)/, 'only the Ctrl-C quit at once');
      assert.doesNotMatch(t.err(), /exit 129/);
    } finally {
      t.child.kill('SIGKILL');
    }
    // Without the pause: the stop's checkpoint is written, and the process ends by the signal itself, as
    // its default action would have: Node 20 aborts on a normal exit when the terminal is gone.
    const again = spawnTrain(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--epochs', '50']);
    try {
      await again.waitFor(/starting run/);
      again.child.kill('SIGHUP');
      assert.deepEqual(await again.exited, { code: null, signal: 'SIGHUP' }, again.err());
      assert.equal(TRAIN_EXIT.HUNG_UP, 129, 'what a shell reports for it');
      assert.match(again.err(), /SIGHUP \(the terminal hung up\): stopping.*\n(.*\n)*.*checkpoint saved at step \d+: .*\n(.*\n)*.*training ended \(stopped\)/, `the stop wrote its checkpoint: ${again.err()}`);
    } finally {
      again.child.kill('SIGKILL');
    }
  });

  it('a second Ctrl-C ends the stream of a watching monitor first, saying why, instead of leaving it to retry for ever', async () => {
    let press: ((s: 'SIGINT') => void) | undefined;
    let said = '';
    const err = new PassThrough();
    const address = new Promise<string>((resolve) =>
      err.on('data', (c: Buffer) => {
        said += c.toString();
        const m = /telemetry: rxtrain monitor (\S+)/.exec(said);
        if (m !== null) resolve(m[1]);
      }),
    );
    let exitCalled: (code: number | undefined) => void = () => undefined;
    const exitCode = new Promise<number | undefined>((resolve) => (exitCalled = resolve));
    const exit = process.exit;
    // Where the command would end the process: noted; the run then goes on, stopped by the first press.
    process.exit = ((code?: number) => exitCalled(code)) as typeof process.exit;
    try {
      const args = ['--config', path.join(tmp, 'cfg.json'), '--run-dir', path.join(tmp, 'run-twice-watched'), '--epochs', '50', '--telemetry', '127.0.0.1:0'];
      const done = run(args, { out: new PassThrough(), err, env: {}, onStopSignal: (h) => ((press = h), () => undefined) });
      const seen: string[] = [];
      const watched = new Promise<string>((resolve) => {
        void address.then((a) =>
          watchTelemetry({ address: a }).subscribe({
            next: (s) => {
              if (s.type !== 'event') return;
              seen.push(s.event.kind);
              if (s.event.kind === 'BatchEnd' && seen.filter((k) => k === 'BatchEnd').length === 1) {
                press?.('SIGINT');
                press?.('SIGINT');
              }
            },
            error: (e: unknown) => resolve(`error: ${e instanceof Error ? e.message : String(e)}`),
            complete: () => resolve('complete'),
          }),
        );
      });
      const end = await watched;
      assert.equal(await exitCode, 130, said);
      assert.match(end, /quit at once by a second Ctrl-C \(exit 130\), without a checkpoint of the current step; /, `${end}\n${said}`);
      await done;
    } finally {
      process.exit = exit;
    }
  });

  it('a second Ctrl-C before training begins quits at once and leaves nothing behind, as a start that fails', async () => {
    const files = (dir: string): Record<string, string> =>
      Object.fromEntries(
        (fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[])
          .filter((f) => fs.statSync(path.join(dir, f)).isFile())
          .map((f) => [f, createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex')]),
      );
    class Exited extends Error {
      constructor(readonly code: number | undefined) {
        super(`process.exit(${code})`);
      }
    }
    /** Runs `args` with both presses during start-up; `seen` looks at the disk the moment process.exit is called. */
    const pressTwice = async <T>(args: string[], seen: () => T): Promise<{ code: number | undefined; seen: T; err: string }> => {
      let at: { code: number | undefined; seen: T } | undefined;
      const c = capture({
        onStopSignal: (h) => {
          // Before the first await of the start (telemetry, backend, data): training cannot have begun.
          setImmediate(() => {
            h('SIGINT');
            try {
              h('SIGINT');
            } catch (e) {
              if (!(e instanceof Exited)) throw e;
              at = { code: e.code, seen: seen() };
            }
          });
          return () => undefined;
        },
      });
      const exit = process.exit;
      // The command's process.exit, stopped where it would end the process (the run then goes on, stopped, and is ignored).
      process.exit = ((code?: number) => {
        throw new Exited(code);
      }) as typeof process.exit;
      try {
        await run(args, c.io);
      } finally {
        process.exit = exit;
      }
      await new Promise((r) => setImmediate(r));
      assert.ok(at !== undefined, `process.exit was not called: ${c.err()}`);
      return { ...at, err: c.err() };
    };

    const top = path.join(tmp, 'never-made-twice');
    const fresh = await pressTwice(['--config', path.join(tmp, 'cfg.json'), '--run-dir', path.join(top, 'runs', 'a')], () => fs.existsSync(top));
    assert.equal(fresh.code, 130);
    assert.equal(fresh.seen, false, 'the run directory and the parents this start made are gone before the process exits');
    assert.match(fresh.err, /ERROR quitting at once \(exit 130\) before training began: the run directory \S*never-made-twice\/runs\/a, which this start created, is removed\n/);

    // A run that was there: its checkpoints, TensorBoard files and log stay as they were (the log gains the lines).
    const runDir = path.join(tmp, 'run-twice-at-start');
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--epochs', '1', '--tensorboard'], capture().io), TRAIN_EXIT.OK);
    const before = files(runDir);
    const resumed = await pressTwice(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--epochs', '2', '--tensorboard'], () => files(runDir));
    assert.equal(resumed.code, 130);
    assert.match(resumed.err, /ERROR quitting at once \(exit 130\) before training began: what this start created in \S*run-twice-at-start is removed; what was there stays\n/);
    assert.match(resumed.seen['train.log'] === undefined ? '' : fs.readFileSync(path.join(runDir, 'train.log'), 'utf8'), /quitting at once \(exit 130\) before training began/);
    delete before['train.log'];
    delete resumed.seen['train.log'];
    assert.deepEqual(resumed.seen, before, 'nothing new and nothing lost, the lock released');
  });

  it('Ctrl-C still ends with a checkpoint when the console\'s reader has gone (`| tee` killed too: EPIPE)', async () => {
    const runDir = path.join(tmp, 'run-epipe');
    let closed = false;
    let before = '';
    // Like a pipe whose reader quit: every write from then on fails with EPIPE.
    const err = new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (closed) cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE', errno: -32, syscall: 'write' }));
        else {
          before += chunk.toString();
          cb();
        }
      },
    });
    const c = capture({ err, onStopSignal: (h) => (setImmediate(() => { closed = true; h('SIGINT'); }), () => undefined) });
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir], c.io), TRAIN_EXIT.INTERRUPTED, before);
    assert.equal(fs.readdirSync(path.join(runDir, 'checkpoints')).filter((f) => f.startsWith('ckpt-')).length, 1);
    const log = fs.readFileSync(path.join(runDir, 'train.log'), 'utf8');
    assert.match(log, /console output closed \(EPIPE\); training goes on, logging to train\.log/);
    assert.match(log, /training ended \(stopped\)/);
    await new Promise((r) => setImmediate(r)); // the command's guard outlives its last writes by a tick
    assert.equal(err.listenerCount('error'), 0, 'the guard is removed afterwards');
  });

  it('a telemetry port in use is a bad setting: exit 2 at once with what to do, before the backend and data load, leaving nothing behind', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    try {
      const port = (busy.address() as net.AddressInfo).port;
      const c = capture();
      const runDir = path.join(tmp, 'run-busy');
      assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--telemetry', `127.0.0.1:${port}`], c.io), TRAIN_EXIT.USAGE);
      await new Promise((r) => setImmediate(r)); // the captured stderr arrives a tick later
      assert.match(c.err(), new RegExp(`^rxtrain train: telemetry: 127\\.0\\.0\\.1:${port} is already in use .*or 127\\.0\\.0\\.1:0 for any free one; in code, startTelemetryServer's address\\) or switch telemetry off \\(--telemetry off\\)\n$`), `one line, and no "run directory …" line for outputs never written:\n${c.err()}`);
      assert.ok(!fs.existsSync(runDir), 'the run directory this start created is removed');

      // A run that exists: its log gets no lines from a start that was refused, and its files stay.
      const existing = path.join(tmp, 'run-busy-existing');
      fs.mkdirSync(existing);
      fs.writeFileSync(path.join(existing, 'train.log'), 'the earlier run\n');
      const d = capture();
      assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', existing, '--telemetry', `127.0.0.1:${port}`], d.io), TRAIN_EXIT.USAGE);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(fs.readdirSync(existing), ['train.log'], 'no lock, no checkpoints/ or tensorboard/ left');
      assert.equal(fs.readFileSync(path.join(existing, 'train.log'), 'utf8'), 'the earlier run\n');
    } finally {
      busy.close();
    }
  });

  it('a --telemetry address that is not of this machine is a bad setting too: exit 2, nothing left behind', async () => {
    const c = capture();
    const runDir = path.join(tmp, 'run-not-here');
    // 198.51.100.7 (documentation range): binding to it sends nothing, and fails.
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--telemetry', '198.51.100.7:0', '--telemetry-insecure'], c.io), TRAIN_EXIT.USAGE);
    await new Promise((r) => setImmediate(r));
    assert.match(c.err(), /^rxtrain train: telemetry: cannot listen on 198\.51\.100\.7:0: 198\.51\.100\.7 is not an address of this machine/);
    assert.ok(!fs.existsSync(runDir));
  });

  it('refuses a run directory another training is using, and a --run-dir that is a file', async () => {
    const runDir = path.join(tmp, 'run-locked');
    fs.mkdirSync(runDir, { recursive: true });
    fs.writeFileSync(path.join(runDir, '.rxtrain.lock'), JSON.stringify({ pid: process.pid, host: os.hostname(), since: 'then' }));
    const c = capture();
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir], c.io), TRAIN_EXIT.FAILED);
    await new Promise((r) => setImmediate(r));
    assert.match(c.err(), /run directory .*run-locked is in use by another training \(pid \d+, since then\)/);
    assert.deepEqual(fs.readdirSync(runDir), ['.rxtrain.lock'], 'nothing was written into the other run\'s folder');
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, '');
    const d = capture();
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', file], d.io), TRAIN_EXIT.USAGE);
    await new Promise((r) => setImmediate(r));
    assert.match(d.err(), /--run-dir .*a-file: a file is in the way \(expected a folder\)/);
  });

  it('says once whose stale locks it took over: the run directory\'s, and the checkpoint folder\'s when another process left that one', async () => {
    const deadPid = (): number => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    const staleLock = (file: string, pid: number): void => {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify({ pid, host: os.hostname(), since: '2026-01-01T00:00:00.000Z' }));
    };
    const takenOver = (err: string): string[] => err.split('\n').filter((l) => /lock taken over/.test(l)).map((l) => l.replace(/^.* WARN {2}/, ''));
    // One kill -9 leaves both locks: one line.
    const killed = path.join(tmp, 'run-killed');
    const pid = deadPid();
    staleLock(path.join(killed, '.rxtrain.lock'), pid);
    staleLock(path.join(killed, 'checkpoints', '.rxtrain-checkpoints.lock'), pid);
    const c = capture();
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', killed, '--epochs', '1'], c.io), TRAIN_EXIT.OK, c.err());
    assert.deepEqual(takenOver(c.err()), [`run directory lock taken over from pid ${pid} (since 2026-01-01T00:00:00.000Z), no longer running`], c.err());
    // A script's store, killed, left only the checkpoint folder's.
    const script = path.join(tmp, 'run-script-killed');
    const other = deadPid();
    staleLock(path.join(script, 'checkpoints', '.rxtrain-checkpoints.lock'), other);
    const d = capture();
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', script, '--epochs', '1'], d.io), TRAIN_EXIT.OK, d.err());
    assert.deepEqual(takenOver(d.err()), [`checkpoint folder lock taken over from pid ${other} (since 2026-01-01T00:00:00.000Z), no longer running`], d.err());
  });

  it('a checkpoint folder another process takes after the run directory\'s lock: refused in --run-dir terms, and that process\'s folder left alone', async () => {
    const runDir = path.join(tmp, 'run-grabbed');
    const checkpoints = path.join(runDir, 'checkpoints');
    const storeLock = path.join(checkpoints, '.rxtrain-checkpoints.lock');
    // The seam: a script takes checkpoints/ just as the store makes it (its pid: a live process not this one).
    const other = process.ppid;
    const mkdir = nodeFs.promises.mkdir;
    nodeFs.promises.mkdir = (async (p: fs.PathLike, o?: fs.MakeDirectoryOptions) => {
      const made = await mkdir(p, o);
      if (path.resolve(String(p)) === checkpoints && !fs.existsSync(storeLock)) {
        fs.writeFileSync(storeLock, JSON.stringify({ pid: other, host: os.hostname(), since: '2026-01-01T00:00:00.000Z' }));
      }
      return made;
    }) as typeof nodeFs.promises.mkdir;
    const c = capture();
    try {
      assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--epochs', '1'], c.io), TRAIN_EXIT.FAILED, c.err());
    } finally {
      nodeFs.promises.mkdir = mkdir;
    }
    await new Promise((r) => setImmediate(r));
    assert.match(c.err(), new RegExp(`ERROR +run directory \\S*run-grabbed is in use: its checkpoint folder \\S*run-grabbed/checkpoints is open for writing by another process \\(pid ${other}, since 2026-01-01T00:00:00\\.000Z\\); wait for it or stop it, or use another --run-dir \\(if nothing writes there, pid ${other} is some other process now: delete \\S*\\.rxtrain-checkpoints\\.lock\\)\n`));
    assert.doesNotMatch(c.err(), /another folder/);
    assert.ok(fs.existsSync(storeLock), 'the other process\'s lock (and folder) stay');
  });

  it('says a --run-dir cannot be created on a read-only file system, not "no such file or directory"', async () => {
    const [mkdir, access] = [nodeFs.mkdirSync, nodeFs.accessSync];
    const readOnly = path.join(tmp, 'read-only');
    fs.mkdirSync(readOnly);
    // What Node's recursive mkdir and access(2) say there.
    nodeFs.mkdirSync = ((p: fs.PathLike, o?: fs.MakeDirectoryOptions) => {
      if (String(p).startsWith(readOnly)) throw Object.assign(new Error(`ENOENT: no such file or directory, mkdir '${String(p)}'`), { code: 'ENOENT' });
      return mkdir(p, o);
    }) as typeof nodeFs.mkdirSync;
    nodeFs.accessSync = ((p: fs.PathLike, m?: number) => {
      if (String(p) === readOnly) throw Object.assign(new Error(`EROFS: read-only file system, access '${readOnly}'`), { code: 'EROFS' });
      access(p, m);
    }) as typeof nodeFs.accessSync;
    const c = capture();
    try {
      assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', path.join(readOnly, 'runs', 'a')], c.io), TRAIN_EXIT.FAILED);
    } finally {
      [nodeFs.mkdirSync, nodeFs.accessSync] = [mkdir, access];
    }
    assert.match(c.err(), /^rxtrain train: --run-dir \S*read-only\/runs\/a: cannot create it: \S*read-only is on a read-only file system\n$/);
  });

  it('with a progress bar, clears the bar\'s line before each log line; without one, writes plain lines', async () => {
    const c = capture();
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', path.join(tmp, 'run-bar'), '--progress', 'on', '--epochs', '1'], c.io), TRAIN_EXIT.OK);
    await new Promise((r) => setImmediate(r));
    const logLines = c.err().split('\n').filter((l) => /\d{4}-\d\d-\d\dT.* (INFO|WARN) /.test(l));
    assert.ok(logLines.length >= 3, c.err());
    for (const l of logLines) assert.ok(l.includes('\r\x1b[K20'), JSON.stringify(l));
    const d = capture();
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', path.join(tmp, 'run-nobar'), '--progress', 'off', '--epochs', '1'], d.io), TRAIN_EXIT.OK);
    await new Promise((r) => setImmediate(r));
    assert.ok(!d.err().includes('\x1b'), 'no escape codes without a bar');
  });

  it('an output that cannot be written (TensorBoard, the log file) is reported at once and the rest of the run still logs', async () => {
    const runDir = path.join(tmp, 'run-broken-outputs');
    fs.mkdirSync(runDir, { recursive: true });
    fs.writeFileSync(path.join(runDir, 'tensorboard'), 'a file where the folder goes');
    const c = capture();
    // /dev/full takes the open but fails every write with ENOSPC, as a full disk does.
    const code = await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--epochs', '1', '--log-file', '/dev/full'], c.io);
    await new Promise((r) => setImmediate(r));
    const err = c.err();
    assert.equal(code, TRAIN_EXIT.FAILED, err);
    assert.match(err, /cannot write the log file \/dev\/full: ENOSPC.*; logging to the console only/);
    const tb = err.search(/ERROR TensorBoard: cannot write an event file in .*tensorboard: EEXIST.*; training goes on without this output/);
    const epoch = err.search(/INFO {2}epoch 1\/1: train loss/);
    assert.ok(tb >= 0 && epoch > tb, `the TensorBoard failure is logged when it happens, and the epoch after it:\n${err}`);
    assert.match(err, /training ended \(completed\)/);
    assert.match(err, /training finished, but some of its outputs could not be written/);
    assert.ok(fs.readdirSync(path.join(runDir, 'checkpoints')).includes('best.rxckpt'));
  });

  it('a log file that cannot be opened (a folder by its name) is one warning naming it, as a failed write is: the run goes on on the console and ends with exit 1', async () => {
    const runDir = path.join(tmp, 'run-log-folder');
    fs.mkdirSync(path.join(runDir, 'train.log'), { recursive: true });
    const c = capture();
    const code = await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--epochs', '1'], c.io);
    await new Promise((r) => setImmediate(r));
    assert.equal(code, TRAIN_EXIT.FAILED, c.err());
    const lines = c.err().split('\n');
    assert.equal(lines[0], `rxtrain train: cannot open the log file ${path.join(runDir, 'train.log')}: it is a folder; logging to the console only (the run ends with exit 1)`);
    assert.match(c.err(), /training ended \(completed\)/);
    assert.match(c.err(), /training finished, but some of its outputs could not be written/);
    assert.ok(fs.readdirSync(path.join(runDir, 'checkpoints')).includes('best.rxckpt'));
    assert.deepEqual(fs.readdirSync(path.join(runDir, 'train.log')), [], 'the folder is left as it was');
  });

  it('a run that cannot start leaves nothing behind: no new run directory, nothing new in an existing one', async () => {
    const files = (dir: string): Record<string, string> =>
      Object.fromEntries(
        (fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[])
          .filter((f) => fs.statSync(path.join(dir, f)).isFile())
          .map((f) => [f, createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex')]),
      );
    const photo = path.join(tmp, 'train', '001.dark', '0.png');
    for (const data of [path.join(tmp, 'missing'), photo]) {
      const top = path.join(tmp, 'never-made');
      const c = capture();
      assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--data', data, '--run-dir', path.join(top, 'runs', 'a')], c.io), TRAIN_EXIT.FAILED);
      await new Promise((r) => setImmediate(r));
      assert.match(c.err(), /ERROR data\.train: /);
      // The first line named the run directory: the last says it is gone again.
      assert.match(c.err(), /INFO {2}the run directory \S+never-made\/runs\/a, which this start created, is removed\n$/);
      assert.ok(!fs.existsSync(top), `${data}: the run directory and its parents are gone again: ${fs.existsSync(top) ? fs.readdirSync(top, { recursive: true }).join(', ') : ''}`);
    }
    // A folder that was there (made by hand, or a scheduler) stays, with what it held.
    const mine = path.join(tmp, 'run-made-by-hand');
    fs.mkdirSync(mine);
    fs.writeFileSync(path.join(mine, 'notes.txt'), 'mine');
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--data', photo, '--run-dir', mine], capture().io), TRAIN_EXIT.FAILED);
    assert.deepEqual(fs.readdirSync(mine), ['notes.txt']);
    // A refused resume: the run's files stay as they were (its log gains the refusal), and no
    // second TensorBoard event file appears.
    const runDir = path.join(tmp, 'run-refused-resume');
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--epochs', '1', '--tensorboard'], capture().io), TRAIN_EXIT.OK);
    const before = files(runDir);
    const c = capture();
    assert.equal(await run(['--config', path.join(tmp, 'cfg.json'), '--run-dir', runDir, '--epochs', '1', '--tensorboard', '--lr', '0.5'], c.io), TRAIN_EXIT.FAILED);
    await new Promise((r) => setImmediate(r));
    assert.match(c.err(), /refusing to resume/);
    assert.match(c.err(), /INFO {2}what this start created in \S+run-refused-resume is removed; what was there stays\n$/);
    const after = files(runDir);
    assert.match(fs.readFileSync(path.join(runDir, 'train.log'), 'utf8'), /refusing to resume/);
    delete before['train.log'];
    delete after['train.log'];
    assert.deepEqual(after, before);
  });

  it('reports missing data as a failure, not a crash', async () => {
    const c = capture();
    assert.equal(await run(['--data', path.join(tmp, 'missing'), '--backend', 'wasm', '--telemetry', 'off', '--run-dir', path.join(tmp, 'r3')], c.io), TRAIN_EXIT.FAILED);
    assert.match(c.err(), /data\.train: .*missing does not exist/);
  });

  it('on every interface, logs a monitor command another machine can run (its name, not 0.0.0.0)', async () => {
    const c = capture({ env: { RXTRAIN_TELEMETRY_TOKEN: 's3cret' } });
    const args = ['--data', path.join(tmp, 'missing'), '--backend', 'wasm', '--telemetry', '0.0.0.0:0', '--telemetry-insecure', '--run-dir', path.join(tmp, 'r-any')];
    assert.equal(await run(args, c.io), TRAIN_EXIT.FAILED); // the server starts, then the data is missing
    await new Promise((r) => setImmediate(r));
    const line = /telemetry: (rxtrain monitor .*)/.exec(c.err())?.[1] ?? '';
    assert.ok(line.startsWith(`rxtrain monitor ${os.hostname()}:`), line);
    assert.match(line, /:\d+ \(the token as --token or RXTRAIN_TELEMETRY_TOKEN; or any other address of this machine\)$/);
    assert.doesNotMatch(c.err(), /s3cret/, 'the token itself is never logged');
  });
});
