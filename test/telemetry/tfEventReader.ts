/**
 * An independent reader of TensorBoard event files for the tests: its own bitwise CRC-32C
 * and its own protobuf decoder, so the writer is not checked against itself.
 */
import * as fs from 'node:fs';

function crc32cBitwise(data: Uint8Array): number {
  let crc = ~0 >>> 0;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

function masked(data: Uint8Array): number {
  const c = crc32cBitwise(data);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}

export type Field = { wire: 0; v: bigint } | { wire: 1; v: Buffer } | { wire: 2; v: Buffer } | { wire: 5; v: Buffer };

/** Decodes one protobuf message into field number → occurrences. */
export function decodeProto(buf: Buffer): Map<number, Field[]> {
  const out = new Map<number, Field[]>();
  let i = 0;
  const varint = (): bigint => {
    let shift = 0n;
    let v = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) return v;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    let f: Field;
    if (wire === 0) f = { wire, v: varint() };
    else if (wire === 1) {
      f = { wire, v: buf.subarray(i, i + 8) };
      i += 8;
    } else if (wire === 5) {
      f = { wire, v: buf.subarray(i, i + 4) };
      i += 4;
    } else if (wire === 2) {
      const n = Number(varint());
      f = { wire, v: buf.subarray(i, i + n) };
      i += n;
    } else throw new Error(`unsupported wire type ${wire}`);
    if (i > buf.length) throw new Error('truncated field');
    const list = out.get(field) ?? [];
    list.push(f);
    out.set(field, list);
  }
  return out;
}

export function bytesOf(m: Map<number, Field[]>, field: number): Buffer[] {
  return (m.get(field) ?? []).map((f) => {
    if (f.wire !== 2) throw new Error(`field ${field} is not length-delimited`);
    return f.v;
  });
}

export interface ReadEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  graphDef?: Buffer;
  scalars: { tag: string; value: number }[];
  texts: { tag: string; text: string; plugin: string; dtype: number }[];
}

/** Reads every record of an event file, checking both CRCs of each. */
export function readRecords(file: string): Buffer[] {
  const buf = fs.readFileSync(file);
  const out: Buffer[] = [];
  let off = 0;
  while (off < buf.length) {
    if (off + 12 > buf.length) throw new Error(`truncated header at ${off}`);
    const lenBytes = buf.subarray(off, off + 8);
    const len = Number(buf.readBigUInt64LE(off));
    if (buf.readUInt32LE(off + 8) !== masked(lenBytes)) throw new Error(`bad length CRC at ${off}`);
    const data = buf.subarray(off + 12, off + 12 + len);
    if (data.length !== len || off + 16 + len > buf.length) throw new Error(`truncated record at ${off}`);
    if (buf.readUInt32LE(off + 12 + len) !== masked(data)) throw new Error(`bad data CRC at ${off}`);
    out.push(data);
    off += 16 + len;
  }
  return out;
}

/** Reads and decodes the Events of an event file. */
export function readEvents(file: string): ReadEvent[] {
  return readRecords(file).map((rec) => {
    const m = decodeProto(rec);
    const wt = m.get(1)?.[0];
    const st = m.get(2)?.[0];
    const e: ReadEvent = {
      wallTime: wt !== undefined && wt.wire === 1 ? wt.v.readDoubleLE(0) : NaN,
      step: st !== undefined && st.wire === 0 ? Number(BigInt.asIntN(64, st.v)) : 0,
      scalars: [],
      texts: [],
    };
    const fv = bytesOf(m, 3)[0];
    if (fv !== undefined) e.fileVersion = fv.toString('utf8');
    const gd = bytesOf(m, 4)[0];
    if (gd !== undefined) e.graphDef = gd;
    for (const summary of bytesOf(m, 5)) {
      for (const value of bytesOf(decodeProto(summary), 1)) {
        const vm = decodeProto(value);
        const tag = bytesOf(vm, 1)[0].toString('utf8');
        const sv = vm.get(2)?.[0];
        const tensor = bytesOf(vm, 8)[0];
        if (sv !== undefined && sv.wire === 5) e.scalars.push({ tag, value: sv.v.readFloatLE(0) });
        else if (tensor !== undefined) {
          const t = decodeProto(tensor);
          const dtype = t.get(1)?.[0];
          const plugin = bytesOf(decodeProto(bytesOf(decodeProto(bytesOf(vm, 9)[0] ?? Buffer.alloc(0)), 1)[0] ?? Buffer.alloc(0)), 1)[0];
          e.texts.push({
            tag,
            text: bytesOf(t, 8).map(String).join(''),
            plugin: plugin?.toString('utf8') ?? '',
            dtype: dtype !== undefined && dtype.wire === 0 ? Number(dtype.v) : -1,
          });
        } else throw new Error(`summary value ${tag} has neither simple_value nor tensor`);
      }
    }
    return e;
  });
}
