import assert from 'node:assert/strict';
import * as path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { fileStore } from '../../src/streams/fileStore';
import { folderSource } from '../../src/streams/folderSource';
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
});
