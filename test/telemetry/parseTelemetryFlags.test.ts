import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import * as E from 'fp-ts/Either';
import { parseTelemetryFlags, TELEMETRY_PARSE_ARGS_OPTIONS } from '../../src/telemetry/parseTelemetryFlags';

describe('parseTelemetryFlags', () => {
  const left = (r: E.Either<string, unknown>): string => (E.isLeft(r) ? r.left : assert.fail(`expected an error, got ${JSON.stringify(r)}`));

  it('defaults to loopback 127.0.0.1:50051, plaintext, no token', () => {
    assert.deepEqual(parseTelemetryFlags({}), E.right({ address: '127.0.0.1:50051' }));
  });

  it('passes off through', () => {
    assert.deepEqual(parseTelemetryFlags({ telemetry: 'off' }), E.right({ address: 'off' }));
  });

  it('works with node:util parseArgs', () => {
    const { values } = parseArgs({
      args: ['--telemetry', '0.0.0.0:7000', '--telemetry-cert', 'c.pem', '--telemetry-key', 'k.pem', '--telemetry-token', 't0k'],
      options: TELEMETRY_PARSE_ARGS_OPTIONS,
    });
    assert.deepEqual(parseTelemetryFlags(values), E.right({ address: '0.0.0.0:7000', tls: { cert: 'c.pem', key: 'k.pem' }, token: 't0k' }));
  });

  it('refuses plaintext on a non-loopback address unless --telemetry-insecure', () => {
    assert.match(left(parseTelemetryFlags({ telemetry: '0.0.0.0:50051' })), /refusing .* plaintext .*'0\.0\.0\.0'.*--telemetry-insecure/);
    assert.deepEqual(
      parseTelemetryFlags({ telemetry: '0.0.0.0:50051', 'telemetry-insecure': true }),
      E.right({ address: '0.0.0.0:50051', insecure: true }),
    );
  });

  it('reports incomplete or contradictory security flags', () => {
    assert.match(left(parseTelemetryFlags({ 'telemetry-cert': 'c.pem' })), /--telemetry-cert needs --telemetry-key/);
    assert.match(left(parseTelemetryFlags({ 'telemetry-key': 'k.pem' })), /--telemetry-key needs --telemetry-cert/);
    assert.match(
      left(parseTelemetryFlags({ 'telemetry-cert': 'c', 'telemetry-key': 'k', 'telemetry-insecure': true })),
      /contradicts/,
    );
    assert.match(left(parseTelemetryFlags({ 'telemetry-token': 'has space' })), /without whitespace/);
    assert.match(left(parseTelemetryFlags({ telemetry: 'localhost' })), /--telemetry: expected HOST:PORT/);
  });

  it('takes the token from RXTRAIN_TELEMETRY_TOKEN when no flag is given', () => {
    assert.deepEqual(parseTelemetryFlags({}, { RXTRAIN_TELEMETRY_TOKEN: 'abc' }), E.right({ address: '127.0.0.1:50051', token: 'abc' }));
  });

  it('refuses an empty RXTRAIN_TELEMETRY_TOKEN naming the variable, not --telemetry-token', () => {
    const msg = left(parseTelemetryFlags({}, { RXTRAIN_TELEMETRY_TOKEN: '' }));
    assert.match(msg, /^RXTRAIN_TELEMETRY_TOKEN must be a non-empty token/);
    assert.match(left(parseTelemetryFlags({ 'telemetry-token': '' }, { RXTRAIN_TELEMETRY_TOKEN: 'abc' })), /^--telemetry-token must be/);
  });
});
