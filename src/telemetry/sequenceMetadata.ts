import * as grpc from '@grpc/grpc-js';

/**
 * Trailing metadata holding one sequence number under `key`, as a decimal string (ASCII
 * metadata, so every gRPC implementation reads it without base64).
 *
 * @example
 * ```ts
 * call.emit('error', { code: grpc.status.OUT_OF_RANGE, details: 'evicted', metadata: sequenceMetadata('rxtrain-oldest-sequence', 8) });
 * ```
 */
export function sequenceMetadata(key: string, sequence: number): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set(key, String(sequence));
  return md;
}

/**
 * The sequence number trailing metadata holds under `key`, or undefined when it is absent,
 * not a plain decimal, unsafe, or below `min` (a server of an earlier version sends none).
 *
 * @example
 * ```ts
 * sequenceFromMetadata(status.metadata, 'rxtrain-oldest-sequence', 1); // 8, or undefined
 * ```
 */
export function sequenceFromMetadata(metadata: grpc.Metadata | undefined, key: string, min: number): number | undefined {
  const v = metadata?.get(key)[0];
  if (typeof v !== 'string' || !/^\d+$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= min ? n : undefined;
}
