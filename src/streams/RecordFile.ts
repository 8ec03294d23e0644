import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { debuglog } from 'node:util';
import { crc32 } from 'node:zlib';

/*
 * Layout of a record file (all integers little-endian):
 *
 *   0   preamble, 64 bytes
 *         0  8  magic "RXTRREC\0"
 *         8  4  version (1)
 *        12  4  flags (reserved, 0)
 *        16  4  count
 *        20  4  width
 *        24  4  height
 *        28  4  channels
 *        32  4  numClasses
 *        36  4  reserved (0)
 *        40  8  recordsOffset (RECORDS_OFFSET)
 *        48  8  indexOffset
 *        56  4  indexLength
 *        60  4  CRC-32 of bytes 0..59
 *   RECORDS_OFFSET   count fixed-size records of width*height*channels uint8 (HWC)
 *   indexOffset      index: count uint32 labels, count uint32 record CRC-32s,
 *                    UTF-8 JSON metadata { names?, classes? }, uint32 CRC-32 of the index so far
 *
 * The index sits after the records so the writer can stream records without knowing how
 * many will survive decoding; the file size must equal indexOffset + indexLength exactly,
 * which is what catches truncation before a single pixel is returned.
 */

/**
 * The 8 bytes every record file starts with: enough to tell a record file from anything else
 * before reading its header.
 *
 * @example
 * ```ts
 * const head = Buffer.alloc(8);
 * const fd = fs.openSync(file, 'r');
 * fs.readSync(fd, head, 0, 8, 0);
 * fs.closeSync(fd);
 * if (head.equals(RECORD_FILE_MAGIC)) console.log(`${file} is an rxtrain record file`);
 * ```
 */
export const RECORD_FILE_MAGIC = Buffer.from('RXTRREC\0', 'latin1');
/**
 * The format version this code writes and reads; a file of another version is refused with a
 * clear error rather than misread.
 *
 * @example
 * ```ts
 * console.log(`rxtrain writes record files of format version ${RECORD_FILE_VERSION}`);
 * ```
 */
export const RECORD_FILE_VERSION = 1;
const PREAMBLE_BYTES = 64;
/** Records start on a page boundary so positioned reads stay page-aligned. */
const RECORDS_OFFSET = 4096;
/** Metadata over this size is refused as corrupt rather than allocated. */
const MAX_INDEX_BYTES = 1 << 30;

/**
 * What a record file holds, as read from (or written to) its header.
 *
 * @example
 * ```ts
 * const h: RecordFileHeader = { count: 10, width: 256, height: 256, channels: 3, numClasses: 2 };
 * ```
 */
export interface RecordFileHeader {
  readonly count: number;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  /** Labels are 0..numClasses-1. */
  readonly numClasses: number;
  /** Optional class names, index = label. */
  readonly classes?: readonly string[];
}

/**
 * A record file that cannot be used: wrong magic, unknown version, truncated, or a failed
 * checksum. The message names the file and what is wrong with it.
 *
 * @example
 * ```ts
 * try { await openRecordFile('x.rec'); } catch (e) { if (e instanceof RecordFileError) console.error(e.message); }
 * ```
 */
export class RecordFileError extends Error {
  override readonly name = 'RecordFileError';
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`record file ${file}: ${detail}`);
  }
}

/**
 * Options of {@link createRecordFileWriter}.
 *
 * @example
 * ```ts
 * const o: RecordFileWriterOptions = { width: 256, height: 256, channels: 3, numClasses: 257 };
 * ```
 */
export interface RecordFileWriterOptions {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly numClasses: number;
  /** Class names (index = label), stored in the metadata. */
  readonly classes?: readonly string[] | undefined;
}

/**
 * Streams records into a temporary file next to the target; {@link RecordFileWriter.finish}
 * writes the index and header, fsyncs and renames it into place, so a crash never leaves a
 * half-written file under the final name.
 *
 * @example
 * ```ts
 * const w = await createRecordFileWriter('train.rec', { width: 2, height: 2, channels: 3, numClasses: 1 });
 * await w.append(new Uint8Array(12), 0, 'a.jpg');
 * await w.finish();
 * ```
 */
export interface RecordFileWriter {
  /** Records appended so far. */
  readonly count: number;
  /**
   * Appends one record; pixels must be exactly width*height*channels bytes. Calls may overlap:
   * each takes its place in the file when called, so records keep call order whatever order
   * their writes complete in. The pixels must stay unchanged until the Promise settles. After
   * a failed write every later append rejects with that write's error.
   */
  append(pixels: Uint8Array, label: number, name?: string): Promise<void>;
  /**
   * Waits for the appends still writing, then writes index and header, fsyncs and renames into
   * place; returns the header. Rejects with the first failed write's error, leaving no file, if
   * any append's write failed (also one that settled before finish was called).
   */
  finish(): Promise<RecordFileHeader>;
  /** Discards the temporary file; the target is left untouched. */
  abort(): Promise<void>;
}

const debug = debuglog('rxtrain');

/**
 * A record's write that stopped short, said as the user can act on it: the caller names the
 * record file (its final name: the temporary one it is written under means nothing to the
 * user). The file system does not say which limit it hit: the disk, or a size limit
 * (`ulimit -f`, the file system's largest file) that a write past it meets the same way.
 */
const SHORT_WRITE = 'a record was written only in part (disk full, or a file size limit such as ulimit -f)';

function checkDim(what: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v <= 0 || v > max) throw new RangeError(`record file ${what} must be an integer in 1..${max}, got ${v}`);
}

/**
 * Creates a {@link RecordFileWriter} for `file`.
 *
 * @example
 * ```ts
 * const w = await createRecordFileWriter('out/train.rec', { width: 256, height: 256, channels: 3, numClasses: 20 });
 * ```
 */
export async function createRecordFileWriter(file: string, opts: RecordFileWriterOptions): Promise<RecordFileWriter> {
  checkDim('width', opts.width, 65535);
  checkDim('height', opts.height, 65535);
  if (opts.channels !== 1 && opts.channels !== 3 && opts.channels !== 4) {
    throw new RangeError(`record file channels must be 1, 3 or 4, got ${opts.channels}`);
  }
  checkDim('numClasses', opts.numClasses, 0x7fffffff);
  if (opts.classes !== undefined && opts.classes.length !== opts.numClasses) {
    throw new RangeError(`record file has ${opts.numClasses} classes but ${opts.classes.length} class names`);
  }
  const recordSize = opts.width * opts.height * opts.channels;
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fh = await fsp.open(tmp, 'w');
  const labels: number[] = [];
  const crcs: number[] = [];
  const names: (string | undefined)[] = [];
  const pending = new Set<Promise<unknown>>();
  let state: 'open' | 'finished' | 'aborted' = 'open';
  // The first write that failed: its record's slot holds no pixels, so the file must never be
  // finished. A failed write leaves `pending` when it settles; finish would not see it otherwise.
  let failure: { readonly error: unknown } | undefined;

  async function closeAndRemove(): Promise<void> {
    await Promise.allSettled([...pending]);
    await fh.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true });
  }

  return {
    get count() {
      return labels.length;
    },
    async append(pixels, label, name) {
      if (state !== 'open') throw new Error(`record file writer for ${file} is already ${state}`);
      if (failure !== undefined) throw failure.error;
      if (pixels.length !== recordSize) {
        throw new RangeError(`record has ${pixels.length} bytes, expected ${opts.width}x${opts.height}x${opts.channels} = ${recordSize}`);
      }
      if (!Number.isInteger(label) || label < 0 || label >= opts.numClasses) {
        throw new RangeError(`record label ${label} is outside 0..${opts.numClasses - 1}`);
      }
      // The slot is taken synchronously, so overlapping appends land in call order.
      const index = labels.length;
      labels.push(label);
      crcs.push(crc32(pixels));
      names.push(name);
      const p = fh.write(pixels, 0, recordSize, RECORDS_OFFSET + index * recordSize);
      pending.add(p);
      try {
        const { bytesWritten } = await p;
        if (bytesWritten !== recordSize) {
          debug('record file %s: short write to %s: %d of %d bytes of record %d', file, tmp, bytesWritten, recordSize, index);
          throw new Error(SHORT_WRITE);
        }
      } catch (error) {
        failure ??= { error };
        throw error;
      } finally {
        pending.delete(p);
      }
    },
    async finish() {
      if (state !== 'open') throw new Error(`record file writer for ${file} is already ${state}`);
      state = 'finished';
      try {
        // allSettled, not all: an index must not be written while any record's write is still running.
        await Promise.allSettled([...pending]);
        if (failure !== undefined) throw failure.error;
        const count = labels.length;
        const meta: { names?: (string | null)[]; classes?: readonly string[] } = {};
        if (names.some((n) => n !== undefined)) meta.names = names.map((n) => n ?? null);
        if (opts.classes !== undefined) meta.classes = opts.classes;
        const metaBytes = Buffer.from(JSON.stringify(meta), 'utf8');
        const index = Buffer.alloc(count * 8 + metaBytes.length + 4);
        for (let i = 0; i < count; i++) {
          index.writeUInt32LE(labels[i], i * 4);
          index.writeUInt32LE(crcs[i], (count + i) * 4);
        }
        metaBytes.copy(index, count * 8);
        index.writeUInt32LE(crc32(index.subarray(0, index.length - 4)), index.length - 4);
        const indexOffset = RECORDS_OFFSET + count * recordSize;
        await fh.write(index, 0, index.length, indexOffset);
        const pre = Buffer.alloc(PREAMBLE_BYTES);
        RECORD_FILE_MAGIC.copy(pre, 0);
        pre.writeUInt32LE(RECORD_FILE_VERSION, 8);
        pre.writeUInt32LE(count, 16);
        pre.writeUInt32LE(opts.width, 20);
        pre.writeUInt32LE(opts.height, 24);
        pre.writeUInt32LE(opts.channels, 28);
        pre.writeUInt32LE(opts.numClasses, 32);
        pre.writeBigUInt64LE(BigInt(RECORDS_OFFSET), 40);
        pre.writeBigUInt64LE(BigInt(indexOffset), 48);
        pre.writeUInt32LE(index.length, 56);
        pre.writeUInt32LE(crc32(pre.subarray(0, 60)), 60);
        await fh.write(pre, 0, PREAMBLE_BYTES, 0);
        await fh.sync();
        await fh.close();
        await fsp.rename(tmp, file);
        // The rename is only durable once the directory entry is on disk.
        const dir = await fsp.open(path.dirname(file), 'r').catch(() => undefined);
        if (dir !== undefined) await dir.sync().catch(() => undefined).finally(() => dir.close());
        return { count, width: opts.width, height: opts.height, channels: opts.channels, numClasses: opts.numClasses, ...(opts.classes ? { classes: opts.classes } : {}) };
      } catch (err) {
        await closeAndRemove();
        throw err;
      }
    },
    async abort() {
      if (state !== 'open') return;
      state = 'aborted';
      await closeAndRemove();
    },
  };
}

/**
 * Random access to the records of a file written by {@link createRecordFileWriter}.
 *
 * @example
 * ```ts
 * const r = await openRecordFile('out/train.rec');
 * const pixels = await r.read(0); // width*height*channels bytes, HWC
 * await r.close();
 * ```
 */
export interface RecordFileReader {
  readonly file: string;
  readonly header: RecordFileHeader;
  /** Bytes per record (width*height*channels). */
  readonly recordSize: number;
  label(index: number): number;
  /** The name stored with record `index` (e.g. its generated file name), if any. */
  name(index: number): string | undefined;
  /**
   * Reads record `index` (into `into` when given) and checks its CRC-32.
   * Throws {@link RecordFileError} on a checksum mismatch or a short read.
   */
  read(index: number, into?: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * Options of {@link openRecordFile}.
 *
 * @example
 * ```ts
 * const o: OpenRecordFileOptions = { verify: 'always' };
 * ```
 */
export interface OpenRecordFileOptions {
  /**
   * When to check a record's CRC-32 (~35–100 µs per 256² record): `'once'` (default) the first
   * time each record is read through this reader, so a corrupt record is caught in the first
   * epoch and later epochs pay nothing; `'always'` on every read; `'never'`.
   */
  readonly verify?: 'once' | 'always' | 'never' | undefined;
}

async function readExactly(fh: fsp.FileHandle, buf: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/**
 * Opens a record file and validates header, size and index before returning, so a
 * truncated or foreign file fails here with a {@link RecordFileError}, never as garbage pixels.
 *
 * @example
 * ```ts
 * const r = await openRecordFile('out/train.rec');
 * console.log(r.header.count, r.header.width, r.label(0));
 * ```
 */
export async function openRecordFile(file: string, opts: OpenRecordFileOptions = {}): Promise<RecordFileReader> {
  const verify = opts.verify ?? 'once';
  if (verify !== 'once' && verify !== 'always' && verify !== 'never') throw new RangeError(`verify must be 'once', 'always' or 'never', got ${String(verify)}`);
  const fh = await fsp.open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const bad = (detail: string): RecordFileError => new RecordFileError(file, detail);
    const pre = Buffer.alloc(PREAMBLE_BYTES);
    const got = await readExactly(fh, pre, 0);
    if (got < RECORD_FILE_MAGIC.length || !pre.subarray(0, 8).equals(RECORD_FILE_MAGIC)) {
      throw bad('not a record file (bad magic; expected one written by `rxtrain preprocess --records`)');
    }
    if (got < PREAMBLE_BYTES) throw bad(`truncated: header needs ${PREAMBLE_BYTES} bytes, file has ${size}`);
    if (pre.readUInt32LE(60) !== crc32(pre.subarray(0, 60))) throw bad('header checksum mismatch (file is corrupt)');
    const version = pre.readUInt32LE(8);
    if (version !== RECORD_FILE_VERSION) throw bad(`format version ${version} is not supported (this rxtrain reads version ${RECORD_FILE_VERSION})`);
    const count = pre.readUInt32LE(16);
    const width = pre.readUInt32LE(20);
    const height = pre.readUInt32LE(24);
    const channels = pre.readUInt32LE(28);
    const numClasses = pre.readUInt32LE(32);
    const recordsOffset = Number(pre.readBigUInt64LE(40));
    const indexOffset = Number(pre.readBigUInt64LE(48));
    const indexLength = pre.readUInt32LE(56);
    const recordSize = width * height * channels;
    if (width === 0 || height === 0 || ![1, 3, 4].includes(channels) || numClasses === 0) {
      throw bad(`header has an impossible shape ${width}x${height}x${channels} with ${numClasses} classes`);
    }
    if (recordsOffset !== RECORDS_OFFSET || indexOffset !== recordsOffset + count * recordSize) {
      throw bad('header offsets do not match its record count (file is corrupt)');
    }
    if (indexLength < count * 8 + 4 || indexLength > MAX_INDEX_BYTES) {
      throw bad('header index length is impossible (file is corrupt)');
    }
    const expected = indexOffset + indexLength;
    if (size < expected) throw bad(`truncated: ${size} bytes, the header promises ${expected} (${count} records of ${recordSize} bytes)`);
    if (size > expected) throw bad(`has ${size - expected} unexpected trailing bytes after its index (file is corrupt)`);
    const index = Buffer.alloc(indexLength);
    if ((await readExactly(fh, index, indexOffset)) !== indexLength) throw bad('truncated while reading the index');
    if (index.readUInt32LE(indexLength - 4) !== crc32(index.subarray(0, indexLength - 4))) throw bad('index checksum mismatch (file is corrupt)');
    const labels = new Uint32Array(count);
    const crcs = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      labels[i] = index.readUInt32LE(i * 4);
      crcs[i] = index.readUInt32LE((count + i) * 4);
      if (labels[i] >= numClasses) throw bad(`record ${i} has label ${labels[i]}, outside 0..${numClasses - 1}`);
    }
    let meta: { names?: (string | null)[]; classes?: string[] };
    try {
      meta = JSON.parse(index.subarray(count * 8, indexLength - 4).toString('utf8')) as typeof meta;
    } catch {
      throw bad('metadata is not valid JSON (file is corrupt)');
    }
    const names = Array.isArray(meta.names) && meta.names.length === count ? meta.names : undefined;
    const classes = Array.isArray(meta.classes) && meta.classes.length === numClasses ? meta.classes : undefined;
    const header: RecordFileHeader = { count, width, height, channels, numClasses, ...(classes ? { classes } : {}) };
    let closed = false;
    const verified = new Uint8Array(verify === 'once' ? count : 0);
    const checkIndex = (i: number): void => {
      if (!Number.isInteger(i) || i < 0 || i >= count) throw new RangeError(`record index ${i} is outside 0..${count - 1}`);
    };
    return {
      file,
      header,
      recordSize,
      label(i) {
        checkIndex(i);
        return labels[i];
      },
      name(i) {
        checkIndex(i);
        return names?.[i] ?? undefined;
      },
      async read(i, into) {
        checkIndex(i);
        if (closed) throw new Error(`record file ${file} is closed`);
        if (into !== undefined && into.length !== recordSize) throw new RangeError(`buffer has ${into.length} bytes, a record has ${recordSize}`);
        const buf = into ?? new Uint8Array(recordSize);
        const n = await readExactly(fh, buf, recordsOffset + i * recordSize);
        if (n !== recordSize) throw bad(`record ${i} is short (${n} of ${recordSize} bytes); the file changed after it was opened`);
        if (verify === 'always' || (verify === 'once' && verified[i] === 0)) {
          if (crc32(buf) !== crcs[i]) throw bad(`record ${i} failed its checksum (file is corrupt)`);
          if (verify === 'once') verified[i] = 1;
        }
        return buf;
      },
      async close() {
        if (closed) return;
        closed = true;
        await fh.close();
      },
    };
  } catch (err) {
    await fh.close();
    throw err;
  }
}
