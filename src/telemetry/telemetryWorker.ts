/**
 * Entry point of the telemetry worker thread started by {@link startTelemetryServer}: it
 * runs {@link serveTelemetry} on events posted by the training thread, so encoding and
 * fan-out to any number of subscribers happen off the training thread.
 */
import * as grpc from '@grpc/grpc-js';
import { parentPort, workerData } from 'node:worker_threads';
import { Subject } from 'rxjs';
import { serveTelemetry } from './serveTelemetry';
import { TelemetrySettingError } from './TelemetrySettingError';
import type { TelemetryServerOptions } from './TelemetryServerOptions';
import type { TrainEvent } from './TrainEvent';

// grpc-js would also print its own line for what rxtrain reports itself ("E No address added
// out of total 1 resolved" for a port in use). GRPC_VERBOSITY still turns its logging back on.
if (process.env.GRPC_VERBOSITY === undefined) grpc.setLogVerbosity(grpc.logVerbosity.NONE);

/**
 * Messages from the training thread to the worker.
 *
 * @example
 * ```ts
 * worker.postMessage({ type: 'complete' } satisfies ToTelemetryWorker);
 * ```
 */
export type ToTelemetryWorker =
  | { readonly type: 'event'; readonly event: TrainEvent }
  | { readonly type: 'complete' }
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'shutdown' };

/**
 * Messages from the worker to the training thread.
 *
 * @example
 * ```ts
 * worker.on('message', (m: FromTelemetryWorker) => m.type === 'closed' && done());
 * ```
 */
export type FromTelemetryWorker =
  | { readonly type: 'listening'; readonly address: string; readonly port: number }
  /** `setting`: the error was a {@link TelemetrySettingError}, which the message cannot carry. */
  | { readonly type: 'failed'; readonly message: string; readonly setting: boolean }
  | { readonly type: 'stats'; readonly subscribers: number; readonly ended: Record<string, number> }
  | { readonly type: 'closed' };

/**
 * What the worker is started with.
 *
 * @example
 * ```ts
 * new Worker(entry, { workerData: { kind: 'rxtrain-telemetry', options: { runId: 'r' } } satisfies TelemetryWorkerData });
 * ```
 */
export interface TelemetryWorkerData {
  readonly kind: 'rxtrain-telemetry';
  readonly options: TelemetryServerOptions;
}

function runWorker(port: NonNullable<typeof parentPort>, data: TelemetryWorkerData): void {
  const post = (m: FromTelemetryWorker): void => port.postMessage(m);
  const events = new Subject<TrainEvent>();
  let shutdownAsked = false;
  let shutdown: (() => Promise<void>) | undefined;
  // Listen first: events the training thread posts meanwhile are queued by the port.
  port.on('message', (m: ToTelemetryWorker) => {
    if (m.type === 'event') events.next(m.event);
    else if (m.type === 'complete') events.complete();
    else if (m.type === 'error') events.error(new Error(m.message));
    else {
      shutdownAsked = true;
      void shutdown?.();
    }
  });
  serveTelemetry(events, data.options).then(
    (server) => {
      shutdown = server.shutdown;
      let last = '';
      const sendStats = (): void => {
        const s = JSON.stringify([server.subscribers, server.ended]);
        if (s !== last) {
          last = s;
          post({ type: 'stats', subscribers: server.subscribers, ended: { ...server.ended } });
        }
      };
      const timer = setInterval(sendStats, 25);
      post({ type: 'listening', address: server.address, port: server.port });
      void server.closed.then(() => {
        clearInterval(timer);
        sendStats();
        post({ type: 'closed' });
        port.close();
      });
      if (shutdownAsked) void server.shutdown();
    },
    (err: unknown) => {
      post({ type: 'failed', message: err instanceof Error ? err.message : String(err), setting: err instanceof TelemetrySettingError });
      port.close();
    },
  );
}

const data = workerData as TelemetryWorkerData | undefined;
if (parentPort !== null && data?.kind === 'rxtrain-telemetry') runWorker(parentPort, data);
