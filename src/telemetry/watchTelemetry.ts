import * as grpc from '@grpc/grpc-js';
import { Observable } from 'rxjs';
import { classifyUnavailable, connectionRefused, describeUnavailable, probeTls, type ConnectionProblem } from './connectionProblem';
import { fromProtoEvent, type SequencedEvent } from './fromProtoEvent';
import { latestSequenceOf } from './latestSequenceMetadata';
import { oldestSequenceOf } from './oldestSequenceMetadata';
import { PROTO_EVENT_KIND } from './protoEventKind';
import { loadTelemetryProto } from './telemetryProto';
import type { TrainEventKind } from './TrainEvent';
import type { Event__Output } from './generated/rxtrain/telemetry/v1/Event';
import type { Run__Output } from './generated/rxtrain/telemetry/v1/Run';

/**
 * What a watcher reports: the run (on every (re)connect), events, and connection changes.
 * The observable completes when training ends (server status OK) and errors with a
 * {@link WatchError} on what retrying cannot fix (UNAUTHENTICATED, INVALID_ARGUMENT, a failed
 * run, a TLS mismatch, ...). `disconnected` carries grpc-js's raw `details` and a readable
 * `message` (`nothing listens on 127.0.0.1:50051 yet — is training running?`).
 *
 * @example
 * ```ts
 * watchTelemetry(opts).subscribe((s: WatchSignal) => s.type === 'gap' && console.warn(`lost ${s.from}..${s.to}`));
 * ```
 */
export type WatchSignal =
  | { readonly type: 'run'; readonly run: Run__Output }
  | { readonly type: 'event'; readonly event: SequencedEvent }
  /**
   * An attempt began: a subscription from `fromSequence` was sent, which a server may not have
   * answered yet (nothing listening gives `disconnected` next); `run` or an `event` says one did.
   */
  | { readonly type: 'connected'; readonly fromSequence: number }
  | { readonly type: 'disconnected'; readonly code: grpc.status; readonly details: string; readonly message: string; readonly retryInMs: number }
  /** Events between `from` and `to` (inclusive) were lost: evicted from the server's replay buffer. */
  | { readonly type: 'gap'; readonly from: number; readonly to: number }
  /** The server's sequence restarted (a new training process): the view should start over. */
  | { readonly type: 'restarted' }
  /**
   * With `follow`: the run's stream ended (`failed`: with ABORTED, the server's `details`
   * saying why); the watch goes on waiting for the next training process at the address.
   */
  | { readonly type: 'ended'; readonly failed: boolean; readonly details: string };

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
  readonly credentials?: grpc.ChannelCredentials | undefined;
  readonly channelOptions?: grpc.ChannelOptions | undefined;
  /** Bearer token sent as `authorization: Bearer <token>`. */
  readonly token?: string | undefined;
  /** Only these kinds (default all). */
  readonly kinds?: readonly TrainEventKind[] | undefined;
  /** First sequence wanted (default 0: whatever the server still holds). */
  readonly fromSequence?: number | undefined;
  /**
   * The stream `fromSequence` counts in (an event's `streamId`): when the server's stream is
   * another (training restarted since), the watch starts from its beginning with `restarted`.
   */
  readonly streamId?: string | undefined;
  /**
   * Reconnect backoff: first delay, cap (defaults 250 ms, 10 s); doubles per failed attempt.
   * While the watcher waits for a server to come (the last attempt reached none, or, with
   * `follow`, for the next run) it waits at most `waitingMaxMs` (default 1 s, never more than
   * `maxMs`) between tries: a run whose server is up for longer than that is not missed.
   */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number; readonly waitingMaxMs?: number | undefined } | undefined;
  /**
   * Stop retrying once no server has answered for this long, with a {@link WatchError} whose
   * `code` is UNAVAILABLE and `problem` `{ kind: 'nobody-listens' }` (default: retry for
   * ever, for a watcher started before training). The clock starts at the first failed
   * attempt and starts again with every event received. A run that ended before the watcher
   * came finds nothing listening (unless its server lingers, see `lingerAfterEndMs`).
   */
  readonly giveUpAfterMs?: number | undefined;
  /**
   * Like `tail -F`: when a run's stream ends (OK, or ABORTED for a failed run) report `ended`
   * and keep trying the address for the next training process (a resume, another run), whose
   * stream then arrives after `restarted`, instead of completing (or failing). A lingering
   * server still serving the ended run counts as nothing there yet; `giveUpAfterMs` counts
   * from the end (default false).
   */
  readonly follow?: boolean | undefined;
}

/**
 * Whether an OUT_OF_RANGE says `from_sequence` lies in the future (a cursor from another
 * stream) rather than evicted: the trailing metadata key `rxtrain-latest-sequence` says so;
 * servers before that key only in the message text.
 */
function isFuture(st: grpc.StatusObject): boolean {
  if (latestSequenceOf(st.metadata) !== undefined) return true;
  return oldestSequenceOf(st.metadata) === undefined && /in the future/.test(st.details);
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
 * What {@link WatchError} says to change: a {@link ConnectionProblem}, or, with
 * `giveUpAfterMs`, that no server answered for that long (`waitedMs`).
 *
 * @example
 * ```ts
 * const p: WatchProblem = { kind: 'nobody-listens', waitedMs: 30_000 };
 * ```
 */
export type WatchProblem =
  | ConnectionProblem
  | {
    readonly kind: 'nobody-listens';
    readonly waitedMs: number;
    /**
     * How the last attempt failed, in words, when the host did not refuse it (the usual case
     * of a run not started or over, where this is absent): `cannot resolve gpu-bx — is the
     * host name right?`, `10.0.0.5:50051 is unreachable (ETIMEDOUT)`.
     */
    readonly lastAttempt?: string;
  };

/**
 * Why {@link watchTelemetry} gave up: the gRPC status, and for connections that can never
 * succeed (TLS on one side only, a certificate for other names or from an untrusted CA) the
 * {@link ConnectionProblem}, so a caller can say what to change; after `giveUpAfterMs`
 * without an answer, `problem.kind` is `nobody-listens`.
 *
 * @example
 * ```ts
 * watchTelemetry(opts).subscribe({ error: (e: WatchError) => e.problem?.kind === 'server-is-tls' && console.error('use TLS') });
 * ```
 */
export class WatchError extends Error {
  override readonly name = 'WatchError';
  constructor(
    message: string,
    readonly code: grpc.status,
    readonly problem?: WatchProblem,
  ) {
    super(message);
  }
}

/** The library's wording of a problem (the CLI words it with its own flags). */
function problemMessage(p: ConnectionProblem, address: string): string {
  switch (p.kind) {
    case 'server-not-tls':
      return `the server at ${address} does not speak TLS: connect with plaintext credentials`;
    case 'server-is-tls':
      return `the server at ${address} speaks TLS: connect with TLS credentials (and its CA if its certificate is self-signed)`;
    case 'certificate-name':
      return `the server's certificate is for ${p.names.length > 0 ? p.names.join(', ') : 'other names'}, not ${p.host}: set the channel option grpc.ssl_target_name_override to one of them`;
    case 'certificate-untrusted':
      return `the server's certificate is not trusted (${p.reason}): give its CA, or the self-signed certificate itself, as the root certificate`;
  }
}

/**
 * A live, self-healing subscription: connects, fetches the run, streams events, and on a
 * dropped connection or a RESOURCE_EXHAUSTED cut-off reconnects with exponential backoff,
 * resuming from the last sequence received + 1, so nothing is duplicated. If that part was
 * evicted from the server's buffer it reports a `gap` and resumes from the oldest event
 * kept. A server that is not up yet (connection refused) is retried; TLS spoken by one side
 * only, or a certificate that does not fit, fails with a {@link WatchError} naming the
 * problem (a plaintext client checks with one TLS probe before concluding the server speaks
 * TLS). Unsubscribing cancels the call and closes the channel.
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
    const backoff = opts.backoff ?? { initialMs: 250, maxMs: 10_000 };
    // rxtrain train closes its server as soon as its run ends, so a watcher that waited 10 s
    // between tries missed any run shorter than that, started and ended in between. Dialling
    // where nothing listens costs nothing: tries for a server that is not there come every
    // second; a server that answered with an error (a slow watcher cut off) gets the long pauses.
    const waitingMaxMs = Math.min(backoff.waitingMaxMs ?? 1000, backoff.maxMs);
    // grpc-js keeps its own reconnect backoff per channel (1 s growing to 2 min): a call made
    // while it waits fails at once without dialling, so a watcher waiting for training (or,
    // following, for the next run) would see a server that came up only minutes later. The
    // channel dials at this watcher's pace instead (a caller's own channel options win): at
    // its waiting pace, since only a watcher waiting for a server has the channel reconnect.
    const client = new v1.Telemetry(opts.address, credentials, {
      'grpc.initial_reconnect_backoff_ms': Math.min(backoff.initialMs, waitingMaxMs),
      'grpc.max_reconnect_backoff_ms': waitingMaxMs,
      ...opts.channelOptions,
    });
    const kinds = (opts.kinds ?? []).map((k) => PROTO_EVENT_KIND[k]);
    let next = opts.fromSequence ?? 0; // next sequence wanted; 0 = oldest available
    let stream = opts.streamId ?? ''; // stream_id of the events received so far ('' before the first)
    let delay = backoff.initialMs;
    let call: grpc.ClientReadableStream<Event__Output> | undefined;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;

    const metadata = (): grpc.Metadata => {
      const md = new grpc.Metadata();
      if (opts.token !== undefined) md.set('authorization', `Bearer ${opts.token}`);
      return md;
    };

    // An internal-looking but public (declared) grpc-js method: plaintext or TLS.
    const secure = credentials._isSecure();
    const fail = (code: grpc.status, message: string, problem?: WatchProblem): void => {
      subscriber.error(new WatchError(message, code, problem));
    };
    // When the current run of failed attempts began (undefined while connected or receiving).
    let failingSince: number | undefined;
    // Events came from a server here: a refused connection now means training went away.
    let served = false;
    // follow: a run's stream ended and the next one has not sent an event yet. Until it does,
    // the ended run's lingering server answering is no answer (for giveUpAfterMs).
    let awaitingNext = false;
    const retry = (code: grpc.status, details: string, quiet = false): void => {
      const now = Date.now();
      failingSince ??= now;
      if (opts.giveUpAfterMs !== undefined && now - failingSince >= opts.giveUpAfterMs) {
        const waitedMs = now - failingSince;
        // The ended run's lingering server answered last: nothing failed, no new run came.
        if (quiet) {
          fail(grpc.status.UNAVAILABLE, `no new training process at ${opts.address} for ${(waitedMs / 1000).toFixed(1)}s since the last run ended; giving up`, { kind: 'nobody-listens', waitedMs });
          return;
        }
        fail(code, `no telemetry server answered at ${opts.address} for ${(waitedMs / 1000).toFixed(1)}s; giving up (last attempt: ${describeUnavailable(details, opts.address)})`,
          { kind: 'nobody-listens', waitedMs, ...(connectionRefused(details) ? {} : { lastAttempt: describeUnavailable(details, opts.address) }) });
        return;
      }
      // UNAVAILABLE: no server reached (nothing listens, or it went away); quiet: following, the
      // ended run's server answered, and the next run is awaited.
      const wait = quiet || code === grpc.status.UNAVAILABLE ? Math.min(delay, waitingMaxMs) : delay;
      // Never wait past the deadline to find out.
      const retryInMs = opts.giveUpAfterMs === undefined ? wait : Math.max(0, Math.min(wait, failingSince + opts.giveUpAfterMs - now));
      if (!quiet) subscriber.next({ type: 'disconnected', code, details, message: describeUnavailable(details, opts.address, served), retryInMs });
      delay = Math.min(delay * 2, backoff.maxMs);
      timer = setTimeout(connect, retryInMs);
    };

    const handleStatus = (st: grpc.StatusObject, received: number): void => {
      if (stopped) return;
      call = undefined;
      if (received > 0) delay = backoff.initialMs;
      if (opts.follow === true && (st.code === grpc.status.OK || st.code === grpc.status.ABORTED)) {
        // A lingering server still serving the run that ended has nothing new: try again later.
        if (awaitingNext && received === 0) {
          retry(st.code, st.details, true);
          return;
        }
        awaitingNext = true;
        failingSince = Date.now();
        delay = backoff.initialMs;
        subscriber.next({ type: 'ended', failed: st.code === grpc.status.ABORTED, details: st.details });
        retry(st.code, st.details, true);
      } else if (st.code === grpc.status.OK) {
        subscriber.complete();
      } else if (FATAL.has(st.code)) {
        fail(st.code, `${grpc.status[st.code]}: ${st.details}`);
      } else if (st.code === grpc.status.UNAVAILABLE && received === 0) {
        onUnavailable(st);
      } else if (st.code === grpc.status.OUT_OF_RANGE && isFuture(st)) {
        subscriber.next({ type: 'restarted' });
        next = 0;
        stream = '';
        connect();
      } else if (st.code === grpc.status.OUT_OF_RANGE) {
        // Evicted: the server names the oldest sequence it holds in trailing metadata (servers
        // before that key only in the message).
        const oldest = oldestSequenceOf(st.metadata) ?? Number(/oldest available is (\d+)/.exec(st.details)?.[1] ?? '0');
        if (oldest > next) subscriber.next({ type: 'gap', from: next, to: oldest - 1 });
        next = oldest;
        connect();
      } else {
        // A RESOURCE_EXHAUSTED for a subscriber that fell behind the replay buffer names the
        // oldest sequence kept: the gap is known now, and the retry asks for what is there.
        const oldest = st.code === grpc.status.RESOURCE_EXHAUSTED ? oldestSequenceOf(st.metadata) : undefined;
        if (oldest !== undefined && next > 0 && oldest > next) {
          subscriber.next({ type: 'gap', from: next, to: oldest - 1 });
          next = oldest;
        }
        retry(st.code, st.details);
      }
    };

    // Handshake failures only arrive as UNAVAILABLE with text: sort out those that retrying
    // cannot fix. A probe runs while no call is open; `stopped` is checked when it returns.
    const onUnavailable = (st: grpc.StatusObject): void => {
      const c = classifyUnavailable(st.details, secure);
      const override = opts.channelOptions?.['grpc.ssl_target_name_override'] as string | undefined;
      const giveUp = (problem: ConnectionProblem): void => fail(st.code, problemMessage(problem, opts.address), problem);
      switch (c.kind) {
        case 'fatal':
          giveUp(c.problem);
          return;
        case 'transient':
          retry(st.code, st.details);
          return;
        case 'probe-certificate-names':
          // Node's message lists the names only for a host name, not for an IP address: ask
          // the certificate itself, and fall back on the message.
          void probeTls(opts.address, override !== undefined ? { serverName: override } : {}).then((cert) => {
            if (stopped) return;
            giveUp({ kind: 'certificate-name', host: c.host, names: cert !== undefined && cert.names.length > 0 ? cert.names : c.names });
          });
          return;
        case 'probe-tls':
          void probeTls(opts.address).then((cert) => {
            if (stopped) return;
            if (cert !== undefined) giveUp({ kind: 'server-is-tls' });
            else retry(st.code, st.details);
          });
          return;
      }
    };

    function connect(): void {
      if (stopped) return;
      client.GetRun({}, metadata(), { deadline: Date.now() + 5000 }, (err, run) => {
        if (!stopped && !err && run) {
          if (!awaitingNext) failingSince = undefined; // a server answered
          subscriber.next({ type: 'run', run });
        }
      });
      let received = 0;
      const c = client.Subscribe({ kinds, fromSequence: next, streamId: stream }, metadata());
      call = c;
      subscriber.next({ type: 'connected', fromSequence: next });
      c.on('data', (m: Event__Output) => {
        if (stopped) return;
        received += 1;
        served = true;
        awaitingNext = false;
        failingSince = undefined;
        // Another process's stream (training restarted): the server started it from its oldest
        // event, and the view starts over. Servers before stream ids send '' and say "in the future".
        if (stream !== '' && m.streamId !== '' && m.streamId !== stream) subscriber.next({ type: 'restarted' });
        if (m.streamId !== '') stream = m.streamId;
        next = m.sequence + 1;
        const e = fromProtoEvent(m);
        if (e !== undefined) subscriber.next({ type: 'event', event: e });
      });
      c.on('metadata', () => {
        if (!awaitingNext) failingSince = undefined; // a server answered, even if no event comes for a while
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
