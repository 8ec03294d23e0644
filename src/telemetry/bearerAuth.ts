import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';

/**
 * A gRPC status to answer with, as grpc-js handlers accept it.
 *
 * @example
 * ```ts
 * const s: CallStatus = { code: grpc.status.OUT_OF_RANGE, details: 'evicted' };
 * ```
 */
export interface CallStatus {
  readonly code: grpc.status;
  readonly details: string;
  /** Trailing metadata sent with the status (e.g. `rxtrain-oldest-sequence`). */
  readonly metadata?: grpc.Metadata;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Checks `authorization: Bearer <token>` metadata. Returns undefined when the call may
 * proceed (no token configured, or the right one), else the UNAUTHENTICATED status to send.
 * Digests are compared in constant time so response timing does not leak the token.
 *
 * @example
 * ```ts
 * const denied = checkBearer(call.metadata, 's3cret');
 * if (denied) return callback(denied);
 * ```
 */
export function checkBearer(metadata: grpc.Metadata, token: string | undefined): CallStatus | undefined {
  if (token === undefined) return undefined;
  const values = metadata.get('authorization');
  if (values.length === 0) {
    return { code: grpc.status.UNAUTHENTICATED, details: "missing 'authorization: Bearer <token>' metadata" };
  }
  const m = /^Bearer\s+(\S+)\s*$/i.exec(String(values[0]));
  if (!m) {
    return { code: grpc.status.UNAUTHENTICATED, details: "malformed authorization metadata: expected 'Bearer <token>'" };
  }
  if (!timingSafeEqual(digest(m[1]), digest(token))) {
    return { code: grpc.status.UNAUTHENTICATED, details: 'invalid bearer token' };
  }
  return undefined;
}
