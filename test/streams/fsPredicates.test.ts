import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isDirectory, isDirectoryAsync, isFile, isFileAsync, isReadable, pathExists, pathExistsAsync } from '../../src/streams/fsPredicates';

describe('fsPredicates', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-fs-predicates-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('answers for a file, a folder, symlinks to each, a dangling symlink, a symlink loop and a missing path, without throwing, sync and async alike', async () => {
    fs.writeFileSync(path.join(tmp, 'file'), 'x');
    fs.mkdirSync(path.join(tmp, 'dir'));
    fs.symlinkSync(path.join(tmp, 'file'), path.join(tmp, 'to-file'));
    fs.symlinkSync(path.join(tmp, 'dir'), path.join(tmp, 'to-dir'));
    fs.symlinkSync(path.join(tmp, 'gone'), path.join(tmp, 'dangling'));
    fs.symlinkSync(path.join(tmp, 'loop'), path.join(tmp, 'loop'));
    const names = ['file', 'dir', 'to-file', 'to-dir', 'dangling', 'loop', 'missing', 'file/below'];
    const table = async (p: string): Promise<boolean[]> => [
      isFile(p), await isFileAsync(p), isDirectory(p), await isDirectoryAsync(p), pathExists(p), await pathExistsAsync(p), isReadable(p),
    ];
    const got = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await table(path.join(tmp, n))] as const)));
    assert.deepEqual(got, {
      file: [true, true, false, false, true, true, true],
      dir: [false, false, true, true, true, true, true],
      'to-file': [true, true, false, false, true, true, true],
      'to-dir': [false, false, true, true, true, true, true],
      dangling: [false, false, false, false, false, false, false],
      loop: [false, false, false, false, false, false, false],
      missing: [false, false, false, false, false, false, false],
      'file/below': [false, false, false, false, false, false, false],
    });
  });
});
