import type * as grpc from '@grpc/grpc-js';
import { sequenceFromMetadata, sequenceMetadata } from './sequenceMetadata';

/**
 * The trailing-metadata key of the `OUT_OF_RANGE` a Subscribe ends with when its
 * `from_sequence` was evicted from the replay buffer: the oldest sequence the server still
 * holds, as a decimal string. Clients in any language read it instead of the message text.
 *
 * @example
 * ```ts
 * call.on('status', (st) => console.log(st.metadata.get(OLDEST_SEQUENCE_METADATA_KEY))); // ['8']
 * ```
 */
export const OLDEST_SEQUENCE_METADATA_KEY = 'rxtrain-oldest-sequence';

/**
 * Trailing metadata that says the oldest sequence still held (see
 * {@link OLDEST_SEQUENCE_METADATA_KEY}).
 *
 * @example
 * ```ts
 * call.emit('error', { code: grpc.status.OUT_OF_RANGE, details: 'evicted', metadata: oldestSequenceMetadata(8) });
 * ```
 */
export function oldestSequenceMetadata(oldest: number): grpc.Metadata {
  return sequenceMetadata(OLDEST_SEQUENCE_METADATA_KEY, oldest);
}

/**
 * The oldest sequence a status's trailing metadata names, or undefined when it names none (a
 * server before the key, another status) or not a positive whole number.
 *
 * @example
 * ```ts
 * oldestSequenceOf(oldestSequenceMetadata(8)); // 8
 * oldestSequenceOf(new grpc.Metadata());       // undefined
 * ```
 */
export function oldestSequenceOf(metadata: grpc.Metadata | undefined): number | undefined {
  return sequenceFromMetadata(metadata, OLDEST_SEQUENCE_METADATA_KEY, 1);
}
