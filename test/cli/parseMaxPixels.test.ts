import assert from 'node:assert/strict';
import * as E from 'fp-ts/Either';
import { parseMaxPixels } from '../../src/cli/parseMaxPixels';

describe('parseMaxPixels', () => {
  it('reads a positive whole number written out or with an exponent', () => {
    assert.deepEqual(parseMaxPixels('100000000'), E.right(100_000_000));
    assert.deepEqual(parseMaxPixels('1e9'), E.right(1_000_000_000));
    assert.deepEqual(parseMaxPixels('2.5e8'), E.right(250_000_000));
    assert.deepEqual(parseMaxPixels(String(Number.MAX_SAFE_INTEGER)), E.right(Number.MAX_SAFE_INTEGER));
  });

  it('refuses zero, negatives, fractions, words, nothing, and numbers past 2^53 - 1, naming the flag and the value', () => {
    for (const bad of ['0', '-5', '1.5', '2.5e-1', 'lots', '', ' ', '1e20', 'Infinity', 'NaN']) {
      assert.deepEqual(parseMaxPixels(bad), E.left(`--max-pixels must be a positive integer, got '${bad}'`), bad);
    }
  });
});
