import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import * as E from 'fp-ts/Either';
import { HealthImplementation } from 'grpc-health-check';
import type { Observable, Subscription as RxSubscription } from 'rxjs';
import { checkBearer, type CallStatus } from './bearerAuth';
import { checkBindPolicy } from './bindPolicy';
import { formatHostPort, parseHostPort } from './hostPort';
import { latestSequenceMetadata } from './latestSequenceMetadata';
import { loadTelemetryTls } from './loadTelemetryTls';
import { oldestSequenceMetadata } from './oldestSequenceMetadata';
import { parseEventKind } from './protoEventKind';
import { reflectionPackageDefinition } from './reflectionDescriptors';
import { Subscription, type SubscriptionEnd } from './Subscription';
import { loadTelemetryProto } from './telemetryProto';
import { TelemetryHub } from './TelemetryHub';
import {
  DEFAULT_TELEMETRY_ADDRESS,
  TELEMETRY_DEFAULTS,
  type TelemetryServerOptions,
  type TelemetryTls,
} from './TelemetryServerOptions';
import type { TrainEvent, TrainEventKind } from './TrainEvent';
import type { Event } from './generated/rxtrain/telemetry/v1/Event';
import type { TelemetryHandlers } from './generated/rxtrain/telemetry/v1/Telemetry';
import type { SubscribeRequest__Output } from './generated/rxtrain/telemetry/v1/SubscribeRequest';
import { TELEMETRY_SERVICE_NAME, type TelemetryServer } from './TelemetryServer';
import { TelemetrySettingError } from './TelemetrySettingError';

async function serverCredentials(tls: TelemetryTls | undefined): Promise<grpc.ServerCredentials> {
  if (tls === undefined) return grpc.ServerCredentials.createInsecure();
  const loaded = await loadTelemetryTls(tls);
  if (E.isLeft(loaded)) throw new TelemetrySettingError(loaded.left);
  try {
    return grpc.ServerCredentials.createSsl(null, [{ cert_chain: loaded.right.cert, private_key: loaded.right.key }], false);
  } catch (err) {
    throw new TelemetrySettingError(`invalid telemetry TLS certificate/key: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// How long a lingering server stays up after the last open stream was sent the end: long
// enough for a second watcher that connected with the first to subscribe (watchTelemetry's
// GetRun then Subscribe is milliseconds apart, a reconnect's first backoff 250 ms), short
// enough that a watched run is not noticeably held up.
const LINGER_WATCHED_GRACE_MS = 2000;

function inertServer(): TelemetryServer {
  return {
    address: 'off',
    port: 0,
    subscribers: 0,
    ended: { ok: 0, cancelled: 0, slow: 0, error: 0 },
    closed: Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}

/**
 * Validates a Subscribe request into a kind filter and a start cursor, or the status to
 * answer with (INVALID_ARGUMENT, OUT_OF_RANGE).
 */
function planSubscription(
  req: SubscribeRequest__Output,
  hub: TelemetryHub,
): E.Either<CallStatus, { kinds: ReadonlySet<TrainEventKind> | undefined; cursor: number }> {
  const kinds = new Set<TrainEventKind>();
  for (const raw of req.kinds ?? []) {
    const k = parseEventKind(raw);
    if (k === undefined) {
      return E.left({ code: grpc.status.INVALID_ARGUMENT, details: `unknown event kind ${JSON.stringify(raw)} in kinds` });
    }
    kinds.add(k);
  }
  const asked = Number(req.fromSequence ?? 0);
  if (!Number.isSafeInteger(asked) || asked < 0) {
    return E.left({ code: grpc.status.INVALID_ARGUMENT, details: `from_sequence must be >= 0, got ${req.fromSequence}` });
  }
  // A cursor into another process's stream means nothing here (its sequence started again at
  // 1): start from the oldest event kept; the client sees the new stream_id and starts over.
  const from = req.streamId !== undefined && req.streamId !== '' && req.streamId !== hub.streamId ? 0 : asked;
  const { oldest, newest, capacity } = hub.buffer;
  if (from > newest + 1) {
    return E.left({
      code: grpc.status.OUT_OF_RANGE,
      details: `from_sequence ${from} is in the future: the latest event is ${newest} (run ${hub.run.runId})`,
      // Says "future" to programs (and how far the stream is), as the evicted case's key says "evicted".
      metadata: latestSequenceMetadata(newest),
    });
  }
  if (from > 0 && oldest > 0 && from < oldest) {
    return E.left({
      code: grpc.status.OUT_OF_RANGE,
      details:
        `events ${from}..${oldest - 1} were evicted from the replay buffer (capacity ${capacity}); ` +
        `oldest available is ${oldest}: resubscribe with from_sequence=${oldest} (or 0)`,
      // The same number for programs: no client should have to parse the message.
      metadata: oldestSequenceMetadata(oldest),
    });
  }
  return E.right({ kinds: kinds.size === 0 ? undefined : kinds, cursor: from === 0 ? Math.max(1, oldest) : from });
}

/**
 * Serves `events$` over gRPC in this thread (proto/telemetry.proto) plus grpc.health.v1 and
 * server reflection. {@link startTelemetryServer} runs this in a worker thread so that
 * fan-out never costs the training thread; call it directly only where a thread is
 * unwanted. Subscribes to `events$` at once (pass a shared/hot observable: the server is
 * just one subscriber), so events emitted before a monitor connects sit in the replay
 * buffer. When `events$` completes, every stream ends with OK after it has been sent what
 * is left (bounded by `shutdownGraceMs`) and the server shuts down by itself (after
 * `lingerAfterEndMs`, if set, for watchers that come late: see {@link TelemetryServer.closed});
 * when it errors, streams end with ABORTED. `address: 'off'` returns an inert server. Rejects with
 * a readable Error for a bad address, a refused plaintext non-loopback bind, unreadable
 * TLS files or a port in use.
 *
 * @example
 * ```ts
 * const events$ = train(opts).pipe(share()); // opts: TrainOptions
 * const server = await serveTelemetry(events$, { runId: 'alexnet-01', address: '127.0.0.1:50051', token: process.env.TOKEN });
 * console.error(`telemetry on ${server.address}`);
 * ```
 */
export async function serveTelemetry(
  events$: Observable<TrainEvent>,
  opts: TelemetryServerOptions,
): Promise<TelemetryServer> {
  const address = opts.address ?? DEFAULT_TELEMETRY_ADDRESS;
  if (address.trim().toLowerCase() === 'off') return inertServer();
  const hp = parseHostPort(address);
  if (E.isLeft(hp)) throw new TelemetrySettingError(`telemetry: ${hp.left}`);
  const policy = checkBindPolicy(hp.right, { tls: opts.tls !== undefined, insecure: opts.insecure === true }, 'options');
  if (E.isLeft(policy)) throw new TelemetrySettingError(`telemetry: ${policy.left}`);
  const replayCapacity = opts.replayBuffer ?? TELEMETRY_DEFAULTS.replayBuffer;
  if (!Number.isInteger(replayCapacity) || replayCapacity < 1) throw new Error(`telemetry: replayBuffer must be a positive integer, got ${replayCapacity}`);
  const maxQueueOpt = opts.maxQueue ?? TELEMETRY_DEFAULTS.maxQueue;
  if (!Number.isInteger(maxQueueOpt) || maxQueueOpt < 1) throw new Error(`telemetry: maxQueue must be a positive integer, got ${maxQueueOpt}`);
  const limits = { maxQueue: Math.min(maxQueueOpt, replayCapacity), graceMs: opts.shutdownGraceMs ?? TELEMETRY_DEFAULTS.shutdownGraceMs };
  const lingerMs = opts.lingerAfterEndMs ?? TELEMETRY_DEFAULTS.lingerAfterEndMs;
  if (!Number.isFinite(lingerMs) || lingerMs < 0) throw new Error(`telemetry: lingerAfterEndMs must be a number of milliseconds >= 0, got ${lingerMs}`);
  const { v1 } = loadTelemetryProto();
  const service = v1.Telemetry.service;
  const encode = service.Subscribe.responseSerialize;
  // Pre-encoded events pass through untouched, so fan-out to N subscribers encodes once
  // (when a Subscription cannot write its pre-framed bytes to the HTTP/2 stream directly).
  const fanOutService: grpc.ServiceDefinition = {
    ...service,
    Subscribe: { ...service.Subscribe, responseSerialize: (v: Event | Buffer) => (Buffer.isBuffer(v) ? v : encode(v)) },
  };

  const hub = new TelemetryHub(opts.runId, replayCapacity, encode);
  // Subscribe before anything asynchronous: nothing the run emits meanwhile is lost, it
  // waits in the replay buffer.
  let onStreamEnd: () => void = () => undefined;
  let streamEnded = false;
  let rx: RxSubscription | undefined = events$.subscribe({
    next: (e) => hub.publish(e),
    error: (err: unknown) => {
      hub.fail(err instanceof Error ? err.message : String(err));
      streamEnded = true;
      onStreamEnd();
    },
    complete: () => {
      hub.complete();
      streamEnded = true;
      onStreamEnd();
    },
  });
  const subs = new Set<Subscription>();
  // Subscribers sent the run's end, the timer that closes a lingering server (see onStreamEnd),
  // and the one that closes it once every watcher has the end.
  let endsSent = 0;
  let lingering: NodeJS.Timeout | undefined;
  let watchedGrace: NodeJS.Timeout | undefined;
  // A lingering server has done its job once watchers got the end, no stream is open and no
  // call came for LINGER_WATCHED_GRACE_MS. Closing at the first end would turn away a second
  // watcher of the same run that asked GetRun but had not subscribed yet (two people watching
  // one run): any call starts the grace again, an open stream holds it off.
  const closeIfWatched = (): void => {
    clearTimeout(watchedGrace);
    watchedGrace = undefined;
    if (lingering !== undefined && subs.size === 0 && endsSent > 0) {
      watchedGrace = setTimeout(() => void shutdown(), LINGER_WATCHED_GRACE_MS);
    }
  };
  const ended: Record<SubscriptionEnd, number> = { ok: 0, cancelled: 0, slow: 0, error: 0 };
  const health = new HealthImplementation({ '': 'SERVING', [TELEMETRY_SERVICE_NAME]: 'SERVING' });

  const handlers: TelemetryHandlers = {
    Subscribe(call) {
      const denied = checkBearer(call.metadata, opts.token);
      if (denied) {
        call.emit('error', denied);
        return;
      }
      const plan = planSubscription(call.request, hub);
      if (E.isLeft(plan)) {
        call.emit('error', plan.left);
        return;
      }
      const sub = new Subscription(hub, call, plan.right.kinds, plan.right.cursor, limits, (how, s) => {
        ended[how] += 1;
        subs.delete(s);
        if (s.sentEnd) endsSent += 1;
        closeIfWatched();
      });
      subs.add(sub);
      closeIfWatched();
      sub.start();
    },
    GetRun(call, callback) {
      const denied = checkBearer(call.metadata, opts.token);
      if (denied) {
        callback(denied);
        return;
      }
      closeIfWatched();
      callback(null, { ...hub.run, subscribers: hub.subscriberCount, oldestSequence: hub.buffer.oldest });
    },
  };

  const server = new grpc.Server({
    // Detect vanished monitors (laptop lid closed) so their streams are freed.
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
  });
  server.addService(fanOutService, handlers);
  health.addToServer(server);
  new ReflectionService(reflectionPackageDefinition()).addToServer(server);

  let creds: grpc.ServerCredentials;
  try {
    creds = await serverCredentials(opts.tls);
  } catch (err) {
    rx?.unsubscribe();
    throw err;
  }
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(formatHostPort(hp.right), creds, (err, p) => (err ? reject(err) : resolve(p))),
    );
  } catch (err) {
    rx?.unsubscribe();
    server.forceShutdown();
    const why = err instanceof Error ? err.message : String(err);
    if (/EADDRINUSE/.test(why)) {
      throw new TelemetrySettingError(`telemetry: ${address} is already in use (another training run on this machine?); `
        + 'serve on another port (--telemetry 127.0.0.1:PORT, or 127.0.0.1:0 for any free one; in code, startTelemetryServer\'s address) or switch telemetry off (--telemetry off)');
    }
    // grpc-js's words ("No address added out of total 1 resolved errors: [listen
    // EADDRNOTAVAIL …]", "Name resolution failed for target dns:…") say neither what is wrong
    // with the address nor what to bind instead.
    const host = hp.right.host;
    if (/EADDRNOTAVAIL/.test(why)) {
      throw new TelemetrySettingError(`telemetry: cannot listen on ${address}: ${host} is not an address of this machine (a cloud machine's public address usually is not: `
        + 'its traffic arrives on a private one); bind to one of its own addresses (hostname -I), or to 0.0.0.0 for all of them');
    }
    if (/Name resolution failed|ENOTFOUND|EAI_AGAIN/.test(why)) {
      throw new TelemetrySettingError(`telemetry: cannot listen on ${address}: cannot resolve ${host}; bind to an address of this machine `
        + '(0.0.0.0 for all of them, 127.0.0.1 for this machine only): monitors dial its name, the server does not need one');
    }
    throw new Error(`telemetry: cannot listen on ${address}: ${why}`);
  }

  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let shuttingDown: Promise<void> | undefined;

  function shutdown(): Promise<void> {
    if (shuttingDown) return shuttingDown;
    shuttingDown = (async () => {
      clearTimeout(lingering);
      clearTimeout(watchedGrace);
      rx?.unsubscribe();
      rx = undefined;
      hub.complete(); // no-op if already ended; otherwise streams drain and end with OK
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(TELEMETRY_SERVICE_NAME, 'NOT_SERVING');
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          for (const s of subs) s.dispose();
          server.forceShutdown();
          resolve();
        }, limits.graceMs);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      resolveClosed();
    })();
    return shuttingDown;
  }

  onStreamEnd = () => {
    if (lingerMs <= 0) {
      void shutdown();
      return;
    }
    // Training is over (health says so), but the finished run is still served, replay and
    // end, to a watcher that connects only now.
    health.setStatus('', 'NOT_SERVING');
    health.setStatus(TELEMETRY_SERVICE_NAME, 'NOT_SERVING');
    lingering = setTimeout(() => void shutdown(), lingerMs);
    closeIfWatched();
  };
  if (streamEnded) onStreamEnd();

  return {
    address: formatHostPort({ host: hp.right.host, port }),
    port,
    get subscribers() {
      return hub.subscriberCount;
    },
    ended,
    closed,
    shutdown,
  };
}
