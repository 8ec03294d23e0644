import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { from, lastValueFrom, map, toArray, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { makeImage, type Image } from '../../src/ops/Image';
import { batch } from '../../src/streams/batch';
import type { Batch } from '../../src/streams/BatchSource';
import type { Sample } from '../../src/streams/Sample';
import { skip, type Skip } from '../../src/streams/Skip';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
const sample = (i: number, size = 2): Sample => ({ image: makeImage(new Uint8Array(size * size * 3).fill(i), size, size, 3), label: i, path: `p${i}` });

/** Summarises batches as plain values (and disposes them) so marbles can compare them. */
const summarise = (o: Observable<Batch | Skip>): Observable<string> =>
  o.pipe(
    map((b) => {
      if (b.kind === 'skip') return `skip:${b.path}`;
      const s = `${b.xs.shape.join('x')}:${b.ys.dataSync().join(',')}:${b.xs.dataSync()[0]}`;
      tf.dispose([b.xs, b.ys]);
      return s;
    }),
  );

describe('batch (marbles)', () => {
  before(() => tf.ready());

  it('groups samples, passes skips at once, flushes the short tail', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const v = { a: sample(1), b: sample(2), s: skip('bad.jpg', 'empty', '0 bytes'), c: sample(3) } as Record<string, Sample | Skip>;
      const out = { x: 'skip:bad.jpg', y: '2x2x2x3:1,2:1', z: '1x2x2x3:3:3' };
      expectObservable(summarise(cold('a-s-b-c-|', v).pipe(batch({ batchSize: 2 })))).toBe('--x-y---(z|)', out);
    });
  });

  it('dropLast drops the short tail; empty source completes empty', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const v = { a: sample(1), b: sample(2), c: sample(3) };
      expectObservable(summarise(cold('abc|', v).pipe(batch({ batchSize: 2, dropLast: true })))).toBe('-y-|', { y: '2x2x2x3:1,2:1' });
      expectObservable(summarise(cold<Sample>('|').pipe(batch({ batchSize: 2 })))).toBe('|');
    });
  });

  it('upstream error: passed on, and the pending samples never become tensors', () => {
    const before = tf.memory().numTensors;
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(summarise(cold('a#', { a: sample(1) }).pipe(batch({ batchSize: 2 })))).toBe('-#');
    });
    assert.equal(tf.memory().numTensors, before);
  });

  it('a sample of another shape is a readable error', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const v = { a: sample(1), b: sample(2, 3) };
      expectObservable(summarise(cold('ab', v).pipe(batch({ batchSize: 4 })))).toBe(
        '-#',
        undefined,
        new RangeError('batch: p2 is 3x3x3 but the batch is 2x2x3; resize or crop before batching'),
      );
    });
  });

  it('early unsubscribe leaves no tensors', () => {
    const before = tf.memory().numTensors;
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(summarise(cold('abc|', { a: sample(1), b: sample(2), c: sample(3) }).pipe(batch({ batchSize: 3 }))), '-!').toBe('--');
    });
    assert.equal(tf.memory().numTensors, before);
  });

  it('float images keep their values; the receiver owns and disposes the tensors (no leak)', async () => {
    const before = tf.memory().numTensors;
    const f: Sample<Image<Float32Array>> = { image: makeImage(new Float32Array([-1.5, 0, 2.25]), 1, 1, 3), label: 7, path: 'f' };
    const [b] = await lastValueFrom(from([f]).pipe(batch({ batchSize: 4 }), toArray()));
    assert.ok(b.kind === 'batch');
    assert.deepEqual(Array.from(await b.xs.data()), [-1.5, 0, 2.25]);
    assert.deepEqual([b.xs.dtype, b.ys.dtype], ['float32', 'int32']);
    assert.equal(tf.memory().numTensors, before + 2);
    tf.dispose([b.xs, b.ys]);
    assert.equal(tf.memory().numTensors, before);
  });

  it('rejects a bad batch size', () => {
    assert.throws(() => batch({ batchSize: 0 }), /positive integer/);
  });
});
