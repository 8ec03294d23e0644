import assert from 'node:assert/strict';
import { parseEventKind, PROTO_EVENT_KIND } from '../../src/telemetry/protoEventKind';
import { TRAIN_EVENT_KINDS } from '../../src/telemetry/TrainEvent';
import { EventKind } from '../../src/telemetry/generated/rxtrain/telemetry/v1/EventKind';

describe('protoEventKind', () => {
  it('names every TrainEvent kind by a value of the proto enum, and every value but UNSPECIFIED by a kind', () => {
    assert.deepEqual(
      TRAIN_EVENT_KINDS.map((k) => PROTO_EVENT_KIND[k]).sort(),
      Object.values(EventKind).filter((v) => v !== EventKind.EVENT_KIND_UNSPECIFIED).sort(),
    );
  });

  it('reads a kind by its proto name, with or without the EVENT_KIND_ prefix, or by its TrainEvent tag, in any case', () => {
    assert.equal(parseEventKind('EVENT_KIND_BATCH_END'), 'BatchEnd');
    assert.equal(parseEventKind('event_kind_batch_end'), 'BatchEnd');
    assert.equal(parseEventKind('BATCH_END'), 'BatchEnd'); // the name before 0.1.0, as people type it
    for (const kind of TRAIN_EVENT_KINDS) {
      const proto = PROTO_EVENT_KIND[kind];
      const bare = proto.replace(/^EVENT_KIND_/, '');
      for (const spelling of [proto, proto.toLowerCase(), bare, bare.toLowerCase(), kind, kind.toLowerCase()]) {
        assert.equal(parseEventKind(spelling), kind, spelling);
      }
    }
    for (const bad of ['EVENT_KIND_UNSPECIFIED', 'UNSPECIFIED', 'EVENT_KIND_', 'EVENT_KIND_NOPE', 4, undefined]) {
      assert.equal(parseEventKind(bad), undefined, String(bad));
    }
  });
});
