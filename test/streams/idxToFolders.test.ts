import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { classDirName, FASHION_MNIST_CLASSES, idxClassNames } from '../../src/streams/idxClassNames';
import type { IdxDataset } from '../../src/streams/idxDataset';
import { idxToFolders, selectPerClass } from '../../src/streams/idxToFolders';
import { listCategories } from '../../src/streams/listCategories';
import { makeImage } from '../../src/ops/Image';

function toyDataset(labels: number[]): IdxDataset {
  const ys = Uint8Array.from(labels);
  return {
    count: ys.length, width: 4, height: 3, channels: 1, labels: ys,
    image: (i) => makeImage(new Uint8Array(12).fill(10 * i), 4, 3, 1),
  };
}

describe('idxClassNames / classDirName', () => {
  it('names classes as the datasets document them and makes Caltech-style folders', () => {
    assert.deepEqual(idxClassNames('fashion-mnist'), [...FASHION_MNIST_CLASSES]);
    assert.equal(idxClassNames('mnist')[3], '3');
    assert.deepEqual(idxClassNames(' a, b '), ['a', 'b']);
    assert.throws(() => idxClassNames('a,a'), /'a' appears twice/);
    assert.throws(() => idxClassNames('solo'), /comma-separated list of at least 2/);
    assert.deepEqual(FASHION_MNIST_CLASSES.map((n, i) => classDirName(i, n)), [
      '001.t-shirt_top', '002.trouser', '003.pullover', '004.dress', '005.coat',
      '006.sandal', '007.shirt', '008.sneaker', '009.bag', '010.ankle_boot',
    ]);
    assert.equal(classDirName(41, 'x', 1200), '0042.x');
  });
});

describe('selectPerClass', () => {
  it('takes all, the first N in file order, or N at random (seeded, deterministic)', () => {
    const ys = Uint8Array.from([0, 1, 0, 1, 0, 0, 2]);
    assert.deepEqual(selectPerClass(ys, 3), [[0, 2, 4, 5], [1, 3], [6]]);
    assert.deepEqual(selectPerClass(ys, 4), [[0, 2, 4, 5], [1, 3], [6], []]);
    assert.deepEqual(selectPerClass(ys, 3, 2), [[0, 2], [1, 3], [6]]);
    const many = Uint8Array.from({ length: 200 }, (_, i) => i % 2);
    const a = selectPerClass(many, 2, 5, 7);
    assert.deepEqual(a, selectPerClass(many, 2, 5, 7));
    assert.notDeepEqual(a, selectPerClass(many, 2, 5, 8));
    assert.notDeepEqual(a, selectPerClass(many, 2, 5));
    for (const [c, idx] of a.entries()) {
      assert.equal(idx.length, 5);
      assert.deepEqual(idx, [...idx].sort((x, y) => x - y));
      for (const i of idx) assert.equal(many[i], c);
    }
  });
});

describe('idxToFolders', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idxout-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes one PNG per selected image into class folders that folderSource reads back with the same ids', async () => {
    const ds = toyDataset([1, 0, 1, 2, 1]);
    const progress: number[] = [];
    const res = await idxToFolders(ds, dir, { names: ['cat', 'Dog Food', 'emu'], limitPerClass: 2, onProgress: (d) => progress.push(d) });
    assert.deepEqual(res, { written: 4, dirs: ['001.cat', '002.dog_food', '003.emu'], perClass: [1, 2, 1] });
    assert.deepEqual(progress, [1, 2, 3, 4]);
    assert.deepEqual(fs.readdirSync(path.join(dir, '002.dog_food')).sort(), ['00000.png', '00002.png']);
    const png = path.join(dir, '003.emu', '00003.png');
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height, meta.channels, meta.space], ['png', 4, 3, 1, 'b-w']);
    const { data } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([...data], new Array(12).fill(30));
    assert.deepEqual(await listCategories(dir), [
      { id: 1, name: 'cat', label: 0 },
      { id: 2, name: 'dog_food', label: 1 },
      { id: 3, name: 'emu', label: 2 },
    ]);
  });

  it('refuses to mix into existing class folders unless told to overwrite, then replaces them', async () => {
    const ds = toyDataset([0, 1]);
    await idxToFolders(ds, dir, { names: ['a', 'b'] });
    fs.writeFileSync(path.join(dir, '001.a', 'stale.png'), '');
    await assert.rejects(idxToFolders(ds, dir, { names: ['a', 'b'] }), /001\.a already exists and is not empty \(pass overwrite/);
    await idxToFolders(ds, dir, { names: ['a', 'b'], overwrite: true });
    assert.deepEqual(fs.readdirSync(path.join(dir, '001.a')), ['00000.png']);
  });

  it('rejects too few names and bad limits', async () => {
    await assert.rejects(idxToFolders(toyDataset([0, 3]), dir, { names: ['a', 'b'] }), /labels go up to 3 but only 2 class names/);
    await assert.rejects(idxToFolders(toyDataset([0]), dir, { names: ['a', 'b'], limitPerClass: 0 }), /positive integer/);
  });
});
