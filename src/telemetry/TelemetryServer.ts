import type { SubscriptionEnd } from './Subscription';

/**
 * Fully-qualified service name, as health checks and reflection know it.
 *
 * @example
 * ```ts
 * health.setStatus(TELEMETRY_SERVICE_NAME, 'SERVING');
 * ```
 */
export const TELEMETRY_SERVICE_NAME = 'rxtrain.telemetry.v1.Telemetry';

/**
 * A running telemetry server.
 *
 * @example
 * ```ts
 * const server = await startTelemetryServer(events$, { runId: 'r1', address: '127.0.0.1:0' });
 * console.log(`rxtrain monitor ${server.address}`);
 * await server.closed; // resolves after training ended and every stream closed
 * ```
 */
export interface TelemetryServer {
  /** `host:port` actually bound (the real port when 0 was asked), or 'off'. */
  readonly address: string;
  /** Bound port (0 when off). */
  readonly port: number;
  /** Number of connected subscribers right now. */
  readonly subscribers: number;
  /** Counts of ended subscriptions by how they ended (for logs, tests and benchmarks). */
  readonly ended: Readonly<Record<SubscriptionEnd, number>>;
  /**
   * Resolves once the server has fully shut down: after the event stream ended and every
   * stream was sent what was left (at most `shutdownGraceMs`), or after shutdown(). With
   * `lingerAfterEndMs`, the server first goes on serving the finished run: `closed` then
   * resolves once watchers have been sent the end, no stream is open and 2 s passed without
   * a call, or when the linger is over (plus the grace), whichever comes first.
   */
  readonly closed: Promise<void>;
  /**
   * Stops taking events, lets every subscriber read what it has not yet received (up to
   * the grace period), ends each stream with OK and closes the server. Idempotent.
   */
  shutdown(): Promise<void>;
}
