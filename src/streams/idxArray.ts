import { promises as fsp } from 'node:fs';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';

const gunzip = promisify(zlib.gunzip);

/**
 * Element types of the IDX format, by their type byte.
 *
 * @example
 * ```ts
 * IDX_TYPES[0x08]; // { name: 'ubyte', size: 1 }
 * ```
 */
export const IDX_TYPES = {
  0x08: { name: 'ubyte', size: 1 },
  0x09: { name: 'sbyte', size: 1 },
  0x0b: { name: 'short', size: 2 },
  0x0c: { name: 'int', size: 4 },
  0x0d: { name: 'float', size: 4 },
  0x0e: { name: 'double', size: 8 },
} as const;

/**
 * Name of an IDX element type.
 *
 * @example
 * ```ts
 * const t: IdxType = 'ubyte';
 * ```
 */
export type IdxType = (typeof IDX_TYPES)[keyof typeof IDX_TYPES]['name'];

/**
 * An n-dimensional array read from an IDX file (the format of MNIST and Fashion-MNIST):
 * dimensions outermost first, elements row-major, converted from big-endian to native
 * typed arrays.
 *
 * @example
 * ```ts
 * const a = await readIdxFile('train-images-idx3-ubyte.gz');
 * a.type;  // 'ubyte'
 * a.dims;  // [60000, 28, 28]
 * ```
 */
export interface IdxArray {
  readonly type: IdxType;
  readonly dims: readonly number[];
  readonly data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

/**
 * Parses the bytes of an (uncompressed) IDX file: magic `00 00 <type> <ndims>`, `ndims`
 * big-endian uint32 sizes, then exactly prod(sizes) elements. `name` (usually the file path)
 * appears in the errors: wrong magic, unknown type, truncated or over-long data.
 *
 * @example
 * ```ts
 * parseIdx(Buffer.from([0, 0, 8, 1, 0, 0, 0, 2, 7, 9]), 'labels').data; // Uint8Array [7, 9]
 * ```
 */
export function parseIdx(buf: Uint8Array, name: string): IdxArray {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 4 || b[0] !== 0 || b[1] !== 0) {
    const got = b.subarray(0, 4).toString('hex').replace(/(..)(?!$)/g, '$1 ');
    throw new Error(`${name}: not an IDX file (expected magic bytes 00 00 <type> <ndims>, found ${got || 'an empty file'})`);
  }
  const type = IDX_TYPES[b[2] as keyof typeof IDX_TYPES];
  if (type === undefined) {
    throw new Error(`${name}: unknown IDX element type 0x${b[2].toString(16).padStart(2, '0')} (expected 0x08, 0x09, 0x0b, 0x0c, 0x0d or 0x0e)`);
  }
  const ndims = b[3];
  if (ndims === 0) throw new Error(`${name}: IDX header declares 0 dimensions`);
  const headerLen = 4 + 4 * ndims;
  if (b.length < headerLen) throw new Error(`${name}: truncated IDX header (expected ${headerLen} bytes for ${ndims} dimensions, file has ${b.length})`);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(b.readUInt32BE(4 + 4 * i));
  const count = dims.reduce((a, d) => a * d, 1);
  const expected = headerLen + count * type.size;
  if (b.length < expected) {
    throw new Error(
      `${name}: truncated: dimensions ${dims.join('×')} of ${type.name} need ${expected} bytes, file has ${b.length}`,
    );
  }
  if (b.length > expected) {
    throw new Error(`${name}: ${b.length - expected} unexpected bytes after the ${dims.join('×')} ${type.name} data`);
  }
  const body = b.subarray(headerLen, expected);
  let data: IdxArray['data'];
  switch (type.name) {
    case 'ubyte':
      data = new Uint8Array(body);
      break;
    case 'sbyte':
      data = new Int8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
      break;
    case 'short':
      data = Int16Array.from({ length: count }, (_, i) => body.readInt16BE(2 * i));
      break;
    case 'int':
      data = Int32Array.from({ length: count }, (_, i) => body.readInt32BE(4 * i));
      break;
    case 'float':
      data = Float32Array.from({ length: count }, (_, i) => body.readFloatBE(4 * i));
      break;
    case 'double':
      data = Float64Array.from({ length: count }, (_, i) => body.readDoubleBE(8 * i));
      break;
  }
  return { type: type.name, dims, data };
}

/**
 * Reads an IDX file, gzip-compressed or raw (told apart by the gzip magic bytes, not the
 * file name). Errors name the file and what was wrong.
 *
 * @example
 * ```ts
 * const labels = await readIdxFile('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz');
 * labels.dims; // [10000]
 * ```
 */
export async function readIdxFile(file: string): Promise<IdxArray> {
  let raw: Buffer;
  try {
    raw = await fsp.readFile(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(e.code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read: ${e.message}`);
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      raw = await gunzip(raw);
    } catch (err) {
      throw new Error(`${file}: corrupt or truncated gzip data: ${(err as Error).message}`);
    }
  }
  return parseIdx(raw, file);
}

/**
 * Encodes an IDX file (uncompressed): the inverse of {@link parseIdx}, for tests and for
 * exporting datasets to tools that read MNIST-style files.
 *
 * @example
 * ```ts
 * fs.writeFileSync('labels-idx1-ubyte', encodeIdx({ type: 'ubyte', dims: [2], data: Uint8Array.of(3, 4) }));
 * ```
 */
export function encodeIdx(a: IdxArray): Buffer {
  const entry = Object.entries(IDX_TYPES).find(([, t]) => t.name === a.type);
  if (entry === undefined) throw new Error(`unknown IDX type ${a.type}`);
  const [code, { size }] = entry;
  const count = a.dims.reduce((x, d) => x * d, 1);
  if (a.data.length !== count) throw new Error(`IDX data has ${a.data.length} elements, dimensions ${a.dims.join('×')} need ${count}`);
  const out = Buffer.alloc(4 + 4 * a.dims.length + count * size);
  out[2] = Number(code);
  out[3] = a.dims.length;
  a.dims.forEach((d, i) => out.writeUInt32BE(d, 4 + 4 * i));
  const off = 4 + 4 * a.dims.length;
  for (let i = 0; i < count; i++) {
    const v = a.data[i];
    switch (a.type) {
      case 'ubyte': out.writeUInt8(v, off + i); break;
      case 'sbyte': out.writeInt8(v, off + i); break;
      case 'short': out.writeInt16BE(v, off + 2 * i); break;
      case 'int': out.writeInt32BE(v, off + 4 * i); break;
      case 'float': out.writeFloatBE(v, off + 4 * i); break;
      case 'double': out.writeDoubleBE(v, off + 8 * i); break;
    }
  }
  return out;
}
