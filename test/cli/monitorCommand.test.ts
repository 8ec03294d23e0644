import assert from 'node:assert/strict';
import { Subject } from 'rxjs';
import { MONITOR_EXIT, run, type MonitorIo } from '../../src/cli/monitorCommand';
import { serveTelemetry } from '../../src/telemetry/serveTelemetry';
import type { TelemetryServer } from '../../src/telemetry/TelemetryServer';
import { TRAIN_EVENT_KINDS, type TrainEvent } from '../../src/telemetry/TrainEvent';
import { batchEnd, recorder, tcpProxy, until } from '../telemetry/telemetryTestKit';

describe('rxtrain monitor', () => {
  let events: Subject<TrainEvent>;
  let server: TelemetryServer | undefined;

  const begin = (): TrainEvent => ({ kind: 'TrainBegin', time: Date.now(), epoch: 0, step: 0, runId: 'alexnet-1', backend: 'wasm', threads: 2, replicas: 1, epochs: 2, stepsPerEpoch: 4, config: {} });
  const endOk = (): TrainEvent => ({ kind: 'TrainEnd', time: Date.now(), epoch: 1, step: 8, reason: 'completed', durationMs: 10 });
  function io(extra: Partial<MonitorIo> = {}, tty = false) {
    const out = recorder(tty ? { isTTY: true, columns: 100 } : {});
    const err = recorder();
    return { out, err, io: { out, err, env: {}, onStopSignal: () => () => undefined, backoff: { initialMs: 20, maxMs: 100 }, ...extra } satisfies MonitorIo };
  }
  const lines = (s: string) => s.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { sequence: number; kind: string; runId: string; loss?: number });

  beforeEach(() => {
    events = new Subject<TrainEvent>();
  });
  afterEach(async () => {
    await server?.shutdown();
    server = undefined;
  });

  it('--json prints one event per line and exits 0 when training ends', async () => {
    server = await serveTelemetry(events, { runId: 'alexnet-1', address: '127.0.0.1:0' });
    events.next(begin());
    for (let i = 0; i < 4; i += 1) events.next(batchEnd(0, 2 - i * 0.1));
    const t = io();
    const exit = run([server.address, '--json'], t.io);
    await until(() => t.out.text().split('\n').length > 5, 5000, 'replayed events');
    events.next(endOk());
    events.complete();
    assert.equal(await exit, MONITOR_EXIT.OK);
    const got = lines(t.out.text());
    assert.deepEqual(got.map((e) => e.sequence), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(got.map((e) => e.kind), ['TrainBegin', 'BatchEnd', 'BatchEnd', 'BatchEnd', 'BatchEnd', 'TrainEnd']);
    assert.ok(got.every((e) => e.runId === 'alexnet-1'));
    assert.equal(got[1].loss, 2);
  });

  it('reconnects after a dropped connection and resumes from the last sequence, without duplicates', async function () {
    this.timeout(20000);
    server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0' });
    const proxy = await tcpProxy(server.address);
    try {
      const t = io();
      const exit = run([proxy.address, '--json'], t.io);
      for (let i = 0; i < 5; i += 1) events.next(batchEnd());
      await until(() => lines(t.out.text()).length === 5, 5000, 'first 5 events');
      proxy.cut();
      for (let i = 0; i < 5; i += 1) events.next(batchEnd());
      await until(() => lines(t.out.text()).length === 10, 10000, 'events after the reconnect');
      events.complete();
      assert.equal(await exit, MONITOR_EXIT.OK);
      assert.deepEqual(lines(t.out.text()).map((e) => e.sequence), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      assert.match(t.err.text(), /disconnected: .*retrying/);
      assert.match(t.err.text(), /resuming from #6/);
    } finally {
      await proxy.close();
    }
  });

  it('--kinds filters, and --token is sent as a bearer token', async () => {
    server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0', token: 'tok' });
    events.next(batchEnd());
    events.next({ kind: 'CheckpointSaved', time: Date.now(), epoch: 0, step: 1, path: 'ckpt-1', best: false });
    const t = io();
    const exit = run([server.address, '--json', '--kinds', 'CheckpointSaved', '--token', 'tok'], t.io);
    await until(() => lines(t.out.text()).length === 1, 5000, 'the checkpoint event');
    events.complete();
    assert.equal(await exit, MONITOR_EXIT.OK);
    assert.deepEqual(lines(t.out.text()).map((e) => [e.sequence, e.kind]), [[2, 'CheckpointSaved']]);
  });

  it('exits 1 with a clear message on a missing or wrong token', async () => {
    server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0', token: 'tok' });
    const t = io();
    assert.equal(await run([server.address, '--json'], t.io), MONITOR_EXIT.FAILED);
    assert.match(t.err.text(), /UNAUTHENTICATED: missing 'authorization: Bearer <token>'/);
    const t2 = io();
    assert.equal(await run([server.address, '--token', 'nope'], t2.io), MONITOR_EXIT.FAILED);
    assert.match(t2.err.text(), /UNAUTHENTICATED: invalid bearer token/);
  });

  it('paints a live view on a terminal', async () => {
    server = await serveTelemetry(events, { runId: 'alexnet-1', address: '127.0.0.1:0' });
    events.next(begin());
    events.next({ kind: 'EpochBegin', time: Date.now(), epoch: 0, step: 0, lr: 0.01, steps: 4, startBatch: 0 });
    events.next({ kind: 'BatchEnd', time: Date.now(), epoch: 0, step: 1, batch: 1, batchSize: 32, loss: 1.2345, accuracy: 0.375, imagesPerSec: 250 });
    events.next({ kind: 'CheckpointSaved', time: Date.now(), epoch: 0, step: 4, path: 'runs/a/ckpt-0001', best: true });
    events.next({ kind: 'SampleSkipped', time: Date.now(), epoch: 0, step: 4, path: 'cats/bad.jpg', reason: 'truncated', message: 'eof' });
    const t = io({}, true);
    const exit = run([server.address], t.io);
    await until(() => t.out.text().includes('cats/bad.jpg'), 5000, 'the view');
    events.next(endOk());
    events.complete();
    assert.equal(await exit, MONITOR_EXIT.OK);
    const view = t.out.text();
    for (const want of ['run alexnet-1', 'backend wasm', 'epoch 1/2', 'batch 2/4', 'loss 1.234', 'acc 37.5%', 'lr 0.0100', 'runs/a/ckpt-0001 (best)', 'skipped samples: 1', 'truncated: cats/bad.jpg', 'status FINISHED']) {
      assert.ok(view.includes(want), `view shows '${want}':\n${view}`);
    }
  });

  it('rejects bad usage with exit 2 and prints --help', async () => {
    const t = io();
    assert.equal(await run(['nohost'], t.io), MONITOR_EXIT.USAGE);
    assert.match(t.err.text(), /expected HOST:PORT/);
    assert.equal(await run(['127.0.0.1:1', '--kinds', 'Bogus'], t.io), MONITOR_EXIT.USAGE);
    assert.match(t.err.text(), /unknown event kind 'Bogus'/);
    assert.equal(await run(['127.0.0.1:1', '--ca', '/nonexistent.pem'], t.io), MONITOR_EXIT.USAGE);
    assert.match(t.err.text(), /cannot read CA certificate '\/nonexistent\.pem'/);
    const h = io();
    assert.equal(await run(['--help'], h.io), MONITOR_EXIT.OK);
    assert.match(h.out.text(), /usage: rxtrain monitor \[HOST:PORT\]/);
    const listed = new Set(h.out.text().split(/[\s(),]+/));
    for (const kind of TRAIN_EVENT_KINDS) assert.ok(listed.has(kind), `--help names ${kind}`);
  });
});
