import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { TelemetryHub } from '../../src/telemetry/TelemetryHub';
import { batchEnd, tick } from './telemetryTestKit';

describe('TelemetryHub', () => {
  const fakeEncode = (calls: { n: number }) => (m: { sequence?: unknown }) => {
    calls.n += 1;
    return Buffer.from(`event-${String(m.sequence)}`);
  };

  it('frames each event once (gRPC prefix: uncompressed flag, big-endian length) however often it is sent', () => {
    const calls = { n: 0 };
    const hub = new TelemetryHub('r', 10, fakeEncode(calls));
    hub.publish(batchEnd());
    const entry = hub.buffer.get(1);
    assert.ok(entry);
    const framed = hub.framedOf(entry);
    assert.equal(framed[0], 0);
    assert.equal(framed.readUInt32BE(1), 'event-1'.length);
    assert.equal(framed.subarray(5).toString(), 'event-1');
    assert.equal(hub.bytesOf(entry).toString(), 'event-1');
    for (let i = 0; i < 100; i += 1) assert.equal(hub.framedOf(entry), framed); // the same Buffer for every subscriber
    assert.equal(calls.n, 1);
  });

  it('tells its listeners once per turn of the event loop, after a burst of events, and once more when it ends', async () => {
    const hub = new TelemetryHub('r', 10, fakeEncode({ n: 0 }));
    const seen: number[] = [];
    hub.add({ notify: () => seen.push(hub.buffer.newest) });
    hub.publish(batchEnd());
    hub.publish(batchEnd());
    hub.publish(batchEnd());
    assert.deepEqual(seen, []); // not yet: the burst is sent as one write
    await tick();
    assert.deepEqual(seen, [3]);
    hub.publish(batchEnd());
    hub.complete();
    hub.publish(batchEnd()); // ignored after the end
    await tick();
    assert.deepEqual(seen, [3, 4]);
    assert.equal(hub.ended?.code, grpc.status.OK);
    assert.equal(hub.buffer.newest, 4);
  });

  it('lets a listener remove itself while being told', async () => {
    const hub = new TelemetryHub('r', 10, fakeEncode({ n: 0 }));
    const told: string[] = [];
    const a = { notify: () => (told.push('a'), hub.remove(a)) };
    hub.add(a);
    hub.add({ notify: () => told.push('b') });
    hub.publish(batchEnd());
    await tick();
    hub.publish(batchEnd());
    await tick();
    assert.deepEqual(told, ['a', 'b', 'b']);
  });
});
