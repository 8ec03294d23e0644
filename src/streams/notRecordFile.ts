import { promises as fsp } from 'node:fs';
import { RECORD_FILE_MAGIC } from './RecordFile';

// Formats a record file is mistaken for, by their first bytes: what a user gives by accident.
const KINDS: ReadonlyArray<readonly [kind: string, test: (b: Buffer) => boolean]> = [
  ['a JPEG image', (b) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff],
  ['a PNG image', (b) => b.length >= 4 && b.readUInt32BE(0) === 0x89504e47],
  ['a GIF image', (b) => b.toString('latin1', 0, 4) === 'GIF8'],
  ['a WebP image', (b) => b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP'],
  ['a gzip file (an IDX download? rxtrain import-idx converts it)', (b) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b],
  ['an IDX file (rxtrain import-idx converts it)', (b) => b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] >= 0x08 && b[2] <= 0x0e && b[3] >= 1 && b[3] <= 4],
  ['a CSV or text file', (b) => b.length > 0 && b.every((c) => c === 0x09 || c === 0x0a || c === 0x0d || (c >= 0x20 && c !== 0x7f))],
];

/**
 * What `file` is when it is not a rxtrain record file (it does not start with
 * {@link RECORD_FILE_MAGIC}), said for a message about data given in the wrong form: `an empty
 * file`, `a JPEG image`, `a CSV or text file`, …, or `a file of another kind`. Undefined for a
 * record file, and for a file that cannot be read (opening it says why).
 *
 * @example
 * ```ts
 * await notRecordFile('photos/cat.jpg');    // 'a JPEG image'
 * await notRecordFile('data/pre/train.rec'); // undefined
 * ```
 */
export async function notRecordFile(file: string): Promise<string | undefined> {
  let head: Buffer;
  try {
    const fh = await fsp.open(file, 'r');
    try {
      const buf = Buffer.alloc(64);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      head = buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
  if (head.length >= RECORD_FILE_MAGIC.length && head.subarray(0, RECORD_FILE_MAGIC.length).equals(RECORD_FILE_MAGIC)) return undefined;
  if (head.length === 0) return 'an empty file';
  return KINDS.find(([, test]) => test(head))?.[0] ?? 'a file of another kind';
}
