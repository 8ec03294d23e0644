import assert from 'node:assert/strict';
import * as E from 'fp-ts/Either';
import { Duration, parseDuration } from '../../src/model/Duration';
import { decodeTrainConfig, formatConfigProblem } from '../../src/model/TrainConfig';

describe('Duration', () => {
  it('parses hours, minutes, seconds, days, fractions and combinations', () => {
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('90m'), 5_400_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration('45s'), 45_000);
    assert.equal(parseDuration('1d2h'), 93_600_000);
    assert.equal(parseDuration(' 10m '), 600_000);
  });

  it('rejects zero, bare numbers, unknown units, wrong order and empty text', () => {
    for (const bad of ['0h', '0m0s', '90', '2 hours', '2hr', '30m1h', '', 'h', '-1h', '1e3s']) {
      assert.equal(parseDuration(bad), undefined, bad);
      assert.equal(Duration.is(bad), false, bad);
    }
  });

  it('is the codec of TrainConfig.maxTime: a bad value is reported with the field', () => {
    const ok = decodeTrainConfig({ data: { train: 'x' }, maxTime: '2h' });
    assert.ok(E.isRight(ok) && ok.right.maxTime === '2h');
    const off = decodeTrainConfig({ data: { train: 'x' }, maxTime: null });
    assert.ok(E.isRight(off) && off.right.maxTime === null);
    const bad = decodeTrainConfig({ data: { train: 'x' }, maxTime: '2 hours' });
    assert.ok(E.isLeft(bad));
    const text = bad.left.map(formatConfigProblem).join('\n');
    assert.match(text, /maxTime/);
    assert.match(text, /"2h"/);
  });
});
