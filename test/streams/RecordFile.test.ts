import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { createRecordFileWriter, openRecordFile, RecordFileError } from '../../src/streams/RecordFile';
import { interceptWrites } from './interceptWrites';

function pixels(seed: number, n: number): Uint8Array {
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = (seed * 31 + i * 7) & 255;
  return a;
}

describe('RecordFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rxtrain-rec-'));
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  async function writeSample(file: string, n = 5): Promise<Uint8Array[]> {
    const w = await createRecordFileWriter(file, { width: 4, height: 3, channels: 3, numClasses: 3, classes: ['a', 'b', 'c'] });
    const recs: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      recs.push(pixels(i, 36));
      await w.append(recs[i], i % 3, `img-${i}.jpg`);
    }
    const h = await w.finish();
    assert.equal(h.count, n);
    return recs;
  }

  it('round-trips pixels, labels, names and classes', async () => {
    const file = path.join(dir, 'train.rec');
    const recs = await writeSample(file);
    const r = await openRecordFile(file);
    assert.deepEqual({ ...r.header, classes: [...(r.header.classes ?? [])] }, { count: 5, width: 4, height: 3, channels: 3, numClasses: 3, classes: ['a', 'b', 'c'] });
    for (let i = 4; i >= 0; i--) {
      assert.deepEqual(await r.read(i), recs[i]);
      assert.equal(r.label(i), i % 3);
      assert.equal(r.name(i), `img-${i}.jpg`);
    }
    const into = new Uint8Array(36);
    assert.equal(await r.read(2, into), into);
    assert.deepEqual(into, recs[2]);
    await assert.rejects(r.read(5), RangeError);
    await r.close();
  });

  it('keeps call order for overlapping appends and leaves no temp file', async () => {
    const file = path.join(dir, 'x.rec');
    const w = await createRecordFileWriter(file, { width: 2, height: 2, channels: 1, numClasses: 10 });
    await Promise.all([0, 1, 2, 3, 4, 5].map((i) => w.append(pixels(i, 4), i)));
    await w.finish();
    assert.deepEqual(await fsp.readdir(dir), ['x.rec']);
    const r = await openRecordFile(file);
    for (let i = 0; i < 6; i++) {
      assert.deepEqual(await r.read(i), pixels(i, 4));
      assert.equal(r.label(i), i);
      assert.equal(r.name(i), undefined);
    }
    await r.close();
  });

  it('a failed write fails finish, even after its append settled: no file, no temp file; later appends reject', async () => {
    const file = path.join(dir, 'f.rec');
    // Record 1's write fails (a full disk); the others go through.
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const restore = interceptWrites((f) => f.endsWith('.tmp'), (write, w) => (w.position === 4096 + 4 ? Promise.reject(full) : write()));
    const w = await createRecordFileWriter(file, { width: 2, height: 2, channels: 1, numClasses: 3 }).finally(restore);
    const appends = [0, 1, 2].map((i) => w.append(pixels(i, 4), i));
    const settled = await Promise.allSettled(appends);
    assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled']);
    await assert.rejects(w.append(pixels(3, 4), 0), (e) => e === full);
    await assert.rejects(w.finish(), (e) => e === full);
    assert.deepEqual(await fsp.readdir(dir), []);
  });

  it('writes an empty file that reads back as empty', async () => {
    const file = path.join(dir, 'e.rec');
    const w = await createRecordFileWriter(file, { width: 2, height: 2, channels: 3, numClasses: 1 });
    await w.finish();
    const r = await openRecordFile(file);
    assert.equal(r.header.count, 0);
    await r.close();
  });

  it('rejects wrong-size records and out-of-range labels', async () => {
    const w = await createRecordFileWriter(path.join(dir, 'b.rec'), { width: 2, height: 2, channels: 3, numClasses: 2 });
    await assert.rejects(w.append(new Uint8Array(11), 0), /expected 2x2x3 = 12/);
    await assert.rejects(w.append(new Uint8Array(12), 2), /label 2 is outside 0..1/);
    await w.abort();
    assert.deepEqual(await fsp.readdir(dir), []);
  });

  it('abort leaves an existing target untouched', async () => {
    const file = path.join(dir, 't.rec');
    await writeSample(file, 2);
    const before = await fsp.readFile(file);
    const w = await createRecordFileWriter(file, { width: 4, height: 3, channels: 3, numClasses: 3 });
    await w.append(pixels(9, 36), 1);
    await w.abort();
    assert.deepEqual(await fsp.readFile(file), before);
    assert.deepEqual(await fsp.readdir(dir), ['t.rec']);
  });

  it('checks a record once by default, on every read with verify always', async () => {
    const file = path.join(dir, 'v.rec');
    const recs = await writeSample(file, 2);
    const once = await openRecordFile(file);
    const always = await openRecordFile(file, { verify: 'always' });
    assert.deepEqual(await once.read(1), recs[1]);
    assert.deepEqual(await always.read(1), recs[1]);
    // Corrupt record 1 behind the readers' backs: 'once' has already vouched for it.
    const fh = await fsp.open(file, 'r+');
    await fh.write(Buffer.from([recs[1][0] ^ 1]), 0, 1, 4096 + 36);
    await fh.close();
    assert.equal((await once.read(1))[0], recs[1][0] ^ 1);
    await assert.rejects(always.read(1), /record 1 failed its checksum/);
    await assert.rejects(openRecordFile(file, { verify: 'sometimes' as 'once' }), /verify must be/);
    await Promise.all([once.close(), always.close()]);
  });

  describe('corruption', () => {
    let file: string;
    let bytes: Buffer;
    beforeEach(async () => {
      file = path.join(dir, 'c.rec');
      await writeSample(file);
      bytes = await fsp.readFile(file);
    });

    async function expectBroken(buf: Uint8Array, re: RegExp): Promise<void> {
      await fsp.writeFile(file, buf);
      await assert.rejects(openRecordFile(file), (e: unknown) => e instanceof RecordFileError && re.test(e.message) && e.message.includes(file));
    }

    it('rejects a foreign file', () => expectBroken(Buffer.from('\xff\xd8\xff\xe0 this is a jpeg', 'latin1'), /not a record file/));
    it('rejects an empty file', () => expectBroken(Buffer.alloc(0), /not a record file/));
    it('rejects a truncated header', () => expectBroken(bytes.subarray(0, 30), /truncated/));
    it('rejects a file truncated inside the records', () => expectBroken(bytes.subarray(0, 4096 + 50), /truncated: 4146 bytes/));
    it('rejects a file truncated inside the index', () => expectBroken(bytes.subarray(0, bytes.length - 3), /truncated/));
    it('rejects trailing bytes', () => expectBroken(Buffer.concat([bytes, Buffer.from([0])]), /trailing/));
    it('rejects a flipped header byte', () => {
      const b = Buffer.from(bytes);
      b[20] ^= 1;
      return expectBroken(b, /header checksum/);
    });
    it('rejects an unknown version', () => {
      const b = Buffer.from(bytes);
      b.writeUInt32LE(99, 8);
      // Re-seal the header so the version check, not the checksum, is what fires.
      b.writeUInt32LE(crc32(b.subarray(0, 60)), 60);
      return expectBroken(b, /version 99 is not supported/);
    });
    it('rejects a corrupt index', () => {
      const b = Buffer.from(bytes);
      b[b.length - 10] ^= 0x20;
      return expectBroken(b, /index checksum/);
    });
    it('fails a corrupt record on read, never returning its pixels', async () => {
      const b = Buffer.from(bytes);
      b[4096 + 36 * 2 + 5] ^= 0xff;
      await fsp.writeFile(file, b);
      const r = await openRecordFile(file);
      assert.equal((await r.read(1)).length, 36);
      await assert.rejects(r.read(2), /record 2 failed its checksum/);
      await assert.rejects(r.read(2), /record 2 failed its checksum/, 'a failed record is checked again');
      const unchecked = await openRecordFile(file, { verify: 'never' });
      assert.equal((await unchecked.read(2))[5], bytes[4096 + 36 * 2 + 5] ^ 0xff);
      await Promise.all([r.close(), unchecked.close()]);
    });
  });
});
