import * as http2 from 'node:http2';

interface MaybeStream {
  readonly closed?: boolean;
  readonly destroyed?: boolean;
  close?: (code?: number) => void;
}

/**
 * Finds the HTTP/2 stream under a grpc-js server call. grpc-js keeps it private
 * (`call.call[.nextCall...].stream`, grpc-js 1.10–1.14); we need it because a client that
 * stops reading also stops HTTP/2 flow control, so a status queued behind unread data
 * never leaves. Returns undefined if the internals changed, and callers then fall back
 * to the in-band status alone.
 */
function findHttp2Stream(call: object): MaybeStream | undefined {
  let node: unknown = (call as { call?: unknown }).call;
  for (let depth = 0; depth < 8 && typeof node === 'object' && node !== null; depth += 1) {
    const s = (node as { stream?: unknown }).stream;
    // node:http2 does not export the Http2Stream class at run time, so recognise it by shape.
    if (typeof s === 'object' && s !== null && 'rstCode' in s && typeof (s as MaybeStream).close === 'function') {
      return s as MaybeStream;
    }
    node = (node as { nextCall?: unknown }).nextCall;
  }
  return undefined;
}

/**
 * Resets a server call's stream with HTTP/2 ENHANCE_YOUR_CALM, which gRPC clients report
 * as RESOURCE_EXHAUSTED (gRPC PROTOCOL-HTTP2 error-code mapping) even while they are not
 * reading. Returns whether a reset was sent (false if already closed or not found).
 *
 * @example
 * ```ts
 * setTimeout(() => resetServerStream(call), 5000).unref();
 * ```
 */
export function resetServerStream(call: object): boolean {
  const s = findHttp2Stream(call);
  if (s === undefined || s.closed === true || s.destroyed === true || typeof s.close !== 'function') return false;
  s.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
  return true;
}
