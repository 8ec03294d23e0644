import type * as grpc from '@grpc/grpc-js';
import { sequenceFromMetadata, sequenceMetadata } from './sequenceMetadata';

/**
 * The trailing-metadata key of the `OUT_OF_RANGE` a Subscribe ends with when its
 * `from_sequence` lies in the future (past the next sequence the server will assign): the
 * latest sequence the server has, as a decimal string (`"0"` before the first event). A client
 * that sees it has a cursor from another stream (usually a training process that has since
 * been restarted) and starts over from 0; it tells this case from an evicted `from_sequence`
 * (`rxtrain-oldest-sequence`) without reading the message text.
 *
 * @example
 * ```ts
 * call.on('status', (st) => console.log(st.metadata.get(LATEST_SEQUENCE_METADATA_KEY))); // ['12']
 * ```
 */
export const LATEST_SEQUENCE_METADATA_KEY = 'rxtrain-latest-sequence';

/**
 * Trailing metadata that says the latest sequence the server has (see
 * {@link LATEST_SEQUENCE_METADATA_KEY}).
 *
 * @example
 * ```ts
 * call.emit('error', { code: grpc.status.OUT_OF_RANGE, details: 'in the future', metadata: latestSequenceMetadata(12) });
 * ```
 */
export function latestSequenceMetadata(latest: number): grpc.Metadata {
  return sequenceMetadata(LATEST_SEQUENCE_METADATA_KEY, latest);
}

/**
 * The latest sequence a status's trailing metadata names (0 included: no event yet), or
 * undefined when it names none (a server before the key, another status) or not a whole number.
 *
 * @example
 * ```ts
 * latestSequenceOf(latestSequenceMetadata(12)); // 12
 * latestSequenceOf(new grpc.Metadata());        // undefined
 * ```
 */
export function latestSequenceOf(metadata: grpc.Metadata | undefined): number | undefined {
  return sequenceFromMetadata(metadata, LATEST_SEQUENCE_METADATA_KEY, 0);
}
