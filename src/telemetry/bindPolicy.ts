import * as E from 'fp-ts/Either';
import { isLoopbackHost, type HostPort } from './hostPort';

/**
 * How {@link checkBindPolicy}'s refusals name the settings: `rxtrain train`'s flags, or the
 * options of `startTelemetryServer` for a program that calls it (the CLI checks its flags
 * before it starts a server, so only code ever meets the server's own check).
 *
 * @example
 * ```ts
 * checkBindPolicy({ host: '0.0.0.0', port: 0 }, { tls: false, insecure: false }, 'options'); // left('… pass tls: { cert, key } …')
 * ```
 */
export type BindPolicyWords = 'flags' | 'options';

const WORDS: Record<BindPolicyWords, { readonly tls: string; readonly insecure: string }> = {
  flags: { tls: '--telemetry-cert and --telemetry-key', insecure: '--telemetry-insecure' },
  options: { tls: 'tls: { cert, key }', insecure: 'insecure: true' },
};

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
export function checkBindPolicy(at: HostPort, sec: { readonly tls: boolean; readonly insecure: boolean }, words: BindPolicyWords = 'flags'): E.Either<string, void> {
  const w = WORDS[words];
  if (sec.tls && sec.insecure) {
    return E.left(`${w.insecure} contradicts ${words === 'flags' ? '--telemetry-cert/--telemetry-key' : 'tls'}: choose TLS or plaintext`);
  }
  if (isLoopbackHost(at.host) || sec.tls || sec.insecure) return E.right(undefined);
  return E.left(
    `refusing to serve telemetry in plaintext on non-loopback address '${at.host}': ` +
      `pass ${w.tls} for TLS, or ${w.insecure} if the network is trusted`,
  );
}
