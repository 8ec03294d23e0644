// Original file: proto/telemetry.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Event as _rxtrain_telemetry_v1_Event, Event__Output as _rxtrain_telemetry_v1_Event__Output } from '../../../rxtrain/telemetry/v1/Event';
import type { GetRunRequest as _rxtrain_telemetry_v1_GetRunRequest, GetRunRequest__Output as _rxtrain_telemetry_v1_GetRunRequest__Output } from '../../../rxtrain/telemetry/v1/GetRunRequest';
import type { Run as _rxtrain_telemetry_v1_Run, Run__Output as _rxtrain_telemetry_v1_Run__Output } from '../../../rxtrain/telemetry/v1/Run';
import type { SubscribeRequest as _rxtrain_telemetry_v1_SubscribeRequest, SubscribeRequest__Output as _rxtrain_telemetry_v1_SubscribeRequest__Output } from '../../../rxtrain/telemetry/v1/SubscribeRequest';

/**
 * Live telemetry of one training run.
 */
export interface TelemetryClient extends grpc.Client {
  /**
   * The run as a whole: id, config, backend, status and latest metrics.
   */
  GetRun(argument: _rxtrain_telemetry_v1_GetRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_rxtrain_telemetry_v1_Run__Output>): grpc.ClientUnaryCall;
  GetRun(argument: _rxtrain_telemetry_v1_GetRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_rxtrain_telemetry_v1_Run__Output>): grpc.ClientUnaryCall;
  GetRun(argument: _rxtrain_telemetry_v1_GetRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_rxtrain_telemetry_v1_Run__Output>): grpc.ClientUnaryCall;
  GetRun(argument: _rxtrain_telemetry_v1_GetRunRequest, callback: grpc.requestCallback<_rxtrain_telemetry_v1_Run__Output>): grpc.ClientUnaryCall;
  /**
   * The run as a whole: id, config, backend, status and latest metrics.
   */
  getRun(argument: _rxtrain_telemetry_v1_GetRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_rxtrain_telemetry_v1_Run__Output>): grpc.ClientUnaryCall;
  getRun(argument: _rxtrain_telemetry_v1_GetRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_rxtrain_telemetry_v1_Run__Output>): grpc.ClientUnaryCall;
  getRun(argument: _rxtrain_telemetry_v1_GetRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_rxtrain_telemetry_v1_Run__Output>): grpc.ClientUnaryCall;
  getRun(argument: _rxtrain_telemetry_v1_GetRunRequest, callback: grpc.requestCallback<_rxtrain_telemetry_v1_Run__Output>): grpc.ClientUnaryCall;
  
  /**
   * Streams the run's events in sequence order. Events still in the server's replay buffer
   * are sent first (from `from_sequence`, or the oldest retained one), then live events.
   * Ends with OK when training ends. Errors:
   * INVALID_ARGUMENT   unknown/unspecified kind in `kinds`, negative `from_sequence`
   * OUT_OF_RANGE       `from_sequence` was evicted from the replay buffer, or lies past
   * the next sequence the server will assign. When evicted, the
   * trailing metadata key `rxtrain-oldest-sequence` holds the
   * oldest sequence still kept, as a decimal string ("8"):
   * resubscribe from it. When in the future (a cursor from another
   * stream, e.g. before training was restarted), the key
   * `rxtrain-latest-sequence` holds the latest sequence the server
   * has ("12"; "0" before the first event): start over from 0.
   * Each case carries only its own key. (Older servers say both
   * only in the message text: "oldest available is N", "in the future".)
   * RESOURCE_EXHAUSTED the subscriber read too slowly and its bounded queue overflowed;
   * reconnect with from_sequence = last received + 1. When it fell
   * behind the replay buffer instead (its next event was evicted),
   * `rxtrain-oldest-sequence` holds the oldest sequence still kept:
   * the events before it are lost; reconnect from it.
   * UNAUTHENTICATED    the server needs `authorization: Bearer <token>` metadata
   */
  Subscribe(argument: _rxtrain_telemetry_v1_SubscribeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_rxtrain_telemetry_v1_Event__Output>;
  Subscribe(argument: _rxtrain_telemetry_v1_SubscribeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_rxtrain_telemetry_v1_Event__Output>;
  /**
   * Streams the run's events in sequence order. Events still in the server's replay buffer
   * are sent first (from `from_sequence`, or the oldest retained one), then live events.
   * Ends with OK when training ends. Errors:
   * INVALID_ARGUMENT   unknown/unspecified kind in `kinds`, negative `from_sequence`
   * OUT_OF_RANGE       `from_sequence` was evicted from the replay buffer, or lies past
   * the next sequence the server will assign. When evicted, the
   * trailing metadata key `rxtrain-oldest-sequence` holds the
   * oldest sequence still kept, as a decimal string ("8"):
   * resubscribe from it. When in the future (a cursor from another
   * stream, e.g. before training was restarted), the key
   * `rxtrain-latest-sequence` holds the latest sequence the server
   * has ("12"; "0" before the first event): start over from 0.
   * Each case carries only its own key. (Older servers say both
   * only in the message text: "oldest available is N", "in the future".)
   * RESOURCE_EXHAUSTED the subscriber read too slowly and its bounded queue overflowed;
   * reconnect with from_sequence = last received + 1. When it fell
   * behind the replay buffer instead (its next event was evicted),
   * `rxtrain-oldest-sequence` holds the oldest sequence still kept:
   * the events before it are lost; reconnect from it.
   * UNAUTHENTICATED    the server needs `authorization: Bearer <token>` metadata
   */
  subscribe(argument: _rxtrain_telemetry_v1_SubscribeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_rxtrain_telemetry_v1_Event__Output>;
  subscribe(argument: _rxtrain_telemetry_v1_SubscribeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_rxtrain_telemetry_v1_Event__Output>;
  
}

/**
 * Live telemetry of one training run.
 */
export interface TelemetryHandlers extends grpc.UntypedServiceImplementation {
  /**
   * The run as a whole: id, config, backend, status and latest metrics.
   */
  GetRun: grpc.handleUnaryCall<_rxtrain_telemetry_v1_GetRunRequest__Output, _rxtrain_telemetry_v1_Run>;
  
  /**
   * Streams the run's events in sequence order. Events still in the server's replay buffer
   * are sent first (from `from_sequence`, or the oldest retained one), then live events.
   * Ends with OK when training ends. Errors:
   * INVALID_ARGUMENT   unknown/unspecified kind in `kinds`, negative `from_sequence`
   * OUT_OF_RANGE       `from_sequence` was evicted from the replay buffer, or lies past
   * the next sequence the server will assign. When evicted, the
   * trailing metadata key `rxtrain-oldest-sequence` holds the
   * oldest sequence still kept, as a decimal string ("8"):
   * resubscribe from it. When in the future (a cursor from another
   * stream, e.g. before training was restarted), the key
   * `rxtrain-latest-sequence` holds the latest sequence the server
   * has ("12"; "0" before the first event): start over from 0.
   * Each case carries only its own key. (Older servers say both
   * only in the message text: "oldest available is N", "in the future".)
   * RESOURCE_EXHAUSTED the subscriber read too slowly and its bounded queue overflowed;
   * reconnect with from_sequence = last received + 1. When it fell
   * behind the replay buffer instead (its next event was evicted),
   * `rxtrain-oldest-sequence` holds the oldest sequence still kept:
   * the events before it are lost; reconnect from it.
   * UNAUTHENTICATED    the server needs `authorization: Bearer <token>` metadata
   */
  Subscribe: grpc.handleServerStreamingCall<_rxtrain_telemetry_v1_SubscribeRequest__Output, _rxtrain_telemetry_v1_Event>;
  
}

export interface TelemetryDefinition extends grpc.ServiceDefinition {
  GetRun: MethodDefinition<_rxtrain_telemetry_v1_GetRunRequest, _rxtrain_telemetry_v1_Run, _rxtrain_telemetry_v1_GetRunRequest__Output, _rxtrain_telemetry_v1_Run__Output>
  Subscribe: MethodDefinition<_rxtrain_telemetry_v1_SubscribeRequest, _rxtrain_telemetry_v1_Event, _rxtrain_telemetry_v1_SubscribeRequest__Output, _rxtrain_telemetry_v1_Event__Output>
}
