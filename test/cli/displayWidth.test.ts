import assert from 'node:assert/strict';
import { displayWidth, padEndColumns } from '../../src/cli/displayWidth';

describe('displayWidth', () => {
  it('counts the columns a terminal gives: one per Latin letter, two per CJK character or pictured emoji', () => {
    assert.equal(displayWidth('ak47'), 4);
    assert.equal(displayWidth('crème brûlée'), 12, 'precomposed accents are one column');
    assert.equal(displayWidth('日本の寿司'), 10);
    assert.equal(displayWidth('한국어'), 6);
    assert.equal(displayWidth('ＡＢ'), 4, 'fullwidth forms');
    assert.equal(displayWidth('🐦 bird'), 7);
    assert.equal(displayWidth('𠀋'), 2, 'a CJK character outside the BMP (two UTF-16 units) is still two columns');
  });

  it('gives combining marks and zero-width characters no column', () => {
    assert.equal(displayWidth('cre\u0300me'), 5, 'e + combining grave accent');
    assert.equal(displayWidth('a\u200db'), 2, 'zero-width joiner');
    assert.equal(displayWidth(''), 0);
  });

  it('pads to a number of columns, so rows of mixed scripts line up', () => {
    assert.equal(padEndColumns('日本', 6), '日本  ');
    assert.equal(padEndColumns('ak47', 6), 'ak47  ');
    assert.equal(padEndColumns('cre\u0300me', 7), 'cre\u0300me  ');
    assert.equal(padEndColumns('日本の寿司', 4), '日本の寿司', 'a wider string stays as it is');
  });
});
