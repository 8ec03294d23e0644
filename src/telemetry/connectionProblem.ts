import * as net from 'node:net';
import * as tls from 'node:tls';
import * as E from 'fp-ts/Either';
import { DEFAULT_TRAIN_CONFIG } from '../model/TrainConfig';
import { parseHostPort } from './hostPort';

/**
 * Why a connection to a telemetry server cannot succeed however often it is retried: the
 * client and the server disagree about TLS, or the server's certificate does not fit.
 *
 * @example
 * ```ts
 * const p: ConnectionProblem = { kind: 'certificate-name', host: '127.0.0.1', names: ['gpu-box'] };
 * ```
 */
export type ConnectionProblem =
  /** The client speaks TLS, the server plaintext. */
  | { readonly kind: 'server-not-tls' }
  /** The client speaks plaintext, the server TLS. */
  | { readonly kind: 'server-is-tls' }
  /** The certificate is valid but for other names than the one checked (`host`). */
  | { readonly kind: 'certificate-name'; readonly host: string; readonly names: readonly string[] }
  /** The certificate is not signed by a trusted CA (self-signed, unknown CA, expired, ...). */
  | { readonly kind: 'certificate-untrusted'; readonly reason: string };

/**
 * What a failed connection attempt means, read from the details of its UNAVAILABLE status
 * (grpc-js reports handshake failures only as text): a problem that retrying cannot fix,
 * a question only a probe of the server can answer (`probe-*`), or a transient failure.
 *
 * @example
 * ```ts
 * classifyUnavailable('... connect ECONNREFUSED 127.0.0.1:1 ...', false); // { kind: 'transient' }
 * ```
 */
export type UnavailableClass =
  | { readonly kind: 'fatal'; readonly problem: ConnectionProblem }
  /** A certificate name mismatch: the names come from the certificate itself. */
  | { readonly kind: 'probe-certificate-names'; readonly host: string; readonly names: readonly string[] }
  /** A plaintext client whose connection closed before HTTP/2 started: a TLS server, or one going away. */
  | { readonly kind: 'probe-tls' }
  | { readonly kind: 'transient' };

/** OpenSSL's words for "the peer's bytes are not TLS records". */
const NOT_TLS = /wrong version number|packet length too long|unknown protocol/;
/** Node's/OpenSSL's verification failures that only another CA, name or certificate can fix. */
const UNTRUSTED = /self[- ]signed certificate|unable to verify the first certificate|unable to get (?:local )?issuer certificate|certificate has expired|certificate is not yet valid|certificate signature failure|CERT_UNTRUSTED|certificate revoked/i;

/**
 * Classifies the details of an UNAVAILABLE status. A refused connection, a failed DNS
 * lookup or a dropped stream are transient: the server may simply not be running yet.
 *
 * @example
 * ```ts
 * classifyUnavailable('Last error: Error: ...:ssl3_get_record:wrong version number:...', true);
 * // { kind: 'fatal', problem: { kind: 'server-not-tls' } }
 * ```
 */
export function classifyUnavailable(details: string, secure: boolean): UnavailableClass {
  if (secure && NOT_TLS.test(details)) return { kind: 'fatal', problem: { kind: 'server-not-tls' } };
  if (secure && /ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate's altnames/.test(details)) {
    // "IP: 127.0.0.1 is not in the cert's list: " / "Host: gpu. is not in the cert's altnames: DNS:a, DNS:b"
    const m = /(?:IP|Host): (\S+?)\.? is not in the cert's (?:list|altnames): ?(.*?)(?:\. Resolution note:|$)/s.exec(details);
    return { kind: 'probe-certificate-names', host: m?.[1] ?? '', names: certificateNames(m?.[2] ?? '') };
  }
  const untrusted = UNTRUSTED.exec(details);
  if (secure && untrusted) return { kind: 'fatal', problem: { kind: 'certificate-untrusted', reason: untrusted[0] } };
  // grpc-js says just "Failed to connect (<time>)" when the TCP connection closed before the
  // server's HTTP/2 settings arrived: what a TLS server does to plaintext bytes, but also what
  // a tunnel or port-forward with nothing behind it does, so only a probe can tell.
  if (!secure && /Last error: Failed to connect \(/.test(details)) return { kind: 'probe-tls' };
  return { kind: 'transient' };
}

/** `DNS:a, IP Address:1.2.3.4` → `['a', '1.2.3.4']`. */
function certificateNames(altnames: string): string[] {
  return altnames
    .split(',')
    .map((s) => s.trim().replace(/^(?:DNS|IP Address|IP):/, ''))
    .filter((s) => s !== '');
}

/**
 * Opens a TLS connection to `address` without verifying anything, to learn whether the
 * server speaks TLS and which names its certificate is for. Resolves `undefined` if no TLS
 * handshake completes within `timeoutMs` (nothing listens, or plaintext).
 *
 * @example
 * ```ts
 * const cert = await probeTls('127.0.0.1:50051');
 * if (cert) console.log(`TLS, certificate for ${cert.names.join(', ')}`);
 * ```
 */
export function probeTls(address: string, opts: { readonly serverName?: string | undefined; readonly timeoutMs?: number | undefined } = {}): Promise<{ readonly names: readonly string[] } | undefined> {
  const hp = parseHostPort(address);
  if (E.isLeft(hp)) return Promise.resolve(undefined);
  const { host, port } = hp.right;
  const servername = opts.serverName ?? (net.isIP(host) === 0 ? host : undefined);
  return new Promise((resolve) => {
    const socket = tls.connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ['h2'], ...(servername !== undefined ? { servername } : {}) });
    const done = (result: { names: string[] } | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done(undefined), opts.timeoutMs ?? 2000);
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const names = certificateNames(cert.subjectaltname ?? '');
      const cn = cert.subject?.CN;
      done({ names: names.length > 0 ? names : typeof cn === 'string' ? [cn] : [] });
    });
    socket.once('error', () => done(undefined));
  });
}

/**
 * Whether a failed attempt's status details say the host answered and refused the connection:
 * nothing listens on the port, the usual sign of a run not started yet or already over. A name
 * that does not resolve or a host that does not answer means something else: a typo, another
 * network.
 *
 * @example
 * ```ts
 * connectionRefused('No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1'); // true
 * connectionRefused('Name resolution failed for target dns:gpu-bx:50051'); // false
 * ```
 */
export function connectionRefused(details: string): boolean {
  return /ECONNREFUSED/.test(details);
}

// The port `rxtrain train` serves on without --telemetry.
const TRAIN_PORT = E.getOrElseW(() => undefined)(parseHostPort(DEFAULT_TRAIN_CONFIG.telemetry.address))?.port;

/**
 * For an address on another port than the one `rxtrain train` serves on by default, the
 * question to ask about it (`serving on 50052, not its default 50051?`); undefined on that port
 * or for an address that does not parse. A monitor dialling 50052 while training serves on 50051
 * (or the reverse) would otherwise be told only that training has not started.
 *
 * @example
 * ```ts
 * otherPortQuestion('gpu-box:50052'); // 'serving on 50052, not its default 50051?'
 * otherPortQuestion('gpu-box:50051'); // undefined
 * ```
 */
export function otherPortQuestion(address: string): string | undefined {
  const hp = parseHostPort(address);
  if (E.isLeft(hp) || hp.right.port === TRAIN_PORT) return undefined;
  return `serving on ${hp.right.port}, not its default ${TRAIN_PORT}?`;
}

/**
 * A readable one-line account of why a connection attempt failed, from its status details:
 * `nothing listens on 127.0.0.1:50051 yet — is training running?` instead of grpc-js's
 * `No connection established. Last error: Error: connect ECONNREFUSED ... Resolution note: `.
 * On another port than training's default it asks about the port too: a monitor dialling
 * 50052 while training serves on 50051 (or the reverse) waits for ever otherwise. Once a
 * server has sent events there (`served`), the run was there: `nothing listens on … any more —
 * did training stop?`, not a question whether it started.
 *
 * @example
 * ```ts
 * describeUnavailable('No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:50051. Resolution note: ', '127.0.0.1:50051');
 * // 'nothing listens on 127.0.0.1:50051 yet — is training running?'
 * describeUnavailable('No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ', '127.0.0.1:1');
 * // 'nothing listens on 127.0.0.1:1 yet — is training running, and serving on 1, not its default 50051?'
 * ```
 */
export function describeUnavailable(details: string, address: string, served = false): string {
  const hp = parseHostPort(address);
  if (connectionRefused(details) && served) return `nothing listens on ${address} any more — did training stop?`;
  if (connectionRefused(details)) {
    const other = otherPortQuestion(address);
    return other === undefined ? `nothing listens on ${address} yet — is training running?` : `nothing listens on ${address} yet — is training running, and ${other}`;
  }
  // A question, like the refused case: the monitor was never connected, so "disconnected:
  // cannot resolve" misled, and a misspelt name is the likelier cause than a DNS hiccup.
  if (/Name resolution failed|ENOTFOUND|EAI_AGAIN/.test(details)) return `cannot resolve ${E.isRight(hp) ? hp.right.host : address} — is the host name right?`;
  const unreachable = /\b(ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)\b/.exec(details);
  if (unreachable) return `${address} is unreachable (${unreachable[1]})`;
  // One text for the two ways grpc-js reports a peer that cuts the connection before HTTP/2 is
  // up (it says either, at random under load): the monitor says a problem once while it lasts,
  // and two wordings of one problem were two lines.
  if (/\bECONNRESET\b|^(?:No connection established\. Last error: )?Failed to connect \(/.test(details)) return `the connection to ${address} was closed before the server answered`;
  const cleaned = details
    .replace(/^No connection established\. Last error: /, '')
    .replace(/\.? ?Resolution note: .*$/s, '')
    .replace(/^Error: /, '')
    .replace(/ \(\d{4}-\d\d-\d\dT[\d:.]+Z\)/, '')
    .trim();
  return cleaned === '' ? 'connection failed' : cleaned;
}
