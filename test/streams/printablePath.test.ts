import assert from 'node:assert/strict';
import { printablePath } from '../../src/streams/printablePath';

describe('printablePath', () => {
  it('leaves ordinary names alone, spaces and non-ASCII letters included', () => {
    for (const p of ['cats/0001.jpg', 'my photos/a b.png', 'chats/été ü 猫.jpg', '']) assert.equal(printablePath(p), p);
  });

  it('quotes and escapes a name with a line break or another control character, so it stays on one line', () => {
    assert.equal(printablePath('cats/new\nline.jpg'), '"cats/new\\nline.jpg"');
    assert.equal(printablePath('a\rb\tc\u001b[31m.png'), '"a\\rb\\tc\\u001b[31m.png"');
    assert.equal(printablePath('del\u007f.png'), '"del\u007f.png"');
    for (const p of ['x\ny', 'a\rb', 'e\u001b']) assert.ok(![...printablePath(p)].some((c) => c.charCodeAt(0) < 0x20), p);
  });
});
