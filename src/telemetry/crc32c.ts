/**
 * CRC-32C (Castagnoli), the checksum TFRecord framing uses. Table-driven; TensorBoard event
 * files are small enough that a slicing-by-8 variant would not pay for its complexity.
 */
const POLY = 0x82f63b78;

const TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * CRC-32C of `data`, as an unsigned 32-bit integer.
 *
 * @example
 * ```ts
 * crc32c(Buffer.from('123456789')); // 0xe3069283
 * ```
 */
export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The "masked" CRC-32C TFRecord stores: rotated and offset so that a CRC computed over data
 * that itself embeds CRCs does not degenerate.
 *
 * @example
 * ```ts
 * const m = maskedCrc32c(Buffer.from('abc'));
 * ```
 */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}
