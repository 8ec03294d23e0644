// Original file: proto/telemetry.proto

import type { EventKind as _rxtrain_telemetry_v1_EventKind, EventKind__Output as _rxtrain_telemetry_v1_EventKind__Output } from '../../../rxtrain/telemetry/v1/EventKind';
import type { Long } from '@grpc/proto-loader';

/**
 * What to stream, from where.
 */
export interface SubscribeRequest {
  /**
   * Only these kinds are sent; empty means all kinds. Sequence numbers stay those of the
   * whole run, so a filtered stream has gaps by design.
   */
  'kinds'?: (_rxtrain_telemetry_v1_EventKind)[];
  /**
   * First sequence wanted (sequences start at 1). 0 means "everything still in the replay
   * buffer, then live". A reconnecting client passes last received + 1.
   */
  'fromSequence'?: (number | string | Long);
  /**
   * The stream_id of the events the client received before (empty: none, or not known). When
   * it is not the server's (training was restarted, e.g. resumed in a new process, whose
   * sequence starts again at 1), from_sequence is ignored and the stream starts from the
   * oldest event kept: the client sees the new stream_id on the first event and starts over.
   */
  'streamId'?: (string);
}

/**
 * What to stream, from where.
 */
export interface SubscribeRequest__Output {
  /**
   * Only these kinds are sent; empty means all kinds. Sequence numbers stay those of the
   * whole run, so a filtered stream has gaps by design.
   */
  'kinds': (_rxtrain_telemetry_v1_EventKind__Output)[];
  /**
   * First sequence wanted (sequences start at 1). 0 means "everything still in the replay
   * buffer, then live". A reconnecting client passes last received + 1.
   */
  'fromSequence': (number);
  /**
   * The stream_id of the events the client received before (empty: none, or not known). When
   * it is not the server's (training was restarted, e.g. resumed in a new process, whose
   * sequence starts again at 1), from_sequence is ignored and the stream starts from the
   * oldest event kept: the client sees the new stream_id on the first event and starts over.
   */
  'streamId': (string);
}
