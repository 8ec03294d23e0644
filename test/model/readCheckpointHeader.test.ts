import assert from 'node:assert/strict';
import * as fs from 'node:fs';
// The module object itself (the namespace import is a read-only view), to spy on file handles.
import nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CorruptCheckpointError, decodeCheckpoint, decodeCheckpointHeader, encodeCheckpoint } from '../../src/model/Checkpoint';
import { readCheckpointHeader } from '../../src/model/readCheckpointHeader';
import { sampleCheckpoint } from './fixtures/sampleCheckpoint';

/** What a decoded checkpoint holds besides its tensors: what its header must read back as. */
function withoutTensors(bytes: Buffer): Record<string, unknown> {
  const { trainer: _trainer, ema: _ema, ...rest } = decodeCheckpoint(bytes);
  return rest;
}

describe('readCheckpointHeader', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-header-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('reads a checkpoint\'s header (identity, cursor, classes) as decodeCheckpoint reads it, without its tensors', async () => {
    const ck = sampleCheckpoint();
    const ema = { updates: 3, weights: ck.trainer.weights };
    const bytes = encodeCheckpoint({ ...ck, ema, inference: { classes: ['cat', 'dog'], mean: [1, 2, 3] } });
    const file = path.join(tmp, 'a.rxckpt');
    fs.writeFileSync(file, bytes);
    const header = await readCheckpointHeader(file);
    assert.deepEqual(header, withoutTensors(bytes));
    assert.deepEqual(decodeCheckpointHeader(bytes), header, 'the whole file decodes to the same header');
    assert.ok(!('trainer' in header) && !('tensors' in header) && !('emaUpdates' in header));
  });

  it('reads only the bytes up to the end of the header, however large the tensors', async () => {
    const ck = sampleCheckpoint();
    const big = new Float32Array(1 << 20); // 4 MB of weights
    const bytes = encodeCheckpoint({ ...ck, trainer: { ...ck.trainer, weights: [...ck.trainer.weights, { name: 'big', shape: [big.length], data: big }] } });
    const file = path.join(tmp, 'big.rxckpt');
    fs.writeFileSync(file, bytes);
    const headerEnd = 12 + bytes.readUInt32LE(8);
    let read = 0;
    let furthest = 0;
    const open = nodeFs.promises.open;
    nodeFs.promises.open = (async (...a: Parameters<typeof open>) => {
      const fh = await open(...a);
      const fhRead = fh.read.bind(fh) as (buf: Buffer, off: number, len: number, pos: number) => Promise<{ bytesRead: number; buffer: Buffer }>;
      (fh as unknown as { read: typeof fhRead }).read = async (buf, off, len, pos) => {
        const r = await fhRead(buf, off, len, pos);
        read += r.bytesRead;
        furthest = Math.max(furthest, pos + r.bytesRead);
        return r;
      };
      return fh;
    }) as typeof open;
    try {
      assert.equal((await readCheckpointHeader(file)).step, ck.step);
    } finally {
      nodeFs.promises.open = open;
    }
    assert.equal(read, headerEnd, `read ${read} bytes of ${bytes.length}`);
    assert.equal(furthest, headerEnd);
  });

  it('yields the header of a file whose tensors are damaged or cut short, which decodeCheckpoint refuses', async () => {
    const bytes = encodeCheckpoint(sampleCheckpoint());
    const headerEnd = 12 + bytes.readUInt32LE(8);
    const garbled = Buffer.from(bytes);
    garbled.fill(0xab, headerEnd);
    const cut = bytes.subarray(0, headerEnd + 32 + 4);
    for (const [name, damaged] of [['garbled', garbled], ['cut', cut]] as const) {
      const file = path.join(tmp, `${name}.rxckpt`);
      fs.writeFileSync(file, damaged);
      assert.throws(() => decodeCheckpoint(damaged), CorruptCheckpointError, name);
      assert.deepEqual(await readCheckpointHeader(file), withoutTensors(bytes), name);
    }
  });

  it('refuses a file that is no checkpoint, or whose header is cut short or unreadable, with CorruptCheckpointError', async () => {
    const bytes = encodeCheckpoint(sampleCheckpoint());
    const headerEnd = 12 + bytes.readUInt32LE(8);
    const withHeader = (json: string): Buffer => {
      const len = Buffer.alloc(4);
      len.writeUInt32LE(Buffer.byteLength(json), 0);
      return Buffer.concat([bytes.subarray(0, 8), len, Buffer.from(json), Buffer.alloc(32)]);
    };
    const hugeLength = Buffer.from(bytes);
    hugeLength.writeUInt32LE(0xfffffff0, 8);
    const cases: [string, Buffer, RegExp][] = [
      ['empty', Buffer.alloc(0), /not an rxtrain checkpoint or truncated \(0 bytes\)/],
      ['a config file', Buffer.from(JSON.stringify({ data: { train: 'x' } })), /not an rxtrain checkpoint or truncated \(no checkpoint magic at its start\)/],
      ['the magic alone', bytes.subarray(0, 10), /not an rxtrain checkpoint or truncated \(10 bytes\)/],
      ['cut inside the header', bytes.subarray(0, headerEnd - 5), /truncated: its header alone needs \d+ bytes with the digest, the file has \d+/],
      ['a garbled header length', hugeLength, /truncated: its header alone needs 4294967324 bytes/],
      ['a header that is not JSON', withHeader('{"step": 1,'), /unreadable header: /],
      ['a header without an identity', withHeader(JSON.stringify({ step: 1, tensors: { weights: [], optimizer: [] } })), /unreadable header: no run identity or tensor list/],
      ['a header that is a number', withHeader('5'), /unreadable header: no run identity or tensor list/],
    ];
    for (const [name, content, message] of cases) {
      const file = path.join(tmp, 'x.rxckpt');
      fs.writeFileSync(file, content);
      await assert.rejects(readCheckpointHeader(file), (e: unknown) => e instanceof CorruptCheckpointError && message.test(e.message), name);
    }
    await assert.rejects(readCheckpointHeader(path.join(tmp, 'missing.rxckpt')), { code: 'ENOENT' });
  });
});
