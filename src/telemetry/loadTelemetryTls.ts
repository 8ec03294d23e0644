import { X509Certificate, createPrivateKey } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as E from 'fp-ts/Either';
import type { TelemetryTls } from './TelemetryServerOptions';
import { ioErrorReason } from '../streams/ioErrorReason';
import { printablePath } from '../streams/printablePath';

// What a PEM given in memory is called in a message: never its bytes (the key's are a secret).
function pemName(x: string | Uint8Array, what: string): string {
  return typeof x === 'string' ? x : `the ${what} given in memory`;
}

async function readPem(x: string | Uint8Array, what: string): Promise<E.Either<string, Buffer>> {
  // A Buffer that crossed to startTelemetryServer's worker arrives as a plain Uint8Array.
  if (typeof x !== 'string') return E.right(Buffer.from(x.buffer, x.byteOffset, x.byteLength));
  try {
    return E.right(await fs.readFile(x));
  } catch (err) {
    return E.left(`cannot read telemetry TLS ${what} ${printablePath(x)}: ${ioErrorReason(err)}`);
  }
}

/**
 * Reads and checks the telemetry server's TLS certificate and key: both readable, each PEM of
 * its kind, not swapped, parsable, and the key the certificate's own. Left: one readable
 * line naming the file (OpenSSL alone would say "no start line" or, at bind time, "key values
 * mismatch", which reads like a network problem). `rxtrain train` runs it before anything
 * is created and hands the bytes it read to the server, which runs it again on them (no
 * second read of the files).
 *
 * @example
 * ```ts
 * const tls = await loadTelemetryTls({ cert: 'cert.pem', key: 'key.pem' });
 * if (E.isLeft(tls)) console.error(tls.left); // "telemetry TLS: the key (key.pem) does not belong to the certificate (cert.pem): ..."
 * ```
 */
export async function loadTelemetryTls(tls: TelemetryTls): Promise<E.Either<string, { readonly cert: Buffer; readonly key: Buffer }>> {
  // One after the other: when both are unreadable, the error names the certificate every time.
  const certRead = await readPem(tls.cert, 'certificate');
  if (E.isLeft(certRead)) return certRead;
  const keyRead = await readPem(tls.key, 'key');
  if (E.isLeft(keyRead)) return keyRead;
  const cert = certRead.right;
  const key = keyRead.right;
  const certName = pemName(tls.cert, 'certificate');
  const keyName = pemName(tls.key, 'key');
  const isCert = (b: Buffer): boolean => b.includes('-----BEGIN CERTIFICATE-----');
  const isKey = (b: Buffer): boolean => /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/.test(b.toString('latin1'));
  if (!isCert(cert) || !isKey(key)) {
    if (isKey(cert) && isCert(key)) return E.left(`telemetry TLS: the certificate (${certName}) and the key (${keyName}) look swapped`);
    if (!isCert(cert)) return E.left(`telemetry TLS: ${certName} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    return E.left(`telemetry TLS: ${keyName} holds no PEM private key (-----BEGIN … PRIVATE KEY-----)`);
  }
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    return E.left(`telemetry TLS: ${certName} holds a damaged PEM certificate (${err instanceof Error ? err.message : String(err)})`);
  }
  // gRPC cannot ask for a passphrase (OpenSSL's own words would be "interrupted or cancelled").
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(key.toString('latin1'))) {
    return E.left(`telemetry TLS: ${keyName} is encrypted with a passphrase; the server needs it without one (openssl pkey -in ${keyName} -out plain-key.pem)`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    return E.left(`telemetry TLS: ${keyName} holds a damaged PEM private key (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    return E.left(`telemetry TLS: the key (${keyName}) does not belong to the certificate (${certName}): pass the key made together with it`);
  }
  return E.right({ cert, key });
}
