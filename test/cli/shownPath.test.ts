import assert from 'node:assert/strict';
import * as path from 'node:path';
import { shownPath } from '../../src/cli/shownPath';

describe('shownPath', () => {
  const cwd = process.cwd();

  it('shows a path inside the working directory relative to it, and one outside as it is', () => {
    assert.equal(shownPath(path.join(cwd, 'data', 'x.png')), path.join('data', 'x.png'));
    assert.equal(shownPath(path.join(path.dirname(cwd), 'elsewhere', 'x.png')), path.join(path.dirname(cwd), 'elsewhere', 'x.png'));
    assert.equal(shownPath(path.dirname(cwd)), path.dirname(cwd));
    assert.equal(shownPath('relative/as/given.png'), 'relative/as/given.png');
  });

  it('shows the working directory itself as ".", never as an empty name (evaluate --data ., export … .)', () => {
    assert.equal(shownPath(cwd), '.');
  });

  it('takes a name starting with two dots for a name inside the working directory, not a way out of it', () => {
    assert.equal(shownPath(path.join(cwd, '..cache', 'x.png')), path.join('..cache', 'x.png'));
  });
});
