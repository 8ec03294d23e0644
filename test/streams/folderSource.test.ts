import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { folderSource } from '../../src/streams/folderSource';
import { listCategories } from '../../src/streams/listCategories';
import type { Skip } from '../../src/streams/Skip';
import type { SourceItem } from '../../src/streams/SourceItem';
import { asUnprivileged, tempDir, write } from './fixtures';

const rel = (root: string, xs: Array<SourceItem | Skip>): string[] =>
  xs.map((x) => `${path.relative(root, x.path)} ${x.kind === 'item' ? `item:${x.label}` : `skip:${x.reason}`}`);

describe('folderSource', () => {
  let root: string;
  before(async () => {
    root = await tempDir();
    await write(path.join(root, '002.bat/d.jpg'));
    await write(path.join(root, '001.ak47/b.png'));
    await write(path.join(root, '001.ak47/a.jpg'));
    await write(path.join(root, '001.ak47/sub/c.JPG'));
    await write(path.join(root, '001.ak47/.DS_Store'));
    await write(path.join(root, '001.ak47/._a.jpg'));
    await write(path.join(root, '001.ak47/Thumbs.db'));
    await write(path.join(root, '001.ak47/.git/config.jpg'));
    await write(path.join(root, '001.ak47/notes.txt'));
    await fsp.mkdir(path.join(root, '001.ak47/folder.jpg'));
    await fsp.symlink(path.join(root, 'missing.jpg'), path.join(root, '001.ak47/broken.jpg'));
    await fsp.symlink(path.join(root, '002.bat/d.jpg'), path.join(root, '001.ak47/link.jpg'));
    await write(path.join(root, 'zebra/z.jpeg'));
    await write(path.join(root, 'stray.jpg'));
    await write(path.join(root, 'README.md'));
    await write(path.join(root, '.cache/x.jpg'));
  });

  it('lists items in sorted order with labels, and a typed skip for every junk entry', async () => {
    const xs = await lastValueFrom(folderSource(root).pipe(toArray()));
    assert.deepEqual(rel(root, xs), [
      'stray.jpg skip:bad-label',
      '001.ak47/.DS_Store skip:hidden',
      '001.ak47/._a.jpg skip:hidden',
      '001.ak47/.git skip:hidden',
      '001.ak47/Thumbs.db skip:hidden',
      '001.ak47/a.jpg item:0',
      '001.ak47/b.png item:0',
      '001.ak47/broken.jpg skip:dangling-link',
      '001.ak47/folder.jpg skip:not-a-file',
      '001.ak47/link.jpg item:0',
      '001.ak47/notes.txt skip:not-an-image',
      '001.ak47/sub/c.JPG item:0',
      '002.bat/d.jpg item:1',
      'zebra/z.jpeg item:2',
    ]);
    const z = xs.find((x) => x.path.endsWith('z.jpeg'));
    assert.deepEqual(z?.kind === 'item' && z.category, { id: 3, name: 'zebra', label: 2 });
    for (const x of xs) if (x.kind === 'skip') assert.ok(x.message.length > 0);
  });

  it('a folder named like an image that holds images is a subfolder: its images are listed, the folder is no skip', async () => {
    const dir = await tempDir();
    await write(path.join(dir, 'cats/a.jpg'));
    await write(path.join(dir, 'cats/shots.jpg/b.jpg'));
    await write(path.join(dir, 'cats/shots.jpg/deeper.png/c.png'));
    await fsp.mkdir(path.join(dir, 'cats/empty.jpg'));
    const xs = await lastValueFrom(folderSource(dir).pipe(toArray()));
    assert.deepEqual(rel(dir, xs), [
      'cats/a.jpg item:0',
      'cats/empty.jpg skip:not-a-file',
      'cats/shots.jpg/b.jpg item:0',
      'cats/shots.jpg/deeper.png/c.png item:0',
    ]);
    const empty = xs.find((x) => x.kind === 'skip');
    assert.equal(empty?.kind === 'skip' && empty.message, 'an empty directory named like an image');
  });

  it('is deterministic across subscriptions', async () => {
    const a = await lastValueFrom(folderSource(root).pipe(toArray()));
    const b = await lastValueFrom(folderSource(root).pipe(toArray()));
    assert.deepEqual(a, b);
  });

  it('honours custom extensions', async () => {
    const xs = await lastValueFrom(folderSource(root, { extensions: ['PNG'] }).pipe(toArray()));
    assert.deepEqual(
      xs.filter((x) => x.kind === 'item').map((x) => path.basename(x.path)),
      ['b.png'],
    );
  });

  it('reports unreadable files as skips (as an unprivileged user when run as root)', async () => {
    const dir = await tempDir();
    await write(path.join(dir, 'cats/ok.jpg'));
    const locked = await write(path.join(dir, 'cats/locked.jpg'));
    await fsp.chmod(locked, 0o000);
    const xs = await asUnprivileged(() => lastValueFrom(folderSource(dir).pipe(toArray())));
    assert.deepEqual(rel(dir, xs), ['cats/locked.jpg skip:unreadable', 'cats/ok.jpg item:0']);
  });

  it('says what it may not read in one line, the reason alone: the skip\'s path is the one given, not Node\'s absolute one (as an unprivileged user when run as root)', async () => {
    const dir = await tempDir();
    await write(path.join(dir, 'cats/ok.jpg'));
    const locked = await write(path.join(dir, 'cats/locked.jpg'));
    await write(path.join(dir, 'cats/private/a.jpg'));
    await write(path.join(dir, 'dogs/a.jpg'));
    // A link into a folder it may not enter: its target cannot even be looked at.
    const vault = await tempDir();
    await write(path.join(vault, 'x.jpg'));
    await fsp.symlink(path.join(vault, 'x.jpg'), path.join(dir, 'cats/vaulted.jpg'));
    await fsp.chmod(vault, 0o000);
    await fsp.chmod(locked, 0o000);
    await fsp.chmod(path.join(dir, 'cats/private'), 0o000);
    await fsp.chmod(path.join(dir, 'dogs'), 0o000);
    // Relative, as a user types it: the skips keep it so.
    const given = path.relative(process.cwd(), dir);
    try {
      const xs = await asUnprivileged(() => lastValueFrom(folderSource(given).pipe(toArray())));
      assert.deepEqual(
        xs.map((x) => (x.kind === 'skip' ? `${x.path}: ${x.message}` : `${x.path} item`)),
        [
          `${path.join(given, 'cats/locked.jpg')}: permission denied`,
          `${path.join(given, 'cats/ok.jpg')} item`,
          `${path.join(given, 'cats/private')}: cannot list folder: permission denied`,
          `${path.join(given, 'cats/vaulted.jpg')}: permission denied`,
          `${path.join(given, 'dogs')}: cannot list class folder: permission denied`,
        ],
      );
    } finally {
      await fsp.chmod(vault, 0o755);
      await fsp.chmod(path.join(dir, 'cats/private'), 0o755);
      await fsp.chmod(path.join(dir, 'dogs'), 0o755);
    }
  });

  it('stops early on unsubscribe (take)', async () => {
    const first = await firstValueFrom(folderSource(root).pipe(take(1)));
    assert.equal(first.kind, 'skip');
  });

  it('errors with a readable message when the root does not exist', async () => {
    await assert.rejects(lastValueFrom(folderSource(path.join(root, 'nope'))), /does not exist/);
  });

  it('completes empty for an empty dataset folder', async () => {
    const dir = await tempDir();
    assert.deepEqual(await lastValueFrom(folderSource(dir).pipe(toArray())), []);
  });
});

describe('folderSource: symlinks', () => {
  const list = async (root: string): Promise<string[]> => rel(root, await lastValueFrom(folderSource(root).pipe(toArray())));

  it('a folder link back to an ancestor (cat/loop -> ..) is one symlink-loop skip, and no dog is labelled cat', async () => {
    const root = await tempDir();
    await write(path.join(root, 'cat/a.png'));
    await write(path.join(root, 'cat/b.png'));
    for (const n of ['d1', 'd2', 'd3']) await write(path.join(root, `dog/${n}.png`));
    await fsp.symlink('..', path.join(root, 'cat/loop'));
    const xs = await lastValueFrom(folderSource(root).pipe(toArray()));
    assert.deepEqual(rel(root, xs), [
      'cat/a.png item:0',
      'cat/b.png item:0',
      'cat/loop skip:symlink-loop',
      'dog/d1.png item:1',
      'dog/d2.png item:1',
      'dog/d3.png item:1',
    ]);
    const loop = xs.find((x) => x.kind === 'skip');
    assert.match(loop?.kind === 'skip' ? loop.message : '', /cycle/);
  });

  it('a folder link into another class folder is a cross-class-link skip, not a relabelling', async () => {
    const root = await tempDir();
    await write(path.join(root, 'cat/a.png'));
    await write(path.join(root, 'dog/d.png'));
    await write(path.join(root, 'dog/sub/e.png'));
    await fsp.symlink('../dog', path.join(root, 'cat/dogs'));
    await fsp.symlink(path.join(root, 'dog/sub'), path.join(root, 'cat/pups'));
    assert.deepEqual(await list(root), [
      'cat/a.png item:0',
      'cat/dogs skip:cross-class-link',
      'cat/pups skip:cross-class-link',
      'dog/d.png item:1',
      'dog/sub/e.png item:1',
    ]);
  });

  it('a folder reached twice is listed once: real folders win, a second class gets a cross-class-link skip', async () => {
    const root = await tempDir();
    const ext = await tempDir();
    await write(path.join(ext, 'x.png'));
    await write(path.join(root, 'cat/sub/c.png'));
    await fsp.symlink('sub', path.join(root, 'cat/again')); // sorts before the real 'sub'
    await fsp.symlink(ext, path.join(root, 'cat/ext1'));
    await fsp.symlink(ext, path.join(root, 'cat/ext2'));
    await fsp.mkdir(path.join(root, 'dog'));
    await fsp.symlink(ext, path.join(root, 'dog/ext'));
    assert.deepEqual(await list(root), [
      'cat/again skip:symlink-loop',
      'cat/ext1/x.png item:0',
      'cat/ext2 skip:symlink-loop',
      'cat/sub/c.png item:0',
      'dog/ext skip:cross-class-link',
    ]);
  });

  it('a link to itself (ELOOP) is a symlink-loop skip, not dangling-link', async () => {
    const root = await tempDir();
    await write(path.join(root, 'cat/a.png'));
    await fsp.symlink('self.png', path.join(root, 'cat/self.png'));
    await fsp.symlink('me', path.join(root, 'cat/me'));
    await fsp.symlink('missing.png', path.join(root, 'cat/gone.png'));
    assert.deepEqual(await list(root), [
      'cat/a.png item:0',
      'cat/gone.png skip:dangling-link',
      'cat/me skip:symlink-loop',
      'cat/self.png skip:symlink-loop',
    ]);
  });

  it('a link in the dataset folder whose target is gone, or that loops, is a skip, not a class that vanishes unsaid', async () => {
    const root = await tempDir();
    await write(path.join(root, 'cat/a.png'));
    await fsp.symlink(path.join(root, 'moved/dogs'), path.join(root, 'dog'));
    await fsp.symlink('fish', path.join(root, 'fish'));
    await fsp.symlink('missing.png', path.join(root, 'stray.png'));
    await fsp.symlink('gone', path.join(root, '.hidden'));
    assert.deepEqual(await list(root), [
      'dog skip:dangling-link',
      'fish skip:symlink-loop',
      'stray.png skip:dangling-link',
      'cat/a.png item:0',
    ]);
  });

  it('still lists a symlinked top-level class folder, linked image files and a link to an outside folder', async () => {
    const root = await tempDir();
    const ext = await tempDir();
    await write(path.join(ext, 'cats/a.png'));
    await write(path.join(ext, 'cats/sub/b.png'));
    await write(path.join(ext, 'pool/p.png'));
    await write(path.join(ext, 'more/m.png'));
    await fsp.symlink(path.join(ext, 'cats'), path.join(root, 'cat'));
    await write(path.join(root, 'dog/d.png'));
    await fsp.symlink(path.join(ext, 'pool/p.png'), path.join(root, 'dog/p.png'));
    await fsp.symlink(path.join(ext, 'more'), path.join(root, 'dog/more'));
    assert.deepEqual(await list(root), [
      'cat/a.png item:0',
      'cat/sub/b.png item:0',
      'dog/d.png item:1',
      'dog/more/m.png item:1',
      'dog/p.png item:1',
    ]);
  });

  it('two names in one class folder for one file are one image: the real file (else the first link) is listed, the other a duplicate-file skip', async () => {
    const root = await tempDir();
    const pool = await tempDir();
    await write(path.join(pool, 'p.png'));
    await write(path.join(root, 'cat/b.png'));
    await fsp.symlink('b.png', path.join(root, 'cat/a-link.png')); // sorts before the file it leads to
    await fsp.symlink(path.join(root, 'cat/b.png'), path.join(root, 'cat/sub-link.png'));
    await fsp.symlink(path.join(pool, 'p.png'), path.join(root, 'cat/p1.png'));
    await fsp.symlink(path.join(pool, 'p.png'), path.join(root, 'cat/p2.png'));
    await write(path.join(root, 'cat/raw.dat'));
    await fsp.symlink('raw.dat', path.join(root, 'cat/raw.png')); // the only image name for its file: listed
    // The same pool file in another class is that class's, as any linked file is.
    await fsp.mkdir(path.join(root, 'dog'));
    await fsp.symlink(path.join(pool, 'p.png'), path.join(root, 'dog/p.png'));
    const xs = await lastValueFrom(folderSource(root).pipe(toArray()));
    assert.deepEqual(rel(root, xs), [
      'cat/a-link.png skip:duplicate-file',
      'cat/b.png item:0',
      'cat/p1.png item:0',
      'cat/p2.png skip:duplicate-file',
      'cat/raw.dat skip:not-an-image',
      'cat/raw.png item:0',
      'cat/sub-link.png skip:duplicate-file',
      'dog/p.png item:1',
    ]);
    const message = (name: string): string => (xs.find((x) => x.path === path.join(root, 'cat', name)) as Skip).message;
    assert.equal(message('a-link.png'), `the same file as ${path.join(root, 'cat/b.png')}, which this class folder already lists; listed once`);
    assert.equal(message('p2.png'), `the same file as ${path.join(root, 'cat/p1.png')} (both lead to ${await fsp.realpath(path.join(pool, 'p.png'))}), which this class folder already lists; listed once`);
  });

  it('hard links to one file in one class folder are one image (the first name listed); across two class folders, one in each', async () => {
    const root = await tempDir();
    const pool = await tempDir();
    await write(path.join(root, 'cat/b.png'));
    await fsp.link(path.join(root, 'cat/b.png'), path.join(root, 'cat/a.png'));
    await fsp.mkdir(path.join(root, 'cat/sub'));
    await fsp.link(path.join(root, 'cat/b.png'), path.join(root, 'cat/sub/c.png'));
    // Two symlinks to two hard links of one pool file: the first link keeps it.
    await write(path.join(pool, 'q.png'));
    await fsp.link(path.join(pool, 'q.png'), path.join(pool, 'q2.png'));
    await fsp.symlink(path.join(pool, 'q2.png'), path.join(root, 'cat/q-link.png'));
    await fsp.symlink(path.join(pool, 'q.png'), path.join(root, 'cat/r-link.png'));
    // The same file hard-linked into another class is that class's too (the folder is the label).
    await fsp.mkdir(path.join(root, 'dog'));
    await fsp.link(path.join(root, 'cat/b.png'), path.join(root, 'dog/d.png'));
    const xs = await lastValueFrom(folderSource(root).pipe(toArray()));
    assert.deepEqual(rel(root, xs), [
      'cat/a.png item:0',
      'cat/b.png skip:duplicate-file',
      'cat/q-link.png item:0',
      'cat/r-link.png skip:duplicate-file',
      'cat/sub/c.png skip:duplicate-file',
      'dog/d.png item:1',
    ]);
    const message = (name: string): string => (xs.find((x) => x.path === path.join(root, 'cat', name)) as Skip).message;
    assert.equal(message('b.png'), `the same file as ${path.join(root, 'cat/a.png')} (hard links to one file), which this class folder already lists; listed once`);
    const [q, q2] = await Promise.all([fsp.realpath(path.join(pool, 'q.png')), fsp.realpath(path.join(pool, 'q2.png'))]);
    assert.equal(message('r-link.png'), `the same file as ${path.join(root, 'cat/q-link.png')} (${q} and ${q2} are hard links to one file), which this class folder already lists; listed once`);
  });

  it('two class folders that are the same folder: the second is one cross-class-link skip', async () => {
    const root = await tempDir();
    await write(path.join(root, 'cat/a.png'));
    await fsp.symlink('cat', path.join(root, 'kitty'));
    assert.deepEqual(await list(root), ['cat/a.png item:0', 'kitty skip:cross-class-link']);
  });
});

describe('listCategories', () => {
  it('parses Caltech names, numbers plain names by position, ignores hidden folders and files', async () => {
    const root = await tempDir();
    for (const d of ['257.clutter', '001.ak47', 'cats', '.git']) await fsp.mkdir(path.join(root, d));
    await write(path.join(root, 'readme.txt'));
    assert.deepEqual(await listCategories(root), [
      { id: 1, name: 'ak47', label: 0 },
      { id: 257, name: 'clutter', label: 1 },
      { id: 3, name: 'cats', label: 2 },
    ]);
  });

  it('rejects two folders with the same id', async () => {
    const root = await tempDir();
    for (const d of ['002.a', 'b']) await fsp.mkdir(path.join(root, d));
    // 'b' is second in order → id 2, clashing with 002.a
    await assert.rejects(listCategories(root), /both have id 2/);
  });

  it('rejects a root that is a file', async () => {
    const root = await tempDir();
    await assert.rejects(listCategories(await write(path.join(root, 'f'))), /not a directory/);
  });
});
