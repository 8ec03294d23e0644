import * as grpc from '@grpc/grpc-js';

/**
 * The HTTP/2 stream under a grpc-js server-streaming call, for writing messages that are
 * already gRPC-framed (5-byte prefix + protobuf bytes).
 *
 * @example
 * ```ts
 * const raw = rawResponseStream(call);
 * if (raw && !raw.write(framed)) raw.once('drain', resume);
 * ```
 */
export interface RawResponseStream {
  /** Queues framed bytes; false once the stream's buffer is over its high-water mark. */
  write(chunk: Buffer): boolean;
  once(event: 'drain', listener: () => void): unknown;
  on(event: 'drain' | 'error', listener: (...args: unknown[]) => void): unknown;
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  readonly closed: boolean;
  readonly writableEnded: boolean;
}

function isRaw(s: unknown): s is RawResponseStream {
  // node:http2 does not export the Http2Stream class at run time, so recognise it by shape.
  return (
    typeof s === 'object' &&
    s !== null &&
    'rstCode' in s &&
    'headersSent' in s &&
    typeof (s as { write?: unknown }).write === 'function' &&
    typeof (s as { on?: unknown }).on === 'function'
  );
}

/**
 * Sends the call's response headers and returns the HTTP/2 stream under it, so that a
 * message encoded and framed once can be written to every subscriber as the same Buffer.
 * grpc-js's own `call.write()` re-frames (allocates and copies) every message for every
 * call and runs it through two Writable streams and its interceptor chain: with 100
 * subscribers that was about a quarter of the server's CPU per event. grpc-js keeps the
 * stream private (`call.call[.nextCall...].stream`, grpc-js 1.10–1.14), so this returns
 * undefined if its internals change or the headers could not be sent, and callers then use
 * `call.write()`. The trailers (status) still go through grpc-js (`call.end()`,
 * `call.emit('error', status)`), which queues them behind the raw writes on the same stream.
 *
 * @example
 * ```ts
 * const raw = rawResponseStream(call);
 * raw ? raw.write(hub.framedOf(entry)) : call.write(hub.bytesOf(entry));
 * ```
 */
export function rawResponseStream(call: grpc.ServerWritableStream<unknown, unknown>): RawResponseStream | undefined {
  let node: unknown = (call as unknown as { call?: unknown }).call;
  for (let depth = 0; depth < 8 && typeof node === 'object' && node !== null; depth += 1) {
    const s = (node as { stream?: unknown }).stream;
    if (isRaw(s)) {
      if (s.destroyed || s.closed || s.writableEnded) return undefined;
      if (!s.headersSent) call.sendMetadata(new grpc.Metadata());
      // Never write body bytes before grpc-js's headers: Node would send default ones.
      if (!s.headersSent) return undefined;
      // grpc-js listens for one 'error' only; a later write error (peer gone) must not crash
      // the server. The call's 'cancelled'/'close' tell the subscription it is over.
      s.on('error', () => undefined);
      return s;
    }
    node = (node as { nextCall?: unknown }).nextCall;
  }
  return undefined;
}
