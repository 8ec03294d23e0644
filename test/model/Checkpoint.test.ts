import assert from 'node:assert/strict';
import {
  CorruptCheckpointError,
  decodeCheckpoint,
  diffIdentity,
  encodeCheckpoint,
  hashIdentity,
  stableStringify,
} from '../../src/model/Checkpoint';
import { sampleCheckpoint } from './fixtures/sampleCheckpoint';

describe('Checkpoint', () => {
  it('round-trips every field, tensors bit for bit', () => {
    const ck = sampleCheckpoint();
    const back = decodeCheckpoint(encodeCheckpoint(ck));
    assert.deepEqual({ ...back, trainer: null }, { ...ck, trainer: null });
    assert.equal(back.trainer.weights.length, 2);
    back.trainer.weights.forEach((w, i) => {
      assert.equal(w.name, ck.trainer.weights[i].name);
      assert.deepEqual(w.shape, ck.trainer.weights[i].shape);
      assert.deepEqual(Buffer.from(w.data.buffer), Buffer.from(ck.trainer.weights[i].data.buffer));
    });
    assert.deepEqual([...back.trainer.optimizer[0].data], new Array(8).fill(-0.5));
  });

  it('detects truncation at any length', () => {
    const bytes = encodeCheckpoint(sampleCheckpoint());
    for (const len of [0, 5, 12, Math.floor(bytes.length / 2), bytes.length - 1]) {
      assert.throws(() => decodeCheckpoint(bytes.subarray(0, len)), CorruptCheckpointError, `length ${len}`);
    }
  });

  it('detects a flipped bit', () => {
    const bytes = Buffer.from(encodeCheckpoint(sampleCheckpoint()));
    bytes[bytes.length - 40] ^= 0x10;
    assert.throws(() => decodeCheckpoint(bytes), /checksum mismatch/);
  });

  it('rejects a file that is not a checkpoint', () => {
    assert.throws(() => decodeCheckpoint(Buffer.from('{"hello": "world", "padding": "....................................."}')), /not an rxtrain checkpoint/);
  });

  it('hashes identities independently of key order', () => {
    assert.equal(stableStringify({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } }), '{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}');
    assert.equal(hashIdentity({ config: { a: 1, b: 2 }, data: null }), hashIdentity({ data: null, config: { b: 2, a: 1 } }));
    assert.notEqual(hashIdentity({ config: { a: 1 }, data: null }), hashIdentity({ config: { a: 2 }, data: null }));
  });

  it('names the fields where identities differ', () => {
    const a = { config: { batchSize: 32, model: { name: 'small', inputSize: 32 } }, data: { 'train.csv': 'aa' } };
    const b = { config: { batchSize: 32, model: { name: 'alexnet', inputSize: 32 }, extra: true }, data: { 'train.csv': 'bb' } };
    assert.deepEqual(diffIdentity(a, b), [
      'config.extra: checkpoint (absent), now true',
      'config.model.name: checkpoint "small", now "alexnet"',
      'data.train.csv: checkpoint "aa", now "bb"',
    ]);
    assert.deepEqual(diffIdentity(a, a), []);
  });
});
