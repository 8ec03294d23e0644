import * as net from 'node:net';
import * as E from 'fp-ts/Either';
import { DEFAULT_TELEMETRY_ADDRESS } from './TelemetryServerOptions';

/**
 * A parsed `host:port`; IPv6 hosts are kept without brackets.
 *
 * @example
 * ```ts
 * const hp: HostPort = { host: '::1', port: 50051 };
 * ```
 */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `host:port`, `[v6]:port` or a bare `:port` / `port` (meaning 127.0.0.1). Port 0
 * asks the OS for a free port. Errors are readable values, not exceptions.
 *
 * @example
 * ```ts
 * parseHostPort('127.0.0.1:50051'); // right({ host: '127.0.0.1', port: 50051 })
 * parseHostPort('[::1]:0');         // right({ host: '::1', port: 0 })
 * parseHostPort('nohost');          // left("expected HOST:PORT ...")
 * ```
 */
export function parseHostPort(raw: string): E.Either<string, HostPort> {
  const s = raw.trim();
  let host: string;
  let portText: string;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(s);
  if (v6) {
    host = v6[1];
    portText = v6[2];
  } else if (/^:?\d+$/.test(s)) {
    host = '127.0.0.1';
    portText = s.replace(/^:/, '');
  } else {
    const i = s.lastIndexOf(':');
    if (i <= 0 || s.indexOf(':') !== i) {
      // The two likely slips, each with the address meant: a URL pasted whole, a host alone.
      const url = /^[a-z][a-z0-9+.-]*:\/\/([^/]+)\/?$/i.exec(s);
      const port = DEFAULT_TELEMETRY_ADDRESS.slice(DEFAULT_TELEMETRY_ADDRESS.lastIndexOf(':') + 1);
      const fix = url ? `: without the scheme, ${url[1]}`
        : /^[\w.-]+$/.test(s) ? `: add the port, e.g. ${s}:${port} (rxtrain train's default)`
        : /^[0-9a-f:]+$/i.test(s) && net.isIPv6(s) ? `: an IPv6 host in brackets, e.g. [${s}]:${port}`
        : '';
      return E.left(`expected HOST:PORT (e.g. 127.0.0.1:50051 or [::1]:50051), got '${raw}'${fix}`);
    }
    host = s.slice(0, i);
    portText = s.slice(i + 1);
  }
  if (!/^\d+$/.test(portText)) return E.left(`port must be a number in ${raw === '' ? "''" : `'${raw}'`}`);
  const port = Number(portText);
  if (port > 65535) return E.left(`port ${port} is out of range (0-65535) in '${raw}'`);
  if (host === '' || /\s/.test(host)) return E.left(`missing or malformed host in '${raw}'`);
  return E.right({ host, port });
}

/**
 * Formats a {@link HostPort} the way gRPC targets expect (`[::1]:50051` for IPv6).
 *
 * @example
 * ```ts
 * formatHostPort({ host: '::1', port: 50051 }); // '[::1]:50051'
 * ```
 */
export function formatHostPort(hp: HostPort): string {
  return net.isIPv6(hp.host) ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

/**
 * True for addresses that only this machine can reach: 127.0.0.0/8, ::1 (and its
 * IPv4-mapped form) and `localhost`. Any other name may resolve to a public interface, so
 * it counts as non-loopback.
 *
 * @example
 * ```ts
 * isLoopbackHost('127.0.0.2'); // true
 * isLoopbackHost('0.0.0.0');   // false
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return net.isIPv4(v4) && v4.split('.')[0] === '127';
}
