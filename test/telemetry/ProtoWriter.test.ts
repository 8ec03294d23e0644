import assert from 'node:assert/strict';
import { ProtoWriter } from '../../src/telemetry/ProtoWriter';
import { decodeProto } from './tfEventReader';

describe('ProtoWriter', () => {
  it('encodes varints, including multi-byte and negative values, per the protobuf spec', () => {
    assert.equal(new ProtoWriter().int64(1, 150).finish().toString('hex'), '089601');
    assert.equal(new ProtoWriter().int64(2, 300).finish().toString('hex'), '10ac02');
    assert.equal(new ProtoWriter().int64(1, -1).finish().toString('hex'), '08ffffffffffffffffff01');
    assert.equal(new ProtoWriter().int64(1, 2n ** 40n).finish().toString('hex'), '08808080808020');
  });

  it('encodes strings, doubles, floats, packed fields and nested messages that decode back', () => {
    const buf = new ProtoWriter()
      .string(2, 'testing')
      .double(3, 1.5)
      .float(4, 0.25)
      .packedInt64(5, [3, 270, 86942])
      .message(6, new ProtoWriter().int64(1, 42))
      .bool(7, true)
      .finish();
    assert.equal(buf.subarray(0, 9).toString('hex'), '120774657374696e67');
    const m = decodeProto(buf);
    const f = (n: number) => {
      const x = m.get(n)?.[0];
      assert.ok(x !== undefined, `field ${n}`);
      return x;
    };
    const d = f(3);
    assert.ok(d.wire === 1 && d.v.readDoubleLE(0) === 1.5);
    const fl = f(4);
    assert.ok(fl.wire === 5 && fl.v.readFloatLE(0) === 0.25);
    const packed = f(5);
    assert.ok(packed.wire === 2);
    assert.equal(packed.v.toString('hex'), '038e029ea705');
    const nested = f(6);
    assert.ok(nested.wire === 2);
    assert.deepEqual(decodeProto(nested.v).get(1), [{ wire: 0, v: 42n }]);
    assert.deepEqual(f(7), { wire: 0, v: 1n });
  });

  it('rejects integers it cannot encode exactly', () => {
    assert.throws(() => new ProtoWriter().int64(1, 1.5), /safe integer/);
    assert.throws(() => new ProtoWriter().int64(0, 1), /field number/);
  });
});
