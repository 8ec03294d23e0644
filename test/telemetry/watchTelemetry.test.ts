import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { Subject, lastValueFrom, toArray } from 'rxjs';
import type { CallStatus } from '../../src/telemetry/bearerAuth';
import { latestSequenceMetadata } from '../../src/telemetry/latestSequenceMetadata';
import { oldestSequenceMetadata } from '../../src/telemetry/oldestSequenceMetadata';
import { serveTelemetry } from '../../src/telemetry/serveTelemetry';
import { loadTelemetryProto } from '../../src/telemetry/telemetryProto';
import type { TelemetryServer } from '../../src/telemetry/TelemetryServer';
import type { TrainEvent } from '../../src/telemetry/TrainEvent';
import { WatchError, watchTelemetry, type WatchSignal } from '../../src/telemetry/watchTelemetry';
import { batchEnd, selfSignedCert, tick, until } from './telemetryTestKit';

describe('watchTelemetry', () => {
  let events: Subject<TrainEvent>;
  let server: TelemetryServer | undefined;
  const insecure = grpc.credentials.createInsecure();
  const summary = (sigs: WatchSignal[]): (number | string)[] =>
    sigs.flatMap((s): (number | string)[] => (s.type === 'event' ? [s.event.sequence] : s.type === 'gap' ? [`gap ${s.from}-${s.to}`] : s.type === 'restarted' ? ['restarted'] : []));

  beforeEach(() => {
    events = new Subject<TrainEvent>();
  });
  afterEach(async () => {
    await server?.shutdown();
    server = undefined;
  });

  it('reports a gap and continues from the oldest kept event when its resume point was evicted', async () => {
    server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0', replayBuffer: 5 });
    for (let i = 0; i < 12; i += 1) events.next(batchEnd());
    const all = lastValueFrom(watchTelemetry({ address: server.address, credentials: insecure, fromSequence: 3 }).pipe(toArray()));
    await until(() => server!.subscribers === 1, 5000, 'the watcher');
    events.complete();
    assert.deepEqual(summary(await all), ['gap 3-7', 8, 9, 10, 11, 12]);
  });

  /**
   * A Telemetry server that answers its first Subscribe calls with `statuses`, in order, and
   * then ends each call with OK; `asked` collects every call's from_sequence.
   */
  async function scriptedServer(statuses: CallStatus[]): Promise<{ address: string; asked: number[]; close(): void }> {
    const asked: number[] = [];
    const fake = new grpc.Server();
    const { v1 } = loadTelemetryProto();
    fake.addService(v1.Telemetry.service, {
      GetRun: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb({ code: grpc.status.UNIMPLEMENTED, details: 'not here' }),
      Subscribe: (call: grpc.ServerWritableStream<{ fromSequence: string }, unknown>) => {
        asked.push(Number(call.request.fromSequence));
        const st = statuses[asked.length - 1];
        if (st !== undefined) call.emit('error', st);
        else call.end();
      },
    });
    const port = await new Promise<number>((resolve, reject) => fake.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    return { address: `127.0.0.1:${port}`, asked, close: () => fake.forceShutdown() };
  }

  // Servers whose messages say nothing a program could parse: only the metadata tells.
  it('takes the oldest sequence kept from the status\'s trailing metadata, not from its message', async () => {
    const fake = await scriptedServer([{ code: grpc.status.OUT_OF_RANGE, details: 'evicted', metadata: oldestSequenceMetadata(8) }]);
    try {
      const sigs = await lastValueFrom(watchTelemetry({ address: fake.address, credentials: insecure, fromSequence: 3 }).pipe(toArray()));
      assert.deepEqual(summary(sigs), ['gap 3-7']);
      assert.deepEqual(fake.asked, [3, 8], 'resubscribed from the oldest kept');
    } finally {
      fake.close();
    }
  });

  it('tells a from_sequence in the future by the trailing metadata rxtrain-latest-sequence, and starts over', async () => {
    const fake = await scriptedServer([{ code: grpc.status.OUT_OF_RANGE, details: 'nope', metadata: latestSequenceMetadata(12) }]);
    try {
      const sigs = await lastValueFrom(watchTelemetry({ address: fake.address, credentials: insecure, fromSequence: 99 }).pipe(toArray()));
      assert.deepEqual(summary(sigs), ['restarted']);
      assert.deepEqual(fake.asked, [99, 0], 'from the start of the stream');
    } finally {
      fake.close();
    }
  });

  it('after a RESOURCE_EXHAUSTED cut-off naming the oldest sequence kept, reports the gap and resumes from there', async () => {
    const fake = await scriptedServer([{ code: grpc.status.RESOURCE_EXHAUSTED, details: 'too slow', metadata: oldestSequenceMetadata(8) }]);
    try {
      const sigs = await lastValueFrom(watchTelemetry({ address: fake.address, credentials: insecure, fromSequence: 3, backoff: { initialMs: 1, maxMs: 1 } }).pipe(toArray()));
      assert.deepEqual(summary(sigs), ['gap 3-7']);
      assert.ok(sigs.some((s) => s.type === 'disconnected' && s.code === grpc.status.RESOURCE_EXHAUSTED), 'retried as a cut-off');
      assert.deepEqual(fake.asked, [3, 8], 'resubscribed from the oldest kept, not from the evicted sequence');
    } finally {
      fake.close();
    }
  });

  it('starts over when the server restarted (its sequence is behind ours)', async () => {
    server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0' });
    events.next(batchEnd());
    events.next(batchEnd());
    const all = lastValueFrom(watchTelemetry({ address: server.address, credentials: insecure, fromSequence: 99 }).pipe(toArray()));
    await until(() => server!.subscribers === 1, 5000, 'the watcher');
    events.complete();
    assert.deepEqual(summary(await all), ['restarted', 1, 2]);
  });

  it('starts over when training restarted in a new process that is already past its sequence (stream ids)', async () => {
    // The watcher dials a proxy, so the first process can "die" (every connection reset at
    // once, as a kill does) and a second one take its place behind the same address.
    let target = '';
    const open = new Set<net.Socket>();
    const proxy = net.createServer((down) => {
      const [host, port] = target.split(':');
      const up = net.connect(Number(port), host);
      for (const x of [down, up]) {
        open.add(x);
        x.on('close', () => open.delete(x));
        x.on('error', () => undefined);
      }
      down.pipe(up).pipe(down);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const address = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0' });
    target = server.address;
    for (let i = 0; i < 3; i += 1) events.next(batchEnd());
    const signals: WatchSignal[] = [];
    let done = false;
    const sub = watchTelemetry({ address, credentials: insecure, backoff: { initialMs: 20, maxMs: 50 } }).subscribe({ next: (x) => signals.push(x), complete: () => (done = true) });
    const second = new Subject<TrainEvent>();
    let secondServer: TelemetryServer | undefined;
    try {
      await until(() => summary(signals).length === 3, 5000, 'the first process\'s events');
      // The run resumed in a second process, five events in before the watcher is back.
      secondServer = await serveTelemetry(second, { runId: 'r', address: '127.0.0.1:0' });
      for (let i = 0; i < 5; i += 1) second.next(batchEnd());
      target = secondServer.address;
      for (const x of open) x.destroy();
      await until(() => summary(signals).length >= 9, 10000, 'the second process\'s events');
      second.complete();
      await until(() => done, 5000, 'the end');
      // Resuming from 4 would have shown the second process's 4 and 5 only, silently.
      assert.deepEqual(summary(signals), [1, 2, 3, 'restarted', 1, 2, 3, 4, 5]);
      const ids = signals.flatMap((x) => (x.type === 'run' ? [x.run.streamId] : []));
      assert.ok(ids.length >= 2 && ids[0] !== ids.at(-1) && ids.every((id) => /^[0-9a-f-]{36}$/.test(id)), `GetRun names the stream: ${ids.join(', ')}`);
    } finally {
      sub.unsubscribe();
      await secondServer?.shutdown();
      for (const x of open) x.destroy();
      await new Promise((r) => proxy.close(r));
    }
  });

  it('fails without retrying on UNAUTHENTICATED', async () => {
    server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0', token: 'right' });
    await assert.rejects(
      lastValueFrom(watchTelemetry({ address: server.address, credentials: insecure, token: 'wrong' })),
      (e: Error & { code?: number }) => e.code === grpc.status.UNAUTHENTICATED && /invalid bearer token/.test(e.message),
    );
  });

  it('retries with backoff while the server is unreachable', async () => {
    const signals: WatchSignal[] = [];
    // Nothing listens on port 1 of loopback.
    const sub = watchTelemetry({ address: '127.0.0.1:1', credentials: insecure, backoff: { initialMs: 10, maxMs: 40 } }).subscribe((s) => signals.push(s));
    await until(() => signals.filter((s) => s.type === 'disconnected').length >= 4, 10000, 'several retries');
    sub.unsubscribe();
    const delays = signals.flatMap((s) => (s.type === 'disconnected' ? [s.retryInMs] : []));
    assert.deepEqual(delays.slice(0, 4), [10, 20, 40, 40]);
    assert.ok(signals.every((s) => s.type !== 'disconnected' || s.code === grpc.status.UNAVAILABLE));
    const first = signals.find((s) => s.type === 'disconnected');
    assert.equal(first?.type === 'disconnected' ? first.message : '', 'nothing listens on 127.0.0.1:1 yet — is training running, and serving on 1, not its default 50051?');
  });

  it('while nothing answers, waits at most 1 s between tries, however long its backoff has grown (maxMs)', async function () {
    this.timeout(20000);
    const signals: WatchSignal[] = [];
    const sub = watchTelemetry({ address: '127.0.0.1:1', credentials: insecure, backoff: { initialMs: 1, maxMs: 10_000 } }).subscribe((s) => signals.push(s));
    try {
      await until(() => signals.filter((s) => s.type === 'disconnected').length >= 12, 15000, 'twelve retries');
    } finally {
      sub.unsubscribe();
    }
    const delays = signals.flatMap((s) => (s.type === 'disconnected' ? [s.retryInMs] : []));
    assert.deepEqual(delays.slice(0, 12), [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000, 1000]);
  });

  it('a watcher that has waited long sees a run that starts and ends between what would be two tries of its backoff', async function () {
    this.timeout(20000);
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const address = `127.0.0.1:${(probe.address() as net.AddressInfo).port}`;
    await new Promise((r) => probe.close(r));
    const signals: WatchSignal[] = [];
    let done = false;
    let started: Promise<TelemetryServer> | undefined;
    // By the 12th failed try the backoff has grown to 2 s (1 ms doubling): the run, served from
    // then for a few hundred ms, lies wholly between two tries at that pace.
    const sub = watchTelemetry({ address, credentials: insecure, backoff: { initialMs: 1, maxMs: 10_000, waitingMaxMs: 20 } }).subscribe({
      next: (s) => {
        signals.push(s);
        if (s.type === 'disconnected' && signals.filter((x) => x.type === 'disconnected').length === 12) {
          started = serveTelemetry(events, { runId: 'short', address });
          void started.then(async () => {
            events.next(batchEnd());
            events.next(batchEnd());
            await tick(400);
            events.complete();
          });
        }
      },
      complete: () => (done = true),
    });
    try {
      await until(() => done, 8000, 'the watcher to see the short run end');
    } finally {
      sub.unsubscribe();
      server = await started;
    }
    assert.deepEqual(summary(signals), [1, 2]);
  });

  it('with giveUpAfterMs, stops retrying once nothing has answered for that long, with the problem nobody-listens', async () => {
    const signals: WatchSignal[] = [];
    let error: unknown;
    const sub = watchTelemetry({ address: '127.0.0.1:1', credentials: insecure, backoff: { initialMs: 10, maxMs: 40 }, giveUpAfterMs: 100 })
      .subscribe({ next: (s) => signals.push(s), error: (e: unknown) => (error = e) });
    try {
      await until(() => error !== undefined, 10000, 'the watcher to give up');
    } finally {
      sub.unsubscribe();
    }
    assert.ok(error instanceof WatchError);
    assert.equal(error.code, grpc.status.UNAVAILABLE);
    assert.equal(error.problem?.kind, 'nobody-listens');
    assert.match(error.message, /^no telemetry server answered at 127\.0\.0\.1:1 for \d+\.\ds; giving up \(last attempt: nothing listens on 127\.0\.0\.1:1 yet/);
    assert.ok(signals.some((s) => s.type === 'disconnected'), 'it retried first');
  });

  it('a watcher with giveUpAfterMs that comes after the run ended is served it by a lingering server, and completes', async () => {
    server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0', lingerAfterEndMs: 3_600_000 });
    for (let i = 0; i < 3; i += 1) events.next(batchEnd());
    events.complete();
    const got = await lastValueFrom(watchTelemetry({ address: server.address, credentials: insecure, giveUpAfterMs: 30_000 }).pipe(toArray()));
    assert.deepEqual(summary(got), [1, 2, 3]);
    await server.closed;
  });

  it('keeps retrying a listener that closes plaintext connections but does not speak TLS (a tunnel with nothing behind)', async () => {
    const closer = net.createServer((socket) => socket.destroy());
    await new Promise<void>((r) => closer.listen(0, '127.0.0.1', r));
    const signals: WatchSignal[] = [];
    let error: unknown;
    const sub = watchTelemetry({ address: `127.0.0.1:${(closer.address() as net.AddressInfo).port}`, credentials: insecure, backoff: { initialMs: 10, maxMs: 20 } })
      .subscribe({ next: (s) => signals.push(s), error: (e: unknown) => (error = e) });
    try {
      await until(() => signals.filter((s) => s.type === 'disconnected').length >= 2 || error !== undefined, 15000, 'two retries');
      assert.equal(error, undefined);
    } finally {
      sub.unsubscribe();
      await new Promise((r) => closer.close(r));
    }
  });

  describe('TLS mismatches fail at once with the problem, instead of retrying forever', () => {
    let tls: { dir: string; cert: string; key: string };
    before(async () => {
      tls = await selfSignedCert(['DNS:gpu-box', 'DNS:gpu-box.lan']);
    });
    after(() => fs.rmSync(tls.dir, { recursive: true, force: true }));

    /** The watcher's error, after checking that it never reported a retry. */
    async function failure(opts: Parameters<typeof watchTelemetry>[0]): Promise<WatchError> {
      const signals: WatchSignal[] = [];
      const err = await new Promise<unknown>((resolve) => {
        watchTelemetry({ ...opts, backoff: { initialMs: 10, maxMs: 20 } }).subscribe({ next: (s) => signals.push(s), error: resolve, complete: () => resolve(undefined) });
      });
      assert.ok(err instanceof WatchError, `a WatchError, got ${String(err)}`);
      assert.deepEqual(signals.filter((s) => s.type === 'disconnected'), []);
      return err;
    }

    it('TLS client, plaintext server: server-not-tls', async () => {
      server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0' });
      const e = await failure({ address: server.address, credentials: grpc.credentials.createSsl(fs.readFileSync(tls.cert)) });
      assert.equal(e.code, grpc.status.UNAVAILABLE);
      assert.deepEqual(e.problem, { kind: 'server-not-tls' });
      assert.match(e.message, /does not speak TLS/);
    });

    it('plaintext client, TLS server: server-is-tls', async () => {
      server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0', tls: { cert: tls.cert, key: tls.key } });
      const e = await failure({ address: server.address, credentials: insecure });
      assert.deepEqual(e.problem, { kind: 'server-is-tls' });
    });

    it('a certificate for other names: certificate-name, with the names it is for', async () => {
      server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0', tls: { cert: tls.cert, key: tls.key } });
      const e = await failure({ address: server.address, credentials: grpc.credentials.createSsl(fs.readFileSync(tls.cert)) });
      assert.deepEqual(e.problem, { kind: 'certificate-name', host: '127.0.0.1', names: ['gpu-box', 'gpu-box.lan'] });
      // ... and with the right name it connects.
      events.next(batchEnd());
      const sigs = lastValueFrom(watchTelemetry({ address: server.address, credentials: grpc.credentials.createSsl(fs.readFileSync(tls.cert)), channelOptions: { 'grpc.ssl_target_name_override': 'gpu-box' } }).pipe(toArray()));
      await until(() => server!.subscribers === 1, 5000, 'the TLS watcher');
      events.complete();
      assert.deepEqual(summary(await sigs), [1]);
    });

    it('a self-signed certificate without its CA: certificate-untrusted', async () => {
      server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0', tls: { cert: tls.cert, key: tls.key } });
      const e = await failure({ address: server.address, credentials: grpc.credentials.createSsl(), channelOptions: { 'grpc.ssl_target_name_override': 'gpu-box' } });
      assert.deepEqual(e.problem, { kind: 'certificate-untrusted', reason: 'self-signed certificate' });
    });
  });

  it('cancels its call when unsubscribed', async () => {
    server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0' });
    const sub = watchTelemetry({ address: server.address, credentials: insecure }).subscribe();
    await until(() => server!.subscribers === 1, 5000, 'the watcher');
    sub.unsubscribe();
    await until(() => server!.subscribers === 0, 5000, 'the server to see the cancellation');
    assert.equal(server.ended.cancelled, 1);
  });
});
