import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import * as protobuf from 'protobufjs';
import { fromProtoEvent } from '../../src/telemetry/fromProtoEvent';
import { parseEventKind } from '../../src/telemetry/protoEventKind';
import { loadTelemetryProto, TELEMETRY_LOADER_OPTIONS, TELEMETRY_PROTO_PATH } from '../../src/telemetry/telemetryProto';
import { toProtoEvent } from '../../src/telemetry/toProtoEvent';
import type { TrainEvent } from '../../src/telemetry/TrainEvent';
import type { Event__Output } from '../../src/telemetry/generated/rxtrain/telemetry/v1/Event';
import type { Run__Output } from '../../src/telemetry/generated/rxtrain/telemetry/v1/Run';
import type { SubscribeRequest__Output } from '../../src/telemetry/generated/rxtrain/telemetry/v1/SubscribeRequest';
import { REPO_ROOT } from './telemetryTestKit';

/** proto/telemetry.proto as it was before its names followed the protobuf style guide. */
const OLD_PROTO = path.join(REPO_ROOT, 'test', 'fixtures', 'telemetry-before-style-renames.proto');

/** `Type.name` → the name it has now; everything else kept its name, and every number is kept. */
const RENAMED: Readonly<Record<string, string>> = {
  'EventKind.TRAIN_BEGIN': 'EVENT_KIND_TRAIN_BEGIN',
  'EventKind.EPOCH_BEGIN': 'EVENT_KIND_EPOCH_BEGIN',
  'EventKind.BATCH_END': 'EVENT_KIND_BATCH_END',
  'EventKind.EPOCH_END': 'EVENT_KIND_EPOCH_END',
  'EventKind.LR_CHANGED': 'EVENT_KIND_LR_CHANGED',
  'EventKind.CHECKPOINT_SAVED': 'EVENT_KIND_CHECKPOINT_SAVED',
  'EventKind.SAMPLE_SKIPPED': 'EVENT_KIND_SAMPLE_SKIPPED',
  'EventKind.EARLY_STOP': 'EVENT_KIND_EARLY_STOP',
  'EventKind.TRAIN_END': 'EVENT_KIND_TRAIN_END',
  'EventKind.ERROR': 'EVENT_KIND_ERROR',
  'LrChanged.from': 'from_lr',
  'LrChanged.to': 'to_lr',
  'TrainEndReason.COMPLETED': 'TRAIN_END_REASON_COMPLETED',
  'TrainEndReason.EARLY_STOPPED': 'TRAIN_END_REASON_EARLY_STOPPED',
  'TrainEndReason.STOPPED': 'TRAIN_END_REASON_STOPPED',
  'TrainEndReason.TIME_LIMIT': 'TRAIN_END_REASON_TIME_LIMIT',
  'RunStatus.STARTING': 'RUN_STATUS_STARTING',
  'RunStatus.RUNNING': 'RUN_STATUS_RUNNING',
  'RunStatus.FINISHED': 'RUN_STATUS_FINISHED',
  'RunStatus.EARLY_STOPPED_RUN': 'RUN_STATUS_EARLY_STOPPED',
  'RunStatus.STOPPED_RUN': 'RUN_STATUS_STOPPED',
  'RunStatus.FAILED': 'RUN_STATUS_FAILED',
  'RunStatus.TIME_LIMIT_RUN': 'RUN_STATUS_TIME_LIMIT',
};

function loadRoot(file: string): protobuf.Root {
  const root = new protobuf.Root().loadSync(file, { keepCase: true });
  root.resolveAll();
  return root;
}

function* types(ns: protobuf.NamespaceBase): Generator<protobuf.ReflectionObject> {
  for (const o of ns.nestedArray) {
    yield o;
    if (o instanceof protobuf.Namespace || o instanceof protobuf.Type) yield* types(o);
  }
}

/** What decides a field's wire encoding and presence, apart from its number. */
function shape(f: protobuf.Field): string {
  const optional = (f.options as Record<string, unknown> | undefined)?.proto3_optional === true;
  return JSON.stringify({
    type: f.resolvedType ? f.resolvedType.fullName : f.type,
    repeated: f.repeated,
    optional,
    oneof: optional ? undefined : f.partOf?.name,
  });
}

/** Subscribe's and GetRun's (de)serialisers as a client compiled from `file` has them. */
function methods(file: string): { subscribe: protoLoader.MethodDefinition<object, object>; getRun: protoLoader.MethodDefinition<object, object> } {
  const service = protoLoader.loadSync(file, TELEMETRY_LOADER_OPTIONS)['rxtrain.telemetry.v1.Telemetry'] as protoLoader.ServiceDefinition;
  return { subscribe: service.Subscribe, getRun: service.GetRun };
}

describe('proto/telemetry.proto', () => {
  it('keeps every field, enum value and method number of the proto before the style renames, under the same or the renamed name', () => {
    const before = loadRoot(OLD_PROTO);
    const now = loadRoot(TELEMETRY_PROTO_PATH);
    const used = new Set<string>();
    const nameNow = (owner: string, name: string): string => {
      const key = `${owner}.${name}`;
      if (RENAMED[key] === undefined) return name;
      used.add(key);
      return RENAMED[key];
    };
    let checked = 0;
    for (const old of types(before)) {
      const cur = now.lookup(old.fullName);
      assert.ok(cur, `${old.fullName} is still there`);
      if (old instanceof protobuf.Type) {
        assert.ok(cur instanceof protobuf.Type, old.fullName);
        for (const f of old.fieldsArray) {
          const g = cur.fieldsById[f.id] as protobuf.Field | undefined;
          assert.ok(g, `${old.name} field ${f.id} (${f.name}) is still there`);
          assert.equal(g.name, nameNow(old.name, f.name), `${old.name} field ${f.id}`);
          assert.equal(shape(g), shape(f), `${old.name}.${g.name} is encoded as before`);
          checked += 1;
        }
      } else if (old instanceof protobuf.Enum) {
        assert.ok(cur instanceof protobuf.Enum, old.fullName);
        for (const [name, n] of Object.entries(old.values)) {
          assert.equal(cur.valuesById[n], nameNow(old.name, name), `${old.name} value ${n}`);
          checked += 1;
        }
      } else if (old instanceof protobuf.Service) {
        assert.ok(cur instanceof protobuf.Service, old.fullName);
        for (const m of old.methodsArray) {
          const c = cur.methods[m.name] as protobuf.Method | undefined;
          assert.ok(c, `${old.name}/${m.name} is still there`);
          assert.deepEqual([c.resolvedRequestType?.fullName, c.requestStream, c.resolvedResponseType?.fullName, c.responseStream], [m.resolvedRequestType?.fullName, m.requestStream, m.resolvedResponseType?.fullName, m.responseStream], `${old.name}/${m.name}`);
          checked += 1;
        }
      }
    }
    assert.ok(checked > 100, `${checked} fields, values and methods compared`);
    assert.deepEqual([...used].sort(), Object.keys(RENAMED).sort(), 'every rename listed is one the proto made');
  });

  it('an old client reads what this server sends, and this monitor reads what an old server sent', () => {
    const old = methods(OLD_PROTO);
    const cur = loadTelemetryProto().v1.Telemetry.service;
    const t = 1764115200123.25;
    const sent: TrainEvent[] = [
      { kind: 'LrChanged', time: t, epoch: 2, step: 30, from: 0.01, to: 0.001 },
      ...(['completed', 'early-stop', 'stopped', 'time-limit'] as const).map((reason): TrainEvent => ({ kind: 'TrainEnd', time: t, epoch: 3, step: 40, reason, durationMs: 5 })),
      { kind: 'EpochEnd', time: t, epoch: 1, step: 20, trainLoss: 2, trainAccuracy: 0.25, valLoss: 1.5, valAccuracy: 0.5, lr: 0.01, durationMs: 1234 },
    ];
    for (const e of sent) {
      // New server → old client → (re-encoded by the old schema) → new client: nothing lost.
      const atOldClient = old.subscribe.responseDeserialize(cur.Subscribe.responseSerialize(toProtoEvent(e, 'r', 7, 's')));
      const back = cur.Subscribe.responseDeserialize(old.subscribe.responseSerialize(atOldClient)) as Event__Output;
      assert.deepEqual(fromProtoEvent(back), { ...e, runId: 'r', sequence: 7, streamId: 's' }, e.kind);
    }
    const lr = old.subscribe.responseDeserialize(cur.Subscribe.responseSerialize(toProtoEvent(sent[0], 'r', 1))) as { lrChanged?: { from: number; to: number } };
    assert.deepEqual(lr.lrChanged, { from: 0.01, to: 0.001 }, 'an old client finds the rates under its old names');

    // A kind newer than the old client: an Event it reads (its sequence counts) without a payload, and skips.
    const progress: TrainEvent = { kind: 'ValidationProgress', time: t, epoch: 1, step: 17, batchesDone: 3, batches: 10, images: 96 };
    const unknown = old.subscribe.responseDeserialize(cur.Subscribe.responseSerialize(toProtoEvent(progress, 'r', 8, 's'))) as Record<string, unknown>;
    assert.deepEqual([unknown.sequence, unknown.event], [8, undefined]);
    assert.equal(fromProtoEvent(cur.Subscribe.responseDeserialize(old.subscribe.responseSerialize(unknown)) as Event__Output), undefined);

    // An old client's filter reaches this server as the same kinds.
    const oldRequest = old.subscribe.requestSerialize({ kinds: ['EPOCH_END', 'TRAIN_END'] });
    assert.deepEqual((cur.Subscribe.requestDeserialize(oldRequest) as SubscribeRequest__Output).kinds.map(parseEventKind), ['EpochEnd', 'TrainEnd']);

    // An old server's TrainEnd and GetRun, by their old names.
    const oldEnd = old.subscribe.responseSerialize({ runId: 'r', sequence: 9, trainEnd: { reason: 'EARLY_STOPPED', durationMs: 5 } });
    const end = fromProtoEvent(cur.Subscribe.responseDeserialize(oldEnd) as Event__Output);
    assert.equal(end?.kind === 'TrainEnd' ? end.reason : end?.kind, 'early-stop');
    const oldRun = old.getRun.responseSerialize({ runId: 'r', status: 'EARLY_STOPPED_RUN' });
    assert.equal((cur.GetRun.responseDeserialize(oldRun) as Run__Output).status, 'RUN_STATUS_EARLY_STOPPED');
  });

  it("prefixes every enum value with its enum's name, so that values of different enums cannot collide (C++, Python)", () => {
    const unprefixed: string[] = [];
    for (const o of types(loadRoot(TELEMETRY_PROTO_PATH))) {
      if (!(o instanceof protobuf.Enum)) continue;
      const prefix = o.name.replace(/(?<!^)(?=[A-Z])/g, '_').toUpperCase() + '_';
      unprefixed.push(...Object.keys(o.values).filter((v) => !v.startsWith(prefix)).map((v) => `${o.name}.${v}`));
    }
    assert.deepEqual(unprefixed, []);
  });

  it('names no field after a Python keyword, so generated clients need no getattr', () => {
    // Python's keyword.kwlist; protoc keeps such a field's name, and Python code can reach it only as getattr(m, "from").
    const PYTHON_KEYWORDS = new Set(['False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield']);
    const clashes: string[] = [];
    for (const o of types(loadRoot(TELEMETRY_PROTO_PATH))) {
      if (o instanceof protobuf.Type) clashes.push(...o.fieldsArray.filter((f) => PYTHON_KEYWORDS.has(f.name)).map((f) => `${o.name}.${f.name}`));
    }
    assert.deepEqual(clashes, []);
  });
});
