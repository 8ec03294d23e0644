/**
 * A telemetry server that cannot start because of its settings: an address that is in use,
 * not of this machine, or not resolvable, a malformed address, a refused plaintext bind. The
 * user fixes it by changing `--telemetry` (or the TLS flags); retrying as it is cannot help.
 * `rxtrain train` exits 2 on it (a bad setting, as a bad flag), 1 on any other failure.
 *
 * @example
 * ```ts
 * try {
 *   await startTelemetryServer(events$, { runId: 'r', address: '127.0.0.1:50051' });
 * } catch (e) {
 *   process.exitCode = e instanceof TelemetrySettingError ? 2 : 1;
 * }
 * ```
 */
export class TelemetrySettingError extends Error {
  override readonly name = 'TelemetrySettingError';
}
