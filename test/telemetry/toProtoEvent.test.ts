import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { fromProtoEvent } from '../../src/telemetry/fromProtoEvent';
import { loadTelemetryProto, TELEMETRY_LOADER_OPTIONS } from '../../src/telemetry/telemetryProto';
import { INITIALISED_FRESH_MAX, toProtoEvent, TRAIN_BEGIN_HISTORY_MAX } from '../../src/telemetry/toProtoEvent';
import type { InitialisedFrom, TrainBegin, TrainEvent } from '../../src/telemetry/TrainEvent';
import type { Event__Output } from '../../src/telemetry/generated/rxtrain/telemetry/v1/Event';
import { REPO_ROOT } from './telemetryTestKit';

const t = 1764115200123.25; // sub-millisecond times must survive (latency measurements)
const ALL: TrainEvent[] = [
  { kind: 'TrainBegin', time: t, epoch: 0, step: 0, runId: 'r', backend: 'wasm', threads: 2, replicas: 1, epochs: 90, stepsPerEpoch: 10, config: { lr: 0.01, nested: [1, 2] }, resumedFrom: '/runs/r/ckpt-3' },
  { kind: 'EpochBegin', time: t, epoch: 1, step: 10, lr: 0.01, steps: 10, startBatch: 3 },
  { kind: 'BatchEnd', time: t, epoch: 1, step: 11, batch: 0, batchSize: 128, loss: 2.25, accuracy: 0.125, imagesPerSec: 512.5 },
  { kind: 'BatchEnd', time: t, epoch: 1, step: 17, batch: 6, batchSize: 96, loss: 2.25, accuracy: 0.125, imagesPerSec: 512.5, lastOfEpoch: true },
  { kind: 'ValidationProgress', time: t, epoch: 1, step: 17, batchesDone: 0, batches: 40, images: 0 },
  { kind: 'ValidationProgress', time: t, epoch: 1, step: 17, batchesDone: 12, batches: 40, images: 768 },
  // A pass whose planned count is not known (or was passed): no `batches`, not 0.
  { kind: 'ValidationProgress', time: t, epoch: 1, step: 17, batchesDone: 41, images: 2600 },
  { kind: 'EpochEnd', time: t, epoch: 1, step: 20, trainLoss: 2, trainAccuracy: 0.25, valLoss: 1.5, valAccuracy: 0.5, lr: 0.01, durationMs: 1234 },
  { kind: 'EpochEnd', time: t, epoch: 2, step: 30, trainLoss: 2, trainAccuracy: 0.25, lr: 0.01, durationMs: 1234 },
  { kind: 'EpochEnd', time: t, epoch: 2, step: 30, trainLoss: 2, trainAccuracy: 0.25, valLoss: 1.5, valAccuracy: 0.5, valTop5Accuracy: 0.75, lr: 0.01, durationMs: 1234 },
  { kind: 'EpochEnd', time: t, epoch: 2, step: 30, trainLoss: 2, trainAccuracy: 0.25, lr: 0.01, durationMs: 1234, imagesPerSec: 101.25 },
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

  describe("TrainBegin's history (a resumed run's earlier epochs)", () => {
    const { v1 } = loadTelemetryProto();
    const svc = v1.Telemetry.service.Subscribe;
    const history = (n: number): NonNullable<TrainBegin['history']> =>
      Array.from({ length: n }, (_, epoch) => ({
        epoch,
        trainLoss: 2 / (epoch + 1),
        trainAccuracy: epoch / n,
        // An epoch without validation has no val figures, and must not get zeros.
        ...(epoch % 7 === 3 ? {} : { valLoss: 2.5 / (epoch + 1), valAccuracy: epoch / (n + 1), valTop5Accuracy: (epoch + 1) / (n + 1) }),
        lr: 0.1 / 2 ** Math.floor(epoch / 30),
        durationMs: 60_000 + epoch,
      }));
    const resumed = (n: number): TrainBegin => ({ ...(ALL[0] as TrainBegin), epoch: n, step: n * 10, history: history(n) });
    const wire = (e: TrainEvent): Buffer => svc.responseSerialize(toProtoEvent(e, 'r', 1, 's'));

    it('round-trips over the wire, at a bounded size', () => {
      const e = resumed(90);
      const back = fromProtoEvent(svc.responseDeserialize(wire(e)) as Event__Output);
      assert.deepEqual(back, { ...e, runId: 'r', sequence: 1, streamId: 's' });
      // A 90-epoch run's history: a few kB once per training process, not per event.
      const { history: _, ...without } = e;
      const perEpoch = (wire(e).length - wire(without).length) / 90;
      assert.ok(perEpoch <= 68, `${perEpoch} bytes per epoch`);
      // However long the run, only its latest epochs go, so the message stays small.
      const long = fromProtoEvent(svc.responseDeserialize(wire(resumed(5000))) as Event__Output);
      assert.ok(long?.kind === 'TrainBegin' && long.history !== undefined);
      assert.equal(long.history.length, TRAIN_BEGIN_HISTORY_MAX);
      assert.deepEqual(long.history.map((r) => r.epoch), Array.from({ length: TRAIN_BEGIN_HISTORY_MAX }, (_, i) => 5000 - TRAIN_BEGIN_HISTORY_MAX + i));
      assert.ok(wire(resumed(5000)).length < TRAIN_BEGIN_HISTORY_MAX * 68 + 1024, `${wire(resumed(5000)).length} bytes`);
    });

    it('is additive: a client of the proto before it reads the rest, and a server before it sends a TrainBegin without history', () => {
      const oldProto = path.join(REPO_ROOT, 'test', 'fixtures', 'telemetry-before-style-renames.proto');
      const old = (protoLoader.loadSync(oldProto, TELEMETRY_LOADER_OPTIONS)['rxtrain.telemetry.v1.Telemetry'] as protoLoader.ServiceDefinition).Subscribe;
      const e = resumed(12);
      const atNewClient = fromProtoEvent(svc.responseDeserialize(wire(e)) as Event__Output);
      assert.deepEqual(atNewClient?.kind === 'TrainBegin' ? atNewClient.history : undefined, e.history, 'a client of this proto gets it');
      const atOldClient = old.responseDeserialize(wire(e)) as { trainBegin?: Record<string, unknown> };
      assert.equal(atOldClient.trainBegin?.resumedFrom, e.resumedFrom);
      assert.equal(atOldClient.trainBegin?.epochs, e.epochs);
      assert.equal('history' in (atOldClient.trainBegin ?? {}), false, 'not a field it knows');
      // What an old server sends: the same TrainBegin, without history; this monitor reads it as "not known".
      const fromOldServer = fromProtoEvent(svc.responseDeserialize(old.responseSerialize(atOldClient)) as Event__Output);
      const { history: _, ...without } = e;
      assert.deepEqual(fromOldServer, { ...without, runId: 'r', sequence: 1, streamId: 's' });
    });
  });

  describe('EpochEnd.val_top5_accuracy and EpochSummary.val_top5_accuracy', () => {
    const { v1 } = loadTelemetryProto();
    const svc = v1.Telemetry.service.Subscribe;
    // The proto as it was before the field: this one with its lines taken out.
    const before = (): protoLoader.ServiceDefinition['Subscribe'] => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proto-before-top5-'));
      try {
        const text = fs.readFileSync(path.join(REPO_ROOT, 'proto', 'telemetry.proto'), 'utf8');
        const older = text.split('\n').filter((l) => !/val_top5_accuracy = \d+;/.test(l)).join('\n');
        assert.notEqual(older, text, 'the field is in the proto');
        fs.writeFileSync(path.join(dir, 'telemetry.proto'), older);
        return (protoLoader.loadSync(path.join(dir, 'telemetry.proto'), TELEMETRY_LOADER_OPTIONS)['rxtrain.telemetry.v1.Telemetry'] as protoLoader.ServiceDefinition).Subscribe;
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    };
    const epochEnd: TrainEvent = { kind: 'EpochEnd', time: t, epoch: 4, step: 50, trainLoss: 2, trainAccuracy: 0.25, valLoss: 1.5, valAccuracy: 0.5, valTop5Accuracy: 0.75, lr: 0.01, durationMs: 1234 };
    const resumed: TrainBegin = { ...(ALL[0] as TrainBegin), epoch: 1, step: 10, history: [{ epoch: 0, trainLoss: 2, trainAccuracy: 0.25, valLoss: 1.5, valAccuracy: 0.5, valTop5Accuracy: 0.75, lr: 0.01, durationMs: 1234 }] };

    it('is additive: a client of the proto before it reads the rest, and a server before it sends none, which stays absent (not 0)', () => {
      const old = before();
      for (const e of [epochEnd, resumed]) {
        const wire = svc.responseSerialize(toProtoEvent(e, 'r', 1, 's'));
        assert.deepEqual(fromProtoEvent(svc.responseDeserialize(wire) as Event__Output), { ...e, runId: 'r', sequence: 1, streamId: 's' }, `${e.kind}: a client of this proto gets it`);
        const atOldClient = old.responseDeserialize(wire) as Record<string, unknown>;
        assert.doesNotMatch(JSON.stringify(atOldClient), /[Tt]op5/, 'not a field it knows');
        // What a server before the field sends: the same event without it.
        const fromOldServer = fromProtoEvent(svc.responseDeserialize(old.responseSerialize(atOldClient)) as Event__Output);
        const withoutTop5 = e.kind === 'EpochEnd' ? (({ valTop5Accuracy: _, ...rest }) => rest)(e) : { ...e, history: e.history?.map(({ valTop5Accuracy: _, ...rest }) => rest) };
        assert.deepEqual(fromOldServer, { ...withoutTop5, runId: 'r', sequence: 1, streamId: 's' }, e.kind);
      }
    });
  });
  describe('EpochEnd.images_per_sec and EpochSummary.images_per_sec', () => {
    const { v1 } = loadTelemetryProto();
    const svc = v1.Telemetry.service.Subscribe;
    // The proto as it was before the field: this one with its lines taken out.
    const before = (): protoLoader.ServiceDefinition['Subscribe'] => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proto-before-epoch-rate-'));
      try {
        const text = fs.readFileSync(path.join(REPO_ROOT, 'proto', 'telemetry.proto'), 'utf8');
        const lines = text.split('\n');
        // BatchEnd's and Metrics' images_per_sec were there before: only the epoch messages' go.
        const inEpochMessage = (i: number): boolean => /^message (EpochEnd|EpochSummary) /.test(lines.slice(0, i).reverse().find((l) => l.startsWith('message ')) ?? '');
        const older = lines.filter((l, i) => !(/images_per_sec = \d+;/.test(l) && inEpochMessage(i))).join('\n');
        assert.equal(text.split('\n').length - older.split('\n').length, 2, 'the two fields are in the proto');
        fs.writeFileSync(path.join(dir, 'telemetry.proto'), older);
        return (protoLoader.loadSync(path.join(dir, 'telemetry.proto'), TELEMETRY_LOADER_OPTIONS)['rxtrain.telemetry.v1.Telemetry'] as protoLoader.ServiceDefinition).Subscribe;
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    };
    const epochEnd: TrainEvent = { kind: 'EpochEnd', time: t, epoch: 4, step: 50, trainLoss: 2, trainAccuracy: 0.25, valLoss: 1.5, valAccuracy: 0.5, lr: 0.01, durationMs: 1234, imagesPerSec: 101.25 };
    const resumed: TrainBegin = {
      ...(ALL[0] as TrainBegin),
      epoch: 2,
      step: 20,
      // The first epoch's checkpoint was written before the field: it has no img/s, and stays without.
      history: [{ epoch: 0, trainLoss: 2, trainAccuracy: 0.25, lr: 0.01, durationMs: 1234 }, { epoch: 1, trainLoss: 2, trainAccuracy: 0.25, lr: 0.01, durationMs: 1234, imagesPerSec: 99.5 }],
    };

    it('is additive: a client of the proto before it reads the rest, and a server before it sends none, which stays absent (not 0)', () => {
      const old = before();
      for (const e of [epochEnd, resumed]) {
        const wire = svc.responseSerialize(toProtoEvent(e, 'r', 1, 's'));
        assert.deepEqual(fromProtoEvent(svc.responseDeserialize(wire) as Event__Output), { ...e, runId: 'r', sequence: 1, streamId: 's' }, `${e.kind}: a client of this proto gets it`);
        const atOldClient = old.responseDeserialize(wire) as Record<string, unknown>;
        assert.doesNotMatch(JSON.stringify(atOldClient), /imagesPerSec/, 'not a field it knows');
        const fromOldServer = fromProtoEvent(svc.responseDeserialize(old.responseSerialize(atOldClient)) as Event__Output);
        const withoutRate = e.kind === 'EpochEnd' ? (({ imagesPerSec: _, ...rest }) => rest)(e) : { ...e, history: e.history?.map(({ imagesPerSec: _, ...rest }) => rest) };
        assert.deepEqual(fromOldServer, { ...withoutRate, runId: 'r', sequence: 1, streamId: 's' }, e.kind);
      }
    });
  });

  describe('TrainBegin.initialised_from (a run started from another run\'s weights)', () => {
    const { v1 } = loadTelemetryProto();
    const svc = v1.Telemetry.service.Subscribe;
    // The proto as it was before the field: this one with its line taken out.
    const before = (): protoLoader.ServiceDefinition['Subscribe'] => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proto-before-init-'));
      try {
        const text = fs.readFileSync(path.join(REPO_ROOT, 'proto', 'telemetry.proto'), 'utf8');
        const older = text.split('\n').filter((l) => !/initialised_from = \d+;/.test(l)).join('\n');
        assert.notEqual(older, text, 'the field is in the proto');
        fs.writeFileSync(path.join(dir, 'telemetry.proto'), older);
        return (protoLoader.loadSync(path.join(dir, 'telemetry.proto'), TELEMETRY_LOADER_OPTIONS)['rxtrain.telemetry.v1.Telemetry'] as protoLoader.ServiceDefinition).Subscribe;
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    };
    const { resumedFrom: _r, ...fresh } = ALL[0] as TrainBegin;
    const from: InitialisedFrom = { path: '/runs/pre/checkpoints/best.rxckpt', step: 3_000_000_000, weights: 'ema', taken: 14, total: 16, fresh: ['fc8/kernel [4096,257] vs [4096,10]', 'fc8/bias [257] vs [10]'] };
    const tuned: TrainBegin = { ...fresh, initialisedFrom: from };

    it('round-trips, and is additive: a client of the proto before it reads the rest, and a server before it sends none, which stays absent', () => {
      const wire = svc.responseSerialize(toProtoEvent(tuned, 'r', 1, 's'));
      assert.deepEqual(fromProtoEvent(svc.responseDeserialize(wire) as Event__Output), { ...tuned, runId: 'r', sequence: 1, streamId: 's' }, 'a client of this proto gets it');
      const trained: TrainBegin = { ...tuned, initialisedFrom: { ...from, weights: 'trained', fresh: [] } };
      assert.deepEqual(fromProtoEvent(svc.responseDeserialize(svc.responseSerialize(toProtoEvent(trained, 'r', 1, 's'))) as Event__Output), { ...trained, runId: 'r', sequence: 1, streamId: 's' });
      const old = before();
      const atOldClient = old.responseDeserialize(wire) as { trainBegin?: Record<string, unknown> };
      assert.equal(atOldClient.trainBegin?.epochs, tuned.epochs);
      assert.equal('initialisedFrom' in (atOldClient.trainBegin ?? {}), false, 'not a field it knows');
      const fromOldServer = fromProtoEvent(svc.responseDeserialize(old.responseSerialize(atOldClient)) as Event__Output);
      assert.deepEqual(fromOldServer, { ...fresh, runId: 'r', sequence: 1, streamId: 's' });
    });

    it('reads a weights kind it does not know (a newer server\'s), or none, as unknown, not as trained', () => {
      const wire = toProtoEvent(tuned, 'r', 1, 's');
      for (const weights of ['swa', '']) {
        const sent = { ...wire, trainBegin: { ...wire.trainBegin, initialisedFrom: { ...wire.trainBegin?.initialisedFrom, weights } } };
        const got = fromProtoEvent(svc.responseDeserialize(svc.responseSerialize(sent)) as Event__Output);
        assert.equal(got?.kind === 'TrainBegin' ? got.initialisedFrom?.weights : undefined, 'unknown', JSON.stringify(weights));
      }
    });

    it(`sends at most the first ${INITIALISED_FRESH_MAX} fresh tensors and counts the rest; a whole list has no count`, () => {
      const many = Array.from({ length: INITIALISED_FRESH_MAX + 150 }, (_, i) => `layer${i}/kernel [3,3] vs [5,5]`);
      const wire = svc.responseSerialize(toProtoEvent({ ...tuned, initialisedFrom: { ...from, fresh: many } }, 'r', 1, 's'));
      const got = fromProtoEvent(svc.responseDeserialize(wire) as Event__Output);
      const init = got?.kind === 'TrainBegin' ? got.initialisedFrom : undefined;
      assert.deepEqual(init?.fresh, many.slice(0, INITIALISED_FRESH_MAX));
      assert.equal(init?.freshMore, 150);
      // Relayed again (a decoded event re-encoded), the count stays the same.
      assert.equal(toProtoEvent(got as TrainEvent, 'r', 1, 's').trainBegin?.initialisedFrom?.freshMore, 150);
      const whole = fromProtoEvent(svc.responseDeserialize(svc.responseSerialize(toProtoEvent(tuned, 'r', 1, 's'))) as Event__Output);
      assert.equal(whole?.kind === 'TrainBegin' && 'freshMore' in (whole.initialisedFrom ?? {}), false, 'a complete list has no count');
    });
  });
});
