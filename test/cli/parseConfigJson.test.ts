import assert from 'node:assert/strict';
import * as E from 'fp-ts/Either';
import { parseConfigJson } from '../../src/cli/parseConfigJson';

const problem = (text: string): string => {
  const r = parseConfigJson(text);
  assert.ok(E.isLeft(r), `expected a problem with ${JSON.stringify(text)}`);
  return r.left;
};

describe('parseConfigJson', () => {
  it('reads a file with a UTF-8 byte-order mark (Notepad) as without one', () => {
    assert.deepEqual(parseConfigJson('\ufeff{"epochs": 2}\r\n'), E.right({ epochs: 2 }));
  });

  it('says a file is empty, or ends early, instead of "Unexpected end of JSON input"', () => {
    assert.match(problem(''), /^the file is empty; expected a JSON object of config fields/);
    assert.match(problem('\ufeff \r\n'), /^the file is empty/);
    assert.equal(problem('{\n  "epochs": 1\n'), 'line 3, column 1: the file ends before the JSON does (a missing } or ]?)');
  });

  it('names line and column, and comments and trailing commas as such', () => {
    assert.equal(problem('{\n  // mine\n  "epochs": 1\n}'), 'line 2, column 3: a comment; JSON has none (remove it)');
    assert.equal(problem('{\n  "epochs": 1 /* one */\n}'), 'line 2, column 15: a comment; JSON has none (remove it)');
    assert.equal(problem('{\n  "epochs": 1,\n  "seed": 2,\n}\n'), 'line 3, column 12: a comma before a closing bracket; JSON allows no trailing comma (remove it)');
    assert.equal(problem('{"mean": [1, 2, 3,]}'), 'line 1, column 18: a comma before a closing bracket; JSON allows no trailing comma (remove it)');
    assert.equal(problem('{"note": "a // b, }", "x": [1,]}'), 'line 1, column 30: a comma before a closing bracket; JSON allows no trailing comma (remove it)');
    assert.equal(problem('{"epochs": 1}{"seed": 2}'), 'line 1, column 14: Unexpected non-whitespace character after JSON');
    assert.equal(problem('{\n  "seed": 0x10\n}'), "line 2, column 12: Expected ',' or '}' after property value");
  });
});
