import assert from 'node:assert/strict';
import { fromProtoEvent } from '../../src/telemetry/fromProtoEvent';
import { loadTelemetryProto } from '../../src/telemetry/telemetryProto';
import { toProtoEvent } from '../../src/telemetry/toProtoEvent';
import type { TrainEvent } from '../../src/telemetry/TrainEvent';
import type { Event__Output } from '../../src/telemetry/generated/rxtrain/telemetry/v1/Event';

const t = 1764115200123.25; // sub-millisecond times must survive (latency measurements)
const ALL: TrainEvent[] = [
  { kind: 'TrainBegin', time: t, epoch: 0, step: 0, runId: 'r', backend: 'wasm', threads: 2, replicas: 1, epochs: 90, stepsPerEpoch: 10, config: { lr: 0.01, nested: [1, 2] }, resumedFrom: '/runs/r/ckpt-3' },
  { kind: 'EpochBegin', time: t, epoch: 1, step: 10, lr: 0.01, steps: 10, startBatch: 3 },
  { kind: 'BatchEnd', time: t, epoch: 1, step: 11, batch: 0, batchSize: 128, loss: 2.25, accuracy: 0.125, imagesPerSec: 512.5 },
  { kind: 'EpochEnd', time: t, epoch: 1, step: 20, trainLoss: 2, trainAccuracy: 0.25, valLoss: 1.5, valAccuracy: 0.5, lr: 0.01, durationMs: 1234 },
  { kind: 'EpochEnd', time: t, epoch: 2, step: 30, trainLoss: 2, trainAccuracy: 0.25, lr: 0.01, durationMs: 1234 },
  { kind: 'LrChanged', time: t, epoch: 2, step: 30, from: 0.01, to: 0.001 },
  { kind: 'CheckpointSaved', time: t, epoch: 2, step: 30, path: '/runs/r/ckpt-4', best: true },
  { kind: 'SampleSkipped', time: t, epoch: 2, step: 31, path: 'cats/0001.jpg', reason: 'truncated', message: 'premature end' },
  { kind: 'EarlyStop', time: t, epoch: 3, step: 40, reason: 'no val improvement for 10 epochs' },
  { kind: 'TrainEnd', time: t, epoch: 3, step: 40, reason: 'early-stop', durationMs: 99 },
  { kind: 'TrainEnd', time: t, epoch: 3, step: 40, reason: 'time-limit', durationMs: 7.2e6 },
  { kind: 'TrainEnd', time: t, epoch: 3, step: 40, reason: 'stopped', durationMs: 5 },
  { kind: 'TrainEnd', time: t, epoch: 3, step: 40, reason: 'completed', durationMs: 5 },
  { kind: 'Error', time: t, epoch: 3, step: 40, message: 'disk full', fatal: true },
];

describe('toProtoEvent / fromProtoEvent', () => {
  it('round-trips every event kind through the real wire encoding', () => {
    const { v1 } = loadTelemetryProto();
    const svc = v1.Telemetry.service.Subscribe;
    ALL.forEach((e, i) => {
      const bytes = svc.responseSerialize(toProtoEvent(e, 'run-9', i + 1, 'stream-a'));
      const decoded = svc.responseDeserialize(bytes) as Event__Output;
      assert.deepEqual(fromProtoEvent(decoded), { ...e, runId: 'run-9', sequence: i + 1, streamId: 'stream-a' }, e.kind);
    });
  });

  it('keeps NaN losses (a diverging run must still be reported)', () => {
    const { v1 } = loadTelemetryProto();
    const svc = v1.Telemetry.service.Subscribe;
    const e: TrainEvent = { kind: 'BatchEnd', time: t, epoch: 0, step: 1, batch: 0, batchSize: 1, loss: NaN, accuracy: 0, imagesPerSec: 1 };
    const back = fromProtoEvent(svc.responseDeserialize(svc.responseSerialize(toProtoEvent(e, 'r', 1))) as Event__Output);
    assert.ok(back?.kind === 'BatchEnd' && Number.isNaN(back.loss));
  });

  it('returns undefined for an event with no payload (e.g. from a newer server)', () => {
    const m: Event__Output = { runId: 'r', sequence: 1, timeUnixMicros: 0, epoch: 0, step: 0, streamId: 's' };
    assert.equal(fromProtoEvent(m), undefined);
  });

  it('survives a config that cannot be JSON-encoded', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const msg = toProtoEvent({ ...(ALL[0] as Extract<TrainEvent, { kind: 'TrainBegin' }>), config: cyclic }, 'r', 1);
    assert.match(msg.trainBegin?.configJson ?? '', /unserialisable/);
  });
});
