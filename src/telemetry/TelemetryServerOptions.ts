/**
 * TLS material for the telemetry server. A string is a path to a PEM file; a Buffer is the
 * PEM content itself.
 *
 * @example
 * ```ts
 * const tls: TelemetryTls = { cert: 'cert.pem', key: fs.readFileSync('key.pem') };
 * ```
 */
export interface TelemetryTls {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

/**
 * How {@link startTelemetryServer} listens. Everything but `runId` has a safe default:
 * loopback, plaintext, no token.
 *
 * @example
 * ```ts
 * const opts: TelemetryServerOptions = { runId: 'alexnet-01', address: '127.0.0.1:0', replayBuffer: 4096 };
 * ```
 */
export interface TelemetryServerOptions {
  /** Stamped on every event and returned by GetRun (TrainBegin's runId wins if it differs). */
  readonly runId: string;
  /**
   * `host:port` to bind (default {@link DEFAULT_TELEMETRY_ADDRESS}); port 0 picks a free
   * port. `'off'` starts nothing: the returned server is inert (address 'off', port 0).
   */
  readonly address?: string | undefined;
  /** Serve TLS with this certificate and key. Required for a non-loopback bind unless `insecure`. */
  readonly tls?: TelemetryTls | undefined;
  /** Allow a plaintext non-loopback bind (trusted networks only). */
  readonly insecure?: boolean | undefined;
  /** If set, Subscribe and GetRun need metadata `authorization: Bearer <token>`. */
  readonly token?: string | undefined;
  /** Events kept for late or reconnecting subscribers (default 10000). */
  readonly replayBuffer?: number | undefined;
  /**
   * Events a subscriber may fall behind (beyond what gRPC itself buffers) before it is
   * ended with RESOURCE_EXHAUSTED (default 1024).
   */
  readonly maxQueue?: number | undefined;
  /**
   * After training ends, how long subscribers get to read what is left before the server
   * closes anyway (default 5000 ms). Also the grace a cut-off slow subscriber gets to read
   * its RESOURCE_EXHAUSTED status before its stream is reset.
   */
  readonly shutdownGraceMs?: number | undefined;
  /**
   * After training ends, how long the server goes on serving the finished run to watchers
   * that connect only now (default 0: it closes at once). A run shorter than a watcher's
   * way in (the watcher of the README's "In code" example, `rxtrain monitor` started a moment
   * late) would otherwise find nothing listening, and a watcher retries that for ever. The
   * server closes earlier once every open stream has been sent the end (at least one was)
   * and 2 s passed without a call (GetRun or Subscribe) or an open stream: a run that was
   * watched is held up by those 2 s only, and a second watcher that connected with the
   * first (asked GetRun, subscribes a moment later) is still served.
   */
  readonly lingerAfterEndMs?: number | undefined;
}

/**
 * The default bind: loopback only, the conventional gRPC port.
 *
 * @example
 * ```ts
 * DEFAULT_TELEMETRY_ADDRESS; // '127.0.0.1:50051'
 * ```
 */
export const DEFAULT_TELEMETRY_ADDRESS = '127.0.0.1:50051';

/**
 * Defaults of the numeric options.
 *
 * @example
 * ```ts
 * TELEMETRY_DEFAULTS.maxQueue; // 1024
 * ```
 */
export const TELEMETRY_DEFAULTS = {
  replayBuffer: 10_000,
  maxQueue: 1024,
  shutdownGraceMs: 5000,
  lingerAfterEndMs: 0,
} as const;
