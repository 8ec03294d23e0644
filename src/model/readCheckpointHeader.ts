import * as fs from 'node:fs';
import { CHECKPOINT_PREFIX_BYTES, checkpointHeaderEnd, CorruptCheckpointError, decodeCheckpointHeader, type CheckpointHeader } from './Checkpoint';

/** Bytes of SHA-256 after the tensors: a file shorter than its header and digest is cut short. */
const DIGEST_BYTES = 32;

async function readExactly(fh: fs.promises.FileHandle, length: number, position: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let at = 0;
  // read(2) may return fewer bytes than asked short of the end (a network file system).
  while (at < length) {
    const { bytesRead } = await fh.read(buf, at, length - at, position + at);
    if (bytesRead === 0) break;
    at += bytesRead;
  }
  return buf.subarray(0, at);
}

/**
 * The header of the checkpoint file `file` (step, cursor, run identity, inference info…) without
 * its tensors: it reads the first bytes up to the end of the header only, so that a decision
 * taken before a resume (which data to open) costs kilobytes, not the 470 MB of an AlexNet
 * checkpoint. Unverified: the file's digest covers the tensors too, so the resume itself still
 * reads and verifies the whole file ({@link decodeCheckpoint}).
 *
 * @throws CorruptCheckpointError when the file is not a checkpoint, or too short for its header
 *   (and digest), or its header is unreadable; the file system's errors (ENOENT…) as they are.
 * @example
 * ```ts
 * const h = await readCheckpointHeader('runs/x/checkpoints/best.rxckpt');
 * console.log(`step ${h.step}, epoch ${h.epoch}`, h.identity.data);
 * ```
 */
export async function readCheckpointHeader(file: string): Promise<CheckpointHeader> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const prefix = await readExactly(fh, CHECKPOINT_PREFIX_BYTES, 0);
    const end = checkpointHeaderEnd(prefix);
    // A garbled length must not allocate gigabytes: a header longer than the file is a cut file.
    const { size } = await fh.stat();
    if (end + DIGEST_BYTES > size) throw new CorruptCheckpointError(`truncated: its header alone needs ${end + DIGEST_BYTES} bytes with the digest, the file has ${size}`);
    const rest = await readExactly(fh, end - CHECKPOINT_PREFIX_BYTES, CHECKPOINT_PREFIX_BYTES);
    return decodeCheckpointHeader(Buffer.concat([prefix, rest]));
  } finally {
    await fh.close();
  }
}
