import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { readCategories, writeCategories } from '../../src/streams/readCategories';
import { readManifest, writeManifest } from '../../src/streams/readManifest';
import { readRgbMean, writeRgbMean } from '../../src/streams/readRgbMean';
import { tempDir, write } from './fixtures';

const cats = [
  { id: 1, name: 'ak47', label: 0 },
  { id: 257, name: 'clutter, misc', label: 1 },
];

describe('categories.csv', () => {
  it('round-trips, quoting names with commas', async () => {
    const dir = await tempDir();
    await writeCategories(dir, cats);
    assert.deepEqual(await readCategories(dir), cats);
  });

  it('round-trips a class named with line breaks (a folder rxtrain preprocess met), and names the line of the row after it', async () => {
    const dir = await tempDir();
    const odd = [
      { id: 1, name: 'new\nclass', label: 0 },
      { id: 2, name: 'two\n\nbreaks, "and" a quote', label: 1 },
      { id: 3, name: 'plain', label: 2 },
    ];
    await writeCategories(dir, odd);
    assert.deepEqual(await readCategories(dir), odd);
    await write(path.join(dir, 'categories.csv'), 'id,name\n1,"a\nb"\nx,c\n');
    await assert.rejects(readCategories(dir), /categories\.csv:4: expected/);
    await write(path.join(dir, 'categories.csv'), 'id,name\n1,"a\nb\n');
    await assert.rejects(readCategories(dir), /categories\.csv:2: expected/);
  });

  it('rejects a missing file, a missing header and malformed rows with file:line', async () => {
    const dir = await tempDir();
    await assert.rejects(readCategories(dir), /categories\.csv not found/);
    await write(path.join(dir, 'categories.csv'), '1,a\n');
    await assert.rejects(readCategories(dir), /header/);
    await write(path.join(dir, 'categories.csv'), 'id,name\n1,a\nx,b\n');
    await assert.rejects(readCategories(dir), /categories\.csv:3/);
    await write(path.join(dir, 'categories.csv'), 'id,name\n1,a\n1,b\n');
    await assert.rejects(readCategories(dir), /both have id 1/);
  });
});

describe('readManifest', () => {
  it('round-trips rows into items with resolved paths and labels', async () => {
    const dir = await tempDir();
    await writeCategories(dir, cats);
    await writeManifest(dir, 'train', [
      { file: 'train/a,1.jpg', classId: 257 },
      { file: 'train/b.jpg', classId: 1 },
    ]);
    const items = await readManifest(dir, 'train');
    assert.deepEqual(items, [
      { kind: 'item', path: path.join(dir, 'train/a,1.jpg'), label: 1, category: cats[1], classCount: 2 },
      { kind: 'item', path: path.join(dir, 'train/b.jpg'), label: 0, category: cats[0], classCount: 2 },
    ]);
  });

  it('round-trips the source column: originals resolved against the folder, an empty one unknown', async () => {
    const dir = await tempDir();
    await writeCategories(dir, cats);
    await writeManifest(dir, 'val', [
      { file: 'val/000001.jpg', classId: 1, source: '../src/001.ak47/x,1.jpg' },
      { file: 'val/000002.jpg', classId: 257 },
    ]);
    assert.equal(await fsp.readFile(path.join(dir, 'val.csv'), 'utf8'), 'file,class,source\nval/000001.jpg,1,"../src/001.ak47/x,1.jpg"\nval/000002.jpg,257,\n');
    const items = await readManifest(dir, 'val');
    assert.deepEqual(items, [
      { kind: 'item', path: path.join(dir, 'val/000001.jpg'), label: 0, category: cats[0], source: path.resolve(dir, '../src/001.ak47/x,1.jpg'), classCount: 2 },
      { kind: 'item', path: path.join(dir, 'val/000002.jpg'), label: 1, category: cats[1], classCount: 2 },
    ]);
    // With the column, a fourth field is still a malformed row; without it, a third one is.
    await write(path.join(dir, 'val.csv'), 'file,class,source\na.jpg,1,o.jpg,x\nb.jpg,1\n');
    const rows = await readManifest(dir, 'val');
    assert.ok(rows[0].kind === 'skip' && /val\.csv:2: expected "<file>,<class id>,<source>"/.test(rows[0].message), JSON.stringify(rows[0]));
    assert.deepEqual(rows[1], { kind: 'item', path: path.join(dir, 'b.jpg'), label: 0, category: cats[0], classCount: 2 });
  });

  it('turns malformed rows and unknown classes into bad-label skips and keeps the good rows', async () => {
    const dir = await tempDir();
    await writeCategories(dir, cats);
    await write(path.join(dir, 'val.csv'), 'file,class\r\na.jpg,1\nb.jpg,99\nc.jpg,x\nd.jpg\n"e.jpg,1\n,1\nf.jpg,1,2\n\ng.jpg,257\n');
    const items = await readManifest(dir, 'val');
    assert.deepEqual(
      items.map((x) => (x.kind === 'item' ? `${path.basename(x.path)}:${x.label}` : `skip:${x.reason}`)),
      ['a.jpg:0', 'skip:bad-label', 'skip:bad-label', 'skip:bad-label', 'skip:bad-label', 'skip:bad-label', 'skip:bad-label', 'g.jpg:1'],
    );
    const b = items[1];
    assert.ok(b.kind === 'skip' && /val\.csv:3: class id 99 is not in categories\.csv/.test(b.message), JSON.stringify(b));
  });

  it('uses the first row of a file listed twice and makes each later one a bad-label skip naming that row, also one that names it another way', async () => {
    const dir = await tempDir();
    await writeCategories(dir, cats);
    await write(path.join(dir, 'train.csv'), 'file,class\na.jpg,1\nb.jpg,1\na.jpg,1\n./b.jpg,257\nc.jpg,257\n');
    const items = await readManifest(dir, 'train');
    assert.deepEqual(
      items.map((x) => (x.kind === 'item' ? `${path.basename(x.path)}:${x.label}` : `skip:${path.basename(x.path)}:${x.reason}:${x.message}`)),
      [
        'a.jpg:0',
        'b.jpg:0',
        `skip:a.jpg:bad-label:${path.join(dir, 'train.csv')}:4: a.jpg is already listed on line 2; only that row is used`,
        `skip:b.jpg:bad-label:${path.join(dir, 'train.csv')}:5: ./b.jpg is already listed on line 3 as class 1 (this row says 257); only that row is used`,
        'c.jpg:1',
      ],
    );
  });

  it('rejects a missing manifest with a hint', async () => {
    const dir = await tempDir();
    await writeCategories(dir, cats);
    await assert.rejects(readManifest(dir, 'train'), /train\.csv not found: run `rxtrain preprocess`/);
  });
});

describe('rgb_val.json', () => {
  it('round-trips and rejects bad content', async () => {
    const dir = await tempDir();
    await writeRgbMean(dir, { r: 124.5, g: 116, b: 104.25 });
    assert.deepEqual(await readRgbMean(dir), { r: 124.5, g: 116, b: 104.25 });
    await write(path.join(dir, 'rgb_val.json'), '{"r":1,"g":"2","b":3}');
    await assert.rejects(readRgbMean(dir), /expected \{"r": number/);
  });

  it('reads a file saved with a byte-order mark (a Windows editor) as without one', async () => {
    const dir = await tempDir();
    await write(path.join(dir, 'rgb_val.json'), '\ufeff{"r":1,"g":2,"b":3}\r\n');
    assert.deepEqual(await readRgbMean(dir), { r: 1, g: 2, b: 3 });
  });
});
