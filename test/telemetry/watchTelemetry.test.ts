import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { Subject, lastValueFrom, toArray } from 'rxjs';
import { serveTelemetry } from '../../src/telemetry/serveTelemetry';
import type { TelemetryServer } from '../../src/telemetry/TelemetryServer';
import type { TrainEvent } from '../../src/telemetry/TrainEvent';
import { watchTelemetry, type WatchSignal } from '../../src/telemetry/watchTelemetry';
import { batchEnd, until } from './telemetryTestKit';

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

  it('starts over when the server restarted (its sequence is behind ours)', async () => {
    server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0' });
    events.next(batchEnd());
    events.next(batchEnd());
    const all = lastValueFrom(watchTelemetry({ address: server.address, credentials: insecure, fromSequence: 99 }).pipe(toArray()));
    await until(() => server!.subscribers === 1, 5000, 'the watcher');
    events.complete();
    assert.deepEqual(summary(await all), ['restarted', 1, 2]);
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
