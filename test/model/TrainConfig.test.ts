import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { DEFAULT_TRAIN_CONFIG, TrainConfig, decodeTrainConfig, formatConfigProblem, mergeConfig } from '../../src/model/TrainConfig';

function problems(input: unknown): string[] {
  const r = decodeTrainConfig(input);
  assert.ok(E.isLeft(r), 'expected a decode failure');
  return r.left.map(formatConfigProblem);
}

describe('TrainConfig', () => {
  it('fills every default around a minimal config', () => {
    const r = decodeTrainConfig({ data: { train: 'data/x' } });
    assert.ok(E.isRight(r));
    assert.deepEqual(r.right, { ...DEFAULT_TRAIN_CONFIG, data: { ...DEFAULT_TRAIN_CONFIG.data, train: 'data/x' } });
    assert.equal(r.right.optimizer.lr, 0.01);
    assert.equal(r.right.optimizer.momentum, 0.9);
    assert.equal(r.right.optimizer.nesterov, true);
    assert.equal(r.right.scheduler.name === 'ReduceLROnPlateau' && r.right.scheduler.factor, 0.5);
    assert.equal(r.right.scheduler.name === 'ReduceLROnPlateau' && r.right.scheduler.patience, 5);
    assert.equal(r.right.telemetry.address, '127.0.0.1:50051');
  });

  it('shows a number too large for a double (1e400 in a config file) as Infinity, not null', () => {
    assert.deepEqual(problems(JSON.parse('{"data":{"train":"d"},"epochs":1e400,"optimizer":{"lr":-1e400}}')), [
      'epochs: got Infinity, expected a positive integer',
      'optimizer.lr: got -Infinity, expected a number > 0',
    ]);
  });

  it('overrides nested fields without losing their siblings', () => {
    const r = decodeTrainConfig({ data: { train: 'd' }, optimizer: { lr: 0.1 }, telemetry: { address: 'off' } });
    assert.ok(E.isRight(r));
    assert.deepEqual(r.right.optimizer, { ...DEFAULT_TRAIN_CONFIG.optimizer, lr: 0.1 });
    assert.equal(r.right.telemetry.address, 'off');
  });

  it('takes a bare number for the mean and std of every channel, as the message and --mean 72 say', () => {
    const r = decodeTrainConfig({ data: { train: 'd' }, augmentation: { mean: 72, std: 60 } });
    assert.ok(E.isRight(r), E.isLeft(r) ? r.left.map(formatConfigProblem).join('; ') : '');
    assert.deepEqual([r.right.augmentation.mean, r.right.augmentation.std], [[72], [60]]);
    assert.deepEqual(problems({ data: { train: 'd' }, augmentation: { mean: Infinity } }), [
      'augmentation.mean: got Infinity, expected (one number (every channel) or three [r, g, b] | "dataset" | null)',
    ]);
  });

  it('names field, value and expectation for wrong values', () => {
    assert.deepEqual(problems({ data: { train: 'd' }, epochs: 0, model: { name: 'resnet' }, optimizer: { momentum: 1.5 } }), [
      'model.name: got "resnet", expected "alexnet" | "small"',
      'epochs: got 0, expected a positive integer',
      'optimizer.momentum: got 1.5, expected a number in [0, 1)',
    ]);
  });

  it('takes how replicas split a batch: even (default) or by speed', () => {
    assert.equal(DEFAULT_TRAIN_CONFIG.balance, 'even');
    const r = decodeTrainConfig({ data: { train: 'd' }, replicas: 2, balance: 'speed' });
    assert.ok(E.isRight(r) && r.right.balance === 'speed');
    assert.deepEqual(problems({ data: { train: 'd' }, balance: 'fast' }), ['balance: got "fast", expected "even" | "speed"']);
  });

  it('takes a label smoothing in [0, 1), default 0', () => {
    assert.equal(DEFAULT_TRAIN_CONFIG.labelSmoothing, 0);
    const r = decodeTrainConfig({ data: { train: 'd' }, labelSmoothing: 0.1 });
    assert.ok(E.isRight(r) && r.right.labelSmoothing === 0.1);
    assert.deepEqual(problems({ data: { train: 'd' }, labelSmoothing: 1 }), ['labelSmoothing: got 1, expected a number in [0, 1)']);
    assert.deepEqual(problems({ data: { train: 'd' }, labelSmoothing: '0.1' }), ['labelSmoothing: got "0.1", expected a number in [0, 1)']);
  });

  it('takes a weight average: decay in [0, 1) (default 0: none) and a positive cadence, unknown fields reported', () => {
    assert.deepEqual(DEFAULT_TRAIN_CONFIG.ema, { decay: 0, everySteps: 10 });
    const r = decodeTrainConfig({ data: { train: 'd' }, ema: { decay: 0.999 } });
    assert.ok(E.isRight(r) && r.right.ema.decay === 0.999 && r.right.ema.everySteps === 10);
    assert.deepEqual(problems({ data: { train: 'd' }, ema: { decay: 1, everySteps: 0 } }), [
      'ema.decay: got 1, expected a number in [0, 1)',
      'ema.everySteps: got 0, expected a positive integer',
    ]);
    assert.deepEqual(problems({ data: { train: 'd' }, ema: { decay: 0.9, every: 4 } }), ['ema.every: got 4, expected no such field (known: decay, everySteps); did you mean "everySteps"?']);
  });

  it('descends into the chosen scheduler', () => {
    assert.deepEqual(problems({ data: { train: 'd' }, scheduler: { name: 'ReduceLROnPlateau', factor: 2 } }), [
      'scheduler.factor: got 2, expected a number in (0, 1)',
    ]);
  });

  it('accepts a scheduler switched off, without plateau fields', () => {
    const r = decodeTrainConfig({ data: { train: 'd' }, scheduler: { name: 'none' } });
    assert.ok(E.isRight(r));
    assert.deepEqual(r.right.scheduler, { name: 'none' });
  });

  it('fills CosineAnnealingLR\'s own defaults, and reports plateau fields given to it', () => {
    const r = decodeTrainConfig({ data: { train: 'd' }, scheduler: { name: 'CosineAnnealingLR' } });
    assert.ok(E.isRight(r));
    assert.deepEqual(r.right.scheduler, { name: 'CosineAnnealingLR', etaMin: 0, horizon: 'budget' });
    assert.deepEqual(problems({ data: { train: 'd' }, scheduler: { name: 'CosineAnnealingLR', patience: 2, horizon: 'steps' } }), [
      'scheduler: got ["patience"], expected the fields of CosineAnnealingLR only (name, etaMin, horizon): this one belongs to ReduceLROnPlateau; remove it, or set scheduler.name to "ReduceLROnPlateau"',
      'scheduler.horizon: got "steps", expected "epochs" | "budget"',
    ]);
  });

  it('names another scheduler\'s fields together, once, and still each field that belongs to none', () => {
    assert.deepEqual(problems({ data: { train: 'd' }, scheduler: { name: 'none', factor: 0.5, patience: 5, minLR: 0 } }), [
      'scheduler: got ["factor","patience"], expected the fields of none only (name): these belong to ReduceLROnPlateau; remove them, or set scheduler.name to "ReduceLROnPlateau"',
      'scheduler.minLR: got 0, expected no such field (known: name)',
    ]);
    assert.deepEqual(problems({ data: { train: 'd' }, scheduler: { name: 'ReduceLROnPlateau', etaMin: 0, horizon: 'epochs' } })[0],
      'scheduler: got ["etaMin","horizon"], expected the fields of ReduceLROnPlateau only (name, mode, factor, patience, threshold, thresholdMode, cooldown, minLr, eps): these belong to CosineAnnealingLR; remove them, or set scheduler.name to "CosineAnnealingLR"');
  });

  it('reports unknown fields (typos) instead of ignoring them', () => {
    const out = problems({ data: { train: 'd', trian: 'x' }, epoch: 3 });
    assert.equal(out.length, 2);
    assert.match(out[0], /^data\.trian: got "x", expected no such field \(known: train, val/);
    assert.match(out[1], /^epoch: got 3, expected no such field \(known: data, model, epochs/);
  });

  it('suggests the field a typo meant (other case or spelling, at most two edits away)', () => {
    const out = problems({ data: { train: 'd', trian: 'x' }, batchsize: 32, optimiser: { lr: 0.1 }, replica: 2, optimizer: { learningRate: 0.1 }, zzz: 1 });
    assert.match(out[0], /^data\.trian: got "x", expected no such field \(known: train, .*\); did you mean "train"\?$/);
    assert.match(out[1], /^batchsize: .*; did you mean "batchSize"\?$/);
    assert.match(out[2], /^optimiser: .*; did you mean "optimizer"\?$/);
    assert.match(out[3], /^replica: .*; did you mean "replicas"\?$/);
    // Nothing close: no guess.
    assert.match(out[4], /^optimizer\.learningRate: got 0\.1, expected no such field \(known: lr, momentum, nesterov, weightDecay\)$/);
    assert.match(out[5], /^zzz: .*\)$/);
  });

  it('suggests by the rule options and commands use: the start of a field, and no guess between two as near', () => {
    const out = problems({ sched: { name: 'none' }, epcs: 3, ch: 1 });
    assert.match(out[0], /^sched: .*; did you mean "scheduler"\?$/);
    assert.match(out[1], /^epcs: got 3, expected no such field \(known: [^)]*\)$/, 'two edits in four letters: another word, no guess');
    assert.match(out[2], /^ch: got 1, expected no such field \(known: [^)]*\)$/, 'checkpoint or charts: no guess');
  });

  it('requires the training data', () => {
    assert.deepEqual(problems({}), ['data.train: got "", expected a directory of training images']);
    // Empty, they would resolve to the working directory (and the run folder for the log).
    assert.deepEqual(problems({ data: { train: 'd' }, runDir: '', log: { file: ' ' } }), [
      'runDir: got "", expected a folder for the checkpoints and logs, such as "runs/my-run"',
      'log.file: got " ", expected a file name (relative to runDir), or null for no log file',
    ]);
    assert.deepEqual(problems([1, 2]), ['(root): got [1,2], expected a JSON object']);
  });

  it('takes the telemetry address alone, as --telemetry does ("off" or "host:port")', () => {
    for (const address of ['off', '0.0.0.0:6000']) {
      const r = decodeTrainConfig({ data: { train: 'x' }, telemetry: address });
      assert.ok(E.isRight(r), JSON.stringify(r));
      assert.deepEqual(r.right.telemetry, { ...DEFAULT_TRAIN_CONFIG.telemetry, address });
    }
    assert.deepEqual(problems({ data: { train: 'x' }, telemetry: 5 }).map((p) => p.split(':')[0]), ['telemetry']);
  });

  it('checks union fields as a whole', () => {
    assert.deepEqual(problems({ data: { train: 'd' }, augmentation: { mean: [1, 2] } }), [
      'augmentation.mean: got [1,2], expected (one number (every channel) or three [r, g, b] | "dataset" | null)',
    ]);
  });

  it('takes one number or three for the mean and std (one serves grey models and every channel)', () => {
    for (const v of [[72.9], [1, 2, 3]]) {
      const r = decodeTrainConfig({ data: { train: 'd' }, augmentation: { mean: v, std: v } });
      assert.ok(E.isRight(r), `mean/std ${JSON.stringify(v)} should decode`);
      assert.deepEqual(r.right.augmentation.mean, v);
      assert.deepEqual(r.right.augmentation.std, v);
    }
    assert.deepEqual(problems({ data: { train: 'd' }, augmentation: { std: [1, Number.NaN, 3] } }), [
      'augmentation.std: got [1,null,3], expected (one number (every channel) or three [r, g, b] | null)',
    ]);
  });

  it('rejects a resize smaller than the crop (every image would be skipped), counting training\'s padding', () => {
    const model = { name: 'small', inputSize: 28 };
    assert.deepEqual(problems({ data: { train: 'd' }, model, augmentation: { resize: 20, pad: 2 } }), [
      'augmentation.resize: got 20, expected null or ≥ 24 (model.inputSize 28 − 2 × augmentation.pad 2): every training image would be smaller than the 28×28 crop',
    ]);
    assert.deepEqual(problems({ data: { train: 'd' }, model, augmentation: { resize: 26, pad: 2, randomCrop: false } }), [
      'augmentation.resize: got 26, expected null or ≥ model.inputSize (28): every training image would be smaller than the 28×28 crop',
    ]);
    assert.deepEqual(problems({ data: { train: 'd', val: 'v' }, model, augmentation: { resize: 24, pad: 2 } }), [
      'augmentation.resize: got 24, expected null or ≥ model.inputSize (28): every validation image would be smaller than the 28×28 centre crop (padding applies to training only)',
    ]);
    // Padding makes up the difference for training when nothing is centre-cropped; equal sizes are fine.
    assert.ok(E.isRight(decodeTrainConfig({ data: { train: 'd' }, model, augmentation: { resize: 24, pad: 2 } })));
    assert.ok(E.isRight(decodeTrainConfig({ data: { train: 'd', val: 'v' }, model, augmentation: { resize: 28 } })));
  });

  it('rejects initWeights without initFrom (it would train from scratch without a word)', () => {
    assert.deepEqual(problems({ data: { train: 'd' }, initWeights: 'ema' }), [
      'initWeights: got "ema", expected null without initFrom (it picks which of the initFrom run\'s weights to start from): set initFrom too, or remove it',
    ]);
    assert.ok(E.isRight(decodeTrainConfig({ data: { train: 'd' }, initFrom: 'runs/a', initWeights: 'ema' })));
  });

  it('merges objects deeply and replaces everything else', () => {
    assert.deepEqual(mergeConfig({ a: { b: 1, c: [1, 2] }, d: null }, { a: { c: [3] }, d: { e: 1 } }), { a: { b: 1, c: [3] }, d: { e: 1 } });
  });

  it('decodes the bundled configs', () => {
    const files = fs.readdirSync(path.join(__dirname, '..', '..', 'configs')).filter((f) => f.endsWith('.json'));
    assert.ok(files.length >= 3, `${files}`);
    for (const f of files) {
      const json: unknown = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'configs', f), 'utf8'));
      const r = decodeTrainConfig(json);
      assert.ok(E.isRight(r), `${f}: ${E.isLeft(r) ? r.left.map(formatConfigProblem).join('; ') : ''}`);
      assert.ok(TrainConfig.is(r.right));
    }
  });
});
