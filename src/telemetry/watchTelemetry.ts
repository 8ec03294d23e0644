import * as grpc from '@grpc/grpc-js';
import { Observable } from 'rxjs';
import { fromProtoEvent, type SequencedEvent } from './fromProtoEvent';
import { PROTO_EVENT_KIND } from './protoEventKind';
import { loadTelemetryProto } from './telemetryProto';
import type { TrainEventKind } from './TrainEvent';
import type { Event__Output } from './generated/rxtrain/telemetry/v1/Event';
import type { Run__Output } from './generated/rxtrain/telemetry/v1/Run';

/**
 * What a watcher reports: the run (on every (re)connect), events, and connection changes.
 * The observable completes when training ends (server status OK) and errors on a status
 * that retrying cannot fix (UNAUTHENTICATED, INVALID_ARGUMENT, a failed run, ...).
 *
 * @example
 * ```ts
 * watchTelemetry(opts).subscribe((s: WatchSignal) => s.type === 'gap' && console.warn(`lost ${s.from}..${s.to}`));
 * ```
 */
export type WatchSignal =
  | { readonly type: 'run'; readonly run: Run__Output }
  | { readonly type: 'event'; readonly event: SequencedEvent }
  | { readonly type: 'connected'; readonly fromSequence: number }
  | { readonly type: 'disconnected'; readonly code: grpc.status; readonly details: string; readonly retryInMs: number }
  /** Events between `from` and `to` (inclusive) were lost: evicted from the server's replay buffer. */
  | { readonly type: 'gap'; readonly from: number; readonly to: number }
  /** The server's sequence restarted (a new training process): the view should start over. */
  | { readonly type: 'restarted' };

/**
 * Options of {@link watchTelemetry}.
 *
 * @example
 * ```ts
 * const o: WatchOptions = { address: 'gpu-box:50051', credentials: grpc.credentials.createSsl(), token: 't', kinds: ['EpochEnd'] };
 * ```
 */
export interface WatchOptions {
  /** `host:port` of the server. */
  readonly address: string;
  /**
   * Channel credentials (default: plaintext). Build them with {@link telemetryClientCredentials}
   * or with the `@grpc/grpc-js` that rxtrain itself loads: credentials from another copy of
   * grpc-js are refused with a TypeError.
   */
  readonly credentials?: grpc.ChannelCredentials;
  readonly channelOptions?: grpc.ChannelOptions;
  /** Bearer token sent as `authorization: Bearer <token>`. */
  readonly token?: string;
  /** Only these kinds (default all). */
  readonly kinds?: readonly TrainEventKind[];
  /** First sequence wanted (default 0: whatever the server still holds). */
  readonly fromSequence?: number;
  /** Reconnect backoff: first delay, cap (defaults 250 ms, 10 s); doubles per failed attempt. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
}

/** Statuses after which retrying cannot help. */
const FATAL = new Set<grpc.status>([
  grpc.status.UNAUTHENTICATED,
  grpc.status.PERMISSION_DENIED,
  grpc.status.INVALID_ARGUMENT,
  grpc.status.UNIMPLEMENTED,
  grpc.status.ABORTED, // the run itself failed
]);

/**
 * A live, self-healing subscription: connects, fetches the run, streams events, and on a
 * dropped connection or a RESOURCE_EXHAUSTED cut-off reconnects with exponential backoff,
 * resuming from the last sequence received + 1, so nothing is duplicated. If that part was
 * evicted from the server's buffer it reports a `gap` and resumes from the oldest event
 * kept. Unsubscribing cancels the call and closes the channel.
 *
 * @example
 * ```ts
 * watchTelemetry({ address: '127.0.0.1:50051' })                        // plaintext, e.g. on loopback
 *   .subscribe((s) => { if (s.type === 'event') console.log(s.event.sequence, s.event.kind); });
 * const { credentials, options } = await telemetryClientCredentials({ tls: true, ca: 'ca.pem' });
 * watchTelemetry({ address: 'gpu-box:50051', credentials, channelOptions: options, token: 't' })
 *   .subscribe((s) => { if (s.type === 'event') console.log(s.event.sequence, s.event.kind); });
 * ```
 */
export function watchTelemetry(opts: WatchOptions): Observable<WatchSignal> {
  // grpc-js checks credentials with instanceof, so a user's second copy of grpc-js would fail
  // later with "Channel credentials must be a ChannelCredentials object"; say why, up front.
  if (opts.credentials !== undefined && !(opts.credentials instanceof grpc.ChannelCredentials)) {
    throw new TypeError('watchTelemetry: credentials come from another copy of @grpc/grpc-js than the one rxtrain loads; '
      + 'build them with telemetryClientCredentials({ tls, ca }) from rxtrain, or let npm dedupe @grpc/grpc-js');
  }
  const credentials = opts.credentials ?? grpc.credentials.createInsecure();
  return new Observable<WatchSignal>((subscriber) => {
    const { v1 } = loadTelemetryProto();
    const client = new v1.Telemetry(opts.address, credentials, opts.channelOptions ?? {});
    const backoff = opts.backoff ?? { initialMs: 250, maxMs: 10_000 };
    const kinds = (opts.kinds ?? []).map((k) => PROTO_EVENT_KIND[k]);
    let next = opts.fromSequence ?? 0; // next sequence wanted; 0 = oldest available
    let delay = backoff.initialMs;
    let call: grpc.ClientReadableStream<Event__Output> | undefined;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;

    const metadata = (): grpc.Metadata => {
      const md = new grpc.Metadata();
      if (opts.token !== undefined) md.set('authorization', `Bearer ${opts.token}`);
      return md;
    };

    const retry = (code: grpc.status, details: string): void => {
      const retryInMs = delay;
      subscriber.next({ type: 'disconnected', code, details, retryInMs });
      delay = Math.min(delay * 2, backoff.maxMs);
      timer = setTimeout(connect, retryInMs);
    };

    const handleStatus = (st: grpc.StatusObject, received: number): void => {
      if (stopped) return;
      call = undefined;
      if (received > 0) delay = backoff.initialMs;
      if (st.code === grpc.status.OK) {
        subscriber.complete();
      } else if (FATAL.has(st.code)) {
        subscriber.error(Object.assign(new Error(`${grpc.status[st.code]}: ${st.details}`), { code: st.code }));
      } else if (st.code === grpc.status.OUT_OF_RANGE && /in the future/.test(st.details)) {
        subscriber.next({ type: 'restarted' });
        next = 0;
        connect();
      } else if (st.code === grpc.status.OUT_OF_RANGE) {
        const oldest = Number(/oldest available is (\d+)/.exec(st.details)?.[1] ?? '0');
        if (oldest > next) subscriber.next({ type: 'gap', from: next, to: oldest - 1 });
        next = oldest;
        connect();
      } else {
        retry(st.code, st.details);
      }
    };

    function connect(): void {
      if (stopped) return;
      client.GetRun({}, metadata(), { deadline: Date.now() + 5000 }, (err, run) => {
        if (!stopped && !err && run) subscriber.next({ type: 'run', run });
      });
      let received = 0;
      const c = client.Subscribe({ kinds, fromSequence: next }, metadata());
      call = c;
      subscriber.next({ type: 'connected', fromSequence: next });
      c.on('data', (m: Event__Output) => {
        if (stopped) return;
        received += 1;
        next = m.sequence + 1;
        const e = fromProtoEvent(m);
        if (e !== undefined) subscriber.next({ type: 'event', event: e });
      });
      c.on('error', () => undefined); // reported through 'status'
      c.on('status', (st: grpc.StatusObject) => handleStatus(st, received));
    }

    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      call?.cancel();
      client.close();
    };
  });
}
