import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { Subject } from 'rxjs';
import { startTelemetryServer } from '../../src/telemetry/startTelemetryServer';
import { TelemetrySettingError } from '../../src/telemetry/TelemetrySettingError';
import type { TrainEvent } from '../../src/telemetry/TrainEvent';
import { batchEnd, collect, newClient, selfSignedCert, telemetryHealth, until } from './telemetryTestKit';

// The server logic is tested in serveTelemetry.test.ts; these tests cover the worker-thread
// front that training uses: messages across the thread, start-up errors, stats, shutdown.
describe('startTelemetryServer (worker thread)', () => {
  const clients: grpc.Client[] = [];
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  it('serves events posted from the training thread, fans them out, and closes when the stream completes', async () => {
    const events = new Subject<TrainEvent>();
    const starting = startTelemetryServer(events, { runId: 'w', address: '127.0.0.1:0' });
    // Emitted before the worker even listens: must wait in the replay buffer, not vanish.
    events.next({ kind: 'TrainBegin', time: Date.now(), epoch: 0, step: 0, runId: 'w', backend: 'wasm', threads: 1, replicas: 1, epochs: 1, stepsPerEpoch: 3, config: { schedule: () => 0.1, lr: 0.1 } });
    const server = await starting;
    assert.match(server.address, /^127\.0\.0\.1:\d+$/);
    const subs = [0, 1, 2].map(() => {
      const c = newClient(server.address);
      clients.push(c);
      return collect(c);
    });
    await until(() => server.subscribers === 3, 10000, '3 subscribers');
    for (let i = 0; i < 50; i += 1) events.next(batchEnd());
    events.complete();
    for (const s of subs) {
      assert.equal((await s.status).code, grpc.status.OK);
      assert.deepEqual(s.events.map((e) => e.sequence), Array.from({ length: 51 }, (_, i) => i + 1));
    }
    assert.deepEqual(JSON.parse(subs[0].events[0].trainBegin?.configJson ?? ''), { lr: 0.1 }); // the function was dropped, not fatal
    await server.closed;
    assert.equal(server.ended.ok, 3);
  });

  it('with lingerAfterEndMs, serves a run that ended before anyone connected, then closes once the watcher has its end', async () => {
    const events = new Subject<TrainEvent>();
    const server = await startTelemetryServer(events, { runId: 'w', address: '127.0.0.1:0', lingerAfterEndMs: 3_600_000 });
    events.next(batchEnd());
    events.complete();
    // The worker has taken the end in: from here on a watcher is late.
    while ((await telemetryHealth(server.address)) === 'SERVING');
    const c = newClient(server.address);
    clients.push(c);
    const late = collect(c);
    assert.equal((await late.status).code, grpc.status.OK);
    assert.deepEqual(late.events.map((e) => e.sequence), [1]);
    await server.closed;
  });

  it('reports start-up errors as rejections with readable messages', async () => {
    const events = new Subject<TrainEvent>();
    // What a change of address fixes is a TelemetrySettingError (rxtrain train: exit 2), also across the worker.
    const setting = (re: RegExp) => (e: unknown): boolean => e instanceof TelemetrySettingError && re.test(String(e));
    // Called from code, the options to change are named too, not only rxtrain train's flags.
    await assert.rejects(startTelemetryServer(events, { runId: 'r', address: '0.0.0.0:0' }),
      setting(/refusing to serve telemetry in plaintext on non-loopback address '0\.0\.0\.0': pass tls: \{ cert, key \} for TLS, or insecure: true if the network is trusted$/));
    await assert.rejects(startTelemetryServer(events, { runId: 'r', address: '0.0.0.0:0', insecure: true, tls: { cert: 'c.pem', key: 'k.pem' } }),
      setting(/telemetry: insecure: true contradicts tls: choose TLS or plaintext$/));
    await assert.rejects(
      startTelemetryServer(events, { runId: 'r', address: '127.0.0.1:0', tls: { cert: '/nonexistent/c.pem', key: '/nonexistent/k.pem' } }),
      /cannot read telemetry TLS certificate/,
    );
    const first = await startTelemetryServer(events, { runId: 'r', address: '127.0.0.1:0' });
    await assert.rejects(startTelemetryServer(events, { runId: 'r', address: first.address }),
      setting(/127\.0\.0\.1:\d+ is already in use \(another training run on this machine\?\); serve on another port \(--telemetry 127\.0\.0\.1:PORT, or 127\.0\.0\.1:0 for any free one; in code, startTelemetryServer's address\) or switch telemetry off/));
    await first.shutdown();
    // Binding sends nothing: 198.51.100.7 (documentation range) is just not this machine's.
    await assert.rejects(startTelemetryServer(events, { runId: 'r', address: '198.51.100.7:0', insecure: true }),
      setting(/^TelemetrySettingError: telemetry: cannot listen on 198\.51\.100\.7:0: 198\.51\.100\.7 is not an address of this machine .*; bind to one of its own addresses \(hostname -I\), or to 0\.0\.0\.0 for all of them$/));
    await assert.rejects(startTelemetryServer(events, { runId: 'r', address: 'no-such-host.invalid:0', insecure: true }),
      setting(/^TelemetrySettingError: telemetry: cannot listen on no-such-host\.invalid:0: cannot resolve no-such-host\.invalid; bind to an address of this machine \(0\.0\.0\.0 for all of them/));
    const off = await startTelemetryServer(events, { runId: 'r', address: 'off' });
    assert.equal(off.address, 'off');
  });

  it('serves TLS from a certificate and key given in memory (Buffers), as TelemetryTls allows', async () => {
    const tls = await selfSignedCert(['DNS:gpu-box']);
    try {
      const events = new Subject<TrainEvent>();
      const server = await startTelemetryServer(events, { runId: 't', address: '127.0.0.1:0', tls: { cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key) } });
      const c = newClient(server.address, grpc.credentials.createSsl(fs.readFileSync(tls.cert)), { 'grpc.ssl_target_name_override': 'gpu-box' });
      clients.push(c);
      const sub = collect(c);
      await until(() => server.subscribers === 1, 10000, 'a TLS subscriber');
      events.next(batchEnd());
      events.complete();
      assert.equal((await sub.status).code, grpc.status.OK);
      assert.deepEqual(sub.events.map((e) => e.sequence), [1]);
      await server.closed;
    } finally {
      fs.rmSync(tls.dir, { recursive: true, force: true });
    }
  });

  it('names a bad certificate or key given in memory without printing its bytes', async () => {
    const tls = await selfSignedCert(['DNS:gpu-box']);
    try {
      const [cert, key] = [fs.readFileSync(tls.cert), fs.readFileSync(tls.key)];
      const bind = (t: { cert: string | Buffer; key: string | Buffer }) => startTelemetryServer(new Subject<TrainEvent>(), { runId: 'r', address: '127.0.0.1:0', tls: t });
      // Neither the PEM text (a base64 line of it) nor its bytes as a list of numbers.
      const secret = (e: Error): boolean => [cert, key].every((b) => !e.message.includes(b.toString().split('\n')[1])) && !/\d+,\d+,\d+/.test(e.message);
      await assert.rejects(bind({ cert: tls.cert, key: cert }), (e: Error) => /^telemetry TLS: the key given in memory holds no PEM private key/.test(e.message) && secret(e));
      await assert.rejects(bind({ cert: key, key: cert }), (e: Error) => /^telemetry TLS: the certificate \(the certificate given in memory\) and the key \(the key given in memory\) look swapped/.test(e.message) && secret(e));
    } finally {
      fs.rmSync(tls.dir, { recursive: true, force: true });
    }
  });

  it('a port in use is reported once, by rxtrain, without grpc-js\'s own log line', async function () {
    this.timeout(60_000);
    const first = await startTelemetryServer(new Subject<TrainEvent>(), { runId: 'r', address: '127.0.0.1:0' });
    try {
      // In a child process, so that the worker thread's console output can be read.
      const script = `const { Subject } = require('rxjs');
        const { startTelemetryServer } = require(${JSON.stringify(path.join(__dirname, '../../src/telemetry/startTelemetryServer'))});
        startTelemetryServer(new Subject(), { runId: 'r', address: ${JSON.stringify(first.address)} })
          .then(() => console.log('listening?'), (e) => console.log('rejected: ' + e.message));`;
      const env = { ...process.env };
      delete env.GRPC_VERBOSITY;
      const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--require', 'tsx/cjs', '-e', script], { env, timeout: 50_000 });
      assert.match(stdout, /^rejected: telemetry: 127\.0\.0\.1:\d+ is already in use/m);
      assert.doesNotMatch(stderr, /No address added/);
    } finally {
      await first.shutdown();
    }
  });

  it('shutdown() ends open streams with OK', async () => {
    const events = new Subject<TrainEvent>();
    const server = await startTelemetryServer(events, { runId: 'r', address: '127.0.0.1:0' });
    const c = newClient(server.address);
    clients.push(c);
    const s = collect(c);
    await until(() => server.subscribers === 1, 10000);
    events.next(batchEnd());
    await until(() => s.events.length === 1);
    await server.shutdown();
    assert.equal((await s.status).code, grpc.status.OK);
  });
});
