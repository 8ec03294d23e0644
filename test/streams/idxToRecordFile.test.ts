import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { makeImage } from '../../src/ops/Image';
import { createRng } from '../../src/ops/Rng';
import { decodeFile } from '../../src/streams/decodeFile';
import { folderSource } from '../../src/streams/folderSource';
import type { IdxDataset } from '../../src/streams/idxDataset';
import { idxToFolders } from '../../src/streams/idxToFolders';
import { idxToRecordFile } from '../../src/streams/idxToRecordFile';
import { openRecordStore } from '../../src/streams/recordStore';
import type { SourceItem } from '../../src/streams/SourceItem';

/** Images with pseudo-random pixels (every byte value occurs), `channels` per pixel. */
function dataset(labels: number[], channels = 1, w = 6, h = 5): IdxDataset {
  const ys = Uint8Array.from(labels);
  const rng = createRng(3);
  const pixels = Uint8Array.from({ length: ys.length * w * h * channels }, () => rng.int(256));
  const size = w * h * channels;
  return {
    count: ys.length, width: w, height: h, channels, labels: ys,
    image: (i) => makeImage(pixels.subarray(i * size, (i + 1) * size), w, h, channels),
  };
}

const NAMES = ['cat', 'dog', 'eel'];

describe('idxToRecordFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idxrec-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes records class by class in IDX order, named like their PNGs, with the class names', async () => {
    const ds = dataset([1, 0, 1, 2, 0]);
    const file = path.join(dir, 'sub', 'train.rec');
    const res = await idxToRecordFile(ds, file, { names: NAMES });
    assert.deepEqual(res, { written: 5, channels: 1, perClass: [2, 2, 1] });
    const store = await openRecordStore(file);
    try {
      assert.deepEqual([store.size, store.header.width, store.header.height, store.header.channels, store.classes], [5, 6, 5, 1, NAMES]);
      const order = [1, 4, 0, 2, 3];
      for (const [k, i] of order.entries()) {
        const s = await store.load(k);
        assert.equal(s.kind, 'sample');
        if (s.kind !== 'sample') continue;
        assert.equal(s.label, ds.labels[i]);
        assert.equal(s.path, `00${ds.labels[i] + 1}.${NAMES[ds.labels[i]]}/${String(i).padStart(5, '0')}.png`);
        assert.deepEqual(s.image.data, ds.image(i).data);
      }
    } finally {
      await store.close();
    }
  });

  for (const [srcChannels, channels] of [[1, 1], [1, 3], [3, 3], [3, 1], [4, 3], [4, 1]] as const) {
    it(`${srcChannels}-channel IDX → ${channels}-channel records: the pixels decoding idxToFolders' PNGs gives, in folderSource order`, async () => {
      const ds = dataset([2, 0, 1, 0, 2, 1, 1], srcChannels);
      const opts = { names: NAMES, limitPerClass: 2, seed: 5 };
      await idxToFolders(ds, path.join(dir, 'png'), opts);
      const file = path.join(dir, 'x.rec');
      const res = await idxToRecordFile(ds, file, { ...opts, channels });
      assert.equal(res.written, 6);
      const listed = (await lastValueFrom(folderSource(path.join(dir, 'png')).pipe(toArray()))).filter((x): x is SourceItem => x.kind === 'item');
      const store = await openRecordStore(file);
      try {
        assert.equal(store.size, listed.length);
        for (const [k, item] of listed.entries()) {
          const fromPng = await decodeFile(item.path, item.label, { channels });
          const fromRec = await store.load(k);
          assert.ok(fromPng.kind === 'sample' && fromRec.kind === 'sample');
          assert.equal(fromRec.path, path.relative(path.join(dir, 'png'), item.path));
          assert.equal(fromRec.label, item.label);
          assert.equal(fromRec.image.channels, channels);
          assert.deepEqual(fromRec.image.data, fromPng.image.data, `record ${k} (${item.path})`);
        }
      } finally {
        await store.close();
      }
    });
  }

  it('defaults to 1 channel for grey IDX files and 3 for colour ones', async () => {
    assert.equal((await idxToRecordFile(dataset([0, 1], 1), path.join(dir, 'g.rec'), { names: NAMES })).channels, 1);
    assert.equal((await idxToRecordFile(dataset([0, 1], 3), path.join(dir, 'c.rec'), { names: NAMES })).channels, 3);
  });

  it('refuses an existing file unless overwrite, and bad options, leaving nothing behind', async () => {
    const file = path.join(dir, 'a.rec');
    await idxToRecordFile(dataset([0, 1]), file, { names: NAMES });
    await assert.rejects(idxToRecordFile(dataset([0, 1]), file, { names: NAMES }), /a\.rec already exists \(pass overwrite/);
    await idxToRecordFile(dataset([0, 1, 2]), file, { names: NAMES, overwrite: true });
    const store = await openRecordStore(file);
    assert.equal(store.size, 3);
    await store.close();
    await assert.rejects(idxToRecordFile(dataset([0, 3]), path.join(dir, 'b.rec'), { names: NAMES }), /labels go up to 3 but only 3 class names/);
    await assert.rejects(idxToRecordFile(dataset([0]), path.join(dir, 'b.rec'), { names: NAMES, limitPerClass: 0 }), /positive integer/);
    await assert.rejects(idxToRecordFile(dataset([0]), path.join(dir, 'b.rec'), { names: NAMES, channels: 2 as 1 }), /channels must be 1 or 3/);
    assert.deepEqual(fs.readdirSync(dir), ['a.rec']);
  });
});
