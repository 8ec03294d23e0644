import assert from 'node:assert/strict';
import { cutOffWriteNotice } from '../../src/model/cutOffWriteNotice';

describe('cutOffWriteNotice', () => {
  const at = (step: number, bytes: number) => ({ path: `ck/.ckpt-s${String(step).padStart(10, '0')}-e0001-b000000.rxckpt.7.tmp`, bytes, of: { step, epoch: 1, batch: 0 } });

  it('says nothing when no write was cut off, or only a best.rxckpt link (its checkpoint is saved)', () => {
    assert.equal(cutOffWriteNotice([], { path: 'ck/a', step: 10 }), undefined);
    assert.equal(cutOffWriteNotice([{ path: 'ck/.best.rxckpt.7.tmp', bytes: 9, of: 'best' }], { path: 'ck/a', step: 10 }), undefined);
  });

  it('names the step whose write was cut off, how much of it was written, and where training starts instead', () => {
    assert.equal(
      cutOffWriteNotice([at(15, 2_500_000)], { path: 'ck/ckpt-s0000000010-e0002-b000000.rxckpt', step: 10 }),
      'the previous run was cut off while writing the checkpoint of step 15 (2.5 MB of it written, now removed): resuming from ck/ckpt-s0000000010-e0002-b000000.rxckpt at step 10 instead',
    );
    assert.equal(
      cutOffWriteNotice([at(5, 512)], undefined),
      'the previous run was cut off while writing the checkpoint of step 5 (512 bytes of it written, now removed): starting afresh instead, as no earlier checkpoint is left',
    );
  });

  it('of several, names the newest and counts the others; a file not named by a save is named as it is', () => {
    const line = cutOffWriteNotice([{ path: 'ck/.x.tmp', bytes: 0 }, at(20, 4000), at(5, 10)], { path: 'ck/c', step: 10 });
    assert.equal(line, 'the previous run was cut off while writing the checkpoint of step 20 (4.0 kB of it written, now removed; 2 other cut-off writes removed too): resuming from ck/c at step 10 instead');
    assert.match(cutOffWriteNotice([{ path: 'ck/.x.tmp', bytes: 0 }], undefined) ?? '', /^the previous run was cut off while writing the temp file \.x\.tmp \(0 bytes/);
  });
});
