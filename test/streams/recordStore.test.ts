import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRecordFileWriter } from '../../src/streams/RecordFile';
import { openRecordStore } from '../../src/streams/recordStore';

describe('openRecordStore', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rxtrain-store-'));
    file = path.join(dir, 'train.rec');
    const w = await createRecordFileWriter(file, { width: 2, height: 2, channels: 3, numClasses: 2, classes: ['cat', 'dog'] });
    await w.append(new Uint8Array(12).fill(10), 1, 'train/000001.jpg');
    await w.append(new Uint8Array(12).fill(20), 0, 'train/000002.jpg');
    await w.finish();
  });
  afterEach(() => fsp.rm(dir, { recursive: true, force: true }));

  it('serves samples as a SampleStore', async () => {
    const store = await openRecordStore(file);
    assert.equal(store.size, 2);
    assert.equal(store.numClasses, 2);
    assert.deepEqual(store.classes, ['cat', 'dog']);
    assert.equal(store.label(0), 1);
    const s = await store.load(1);
    assert.equal(s.kind, 'sample');
    if (s.kind !== 'sample') return;
    assert.equal(s.label, 0);
    assert.equal(s.path, 'train/000002.jpg');
    assert.deepEqual([s.image.width, s.image.height, s.image.channels], [2, 2, 3]);
    assert.deepEqual([...s.image.data], new Array(12).fill(20));
    await store.close();
  });

  it('turns a record with a bad checksum into an unreadable skip', async () => {
    const b = await fsp.readFile(file);
    b[4096 + 12] ^= 1;
    await fsp.writeFile(file, b);
    const store = await openRecordStore(file);
    const s = await store.load(1);
    assert.equal(s.kind, 'skip');
    if (s.kind === 'skip') {
      assert.equal(s.reason, 'unreadable');
      assert.equal(s.path, 'train/000002.jpg');
      assert.match(s.message, /checksum/);
    }
    assert.equal((await store.load(0)).kind, 'sample');
    await store.close();
  });

  it('recycle(): a later load reads into the handed-back buffer (shared memory); foreign samples are ignored', async () => {
    const store = await openRecordStore(file);
    const a = await store.load(0);
    assert.equal(a.kind, 'sample');
    if (a.kind !== 'sample') return;
    const buf = a.image.data;
    assert.ok(buf.buffer instanceof SharedArrayBuffer, 'workers can read it without a copy');
    const b = await store.load(1);
    assert.notEqual(b.kind === 'sample' && b.image.data.buffer, buf.buffer, 'not recycled yet: a fresh buffer');
    store.recycle!(a);
    store.recycle!(a); // twice: kept once
    const c = await store.load(1);
    const d = await store.load(0);
    assert.ok(c.kind === 'sample' && d.kind === 'sample');
    if (c.kind !== 'sample' || d.kind !== 'sample') return;
    assert.equal(c.image.data, buf, 'the recycled buffer is reused');
    assert.deepEqual([...c.image.data], new Array(12).fill(20));
    assert.notEqual(d.image.data, buf, 'and handed out only once');
    assert.deepEqual([...d.image.data], new Array(12).fill(10));
    // Pixels that are not the store's own are never taken into its pool.
    const foreign = { ...d, image: { ...d.image, data: new Uint8Array(12) } };
    store.recycle!(foreign);
    const e = await store.load(0);
    assert.ok(e.kind === 'sample' && e.image.data !== foreign.image.data);
    await store.close();
  });

  it('rejects a truncated file at open', async () => {
    const b = await fsp.readFile(file);
    await fsp.writeFile(file, b.subarray(0, b.length - 20));
    await assert.rejects(openRecordStore(file), /truncated/);
  });
});
