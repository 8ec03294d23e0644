import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { closestOption, parseCommandArgs } from '../../src/cli/parseCommandArgs';
import { closestName } from '../../src/model/closestName';

const options = {
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  records: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function failure(args: string[], extra: { allowPositionals?: boolean; allowNegative?: boolean } = {}): { message: string; code?: string } {
  try {
    parseCommandArgs({ args, options, ...extra });
  } catch (e) {
    return { message: (e as Error).message, code: (e as { code?: string }).code };
  }
  assert.fail(`${args.join(' ')} parsed`);
}

describe('parseCommandArgs', () => {
  it('parses what parseArgs parses', () => {
    const { values, positionals } = parseCommandArgs({ args: ['--epochs', '3', 'x', '--no-records'], options, allowPositionals: true, allowNegative: true });
    assert.deepEqual({ ...values }, { epochs: '3', records: false });
    assert.deepEqual(positionals, ['x']);
  });

  it('says a mistyped option in one line, with the nearest known one', () => {
    assert.deepEqual(failure(['--epoch', '3'], { allowPositionals: true }), { message: 'unknown option --epoch (did you mean --epochs?)', code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
    assert.equal(failure(['--batchsize', '3']).message, 'unknown option --batchsize (did you mean --batch-size?)');
    assert.equal(failure(['--no-record'], { allowNegative: true }).message, 'unknown option --no-record (did you mean --no-records?)');
    assert.doesNotMatch(failure(['--no-record']).message, /--no-records/, 'no --no- forms unless allowed');
    assert.equal(failure(['--frobnicate']).message, 'unknown option --frobnicate');
    assert.equal(failure(['-z']).message, 'unknown option -z');
  });

  it('says a missing or unwanted value, and a stray argument, in one line', () => {
    assert.deepEqual(failure(['--epochs']), { message: '--epochs needs a value', code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' });
    assert.equal(failure(['--json=yes']).message, '--json takes no value');
    assert.equal(failure(['stray']).message, "unexpected argument 'stray'");
    assert.equal(failure(['--epochs', '-1']).message, '--epochs needs a value (one that starts with a dash is written --epochs=-…)');
  });
});

describe('closestOption', () => {
  const known = ['epochs', 'batch-size', 'telemetry', 'telemetry-token'];
  it('finds near misses and prefixes, not far-off names', () => {
    assert.equal(closestOption('--epoch', known), '--epochs');
    assert.equal(closestOption('--telemtry', known), '--telemetry');
    assert.equal(closestOption('--telemetry-tok', known), '--telemetry-token');
    assert.equal(closestOption('--batch_size=3', known), '--batch-size');
    assert.equal(closestOption('--lr', known), undefined);
    assert.equal(closestOption('--', known), undefined);
  });

  it('follows the rule of config field suggestions: any case, and no guess between two as near', () => {
    assert.equal(failure(['--EPOCHS', '3']).message, 'unknown option --EPOCHS (did you mean --epochs?)');
    assert.equal(closestOption('--telemetry-tokn', known), '--telemetry-token');
    assert.equal(closestOption('--tele', known), undefined, 'the start of two options');
    assert.equal(closestOption('--tlmetry-tokn', known), undefined, 'three edits');
  });
});

describe('closestName / rxtrain <command>', () => {
  it('finds the command meant, and the CLI says it', () => {
    const commands = ['preprocess', 'train', 'evaluate', 'predict', 'monitor', 'import-idx'];
    assert.equal(closestName('predcit', commands), 'predict');
    assert.equal(closestName('evalute', commands), 'evaluate');
    assert.equal(closestName('trian', commands), 'train');
    assert.equal(closestName('xyz', commands), undefined);
    const p = spawnSync(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts'), 'evalute'], { encoding: 'utf8' });
    assert.equal(p.status, 2);
    assert.match(p.stderr, /^rxtrain: unknown command 'evalute' \(did you mean evaluate\?\)\n/);
    const exprot = spawnSync(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts'), 'exprot'], { encoding: 'utf8' });
    assert.match(exprot.stderr, /^rxtrain: unknown command 'exprot' \(did you mean export\?\)\n[\s\S]*\n {2}export {7}write a checkpoint as a TensorFlow\.js Layers model/, 'every command is listed and found');
    const upper = spawnSync(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts'), 'PREDICT'], { encoding: 'utf8' });
    assert.match(upper.stderr, /\(did you mean predict\?\)/, 'whatever the case');
    const version = spawnSync(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts'), '--version'], { encoding: 'utf8' });
    assert.equal(version.status, 0);
    assert.equal(version.stdout, `${(JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version}\n`);
  });
});
