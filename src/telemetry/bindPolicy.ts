import * as E from 'fp-ts/Either';
import { isLoopbackHost, type HostPort } from './hostPort';

/**
 * The security rule for binding: loopback may be plaintext; anything else needs TLS or an
 * explicit opt-in to plaintext, because the event stream carries paths and configs.
 *
 * @example
 * ```ts
 * checkBindPolicy({ host: '0.0.0.0', port: 50051 }, { tls: false, insecure: false }); // left('refusing ...')
 * checkBindPolicy({ host: '127.0.0.1', port: 0 }, { tls: false, insecure: false });  // right(undefined)
 * ```
 */
export function checkBindPolicy(at: HostPort, sec: { readonly tls: boolean; readonly insecure: boolean }): E.Either<string, void> {
  if (sec.tls && sec.insecure) {
    return E.left('--telemetry-insecure contradicts --telemetry-cert/--telemetry-key: choose TLS or plaintext');
  }
  if (isLoopbackHost(at.host) || sec.tls || sec.insecure) return E.right(undefined);
  return E.left(
    `refusing to serve telemetry in plaintext on non-loopback address '${at.host}': ` +
      'pass --telemetry-cert and --telemetry-key for TLS, or --telemetry-insecure if the network is trusted',
  );
}
