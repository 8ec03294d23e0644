import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { TelemetryHub } from '../../src/telemetry/TelemetryHub';
import { batchEnd } from './telemetryTestKit';

/**
 * Waits for the hub's turn: an immediate queued after the hub's runs after it, whereas a
 * setTimeout(0) may fire first (a timer due at the loop's next timers phase), which made
 * these tests flaky on a busy machine.
 */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

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
    await turn();
    assert.deepEqual(seen, [3]);
    hub.publish(batchEnd());
    hub.complete();
    hub.publish(batchEnd()); // ignored after the end
    await turn();
    assert.deepEqual(seen, [3, 4]);
    assert.equal(hub.ended?.code, grpc.status.OK);
    assert.equal(hub.buffer.newest, 4);
  });

  it('starts each turn one listener further on, telling every listener exactly once per turn', async () => {
    const hub = new TelemetryHub('r', 10, fakeEncode({ n: 0 }));
    const turns: string[][] = [];
    let current: string[] = [];
    for (const name of ['a', 'b', 'c']) hub.add({ notify: () => current.push(name) });
    for (let t = 0; t < 4; t += 1) {
      hub.publish(batchEnd());
      await turn();
      turns.push(current);
      current = [];
    }
    assert.deepEqual(turns, [
      ['a', 'b', 'c'],
      ['b', 'c', 'a'],
      ['c', 'a', 'b'],
      ['a', 'b', 'c'],
    ]);
  });

  it('lets a listener remove itself while being told', async () => {
    const hub = new TelemetryHub('r', 10, fakeEncode({ n: 0 }));
    const told: string[] = [];
    const a = { notify: () => (told.push('a'), hub.remove(a)) };
    hub.add(a);
    hub.add({ notify: () => told.push('b') });
    hub.publish(batchEnd());
    await turn();
    hub.publish(batchEnd());
    await turn();
    assert.deepEqual(told, ['a', 'b', 'b']);
  });
});
