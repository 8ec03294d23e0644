import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { rawResponseStream } from '../../src/telemetry/rawResponseStream';
import { loadTelemetryProto } from '../../src/telemetry/telemetryProto';
import type { Event } from '../../src/telemetry/generated/rxtrain/telemetry/v1/Event';
import type { TelemetryHandlers } from '../../src/telemetry/generated/rxtrain/telemetry/v1/Telemetry';
import { collect, newClient } from './telemetryTestKit';

describe('rawResponseStream (real grpc-js server and client on loopback)', () => {
  let server: grpc.Server | undefined;
  afterEach(() => {
    server?.forceShutdown();
    server = undefined;
  });

  async function serve(subscribe: TelemetryHandlers['Subscribe']): Promise<string> {
    const { v1 } = loadTelemetryProto();
    server = new grpc.Server();
    const handlers: TelemetryHandlers = { Subscribe: subscribe, GetRun: (_call, cb) => cb({ code: grpc.status.UNIMPLEMENTED }) };
    server.addService(v1.Telemetry.service, handlers);
    const port = await new Promise<number>((resolve, reject) =>
      server?.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    return `127.0.0.1:${port}`;
  }

  function framed(e: Event): Buffer {
    const bytes = loadTelemetryProto().v1.Telemetry.service.Subscribe.responseSerialize(e);
    const out = Buffer.alloc(bytes.length + 5);
    out.writeUInt32BE(bytes.length, 1);
    bytes.copy(out, 5);
    return out;
  }

  it('finds the HTTP/2 stream of this grpc-js version, so several framed messages go out in one write, then the status', async () => {
    let found = false;
    const address = await serve((call) => {
      const raw = rawResponseStream(call);
      // If a grpc-js upgrade hides the stream, the server silently falls back to call.write():
      // correct but slower. This assertion is what notices.
      found = raw !== undefined;
      const events = [1, 2, 3].map((sequence) => framed({ runId: 'r', sequence, epoch: 0, step: sequence, batchEnd: { loss: sequence / 10 } }));
      raw?.write(Buffer.concat(events));
      call.emit('error', { code: grpc.status.RESOURCE_EXHAUSTED, details: 'cut off after 3' });
    });
    const c = newClient(address);
    try {
      const got = collect(c);
      const status = await got.status;
      assert.equal(found, true);
      assert.deepEqual(got.events.map((e) => e.sequence), [1, 2, 3]);
      assert.ok(Math.abs((got.events[2].batchEnd?.loss ?? 0) - 0.3) < 1e-6);
      assert.equal(status.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.equal(status.details, 'cut off after 3');
    } finally {
      c.close();
    }
  });

  it('returns undefined for a call whose stream is already gone', async () => {
    let later: ReturnType<typeof rawResponseStream> | null = null;
    let done!: () => void;
    const checked = new Promise<void>((r) => (done = r));
    const address = await serve((call) => {
      call.on('cancelled', () => {
        setImmediate(() => {
          later = rawResponseStream(call);
          done();
        });
      });
    });
    const c = newClient(address);
    try {
      const got = collect(c);
      await new Promise((r) => setTimeout(r, 100));
      got.call.cancel();
      await checked;
      assert.equal(later, undefined);
    } finally {
      c.close();
    }
  });
});
