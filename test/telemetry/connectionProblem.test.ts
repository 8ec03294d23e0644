import assert from 'node:assert/strict';
import { classifyUnavailable, describeUnavailable } from '../../src/telemetry/connectionProblem';

// Details as grpc-js 1.14 on Node 20 reports them.
const REFUSED = 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ';
const NOT_TLS = 'No connection established. Last error: Error: 80ECC128B97F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n. Resolution note: ';
const CLOSED = 'No connection established. Last error: Failed to connect (2026-12-07T01:38:12.388Z). Resolution note: ';
const HOST_NAME = "No connection established. Last error: Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: Host: localhost. is not in the cert's altnames: DNS:gpu-box, DNS:gpu-box.lan. Resolution note: ";
const IP_NAME = "No connection established. Last error: Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list: . Resolution note: ";

describe('connectionProblem', () => {
  it('classifies handshake failures, and keeps a refused connection transient', () => {
    assert.deepEqual(classifyUnavailable(REFUSED, false), { kind: 'transient' });
    assert.deepEqual(classifyUnavailable(REFUSED, true), { kind: 'transient' });
    assert.deepEqual(classifyUnavailable('Name resolution failed for target dns:nohost:1', true), { kind: 'transient' });
    assert.deepEqual(classifyUnavailable(NOT_TLS, true), { kind: 'fatal', problem: { kind: 'server-not-tls' } });
    assert.deepEqual(classifyUnavailable(CLOSED, false), { kind: 'probe-tls' });
    assert.deepEqual(classifyUnavailable(CLOSED, true), { kind: 'transient' });
    assert.deepEqual(classifyUnavailable(HOST_NAME, true), { kind: 'probe-certificate-names', host: 'localhost', names: ['gpu-box', 'gpu-box.lan'] });
    assert.deepEqual(classifyUnavailable(IP_NAME, true), { kind: 'probe-certificate-names', host: '127.0.0.1', names: [] });
    assert.deepEqual(classifyUnavailable('Last error: Error: unable to get local issuer certificate. Resolution note: ', true), {
      kind: 'fatal',
      problem: { kind: 'certificate-untrusted', reason: 'unable to get local issuer certificate' },
    });
  });

  it('describes failures readably', () => {
    assert.equal(describeUnavailable(REFUSED, '127.0.0.1:50051'), 'nothing listens on 127.0.0.1:50051 yet — is training running?');
    // Another port than training's default may be the mistake: it is asked about too.
    assert.equal(describeUnavailable(REFUSED, '127.0.0.1:1'), 'nothing listens on 127.0.0.1:1 yet — is training running, and serving on 1, not its default 50051?');
    assert.equal(describeUnavailable(REFUSED, '[::1]:50052'), 'nothing listens on [::1]:50052 yet — is training running, and serving on 50052, not its default 50051?');
    assert.equal(describeUnavailable('Name resolution failed for target dns:gpu-box:50051', 'gpu-box:50051'), 'cannot resolve gpu-box — is the host name right?');
    // A peer that cuts the connection: grpc-js says either, one problem gets one text.
    assert.equal(describeUnavailable(CLOSED, 'h:1'), 'the connection to h:1 was closed before the server answered');
    assert.equal(describeUnavailable('No connection established. Last error: Error: read ECONNRESET. Resolution note: ', 'h:1'), 'the connection to h:1 was closed before the server answered');
    assert.equal(describeUnavailable('Connection dropped', 'h:1'), 'Connection dropped');
    // Once a server there has sent events, the run was there: it went away, it is not yet to start.
    assert.equal(describeUnavailable(REFUSED, '127.0.0.1:50052', true), 'nothing listens on 127.0.0.1:50052 any more — did training stop?');
  });
});
