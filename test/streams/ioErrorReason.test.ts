import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ioErrorReason } from '../../src/streams/ioErrorReason';
import { tempDir, write } from './fixtures';

describe('ioErrorReason', () => {
  it('says the reason alone, without the code, the call or the path Node puts in its message', async () => {
    const dir = await tempDir();
    const file = await write(path.join(dir, 'a.jpg'));
    const reasonOf = (p: Promise<unknown>): Promise<string> => p.then(() => assert.fail('should reject'), ioErrorReason);
    assert.equal(await reasonOf(fsp.readdir(path.join(dir, 'gone'))), 'no such file or folder');
    assert.equal(await reasonOf(fsp.readdir(file)), 'not a directory');
    assert.equal(await reasonOf(fsp.readFile(dir)), 'it is a folder, not a file');
    const denied = Object.assign(new Error(`EACCES: permission denied, scandir '${dir}'`), { code: 'EACCES' });
    assert.equal(ioErrorReason(denied), 'permission denied');
    assert.equal(ioErrorReason(Object.assign(new Error(`EPERM: operation not permitted, open '${file}'`), { code: 'EPERM' })), 'permission denied');
  });

  it('keeps a message that is not Node\'s "CODE: reason, call \'path\'" as it is', () => {
    assert.equal(ioErrorReason(new Error('disk on fire')), 'disk on fire');
    assert.equal(ioErrorReason('a string'), 'a string');
  });
});
