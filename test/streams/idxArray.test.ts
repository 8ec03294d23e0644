import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { encodeIdx, parseIdx, readIdxFile } from '../../src/streams/idxArray';

describe('parseIdx', () => {
  it('reads the header and big-endian data of every element type', () => {
    const u8 = parseIdx(Buffer.from([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 255]), 'u8');
    assert.deepEqual(u8, { type: 'ubyte', dims: [2, 3], data: Uint8Array.of(1, 2, 3, 4, 5, 255) });
    const i32 = parseIdx(Buffer.from([0, 0, 0x0c, 1, 0, 0, 0, 2, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xfe]), 'i32');
    assert.deepEqual([...i32.data], [256, -2]);
    const f = Buffer.alloc(8);
    f.writeFloatBE(1.5, 0);
    f.writeFloatBE(-0.25, 4);
    assert.deepEqual([...parseIdx(Buffer.concat([Buffer.from([0, 0, 0x0d, 1, 0, 0, 0, 2]), f]), 'f').data], [1.5, -0.25]);
    for (const type of ['ubyte', 'sbyte', 'short', 'int', 'float', 'double'] as const) {
      const data = { ubyte: Uint8Array.of(0, 7, 200), sbyte: Int8Array.of(-3, 0, 5), short: Int16Array.of(-300, 2, 30000), int: Int32Array.of(-70000, 1, 2), float: Float32Array.of(0.5, -2, 3), double: Float64Array.of(0.1, -1e300, 2) }[type];
      assert.deepEqual(parseIdx(encodeIdx({ type, dims: [3], data }), type), { type, dims: [3], data }, type);
    }
  });

  it('names the file and what it expected for bad input', () => {
    assert.throws(() => parseIdx(Buffer.from('PK\x03\x04'), 'x.zip'), /x\.zip: not an IDX file \(expected magic bytes 00 00 <type> <ndims>, found 50 4b 03 04\)/);
    assert.throws(() => parseIdx(Buffer.alloc(0), 'e'), /e: not an IDX file .*found an empty file/);
    assert.throws(() => parseIdx(Buffer.from([0, 0, 0x07, 1, 0, 0, 0, 0]), 't'), /t: unknown IDX element type 0x07/);
    assert.throws(() => parseIdx(Buffer.from([0, 0, 8, 3, 0, 0, 0, 1]), 'h'), /h: truncated IDX header \(expected 16 bytes for 3 dimensions, file has 8\)/);
    assert.throws(() => parseIdx(Buffer.from([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3]), 'd'), /d: truncated: dimensions 2×2 of ubyte need 16 bytes, file has 15/);
    assert.throws(() => parseIdx(Buffer.from([0, 0, 8, 1, 0, 0, 0, 1, 1, 2]), 'l'), /l: 1 unexpected bytes after the 1 ubyte data/);
  });
});

describe('readIdxFile', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idx-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads raw and gzip files alike, telling them apart by content not name', async () => {
    const bytes = encodeIdx({ type: 'ubyte', dims: [2, 2], data: Uint8Array.of(9, 8, 7, 6) });
    fs.writeFileSync(path.join(dir, 'raw.gz'), bytes);
    fs.writeFileSync(path.join(dir, 'zipped'), zlib.gzipSync(bytes));
    assert.deepEqual(await readIdxFile(path.join(dir, 'raw.gz')), await readIdxFile(path.join(dir, 'zipped')));
    assert.deepEqual([...(await readIdxFile(path.join(dir, 'zipped'))).data], [9, 8, 7, 6]);
  });

  it('reports missing files and truncated gzip with the file name', async () => {
    await assert.rejects(readIdxFile(path.join(dir, 'nope')), /nope: no such file/);
    const gz = zlib.gzipSync(encodeIdx({ type: 'ubyte', dims: [1000], data: new Uint8Array(1000).map((_, i) => i * 7) }));
    fs.writeFileSync(path.join(dir, 'cut.gz'), gz.subarray(0, gz.length - 20));
    await assert.rejects(readIdxFile(path.join(dir, 'cut.gz')), /cut\.gz: corrupt or truncated gzip data/);
  });
});
