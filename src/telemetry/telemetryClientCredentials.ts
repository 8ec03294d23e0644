import { promises as fs } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { ioErrorReason } from '../streams/ioErrorReason';
import { printablePath } from '../streams/printablePath';

/**
 * How a client reaches a telemetry server.
 *
 * @example
 * ```ts
 * const t: TelemetryClientTls = { tls: true, ca: 'cert.pem', serverName: 'gpu-box' };
 * ```
 */
export interface TelemetryClientTls {
  /** Use TLS. Without `ca`, the system's root certificates verify the server. */
  readonly tls: boolean;
  /** PEM file of the CA (or the self-signed certificate) that signed the server's certificate; implies TLS. */
  readonly ca?: string | undefined;
  /** Expected name in the server's certificate, when it differs from the host dialled. */
  readonly serverName?: string | undefined;
}

/**
 * Channel credentials and options for a telemetry client: plaintext, TLS with system
 * roots, or TLS with a given CA. Rejects with a readable Error if the CA file is unreadable.
 *
 * @example
 * ```ts
 * const { credentials, options } = await telemetryClientCredentials({ tls: true, ca: 'ca.pem' });
 * const client = new v1.Telemetry('gpu-box:50051', credentials, options);
 * ```
 */
export async function telemetryClientCredentials(
  t: TelemetryClientTls,
): Promise<{ credentials: grpc.ChannelCredentials; options: grpc.ChannelOptions }> {
  const options: grpc.ChannelOptions = t.serverName === undefined ? {} : { 'grpc.ssl_target_name_override': t.serverName };
  if (t.ca !== undefined) {
    let ca: Buffer;
    try {
      ca = await fs.readFile(t.ca);
    } catch (err) {
      throw new Error(`cannot read CA certificate ${printablePath(t.ca)}: ${ioErrorReason(err)}`);
    }
    // Checked here, not at the handshake: a key or a stray file would only fail there as "not
    // signed by key.pem", and not at all while the server is not up yet.
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
      throw new Error(/-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/.test(ca.toString('latin1'))
        ? `--ca ${printablePath(t.ca)} holds a private key, not a certificate: pass the server's certificate (--telemetry-cert of rxtrain train); its key stays on the training machine`
        : `--ca ${printablePath(t.ca)} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    }
    return { credentials: grpc.credentials.createSsl(ca), options };
  }
  return { credentials: t.tls ? grpc.credentials.createSsl() : grpc.credentials.createInsecure(), options };
}
