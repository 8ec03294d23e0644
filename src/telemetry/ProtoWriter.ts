/**
 * A minimal protocol-buffers encoder: just the wire types TensorBoard's Event, Summary and
 * GraphDef need. Written by hand so the TensorBoard writer needs no .proto files, code
 * generation or protobuf runtime.
 *
 * @example
 * ```ts
 * const bytes = new ProtoWriter().double(1, Date.now() / 1000).int64(2, 7).finish();
 * ```
 */
export class ProtoWriter {
  private readonly chunks: Buffer[] = [];

  /** Writes a varint-encoded integer field (int32, int64, uint64, enum); negatives as 64-bit two's complement. */
  int64(field: number, value: number | bigint): this {
    this.key(field, 0);
    this.chunks.push(varint(value));
    return this;
  }

  /** Writes a bool field. */
  bool(field: number, value: boolean): this {
    return this.int64(field, value ? 1 : 0);
  }

  /** Writes a double field (wire type 1, 8 bytes little-endian). */
  double(field: number, value: number): this {
    this.key(field, 1);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value, 0);
    this.chunks.push(b);
    return this;
  }

  /** Writes a float field (wire type 5, 4 bytes little-endian). */
  float(field: number, value: number): this {
    this.key(field, 5);
    const b = Buffer.alloc(4);
    b.writeFloatLE(value, 0);
    this.chunks.push(b);
    return this;
  }

  /** Writes a string field, UTF-8 encoded. */
  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  /** Writes a bytes field, or an already-encoded embedded message. */
  bytes(field: number, value: Uint8Array): this {
    this.key(field, 2);
    this.chunks.push(varint(value.length), Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    return this;
  }

  /** Writes an embedded message field. */
  message(field: number, value: ProtoWriter): this {
    return this.bytes(field, value.finish());
  }

  /** Writes a packed repeated varint field (proto3's default encoding for repeated scalars). */
  packedInt64(field: number, values: readonly (number | bigint)[]): this {
    return this.bytes(field, Buffer.concat(values.map(varint)));
  }

  /** Writes a packed repeated float field. */
  packedFloat(field: number, values: readonly number[]): this {
    const b = Buffer.alloc(4 * values.length);
    values.forEach((v, i) => b.writeFloatLE(v, 4 * i));
    return this.bytes(field, b);
  }

  /** The encoded message. */
  finish(): Buffer {
    return Buffer.concat(this.chunks);
  }

  private key(field: number, wireType: number): void {
    if (!Number.isInteger(field) || field < 1) throw new RangeError(`protobuf field number must be a positive integer, got ${field}`);
    this.chunks.push(varint(field * 8 + wireType));
  }
}

function varint(value: number | bigint): Buffer {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new RangeError(`protobuf integer must be a safe integer, got ${value}`);
  }
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Buffer.from(bytes);
}
