import assert from 'node:assert/strict';
import {
  checkpointEncoding,
  CorruptCheckpointError,
  decodeCheckpoint,
  diffIdentity,
  encodeCheckpoint,
  hashIdentity,
  matchIdentity,
  type RunIdentity,
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

  it('round-trips the weight average bit for bit, and stores none for a run without one', () => {
    const ck = sampleCheckpoint();
    const ema = { updates: 7, weights: ck.trainer.weights.map((w) => ({ ...w, data: w.data.map((x) => x / 3) })) };
    const back = decodeCheckpoint(encodeCheckpoint({ ...ck, ema }));
    assert.equal(back.ema?.updates, 7);
    assert.deepEqual(back.ema?.weights.map((w) => [w.name, w.shape]), ema.weights.map((w) => [w.name, w.shape]));
    back.ema?.weights.forEach((w, i) => assert.deepEqual(Buffer.from(w.data.buffer), Buffer.from(ema.weights[i].data.buffer)));
    assert.deepEqual({ ...back, ema: null }, { ...decodeCheckpoint(encodeCheckpoint(ck)), ema: null }, 'everything else as without it');
    const plain = encodeCheckpoint(ck);
    assert.ok(!('ema' in decodeCheckpoint(plain)));
    const header = (bytes: Buffer) => bytes.subarray(12, 12 + bytes.readUInt32LE(8)).toString('utf8');
    assert.ok(!header(plain).includes('"ema'), 'no trace of an average in the header');
    assert.match(header(encodeCheckpoint({ ...ck, ema })), /"emaUpdates":7/);
    const withAvg = encodeCheckpoint({ ...ck, ema });
    for (const len of [plain.length, withAvg.length - 1]) assert.throws(() => decodeCheckpoint(withAvg.subarray(0, len)), CorruptCheckpointError);
  });

  it('round-trips the classes and normalisation for scoring, and reads a malformed or missing one as absent', () => {
    const ck = sampleCheckpoint();
    const inference = { classes: ['cat', 'dog, big'], mean: [120.5, 115, 100], std: [60, 59, 58], imageSide: 256, background: 'white' as const };
    assert.deepEqual(decodeCheckpoint(encodeCheckpoint({ ...ck, inference })).inference, inference);
    assert.deepEqual(decodeCheckpoint(encodeCheckpoint({ ...ck, inference: { classes: ['a', 'b'], mean: [3] } })).inference, { classes: ['a', 'b'], mean: [3] });
    assert.ok(!('inference' in decodeCheckpoint(encodeCheckpoint(ck))), 'older checkpoints have none');
    // A hand-edited or foreign header: the weights stay readable, the info is dropped.
    for (const bad of [{ classes: 'cat' }, { classes: ['only'], mean: [0] }, { classes: ['a', 'b'], mean: [] }, { classes: ['a', 'b'], mean: [0, 0, 0], std: [1] }, { classes: ['a', 2], mean: [0] }, { classes: ['a', 'b'], mean: [0], imageSide: 0 }, { classes: ['a', 'b'], mean: [0], imageSide: 2.5 }, { classes: ['a', 'b'], mean: [0], background: 'grey' }, null]) {
      const back = decodeCheckpoint(encodeCheckpoint({ ...ck, inference: bad as never }));
      assert.ok(!('inference' in back), JSON.stringify(bad));
      assert.equal(back.step, ck.step);
    }
  });

  it('checkpointEncoding gives encodeCheckpoint\'s bytes in pieces of at most the size asked, afresh on each call', () => {
    const ck = sampleCheckpoint();
    const ema = { updates: 3, weights: ck.trainer.weights.map((w) => ({ ...w, data: w.data.map((x) => x / 2) })) };
    for (const c of [ck, { ...ck, ema }]) {
      const whole = encodeCheckpoint(c);
      const file = checkpointEncoding(c);
      assert.equal(file.bytes, whole.length);
      for (const size of [1, 7, 64, whole.length]) {
        const pieces = [...file.chunks(size)];
        assert.ok(pieces.every((p) => p.length > 0 && p.length <= size), `pieces of ${size}`);
        assert.deepEqual(Buffer.concat(pieces), whole);
      }
    }
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

  describe('matchIdentity', () => {
    const at = (root: string, fp: unknown = { format: 'folder', train: 'f00d' }): RunIdentity => ({
      config: { batchSize: 32, data: { train: `${root}/train`, val: null, format: 'auto' } },
      data: fp,
      relocatable: ['config.data.train', 'config.data.val'],
    });
    // What checkpoints written before `relocatable` existed hold: no such field, hash of config and data.
    const legacy = (root: string): { identity: RunIdentity; hash: string } => {
      const { relocatable: _r, ...identity } = at(root);
      return { identity, hash: hashIdentity(identity) };
    };

    it('neither hashes nor stores the relocatable list, so older checkpoints and older readers agree', () => {
      assert.equal(hashIdentity(at('/a')), legacy('/a').hash);
      const stored = decodeCheckpoint(encodeCheckpoint({ ...sampleCheckpoint(), identity: at('/a'), identityHash: hashIdentity(at('/a')) }));
      assert.deepEqual(stored.identity, legacy('/a').identity);
      assert.deepEqual(matchIdentity(legacy('/a').identity, legacy('/a').hash, at('/a')), { ok: true, moved: [], changed: [] });
    });

    it('resumes the same data at a new path, from new and from old checkpoints, naming what moved', () => {
      const moved = ['config.data.train: checkpoint "/old/proj/train", now "/new/proj/train"'];
      assert.deepEqual(matchIdentity(at('/old/proj'), hashIdentity(at('/old/proj')), at('/new/proj')), { ok: true, moved, changed: [] });
      const old = legacy('/old/proj');
      assert.deepEqual(matchIdentity(old.identity, old.hash, at('/new/proj')), { ok: true, moved, changed: [] });
    });

    it('refuses different data at the new path, saying it is the data', () => {
      const m = matchIdentity(at('/old'), hashIdentity(at('/old')), at('/new', { format: 'folder', train: 'beef' }));
      assert.equal(m.ok, false);
      assert.ok(!m.ok);
      assert.match(m.problems[0], /the data is not what the checkpoint was trained on: .* differs in data\.train/);
      assert.ok(m.problems.includes('config.data.train: checkpoint "/old/train", now "/new/train"'), m.problems.join('\n'));
      assert.ok(m.problems.includes('data.train: checkpoint "f00d", now "beef"'));
    });

    it('counts a path that appears or goes away as a change, not a move', () => {
      const withVal: RunIdentity = { ...at('/a'), config: { batchSize: 32, data: { train: '/a/train', val: '/a/val', format: 'auto' } } };
      const m = matchIdentity(at('/a'), hashIdentity(at('/a')), withVal);
      assert.deepEqual(m, { ok: false, differs: ['config'], problems: ['config.data.val: checkpoint null, now "/a/val"'] });
    });

    it('says which half differs, config, data or both, for refusals and for the changes a rule accepts', () => {
      const bs: RunIdentity = { ...at('/a'), config: { batchSize: 64, data: { train: '/a/train', val: null, format: 'auto' } } };
      const refused = (cur: RunIdentity): unknown => {
        const m = matchIdentity(at('/a'), hashIdentity(at('/a')), cur);
        return m.ok ? m : m.differs;
      };
      assert.deepEqual(refused(bs), ['config']);
      assert.deepEqual(refused(at('/a', { format: 'folder', train: 'beef' })), ['data']);
      assert.deepEqual(refused({ ...bs, data: { format: 'folder', train: 'beef' } }), ['config', 'data']);
      // Moved and different: the move alone would resume, so it is the data.
      assert.deepEqual(refused(at('/b', { format: 'folder', train: 'beef' })), ['data']);
      assert.deepEqual(refused({ ...at('/b', { format: 'folder', train: 'beef' }), config: { batchSize: 64, data: { train: '/b/train', val: null, format: 'auto' } } }), ['config', 'data']);
      // Moved without a fingerprint to vouch for the data: the path, a config field.
      assert.deepEqual(matchIdentity(at('/a', {}), hashIdentity(at('/a', {})), at('/b', {})), {
        ok: false,
        differs: ['config'],
        problems: ['the data moved and there is no data fingerprint to show it is the same data', 'config.data.train: checkpoint "/a/train", now "/b/train"'],
      });
      const info = (fp: Record<string, string>): RunIdentity => ({ ...at('/a', fp), changes: [{ path: 'data.info', from: undefined, action: 'accept', note: 'predates' }] });
      const m = matchIdentity(at('/a'), hashIdentity(at('/a')), info({ format: 'folder', train: 'f00d', info: 'c0de' }));
      assert.deepEqual(m, { ok: true, moved: [], changed: [{ part: 'data', line: 'data.info: checkpoint (absent), now "c0de": predates' }] });
    });

    it('refuses a moved path when there is no fingerprint to vouch for the data', () => {
      for (const fp of [null, {}]) {
        const m = matchIdentity(at('/old', fp), hashIdentity(at('/old', fp)), at('/new', fp));
        assert.ok(!m.ok);
        assert.match(m.problems[0], /no data fingerprint/);
      }
    });

    it('refuses a path change outside the relocatable fields, and other config changes', () => {
      const cur: RunIdentity = { ...at('/a'), relocatable: [] };
      const m = matchIdentity(at('/b'), hashIdentity(at('/b')), cur);
      assert.deepEqual(m, { ok: false, differs: ['config'], problems: ['config.data.train: checkpoint "/b/train", now "/a/train"'] });
      const bs: RunIdentity = { ...at('/b'), config: { batchSize: 64, data: { train: '/b/train', val: null, format: 'auto' } } };
      assert.deepEqual(matchIdentity(at('/a'), hashIdentity(at('/a')), bs), {
        ok: false,
        differs: ['config'],
        problems: ['config.batchSize: checkpoint 32, now 64', 'config.data.train: checkpoint "/a/train", now "/b/train"'],
      });
    });

    describe('with change rules', () => {
      const run = (replicas: number, changes: RunIdentity['changes'] = []): RunIdentity => ({ config: { batchSize: 32, replicas }, data: { train: 'f00d' }, changes });
      const saved = (replicas: number): [RunIdentity, string] => [run(replicas), hashIdentity(run(replicas))];
      const legacyAuto = { path: 'config.replicas', from: 0, action: 'accept', note: 'auto was 0' } as const;

      it('accepts a difference a rule accepts, naming it with the rule\'s note, and neither hashes nor stores the rules', () => {
        const cur = run(1, [{ path: 'config.replicas', action: 'accept', note: 'on request' }]);
        assert.deepEqual(matchIdentity(...saved(2), cur), { ok: true, moved: [], changed: [{ part: 'config', line: 'config.replicas: checkpoint 2, now 1: on request' }] });
        assert.equal(hashIdentity(cur), hashIdentity(run(1)));
        const stored = decodeCheckpoint(encodeCheckpoint({ ...sampleCheckpoint(), identity: cur, identityHash: hashIdentity(cur) }));
        assert.deepEqual(stored.identity, { config: cur.config, data: cur.data });
      });

      it('applies a rule with `from` only to that checkpoint value: the first rule that fits wins', () => {
        const rules = [legacyAuto, { path: 'config.replicas', action: 'refuse', note: 'pass --allow-replica-change' } as const];
        assert.deepEqual(matchIdentity(...saved(0), run(2, rules)), { ok: true, moved: [], changed: [{ part: 'config', line: 'config.replicas: checkpoint 0, now 2: auto was 0' }] });
        assert.deepEqual(matchIdentity(...saved(1), run(2, rules)), { ok: false, differs: ['config'], problems: ['config.replicas: checkpoint 1, now 2', 'pass --allow-replica-change'] });
      });

      it('applies a rule with `to` only to that current value, `undefined` for a field that went away', () => {
        const fp = (rec?: string): RunIdentity => ({ config: { batchSize: 32 }, data: { train: 'f00d', ...(rec === undefined ? {} : { rec }) }, changes: [{ path: 'data.rec', from: 'unread', to: undefined, action: 'accept', note: 'gone' }] });
        assert.deepEqual(matchIdentity(fp('unread'), hashIdentity(fp('unread')), fp()), { ok: true, moved: [], changed: [{ part: 'data', line: 'data.rec: checkpoint "unread", now (absent): gone' }] });
        assert.equal(matchIdentity(fp('unread'), hashIdentity(fp('unread')), fp('beef')).ok, false);
      });

      it('accepts a difference a quiet rule accepts without listing it: the caller says it in its own words', () => {
        const rules = [{ path: 'config.replicas', from: 2, action: 'accept', note: 'said elsewhere', quiet: true } as const, { path: 'config.replicas', action: 'accept', note: 'on request' } as const];
        assert.deepEqual(matchIdentity(...saved(2), run(1, rules)), { ok: true, moved: [], changed: [] });
        assert.deepEqual(matchIdentity(...saved(3), run(1, rules)), { ok: true, moved: [], changed: [{ part: 'config', line: 'config.replicas: checkpoint 3, now 1: on request' }] });
      });

      it('still refuses the other differences, listing them without the accepted one', () => {
        const cur: RunIdentity = { ...run(2, [legacyAuto]), config: { batchSize: 64, replicas: 2 } };
        assert.deepEqual(matchIdentity(...saved(0), cur), { ok: false, differs: ['config'], problems: ['config.batchSize: checkpoint 32, now 64'] });
      });
    });
  });
});
