import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as E from 'fp-ts/Either';
import type { Observable } from 'rxjs';
import { checkBindPolicy } from './bindPolicy';
import { parseHostPort } from './hostPort';
import type { SubscriptionEnd } from './Subscription';
import type { TelemetryServer } from './TelemetryServer';
import { TelemetrySettingError } from './TelemetrySettingError';
import { DEFAULT_TELEMETRY_ADDRESS, type TelemetryServerOptions } from './TelemetryServerOptions';
import type { FromTelemetryWorker, TelemetryWorkerData, ToTelemetryWorker } from './telemetryWorker';
import type { TrainEvent } from './TrainEvent';

export { TELEMETRY_SERVICE_NAME, type TelemetryServer } from './TelemetryServer';

/** Starts the worker, loading TypeScript through tsx when we run from sources (tests, tsx). */
function spawnWorker(data: TelemetryWorkerData): Worker {
  const ext = path.extname(__filename);
  const entry = path.join(__dirname, `telemetryWorker${ext}`);
  if (ext === '.ts') {
    const code = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(entry)});`;
    return new Worker(code, { eval: true, workerData: data });
  }
  return new Worker(entry, { workerData: data });
}

/** A TrainEvent the structured clone cannot copy (e.g. a config holding functions) goes as JSON. */
function postEvent(worker: Worker, event: TrainEvent): void {
  const msg: ToTelemetryWorker = { type: 'event', event };
  try {
    worker.postMessage(msg);
  } catch {
    worker.postMessage({ type: 'event', event: JSON.parse(JSON.stringify(event)) as TrainEvent } satisfies ToTelemetryWorker);
  }
}

/**
 * Serves `events$` over gRPC (proto/telemetry.proto, plus grpc.health.v1 and server
 * reflection) from a worker thread: the training thread only posts each event once, so
 * subscribers, however many and however slow, never slow training. Subscribes to
 * `events$` at once (pass a shared/hot observable: the server is just one subscriber);
 * events emitted before a monitor connects wait in the replay buffer. When `events$`
 * completes, every stream ends with OK after it has been sent what is left (bounded by
 * `shutdownGraceMs`) and the server shuts down by itself (after `lingerAfterEndMs`, if set, for
 * watchers that come late: see {@link TelemetryServer.closed}); when it errors, streams end with
 * ABORTED. `address: 'off'` returns an inert server. Rejects with a readable Error for a
 * bad address, a refused plaintext non-loopback bind, unreadable TLS files or a port in use
 * (a {@link TelemetrySettingError} for what a change of address fixes).
 *
 * @example
 * ```ts
 * const events$ = train(opts).pipe(share()); // opts: TrainOptions
 * const server = await startTelemetryServer(events$, { runId: 'alexnet-01', address: '127.0.0.1:50051' });
 * console.error(`watch with: rxtrain monitor ${server.address}`);
 * ```
 */
export async function startTelemetryServer(
  events$: Observable<TrainEvent>,
  opts: TelemetryServerOptions,
): Promise<TelemetryServer> {
  const address = opts.address ?? DEFAULT_TELEMETRY_ADDRESS;
  const ended: Record<SubscriptionEnd, number> = { ok: 0, cancelled: 0, slow: 0, error: 0 };
  if (address.trim().toLowerCase() === 'off') {
    return { address: 'off', port: 0, subscribers: 0, ended, closed: Promise.resolve(), shutdown: () => Promise.resolve() };
  }
  // Fail fast on bad settings, before a thread is started.
  const hp = parseHostPort(address);
  if (E.isLeft(hp)) throw new TelemetrySettingError(`telemetry: ${hp.left}`);
  const policy = checkBindPolicy(hp.right, { tls: opts.tls !== undefined, insecure: opts.insecure === true }, 'options');
  if (E.isLeft(policy)) throw new TelemetrySettingError(`telemetry: ${policy.left}`);

  const worker = spawnWorker({ kind: 'rxtrain-telemetry', options: opts });
  let subscribers = 0;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let listening: ((m: { address: string; port: number }) => void) | undefined;
  let failed: ((e: Error) => void) | undefined;
  const started = new Promise<{ address: string; port: number }>((resolve, reject) => {
    listening = resolve;
    failed = reject;
  });
  worker.on('message', (m: FromTelemetryWorker) => {
    if (m.type === 'listening') listening?.({ address: m.address, port: m.port });
    else if (m.type === 'failed') failed?.(m.setting ? new TelemetrySettingError(m.message) : new Error(m.message));
    else if (m.type === 'stats') {
      subscribers = m.subscribers;
      Object.assign(ended, m.ended);
    } else resolveClosed();
  });
  worker.on('error', (err) => failed?.(new Error(`telemetry worker crashed: ${err.message}`)));
  worker.on('exit', () => {
    failed?.(new Error('telemetry worker exited before it was listening'));
    resolveClosed();
  });

  // Subscribe now: the port queues events until the worker reads them.
  const rx = events$.subscribe({
    next: (e) => postEvent(worker, e),
    error: (err: unknown) => worker.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) } satisfies ToTelemetryWorker),
    complete: () => worker.postMessage({ type: 'complete' } satisfies ToTelemetryWorker),
  });
  void closed.then(() => rx.unsubscribe());

  let bound: { address: string; port: number };
  try {
    bound = await started;
  } catch (err) {
    rx.unsubscribe();
    await worker.terminate();
    throw err;
  }
  listening = undefined;
  failed = undefined;
  let shuttingDown: Promise<void> | undefined;
  return {
    address: bound.address,
    port: bound.port,
    get subscribers() {
      return subscribers;
    },
    ended,
    closed,
    shutdown: () => {
      if (shuttingDown === undefined) {
        rx.unsubscribe();
        worker.postMessage({ type: 'shutdown' } satisfies ToTelemetryWorker);
        shuttingDown = closed;
      }
      return shuttingDown;
    },
  };
}
