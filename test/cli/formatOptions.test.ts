import assert from 'node:assert/strict';
import { formatOptions, wrapWords } from '../../src/cli/formatOptions';

describe('formatOptions', () => {
  it('puts short options and their description on one line, at the column', () => {
    assert.equal(formatOptions([{ option: '--epochs N', help: 'epochs in total' }], { column: 20 }), '  --epochs N        epochs in total');
  });

  it('gives an option too long for the column a line of its own', () => {
    const text = formatOptions([{ option: '--telemetry-insecure / --no-telemetry-insecure', help: 'allow plaintext' }, { option: '--x', help: 'y' }], { column: 30 });
    assert.deepEqual(text.split('\n'), ['  --telemetry-insecure / --no-telemetry-insecure', `${' '.repeat(30)}allow plaintext`, `  --x${' '.repeat(25)}y`]);
  });

  it('keeps two spaces between option and description at the edge of the column', () => {
    // 2 + 26 = 28 characters: two spaces still fit before column 30; 27 would not.
    const fits = formatOptions([{ option: 'a'.repeat(26), help: 'h' }]);
    assert.equal(fits, `  ${'a'.repeat(26)}  h`);
    const own = formatOptions([{ option: 'a'.repeat(27), help: 'h' }]).split('\n');
    assert.equal(own.length, 2);
  });

  it('wraps descriptions within the width, continuation lines at the column', () => {
    const help = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen';
    const lines = formatOptions([{ option: '--n', help }], { column: 10, width: 40 }).split('\n');
    assert.ok(lines.length > 1);
    for (const l of lines) assert.ok(l.length <= 40, l);
    for (const l of lines.slice(1)) assert.match(l, /^ {10}\S/);
    assert.equal(lines.map((l) => l.slice(10)).join(' '), help);
  });

  it('never goes narrower than column + 20 for the text', () => {
    const lines = formatOptions([{ option: '--n', help: 'aaaa bbbb cccc dddd eeee' }], { column: 30, width: 10 }).split('\n');
    assert.deepEqual(lines, [`  --n${' '.repeat(25)}aaaa bbbb cccc dddd`, `${' '.repeat(30)}eeee`]);
  });

  it('wrapWords keeps an overlong word whole and handles empty text', () => {
    assert.deepEqual(wrapWords('alpha beta gamma', 10), ['alpha beta', 'gamma']);
    assert.deepEqual(wrapWords('x supercalifragilistic y', 5), ['x', 'supercalifragilistic', 'y']);
    assert.deepEqual(wrapWords('   ', 5), ['']);
  });
});
