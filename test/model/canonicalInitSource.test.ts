import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { canonicalInitSource } from '../../src/model/canonicalInitSource';

describe('canonicalInitSource', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-init-source-')));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('gives one spelling for a run directory, its best.rxckpt, a relative path and a symlinked folder', () => {
    const best = path.join(tmp, 'runs', 'pre', 'checkpoints', 'best.rxckpt');
    fs.mkdirSync(path.dirname(best), { recursive: true });
    fs.writeFileSync(best, 'not read');
    fs.symlinkSync(path.join(tmp, 'runs'), path.join(tmp, 'linked'));
    const spellings = [
      path.join(tmp, 'runs', 'pre'),
      best,
      path.relative(process.cwd(), best),
      path.join(tmp, 'linked', 'pre'),
      path.join(tmp, 'linked', 'pre', 'checkpoints', 'best.rxckpt'),
      path.join(tmp, 'runs', 'pre', 'checkpoints'),
    ];
    assert.deepEqual(spellings.map(canonicalInitSource), spellings.map(() => best));
  });

  it('keeps another checkpoint file, a directory without a best.rxckpt, and a path that is gone apart', () => {
    const other = path.join(tmp, 'pre', 'checkpoints', 'ckpt-e1.rxckpt');
    fs.mkdirSync(path.dirname(other), { recursive: true });
    fs.writeFileSync(other, 'not read');
    assert.equal(canonicalInitSource(other), other);
    assert.equal(canonicalInitSource(path.join(tmp, 'pre')), path.join(tmp, 'pre', 'checkpoints'));
    assert.equal(canonicalInitSource(path.join(tmp, 'gone', '..', 'gone')), path.join(tmp, 'gone'));
  });
});
