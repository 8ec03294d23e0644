import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { monitorHint } from '../../src/telemetry/monitorHint';
import { selfSignedCert } from './telemetryTestKit';

describe('monitorHint', () => {
  it('plaintext: the address as bound, or this machine\'s name for every interface; the token mentioned, never shown', () => {
    assert.equal(monitorHint({ address: '127.0.0.1:50051', hostname: 'box', token: false }), 'rxtrain monitor 127.0.0.1:50051');
    assert.equal(monitorHint({ address: '127.0.0.1:50051', hostname: 'box', token: true }), 'rxtrain monitor 127.0.0.1:50051 (the token as --token or RXTRAIN_TELEMETRY_TOKEN)');
    assert.equal(monitorHint({ address: '0.0.0.0:7000', hostname: 'box', token: false }), 'rxtrain monitor box:7000 (or any other address of this machine)');
    assert.equal(monitorHint({ address: '[::]:7000', hostname: 'box', token: false }), 'rxtrain monitor box:7000 (or any other address of this machine)');
  });

  it('TLS with a self-signed certificate: --ca, and the name the certificate is for', async () => {
    const tls = await selfSignedCert(['DNS:gpu-box']);
    try {
      const t = { certPath: 'cert.pem', certPem: fs.readFileSync(tls.cert) };
      // Every interface, on a machine not named in the certificate: dial the certificate's name.
      assert.equal(
        monitorHint({ address: '0.0.0.0:50051', hostname: 'vm', token: true, tls: t }),
        'rxtrain monitor gpu-box:50051 --ca cert.pem (cert.pem copied to the monitor\'s machine; the token as --token or RXTRAIN_TELEMETRY_TOKEN; '
          + 'dialling another address of this machine: add --server-name gpu-box)',
      );
      // An address the certificate is not for: --server-name.
      assert.equal(
        monitorHint({ address: '192.0.2.2:50051', hostname: 'vm', token: false, tls: t }),
        'rxtrain monitor 192.0.2.2:50051 --ca cert.pem --server-name gpu-box (cert.pem copied to the monitor\'s machine)',
      );
    } finally {
      fs.rmSync(tls.dir, { recursive: true, force: true });
    }
    const byIp = await selfSignedCert(['IP:192.0.2.2']);
    try {
      assert.equal(
        monitorHint({ address: '192.0.2.2:50051', hostname: 'vm', token: false, tls: { certPath: '/etc/rx/cert.pem', certPem: fs.readFileSync(byIp.cert) } }),
        'rxtrain monitor 192.0.2.2:50051 --ca /etc/rx/cert.pem (/etc/rx/cert.pem copied to the monitor\'s machine)',
      );
    } finally {
      fs.rmSync(byIp.dir, { recursive: true, force: true });
    }
  });
});
