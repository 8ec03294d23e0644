import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { fileStore } from '../../src/streams/fileStore';
import { folderSource } from '../../src/streams/folderSource';
import { writeCategories } from '../../src/streams/readCategories';
import { readManifest, writeManifest } from '../../src/streams/readManifest';
import type { SourceItem } from '../../src/streams/SourceItem';
import { photoJpeg, tempDir, write } from './fixtures';

describe('fileStore', () => {
  it('serves decoded files by index with labels known up front; bad files load as skips', async () => {
    const root = await tempDir();
    await write(path.join(root, 'a/1.jpg'), await photoJpeg('coffee.png', 30));
    await write(path.join(root, 'b/2.jpg'), 'not a jpeg');
    await write(path.join(root, 'b/.DS_Store'), 'junk');
    const items = await lastValueFrom(folderSource(root).pipe(toArray()));
    const store = fileStore(items, { resize: 16 });
    assert.deepEqual([store.size, store.numClasses, store.label(0), store.label(1)], [2, 2, 0, 1]);
    const s0 = await store.load(0);
    assert.ok(s0.kind === 'sample' && s0.image.width === 16 && s0.image.height === 16 && s0.label === 0);
    const s1 = await store.load(1);
    assert.ok(s1.kind === 'skip' && s1.reason === 'not-an-image');
    assert.throws(() => store.label(2), /outside 0\.\.1/);
    assert.throws(() => store.load(-1), /outside/);
    assert.throws(() => fileStore(items, { numClasses: 1 }), /label 1, outside 0\.\.0/);
    await store.close();
  });

  it('counts the classes the source lists, an empty last class folder too; for items without that count, the highest label + 1', async () => {
    const root = await tempDir();
    const jpg = await photoJpeg('coffee.png', 30);
    await write(path.join(root, 'a/1.jpg'), jpg);
    await write(path.join(root, 'b/2.jpg'), jpg);
    await fs.promises.mkdir(path.join(root, 'c')); // no images (yet): still a class of the model
    const items = await lastValueFrom(folderSource(root).pipe(toArray()));
    assert.equal(fileStore(items).numClasses, 3);
    assert.equal(fileStore(items, { numClasses: 5 }).numClasses, 5, 'numClasses given wins');
    // The manifest's categories.csv lists a class no row of this split has.
    await writeCategories(root, [{ id: 1, name: 'a', label: 0 }, { id: 2, name: 'b', label: 1 }, { id: 3, name: 'c', label: 2 }]);
    await writeManifest(root, 'val', [{ file: 'a/1.jpg', classId: 1 }]);
    assert.equal(fileStore(await readManifest(root, 'val')).numClasses, 3);
    // A source of its own: only the labels say.
    const own: SourceItem[] = items.flatMap((x) => (x.kind === 'item' ? [{ kind: 'item', path: x.path, label: x.label, category: x.category }] : []));
    assert.equal(fileStore(own).numClasses, 2);
  });

  it('a file that vanishes between listing and reading loads as an unreadable skip saying so, never a rejection', async () => {
    const root = await tempDir();
    const jpg = await photoJpeg('coffee.png', 30);
    for (const name of ['a/1.jpg', 'a/2.jpg', 'a/3.jpg']) await write(path.join(root, name), jpg);
    const items = await lastValueFrom(folderSource(root).pipe(toArray()));
    const store = fileStore(items);
    // Removed after the listing, before the load.
    await fs.promises.rm(path.join(root, 'a/1.jpg'));
    const s0 = await store.load(0);
    assert.deepEqual(s0.kind === 'skip' && [s0.reason, s0.message], ['unreadable', 'file does not exist (removed after it was listed?)']);
    // Removed at the very moment it is opened: the fs seam deletes the file inside open.
    const open = fs.promises.open;
    const vanishing = path.join(root, 'a/2.jpg');
    let raced = 0;
    fs.promises.open = (async (file: fs.PathLike, ...rest: unknown[]) => {
      if (file === vanishing) {
        raced += 1;
        await fs.promises.rm(vanishing);
      }
      return (open as (...a: unknown[]) => Promise<fs.promises.FileHandle>)(file, ...rest);
    }) as typeof fs.promises.open;
    try {
      const s1 = await store.load(1);
      assert.deepEqual(s1.kind === 'skip' && [s1.reason, s1.message], ['unreadable', 'file does not exist (removed after it was listed?)']);
      assert.equal(raced, 1, 'the load opened the file through the seam');
    } finally {
      fs.promises.open = open;
    }
    assert.equal((await store.load(2)).kind, 'sample');
    await store.close();
  });
});
