import assert from 'node:assert/strict';
import { crc32c, maskedCrc32c } from '../../src/telemetry/crc32c';
import { tfRecord } from '../../src/telemetry/tfRecord';
import { readRecords } from './tfEventReader';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

describe('crc32c', () => {
  it('matches the published CRC-32C check values', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa);
    assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
    assert.equal(crc32c(Buffer.alloc(0)), 0);
  });

  it('masks as TFRecord does: rotate right by 15, add 0xa282ead8', () => {
    const c = crc32c(Buffer.from('abc'));
    assert.equal(maskedCrc32c(Buffer.from('abc')), ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) % 2 ** 32);
    assert.notEqual(maskedCrc32c(Buffer.from('abc')), c);
  });
});

describe('tfRecord', () => {
  it('frames records that an independent reader accepts, and that it rejects once corrupted', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfrecord-'));
    const file = path.join(dir, 'r');
    const payloads = [Buffer.from('hello'), Buffer.alloc(0), Buffer.alloc(1000, 7)];
    fs.writeFileSync(file, Buffer.concat(payloads.map((p) => tfRecord(p))));
    assert.deepEqual(readRecords(file), payloads);
    const bytes = fs.readFileSync(file);
    bytes[14] ^= 1; // inside the first record's data
    fs.writeFileSync(file, bytes);
    assert.throws(() => readRecords(file), /bad data CRC at 0/);
    fs.rmSync(dir, { recursive: true });
  });
});
