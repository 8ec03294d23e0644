import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import * as E from 'fp-ts/Either';
import { formatHostPort, isLoopbackHost, parseHostPort } from './hostPort';

/**
 * What {@link monitorHint} needs to know about a telemetry server that is listening.
 *
 * @example
 * ```ts
 * const o: MonitorHintOptions = { address: '0.0.0.0:50051', hostname: 'gpu-box', token: true, tls: { certPath: 'cert.pem', certPem: '-----BEGIN CERTIFICATE-----…' } };
 * ```
 */
export interface MonitorHintOptions {
  /** The address the server listens on, with its real port (`0.0.0.0:50051`, `[::]:50051`). */
  readonly address: string;
  /** This machine's name (`os.hostname()`), dialled when the server listens on every interface. */
  readonly hostname: string;
  /** Whether the server requires a bearer token (never the token itself: the line is logged). */
  readonly token: boolean;
  /** The certificate the server serves TLS with, as given to it and as read. */
  readonly tls?: { readonly certPath: string; readonly certPem: string | Buffer };
}

const WILDCARD = new Set(['0.0.0.0', '::']);

/** Whether `cert` is valid for `host` (a name or an IP address). */
function covers(cert: X509Certificate, host: string): boolean {
  return (isIP(host) !== 0 ? cert.checkIP(host) : cert.checkHost(host)) !== undefined;
}

/** The certificate's names, subjectAltNames first (`DNS:gpu-box, IP Address:10.0.0.5` → gpu-box, 10.0.0.5). */
function certificateNames(cert: X509Certificate): string[] {
  const alt = (cert.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => /^(?:DNS|IP Address):/.test(s))
    .map((s) => s.replace(/^(?:DNS|IP Address):/, ''));
  if (alt.length > 0) return alt;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn === undefined ? [] : [cn];
}

/**
 * The `rxtrain monitor` command that reaches a telemetry server from another machine, for
 * the line `rxtrain train` logs when it starts serving. A server on every interface
 * (`0.0.0.0`, `::`) is dialled by this machine's name, or by the name its certificate is for;
 * a TLS server adds `--ca CERT` (self-signed) or `--tls`, and `--server-name` when the host
 * dialled is not in the certificate; a token is mentioned, never shown.
 *
 * @example
 * ```ts
 * monitorHint({ address: '127.0.0.1:50051', hostname: 'box', token: false }); // 'rxtrain monitor 127.0.0.1:50051'
 * monitorHint({ address: '0.0.0.0:50051', hostname: 'box', token: true });
 * // 'rxtrain monitor box:50051 (the token as --token or RXTRAIN_TELEMETRY_TOKEN; or any other address of this machine)'
 * ```
 */
export function monitorHint(o: MonitorHintOptions): string {
  const hp = parseHostPort(o.address);
  if (E.isLeft(hp)) return `rxtrain monitor ${o.address}`;
  const { port } = hp.right;
  const wildcard = WILDCARD.has(hp.right.host);
  let cert: X509Certificate | undefined;
  try {
    cert = o.tls === undefined ? undefined : new X509Certificate(o.tls.certPem);
  } catch {
    cert = undefined; // the server took it, so this does not happen; the hint just says less
  }
  const names = cert === undefined ? [] : certificateNames(cert).filter((n) => !n.includes('*'));
  // Every interface: this machine's name, unless the certificate is for another one (the
  // name it is known by on the network, which the monitor must dial or pass as --server-name).
  const host = !wildcard ? hp.right.host : cert !== undefined && !covers(cert, o.hostname) && names.length > 0 ? names[0] : o.hostname;
  const flags: string[] = [];
  if (cert !== undefined && o.tls !== undefined) {
    flags.push(cert.issuer === cert.subject ? `--ca ${o.tls.certPath}` : '--tls');
    if (!covers(cert, host) && names.length > 0) flags.push(`--server-name ${names[0]}`);
  }
  const selfSigned = cert !== undefined && cert.issuer === cert.subject;
  const notes = [
    ...(selfSigned && !isLoopbackHost(host) ? [`${o.tls?.certPath ?? 'the certificate'} copied to the monitor's machine`] : []),
    ...(o.token ? ['the token as --token or RXTRAIN_TELEMETRY_TOKEN'] : []),
    ...(wildcard && cert === undefined ? ['or any other address of this machine'] : []),
    ...(wildcard && cert !== undefined && names.length > 0 && !flags.some((f) => f.startsWith('--server-name'))
      ? [`dialling another address of this machine: add --server-name ${names[0]}`]
      : []),
  ];
  const command = ['rxtrain monitor', formatHostPort({ host, port }), ...flags].join(' ');
  return notes.length > 0 ? `${command} (${notes.join('; ')})` : command;
}
