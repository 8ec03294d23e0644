import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as protobuf from 'protobufjs';
import * as descriptor from 'protobufjs/ext/descriptor';
import { Subject } from 'rxjs';
import { serveTelemetry } from '../../src/telemetry/serveTelemetry';
import { TELEMETRY_SERVICE_NAME, type TelemetryServer } from '../../src/telemetry/TelemetryServer';
import type { TelemetryServerOptions } from '../../src/telemetry/TelemetryServerOptions';
import type { TrainEvent } from '../../src/telemetry/TrainEvent';
import type { TelemetryClient } from '../../src/telemetry/generated/rxtrain/telemetry/v1/Telemetry';
import type { Run__Output } from '../../src/telemetry/generated/rxtrain/telemetry/v1/Run';
import { batchEnd, bigSkip, childSubscriber, collect, newClient, REPO_ROOT, selfSignedCert, tick, until } from './telemetryTestKit';

describe('serveTelemetry (real grpc-js clients on loopback)', () => {
  let events: Subject<TrainEvent>;
  let server: TelemetryServer | undefined;
  const clients: grpc.Client[] = [];

  async function start(opts: Partial<TelemetryServerOptions> = {}): Promise<TelemetryServer> {
    server = await serveTelemetry(events, { runId: 'run-1', address: '127.0.0.1:0', ...opts });
    return server;
  }
  function client(...args: Parameters<typeof newClient>): TelemetryClient {
    const c = newClient(...args);
    clients.push(c);
    return c;
  }
  const getRun = (c: TelemetryClient, md = new grpc.Metadata()) =>
    new Promise<Run__Output>((resolve, reject) => c.GetRun({}, md, (err, run) => (err || !run ? reject(err) : resolve(run))));

  beforeEach(() => {
    events = new Subject<TrainEvent>();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.shutdown();
    server = undefined;
  });

  it('binds an ephemeral loopback port and reports it', async () => {
    const s = await start();
    assert.match(s.address, /^127\.0\.0\.1:\d+$/);
    assert.ok(s.port > 0);
    assert.equal(s.address, `127.0.0.1:${s.port}`);
  });

  it('fans out identical gap-free sequences to many subscribers and ends every stream with OK', async () => {
    const s = await start();
    const subs = Array.from({ length: 8 }, () => collect(client(s.address)));
    await until(() => s.subscribers === 8, 5000, '8 subscribers');
    events.next({ kind: 'TrainBegin', time: Date.now(), epoch: 0, step: 0, runId: 'run-1', backend: 'wasm', threads: 2, replicas: 1, epochs: 1, stepsPerEpoch: 200, config: { lr: 0.01 } });
    for (let i = 0; i < 200; i += 1) {
      events.next(batchEnd());
      if (i % 20 === 0) await tick();
    }
    events.next({ kind: 'TrainEnd', time: Date.now(), epoch: 0, step: 200, reason: 'completed', durationMs: 1 });
    events.complete();
    const statuses = await Promise.all(subs.map((x) => x.status));
    for (const st of statuses) assert.equal(st.code, grpc.status.OK);
    const expected = Array.from({ length: 202 }, (_, i) => i + 1);
    for (const x of subs) {
      assert.deepEqual(x.events.map((e) => e.sequence), expected);
      assert.ok(x.events.every((e) => e.runId === 'run-1'));
      assert.equal(x.events[0].event, 'trainBegin');
      assert.equal(x.events[201].trainEnd?.reason, 'TRAIN_END_REASON_COMPLETED');
    }
    await s.closed; // the server shut itself down when the event stream completed
    assert.equal(s.ended.ok, 8);
  });

  it('keeps every stream in order and complete while the fan-out start rotates and subscribers come and go', async () => {
    const s = await start();
    const subs = Array.from({ length: 6 }, () => collect(client(s.address)));
    await until(() => s.subscribers === 6, 5000, '6 subscribers');
    let late: ReturnType<typeof collect> | undefined;
    for (let i = 1; i <= 60; i += 1) {
      events.next(batchEnd());
      // One event per turn, so each is fanned out from a different first subscriber.
      await until(() => subs[0].events.length === i, 5000, `event ${i} at the first subscriber`);
      if (i === 20) subs[2].call.cancel(); // the set shrinks mid-rotation
      if (i === 30) late = collect(client(s.address), { fromSequence: 25 }); // and grows
    }
    events.complete();
    await Promise.all([...subs.filter((_, k) => k !== 2), late].map((x) => x?.status));
    const all = Array.from({ length: 60 }, (_, i) => i + 1);
    for (const [k, x] of subs.entries()) if (k !== 2) assert.deepEqual(x.events.map((e) => e.sequence), all, `subscriber ${k}`);
    assert.deepEqual(late?.events.map((e) => e.sequence), all.slice(24));
    assert.deepEqual(subs[2].events.map((e) => e.sequence), all.slice(0, subs[2].events.length)); // a gap-free prefix
    assert.ok(subs[2].events.length >= 20 && subs[2].events.length < 60);
  });

  it('replays buffered events to a late subscriber, then goes on live', async () => {
    const s = await start();
    for (let i = 0; i < 10; i += 1) events.next(batchEnd());
    const late = collect(client(s.address));
    await until(() => late.events.length === 10, 5000, 'replay');
    events.next(batchEnd());
    await until(() => late.events.length === 11, 5000, 'live event');
    assert.deepEqual(late.events.map((e) => e.sequence), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const resumed = collect(client(s.address), { fromSequence: 7 });
    await until(() => resumed.events.length === 5, 5000, 'resume from 7');
    assert.deepEqual(resumed.events.map((e) => e.sequence), [7, 8, 9, 10, 11]);
  });

  it('replays a large buffer (many coalesced writes) gap-free to full and filtered subscribers alike', async function () {
    this.timeout(20000);
    const s = await start({ replayBuffer: 20000 });
    // ≈ 0.6 MB of BatchEnd, with an EpochEnd every 1000: several 64 KiB writes per subscriber.
    for (let i = 1; i <= 12000; i += 1) {
      events.next(i % 1000 === 0 ? { kind: 'EpochEnd', time: Date.now(), epoch: i / 1000, step: i, trainLoss: 1, trainAccuracy: 0.5, valLoss: 0.9, lr: 0.01, durationMs: 5 } : batchEnd());
    }
    const full = collect(client(s.address));
    const epochs = collect(client(s.address), { kinds: ['EVENT_KIND_EPOCH_END'] });
    const from = collect(client(s.address), { fromSequence: 11990 });
    await until(() => full.events.length === 12000 && epochs.events.length === 12 && from.events.length === 11, 15000, 'replay');
    events.next(batchEnd()); // and then live
    events.complete();
    await Promise.all([full.status, epochs.status, from.status]);
    assert.deepEqual(full.events.map((e) => e.sequence), Array.from({ length: 12001 }, (_, i) => i + 1));
    assert.deepEqual(epochs.events.map((e) => e.sequence), Array.from({ length: 12 }, (_, i) => (i + 1) * 1000));
    assert.deepEqual(from.events.map((e) => e.sequence), Array.from({ length: 12 }, (_, i) => 11990 + i));
  });

  it('answers OUT_OF_RANGE with a clear message when from_sequence was evicted or is in the future', async () => {
    const s = await start({ replayBuffer: 5 });
    for (let i = 0; i < 12; i += 1) events.next(batchEnd());
    const evicted = await collect(client(s.address), { fromSequence: 3 }).status;
    assert.equal(evicted.code, grpc.status.OUT_OF_RANGE);
    assert.match(evicted.details, /events 3\.\.7 were evicted .*oldest available is 8/);
    assert.deepEqual(evicted.metadata.get('rxtrain-oldest-sequence'), ['8'], 'the oldest sequence in trailing metadata, for programs');
    const future = await collect(client(s.address), { fromSequence: 99 }).status;
    assert.equal(future.code, grpc.status.OUT_OF_RANGE);
    assert.match(future.details, /in the future: the latest event is 12/);
    assert.deepEqual(future.metadata.get('rxtrain-oldest-sequence'), [], 'nothing was evicted');
    assert.deepEqual(future.metadata.get('rxtrain-latest-sequence'), ['12'], 'the future case said to programs, with the latest sequence');
    assert.deepEqual(evicted.metadata.get('rxtrain-latest-sequence'), [], 'only for the future case');
    const fromOldest = collect(client(s.address), { fromSequence: 0 });
    await until(() => fromOldest.events.length === 5, 5000, 'oldest retained');
    assert.deepEqual(fromOldest.events.map((e) => e.sequence), [8, 9, 10, 11, 12]);
  });

  it('filters by kind, keeping the run-wide sequence numbers', async () => {
    const s = await start();
    const only = collect(client(s.address), { kinds: ['EVENT_KIND_EPOCH_END', 'EVENT_KIND_CHECKPOINT_SAVED'] });
    await until(() => s.subscribers === 1);
    events.next(batchEnd());
    events.next({ kind: 'EpochEnd', time: Date.now(), epoch: 0, step: 1, trainLoss: 1, trainAccuracy: 0.5, valLoss: 0.9, lr: 0.01, durationMs: 5 });
    events.next(batchEnd());
    events.next({ kind: 'CheckpointSaved', time: Date.now(), epoch: 0, step: 2, path: '/runs/a/ckpt-1', best: true });
    events.complete();
    assert.equal((await only.status).code, grpc.status.OK);
    assert.deepEqual(only.events.map((e) => [e.sequence, e.event]), [[2, 'epochEnd'], [4, 'checkpointSaved']]);
    assert.equal(only.events[0].epochEnd?.valLoss, 0.9);
    assert.equal(only.events[0].epochEnd?.valAccuracy, undefined);
  });

  it('rejects malformed requests with INVALID_ARGUMENT and keeps serving', async () => {
    const s = await start();
    const c = client(s.address);
    const unknownKind = await collect(c, { kinds: [42 as unknown as 'EVENT_KIND_BATCH_END'] }).status;
    assert.equal(unknownKind.code, grpc.status.INVALID_ARGUMENT);
    assert.match(unknownKind.details, /unknown event kind 42/);
    const unspecified = await collect(c, { kinds: ['EVENT_KIND_UNSPECIFIED'] }).status;
    assert.equal(unspecified.code, grpc.status.INVALID_ARGUMENT);
    const negative = await collect(c, { fromSequence: -1 }).status;
    assert.equal(negative.code, grpc.status.INVALID_ARGUMENT);
    assert.match(negative.details, /from_sequence must be >= 0/);
    events.next(batchEnd());
    assert.equal((await getRun(c)).lastSequence, 1);
  });

  it('cuts off a subscriber that stops reading with RESOURCE_EXHAUSTED while the others and the producer go on', async function () {
    this.timeout(20000);
    const s = await start({ maxQueue: 200, shutdownGraceMs: 300 });
    const frozen = childSubscriber(s.address);
    const healthy = collect(client(s.address));
    events.next(batchEnd());
    await frozen.ready;
    frozen.child.kill('SIGSTOP'); // a monitor suspended with Ctrl-Z: reads nothing, acks nothing
    try {
      let produced = 1;
      const t0 = Date.now();
      while (s.ended.slow === 0 && Date.now() - t0 < 10000) {
        for (let i = 0; i < 20; i += 1, produced += 1) events.next(bigSkip(1024));
        await tick(1);
      }
      assert.equal(s.ended.slow, 1, 'only the frozen subscriber was cut off');
      for (let i = 0; i < 50; i += 1, produced += 1) events.next(batchEnd());
      await until(() => healthy.events.length === produced, 10000, 'healthy subscriber to receive everything');
      assert.deepEqual(healthy.events.map((e) => e.sequence), Array.from({ length: produced }, (_, i) => i + 1));
      assert.equal(s.subscribers, 1);
    } finally {
      frozen.child.kill('SIGCONT');
    }
    const st = await frozen.status;
    assert.equal(st.code, grpc.status.RESOURCE_EXHAUSTED);
    frozen.child.kill();
  });

  it('cuts off a subscriber whose next event was evicted while it could not take it, naming the oldest kept in trailing metadata', async function () {
    this.timeout(20000);
    const s = await start({ replayBuffer: 50, shutdownGraceMs: 300 });
    // A filtered subscriber: the events it does not want never count towards its queue limit,
    // but they do push its next event out of the replay buffer.
    const frozen = childSubscriber(s.address, ['EVENT_KIND_SAMPLE_SKIPPED']);
    events.next(bigSkip(10));
    await frozen.ready;
    frozen.child.kill('SIGSTOP');
    try {
      // 16 MB it wants (fills its flow-control window and the socket buffers: it is stalled with
      // fewer than the queue limit missed), then more events than the buffer holds, of other kinds.
      for (let i = 0; i < 16; i += 1) {
        events.next(bigSkip(1024 * 1024));
        await tick(1);
      }
      for (let i = 0; i < 200; i += 1) events.next(batchEnd());
      await tick(50);
    } finally {
      frozen.child.kill('SIGCONT');
    }
    const st = await frozen.status;
    assert.equal(st.code, grpc.status.RESOURCE_EXHAUSTED, st.details);
    assert.match(st.details, /fell behind the replay buffer: sequence \d+ was evicted; oldest available is (\d+)/);
    const oldest = /oldest available is (\d+)/.exec(st.details)?.[1];
    assert.deepEqual(st.metadata['rxtrain-oldest-sequence'], oldest, 'the same number for programs');
    assert.equal(Number(oldest), 1 + 16 + 200 - 50 + 1);
  });

  it('frees a subscription when the client cancels', async () => {
    const s = await start();
    const c = collect(client(s.address));
    events.next(batchEnd());
    await until(() => c.events.length === 1);
    c.call.cancel();
    await until(() => s.subscribers === 0, 5000, 'server to notice the cancellation');
    assert.equal(s.ended.cancelled, 1);
    events.next(batchEnd()); // the producer is unaffected
    assert.equal((await getRun(client(s.address))).lastSequence, 2);
  });

  it('requires the bearer token when one is configured', async () => {
    const s = await start({ token: 's3cret' });
    const c = client(s.address);
    const missing = await collect(c).status;
    assert.equal(missing.code, grpc.status.UNAUTHENTICATED);
    assert.match(missing.details, /missing 'authorization: Bearer <token>'/);
    const bad = new grpc.Metadata();
    bad.set('authorization', 'Bearer nope');
    assert.equal((await collect(c, {}, bad).status).code, grpc.status.UNAUTHENTICATED);
    await assert.rejects(getRun(c, bad), (e: grpc.ServiceError) => e.code === grpc.status.UNAUTHENTICATED);
    const good = new grpc.Metadata();
    good.set('authorization', 'Bearer s3cret');
    const ok = collect(c, {}, good);
    events.next(batchEnd());
    await until(() => ok.events.length === 1);
    assert.equal((await getRun(c, good)).runId, 'run-1');
  });

  it('refuses a plaintext non-loopback bind, and bad TLS files, with a clear error', async () => {
    await assert.rejects(
      serveTelemetry(events, { runId: 'r', address: '0.0.0.0:0' }),
      /refusing to serve telemetry in plaintext on non-loopback address '0\.0\.0\.0': pass tls: \{ cert, key \} for TLS, or insecure: true if the network is trusted/,
    );
    await assert.rejects(serveTelemetry(events, { runId: 'r', address: 'nonsense' }), /expected HOST:PORT/);
    await assert.rejects(
      serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0', tls: { cert: '/nonexistent/cert.pem', key: '/nonexistent/key.pem' } }),
      /cannot read telemetry TLS certificate \/nonexistent\/cert\.pem: no such file or folder$/,
    );
    const off = await serveTelemetry(events, { runId: 'r', address: 'off' });
    assert.equal(off.address, 'off');
    await off.shutdown();
    // Files that exist but are not what they should be: named, instead of OpenSSL's "no start line".
    const tls = await selfSignedCert(['IP:127.0.0.1']);
    try {
      const bind = (cert: string, key: string) => serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0', tls: { cert, key } });
      await assert.rejects(bind(tls.key, tls.cert), /telemetry TLS: the certificate \(.*key\.pem\) and the key \(.*cert\.pem\) look swapped/);
      await assert.rejects(bind(tls.key, tls.key), /telemetry TLS: .*key\.pem holds no PEM certificate/);
      await assert.rejects(bind(tls.cert, tls.cert), /telemetry TLS: .*cert\.pem holds no PEM private key/);
      // The key of another certificate: named as such, not as "cannot listen on …: key values mismatch".
      const other = await selfSignedCert(['IP:127.0.0.1']);
      try {
        await assert.rejects(bind(tls.cert, other.key), (err: Error) => {
          assert.match(err.message, /telemetry TLS: the key \(.*key\.pem\) does not belong to the certificate \(.*cert\.pem\)/);
          assert.doesNotMatch(err.message, /cannot listen/);
          return true;
        });
      } finally {
        fs.rmSync(other.dir, { recursive: true, force: true });
      }
    } finally {
      fs.rmSync(tls.dir, { recursive: true, force: true });
    }
  });

  it('serves TLS with a certificate (self-signed, made with openssl)', async function () {
    let openssl = true;
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
    } catch {
      openssl = false;
    }
    assert.ok(openssl, 'this test needs the openssl command');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-tls-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert,
    ], { stdio: 'ignore' });
    const s = await start({ tls: { cert, key } });
    const tlsClient = client(s.address, grpc.credentials.createSsl(fs.readFileSync(cert)), { 'grpc.ssl_target_name_override': 'localhost' });
    events.next(batchEnd());
    assert.equal((await getRun(tlsClient)).lastSequence, 1);
    const plain = client(s.address);
    await assert.rejects(getRun(plain), (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shutdown() ends open streams with OK after sending what is left', async () => {
    const s = await start();
    const a = collect(client(s.address));
    await until(() => s.subscribers === 1);
    for (let i = 0; i < 5; i += 1) events.next(batchEnd());
    await s.shutdown();
    const st = await a.status;
    assert.equal(st.code, grpc.status.OK);
    assert.deepEqual(a.events.map((e) => e.sequence), [1, 2, 3, 4, 5]);
  });

  describe('lingerAfterEndMs: a watcher that comes after the run ended', () => {
    it('is served the finished run, replay and end, and the server then closes without waiting out the linger', async () => {
      const s = await start({ lingerAfterEndMs: 3_600_000 });
      for (let i = 0; i < 2; i += 1) events.next(batchEnd());
      events.next({ kind: 'TrainEnd', time: Date.now(), epoch: 1, step: 2, reason: 'completed', durationMs: 10 });
      // The run is over before anyone connected (serveTelemetry handles completion synchronously).
      events.complete();
      const c = client(s.address);
      assert.equal((await getRun(c)).status, 'RUN_STATUS_FINISHED');
      const late = collect(c);
      const st = await late.status;
      assert.equal(st.code, grpc.status.OK, st.details);
      assert.deepEqual(late.events.map((e) => e.sequence), [1, 2, 3]);
      // Resolves although an hour of linger is left: the one watcher has been sent the end
      // (and the 2 s without another call have passed).
      await s.closed;
      assert.equal(s.ended.ok, 1);
    });

    it('serves a second watcher that connected with the first, though the first already has the end', async () => {
      const s = await start({ lingerAfterEndMs: 3_600_000 });
      for (let i = 0; i < 2; i += 1) events.next(batchEnd());
      events.next({ kind: 'TrainEnd', time: Date.now(), epoch: 1, step: 2, reason: 'completed', durationMs: 10 });
      events.complete();
      // Two people watch the run: each watcher asks GetRun, then subscribes.
      const [ca, cb] = [client(s.address), client(s.address)];
      assert.equal((await getRun(ca)).status, 'RUN_STATUS_FINISHED');
      assert.equal((await getRun(cb)).status, 'RUN_STATUS_FINISHED');
      const a = collect(ca);
      assert.equal((await a.status).code, grpc.status.OK);
      await until(() => s.ended.ok === 1, 5000, 'the first stream ended on the server');
      const b = collect(cb);
      const st = await b.status;
      assert.equal(st.code, grpc.status.OK, st.details);
      assert.deepEqual(b.events.map((e) => e.sequence), a.events.map((e) => e.sequence));
      assert.deepEqual(b.events.map((e) => e.sequence), [1, 2, 3]);
      await s.closed;
      assert.equal(s.ended.ok, 2);
    });

    it('does not hold up a run that was watched to its end', async () => {
      const s = await start({ lingerAfterEndMs: 3_600_000 });
      const a = collect(client(s.address));
      await until(() => s.subscribers === 1);
      events.next(batchEnd());
      events.complete();
      assert.equal((await a.status).code, grpc.status.OK);
      await s.closed;
    });

    it('keeps serving while a watcher that dropped out may come back, then closes when the linger is over', async () => {
      const s = await start({ lingerAfterEndMs: 200 });
      const a = collect(client(s.address));
      await until(() => s.subscribers === 1);
      a.call.cancel();
      await until(() => s.ended.cancelled === 1);
      events.complete();
      // No watcher has been sent the end yet: a reconnecting one still finds the server.
      const again = collect(client(s.address), { fromSequence: 0 });
      assert.equal((await again.status).code, grpc.status.OK);
      await s.closed;
    });

    it('if nobody comes, answers until the linger is over, then closes', async () => {
      const s = await start({ lingerAfterEndMs: 1500 });
      events.complete();
      assert.equal((await getRun(client(s.address))).runId, 'run-1');
      await s.closed;
      await assert.rejects(getRun(client(s.address)), (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE);
    });

    it('refuses a negative linger', async () => {
      await assert.rejects(start({ lingerAfterEndMs: -1 }), /lingerAfterEndMs must be a number of milliseconds >= 0, got -1/);
    });
  });

  it('ends streams with ABORTED and reports FAILED when the event stream errors', async () => {
    const s = await start();
    const c = client(s.address);
    const a = collect(c);
    events.next(batchEnd());
    await until(() => a.events.length === 1);
    events.error(new Error('out of memory'));
    const st = await a.status;
    assert.equal(st.code, grpc.status.ABORTED);
    assert.match(st.details, /training failed: out of memory/);
    await s.closed;
  });

  it('GetRun reports id, config, backend, status and latest metrics', async () => {
    const s = await start();
    const c = client(s.address);
    assert.equal((await getRun(c)).status, 'RUN_STATUS_STARTING');
    events.next({ kind: 'TrainBegin', time: Date.now(), epoch: 0, step: 0, runId: 'alexnet-7', backend: 'wasm', threads: 2, replicas: 1, epochs: 90, stepsPerEpoch: 100, config: { batchSize: 128 } });
    events.next({ kind: 'EpochBegin', time: Date.now(), epoch: 0, step: 0, lr: 0.01, steps: 100, startBatch: 0 });
    events.next(batchEnd(0, 2.5));
    events.next({ kind: 'EpochEnd', time: Date.now(), epoch: 0, step: 100, trainLoss: 2.4, trainAccuracy: 0.2, valLoss: 2.3, valAccuracy: 0.25, lr: 0.01, durationMs: 1000 });
    events.next({ kind: 'LrChanged', time: Date.now(), epoch: 1, step: 100, from: 0.01, to: 0.001 });
    const run = await getRun(c);
    assert.equal(run.runId, 'alexnet-7');
    assert.equal(run.status, 'RUN_STATUS_RUNNING');
    assert.equal(run.backend, 'wasm');
    assert.deepEqual(JSON.parse(run.configJson), { batchSize: 128 });
    assert.equal(run.epochs, 90);
    assert.equal(run.lastSequence, 5);
    assert.equal(run.oldestSequence, 1);
    assert.equal(run.metrics?.loss, 2.5);
    assert.equal(run.metrics?.valAccuracy, 0.25);
    assert.equal(run.metrics?.lr, 0.001);
  });

  it('offers the standard health service (SERVING) and reflection that lists the service', async () => {
    const s = await start();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const healthProtoPath = (require('grpc-health-check') as { protoPath: string }).protoPath;
    const healthDef = protoLoader.loadSync(healthProtoPath, { enums: String });
    const healthPkg = grpc.loadPackageDefinition(healthDef) as unknown as {
      grpc: { health: { v1: { Health: new (a: string, c: grpc.ChannelCredentials) => grpc.Client & { Check: (r: object, cb: (e: grpc.ServiceError | null, r?: { status: string }) => void) => void } } } };
    };
    const health = new healthPkg.grpc.health.v1.Health(s.address, grpc.credentials.createInsecure());
    clients.push(health);
    const check = await new Promise<{ status: string } | undefined>((resolve, reject) =>
      health.Check({ service: TELEMETRY_SERVICE_NAME }, (e, r) => (e ? reject(e) : resolve(r))),
    );
    assert.equal(check?.status, 'SERVING');

    const reflDef = protoLoader.loadSync(
      path.join(REPO_ROOT, 'node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto'),
      { keepCase: true },
    );
    const reflPkg = grpc.loadPackageDefinition(reflDef) as unknown as {
      grpc: { reflection: { v1: { ServerReflection: new (a: string, c: grpc.ChannelCredentials) => grpc.Client & { ServerReflectionInfo: () => grpc.ClientDuplexStream<object, { list_services_response?: { service: { name: string }[] } }> } } } };
    };
    const refl = new reflPkg.grpc.reflection.v1.ServerReflection(s.address, grpc.credentials.createInsecure());
    clients.push(refl);
    const stream = refl.ServerReflectionInfo();
    const names = await new Promise<string[]>((resolve, reject) => {
      stream.on('data', (r: { list_services_response?: { service: { name: string }[] } }) =>
        resolve((r.list_services_response?.service ?? []).map((x) => x.name)),
      );
      stream.on('error', reject);
      stream.write({ list_services: '' });
    });
    stream.end();
    assert.ok(names.includes(TELEMETRY_SERVICE_NAME), `reflection lists ${names.join(', ')}`);
  });

  it('serves by reflection the schema of the .proto files, enough for a client without them to call and decode', async () => {
    const s = await start();
    events.next({ kind: 'EpochEnd', time: Date.now(), epoch: 0, step: 10, trainLoss: 2, trainAccuracy: 0.5, valAccuracy: 0.75, lr: 0.01, durationMs: 5 });
    // A generic client (grpcurl, a Python client without stubs): it knows only the reflection protocol.
    const reflDef = protoLoader.loadSync(
      path.join(REPO_ROOT, 'node_modules/@grpc/reflection/build/proto/grpc/reflection/v1alpha/reflection.proto'),
      { keepCase: true },
    );
    type ReflResponse = {
      list_services_response?: { service: { name: string }[] };
      file_descriptor_response?: { file_descriptor_proto: Buffer[] };
      error_response?: { error_message: string };
    };
    const reflPkg = grpc.loadPackageDefinition(reflDef) as unknown as {
      grpc: { reflection: { v1alpha: { ServerReflection: new (a: string, c: grpc.ChannelCredentials) => grpc.Client & { ServerReflectionInfo: () => grpc.ClientDuplexStream<object, ReflResponse> } } } };
    };
    const refl = new reflPkg.grpc.reflection.v1alpha.ServerReflection(s.address, grpc.credentials.createInsecure());
    clients.push(refl);
    const ask = (req: object): Promise<ReflResponse> => new Promise((resolve, reject) => {
      const stream = refl.ServerReflectionInfo();
      stream.on('data', (r: ReflResponse) => { resolve(r); stream.end(); });
      stream.on('error', reject);
      stream.write(req);
    });
    const names = (await ask({ list_services: '' })).list_services_response?.service.map((x) => x.name) ?? [];
    assert.ok(names.includes('grpc.health.v1.Health'), `reflection lists ${names.join(', ')}`);

    const files = new Map<string, descriptor.IFileDescriptorProto>();
    for (const symbol of ['rxtrain.telemetry.v1.Telemetry', 'grpc.health.v1.Health']) {
      const r = await ask({ file_containing_symbol: symbol });
      assert.ok(r.file_descriptor_response, `${symbol}: ${r.error_response?.error_message}`);
      for (const b of r.file_descriptor_response.file_descriptor_proto) {
        const fd = descriptor.FileDescriptorProto.decode(b) as unknown as descriptor.IFileDescriptorProto;
        files.set(fd.name ?? '', fd);
      }
    }
    assert.deepEqual([...files.keys()].sort(), ['grpc/health/v1/health.proto', 'telemetry.proto'], 'files named as protoc names them');
    const msg = (name: string) => files.get('telemetry.proto')?.messageType?.find((m) => m.name === name);
    assert.deepEqual(msg('SubscribeRequest')?.field?.map((f) => f.name), ['kinds', 'from_sequence', 'stream_id'], 'field names of the .proto');
    const valAccuracy = msg('EpochEnd')?.field?.find((f) => f.name === 'val_accuracy') as { proto3Optional?: boolean } | undefined;
    assert.equal(valAccuracy?.proto3Optional, true, 'a proto3 optional field says so');
    const list = files.get('grpc/health/v1/health.proto')?.messageType?.find((m) => m.name === 'HealthListResponse');
    // Protobuf's own runtimes refuse a file whose map entry is not named <Field>Entry.
    assert.deepEqual(list?.nestedType?.map((n) => n.name), ['StatusesEntry']);
    assert.equal(list?.field?.[0]?.typeName, 'StatusesEntry');

    // Decode a real Event with nothing but the reflected schema.
    // protobufjs/ext/descriptor adds Root.fromDescriptor at run time but does not declare it.
    const RootWithDescriptors = protobuf.Root as unknown as { fromDescriptor(set: descriptor.IFileDescriptorSet): protobuf.Root };
    const root = RootWithDescriptors.fromDescriptor({ file: [...files.values()] });
    const Event = root.lookupType('rxtrain.telemetry.v1.Event');
    const raw = new grpc.Client(s.address, grpc.credentials.createInsecure());
    clients.push(raw);
    const bytes = await new Promise<Buffer>((resolve, reject) => {
      const call = raw.makeServerStreamRequest('/rxtrain.telemetry.v1.Telemetry/Subscribe', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0));
      call.on('data', (b: Buffer) => { resolve(b); call.cancel(); });
      call.on('error', (e: grpc.ServiceError) => { if (e.code !== grpc.status.CANCELLED) reject(e); });
    });
    const ev = Event.toObject(Event.decode(bytes)) as { run_id: string; sequence: number | { toNumber(): number }; epoch_end?: { val_accuracy?: number } };
    assert.equal(ev.run_id, 'run-1');
    assert.equal(Number(ev.sequence), 1);
    assert.equal(ev.epoch_end?.val_accuracy, 0.75);
  });
});
