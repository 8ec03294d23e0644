import assert from 'node:assert/strict';
import * as E from 'fp-ts/Either';
import { formatHostPort, isLoopbackHost, parseHostPort } from '../../src/telemetry/hostPort';

describe('hostPort', () => {
  it('parses host:port, [v6]:port and bare ports', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:50051'), E.right({ host: '127.0.0.1', port: 50051 }));
    assert.deepEqual(parseHostPort('[::1]:0'), E.right({ host: '::1', port: 0 }));
    assert.deepEqual(parseHostPort('gpu-box.lan:7000'), E.right({ host: 'gpu-box.lan', port: 7000 }));
    assert.deepEqual(parseHostPort(':9000'), E.right({ host: '127.0.0.1', port: 9000 }));
  });

  it('gives readable errors for malformed addresses', () => {
    for (const bad of ['nohost', 'host:', 'host:abc', 'h:70000', '::1:50051', '']) {
      const r = parseHostPort(bad);
      assert.ok(E.isLeft(r), bad);
      assert.match(r.left, /HOST:PORT|port|host/);
    }
  });

  it('says the address meant for a host without a port, a URL or a bare IPv6 address', () => {
    const left = (raw: string) => E.getOrElseW((l: string) => l)(E.map(() => '')(parseHostPort(raw)));
    assert.equal(left('gpu-box'), "expected HOST:PORT (e.g. 127.0.0.1:50051 or [::1]:50051), got 'gpu-box': add the port, e.g. gpu-box:50051 (rxtrain train's default)");
    assert.match(left('10.0.0.5'), /got '10\.0\.0\.5': add the port, e\.g\. 10\.0\.0\.5:50051 /);
    assert.match(left('http://gpu-box:50051'), /got 'http:\/\/gpu-box:50051': without the scheme, gpu-box:50051$/);
    assert.match(left('grpc://gpu-box:50051/'), /: without the scheme, gpu-box:50051$/);
    assert.match(left('fe80::1'), /got 'fe80::1': an IPv6 host in brackets, e\.g\. \[fe80::1\]:50051$/);
  });

  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopbackHost(h), h);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1']) assert.ok(!isLoopbackHost(h), h);
  });

  it('formats IPv6 with brackets', () => {
    assert.equal(formatHostPort({ host: '::1', port: 5 }), '[::1]:5');
    assert.equal(formatHostPort({ host: '127.0.0.1', port: 5 }), '127.0.0.1:5');
  });
});
