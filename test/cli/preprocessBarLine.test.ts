import assert from 'node:assert/strict';
import { preprocessBarLine } from '../../src/cli/preprocessBarLine';

describe('preprocessBarLine', () => {
  const at = (value: number, total: number, maxWidth: number) => ({ progress: value / total, value, total, maxWidth });

  it('fits an 80-column terminal with the ETA and the skipped count on it (the 40-column bar made the line 98 columns)', () => {
    const line = preprocessBarLine(at(11, 15, 80), { rate: '45', etaText: '89ms', skipped: 3 });
    assert.ok(line.length <= 79, `${line.length}: ${line}`);
    assert.match(line, /^preprocess \[█+░+\] {2}73% 11\/15 \| {4}45 img\/s \| ETA {3}89ms \| skipped {2}3$/);
    assert.match(preprocessBarLine(at(11, 15, 120), { rate: '45', etaText: '89ms', skipped: 3 }), /^preprocess \[[█░]{40}\] /, 'the full bar when there is room');
  });

  it('keeps every figure in its column from frame to frame: the line is as long at the start as at the end', () => {
    const frames = [
      preprocessBarLine(at(0, 1500, 120), { rate: '-', etaText: '-', skipped: 0 }),
      preprocessBarLine(at(7, 1500, 120), { rate: '7', etaText: '3m12s', skipped: 0 }),
      preprocessBarLine(at(1500, 1500, 120), { rate: '1234', etaText: 'done', skipped: 12 }),
    ];
    assert.deepEqual(frames.map((f) => f.length), frames.map(() => frames[0].length), frames.join('\n'));
    assert.deepEqual(frames.map((f) => f.indexOf('img/s')), frames.map(() => frames[0].indexOf('img/s')));
    assert.match(frames[0], / {3}0% {4}0\/1500 \| {5}- img\/s \| ETA {6}- \| skipped {4}0$/);
  });

  it('on a narrow terminal drops the bar, then img/s, then the ETA; the skipped count stays', () => {
    const f = { rate: '45', etaText: '1.9s', skipped: 2 };
    assert.equal(preprocessBarLine(at(5, 15, 70), f), 'preprocess  33%  5/15 |    45 img/s | ETA   1.9s | skipped  2');
    assert.equal(preprocessBarLine(at(5, 15, 50), f), 'preprocess  33%  5/15 | ETA   1.9s | skipped  2');
    assert.equal(preprocessBarLine(at(5, 15, 30), f), 'preprocess  33%  5/15 | skipped  2');
  });
});
