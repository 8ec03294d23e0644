import { maskedCrc32c } from './crc32c';

/**
 * Frames one record the way TFRecord files (and so TensorBoard event files) store it:
 * uint64 little-endian length, masked CRC-32C of those 8 length bytes, the data, masked
 * CRC-32C of the data.
 *
 * @example
 * ```ts
 * fs.appendFileSync('events.out.tfevents.1.host', tfRecord(encodedEvent));
 * ```
 */
export function tfRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + 4 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}
