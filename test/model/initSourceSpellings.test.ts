import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { canonicalInitSource } from '../../src/model/canonicalInitSource';
import { initSourceSpellings } from '../../src/model/initSourceSpellings';

describe('initSourceSpellings', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-init-spellings-')));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('names what a run directory resolved to with or without a best.rxckpt, and through a symlink whose target is gone', () => {
    const pre = path.join(tmp, 'runs', 'pre');
    fs.mkdirSync(path.join(pre, 'checkpoints'), { recursive: true });
    fs.symlinkSync(path.join(tmp, 'runs'), path.join(tmp, 'linked'));
    const then = canonicalInitSource(path.join(tmp, 'linked', 'pre'));
    fs.writeFileSync(path.join(pre, 'checkpoints', 'best.rxckpt'), 'not read');
    const withBest = canonicalInitSource(pre);
    assert.notEqual(then, withBest);
    assert.ok(initSourceSpellings(pre).includes(then));
    fs.rmSync(pre, { recursive: true });
    for (const given of [pre, path.join(tmp, 'linked', 'pre')]) {
      const spellings = initSourceSpellings(given);
      assert.ok(spellings.includes(then) && spellings.includes(withBest), spellings.join('\n'));
      assert.ok(!spellings.includes(path.join(tmp, 'runs')), 'not the folder above it');
    }
  });
});
