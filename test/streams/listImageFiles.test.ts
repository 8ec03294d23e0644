import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { listImageFiles } from '../../src/streams/listImageFiles';
import { asUnprivileged, tempDir, write } from './fixtures';

describe('listImageFiles', () => {
  it('searches folders recursively for image extensions, in name order, leaving hidden files and folders out', async () => {
    const dir = await tempDir();
    for (const f of ['b.jpg', 'a.PNG', 'notes.txt', 'sub/c.webp', 'sub/deeper/d.jpeg', '.e.jpg', '.cache/f.jpg', 'sub/._g.jpg', 'Thumbs.db']) await write(path.join(dir, f));
    assert.deepEqual(
      (await listImageFiles([dir])).files.map((f) => path.relative(dir, f)),
      ['a.PNG', 'b.jpg', path.join('sub', 'c.webp'), path.join('sub', 'deeper', 'd.jpeg')],
    );
    assert.deepEqual((await listImageFiles([dir], ['txt'])).files.map((f) => path.basename(f)), ['notes.txt'], 'extensions with or without the dot');
  });

  it('takes a named file whatever its extension, lists each file once, and resolves paths', async () => {
    const dir = await tempDir();
    await write(path.join(dir, 'x.jpg'));
    await write(path.join(dir, 'scan.raw'));
    const { files } = await listImageFiles([path.join(dir, 'scan.raw'), dir, path.join(dir, 'x.jpg')]);
    assert.deepEqual(files, [path.join(dir, 'scan.raw'), path.join(dir, 'x.jpg')]);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      assert.deepEqual((await listImageFiles(['x.jpg'])).files, [path.join(await fsp.realpath(dir), 'x.jpg')]);
    } finally {
      process.chdir(cwd);
    }
  });

  it('does not follow a folder link back up (a loop cannot recurse)', async () => {
    const dir = await tempDir();
    await write(path.join(dir, 'a', 'x.jpg'));
    await fsp.symlink(dir, path.join(dir, 'a', 'up'));
    assert.deepEqual(await listImageFiles([dir]), { files: [path.join(dir, 'a', 'x.jpg')], missing: [] });
  });

  it('lists every path that exists and names, as given, each one that does not, in order', async () => {
    const dir = await tempDir();
    await write(path.join(dir, 'a.jpg'));
    await write(path.join(dir, 'sub', 'b.png'));
    const nope = path.join(dir, 'nope.jpg');
    const r = await listImageFiles([path.join(dir, 'a.jpg'), nope, path.join(dir, 'sub'), 'also/missing']);
    assert.deepEqual(r.files, [path.join(dir, 'a.jpg'), path.join(dir, 'sub', 'b.png')]);
    assert.deepEqual(r.missing, [
      { path: nope, reason: 'not-found', message: 'no such file or folder' },
      { path: 'also/missing', reason: 'not-found', message: 'no such file or folder' },
    ]);
    assert.deepEqual(await listImageFiles([nope]), { files: [], missing: [{ path: nope, reason: 'not-found', message: 'no such file or folder' }] });
  });

  it('names a folder it may not read, with the reason alone, and still lists everything else around it (as an unprivileged user when run as root)', async () => {
    const dir = await tempDir();
    for (const f of ['a.jpg', 'private/p.jpg', 'private/deeper/q.jpg', 'sub/b.png', 'sub/secret/s.jpg', 'sub/z.jpg']) await write(path.join(dir, f));
    const locked = path.join(await tempDir(), 'locked');
    await fsp.mkdir(locked);
    for (const d of [path.join(dir, 'private'), path.join(dir, 'sub', 'secret'), locked]) await fsp.chmod(d, 0o000);
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      const r = await asUnprivileged(() => listImageFiles(['.', locked, 'sub/z.jpg']));
      assert.deepEqual(r.files, ['a.jpg', 'sub/b.png', 'sub/z.jpg'].map((f) => path.resolve(f)));
      assert.deepEqual(r.missing, [
        { path: 'private', reason: 'unreadable', message: 'permission denied' },
        { path: path.join('sub', 'secret'), reason: 'unreadable', message: 'permission denied' },
        { path: locked, reason: 'unreadable', message: 'permission denied' },
      ]);
      const inside = await asUnprivileged(() => listImageFiles([`${dir}/sub/`]));
      assert.deepEqual(inside.missing, [{ path: path.join(dir, 'sub', 'secret'), reason: 'unreadable', message: 'permission denied' }], 'a folder inside, joined onto the path as given');
      // Reached through two given paths (a folder and a folder inside it, or one path twice): said once, as first given.
      const twice = await asUnprivileged(() => listImageFiles(['.', 'sub', './sub/', 'gone.jpg', './gone.jpg', locked, `${locked}/`]));
      assert.deepEqual(twice.files, ['a.jpg', 'sub/b.png', 'sub/z.jpg'].map((f) => path.resolve(f)));
      assert.deepEqual(twice.missing, [
        { path: 'private', reason: 'unreadable', message: 'permission denied' },
        { path: path.join('sub', 'secret'), reason: 'unreadable', message: 'permission denied' },
        { path: 'gone.jpg', reason: 'not-found', message: 'no such file or folder' },
        { path: locked, reason: 'unreadable', message: 'permission denied' },
      ]);
    } finally {
      process.chdir(cwd);
    }
  });
});
