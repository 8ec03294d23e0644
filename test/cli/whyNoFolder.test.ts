import assert from 'node:assert/strict';
import * as fs from 'node:fs';
// The module object itself (the namespace import is a read-only view), to stub access(2).
import nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { whyNoFolder } from '../../src/cli/whyNoFolder';

describe('whyNoFolder', () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-nofolder-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const enoent = (p: string): Error => Object.assign(new Error(`ENOENT: no such file or directory, mkdir '${p}'`), { code: 'ENOENT' });

  for (const [code, said] of [['EROFS', 'is on a read-only file system'], ['EACCES', 'no permission to write in']] as const) {
    it(`names the nearest existing folder when access(2) there says ${code}`, () => {
      const access = nodeFs.accessSync;
      nodeFs.accessSync = ((p: fs.PathLike) => {
        if (String(p) === tmp) throw Object.assign(new Error(code), { code });
      }) as typeof nodeFs.accessSync;
      try {
        const dir = path.join(tmp, 'a', 'b');
        const why = whyNoFolder(dir, enoent(dir));
        assert.equal(why, code === 'EROFS' ? `cannot create it: ${tmp} ${said}` : `cannot create it: ${said} ${tmp}`);
      } finally {
        nodeFs.accessSync = access;
      }
    });
  }

  it('keeps the error\'s own message when the nearest folder is writable', () => {
    const dir = path.join(tmp, 'c');
    assert.equal(whyNoFolder(dir, enoent(dir)), `ENOENT: no such file or directory, mkdir '${dir}'`);
  });
});
