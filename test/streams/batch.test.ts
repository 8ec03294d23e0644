import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
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

  // Each of these used to throw inside batch's own subscriber: RxJS then reports the exception
  // asynchronously as uncaught (the process dies) while the stream completes without the data.
  it('a value that is not a Sample errors the stream, not the process', async () => {
    const bare = makeImage(new Uint8Array(3), 1, 1, 3);
    const values = from([bare, bare]) as unknown as Observable<Sample>;
    await assert.rejects(
      lastValueFrom(values.pipe(batch({ batchSize: 2 }))),
      new TypeError('batch: expected a Sample { image, label, path } or a Skip, got a bare image; every image needs its label'),
    );
  });

  it('a label that is not a class index errors the stream instead of becoming class 0', async () => {
    const before = tf.memory().numTensors;
    const s = { ...sample(1), label: 'cat' } as unknown as Sample;
    await assert.rejects(
      lastValueFrom(from([s]).pipe(batch({ batchSize: 1 }))),
      new RangeError('batch: p1 has label "cat"; a label is a 0-based class index (an integer >= 0)'),
    );
    assert.equal(tf.memory().numTensors, before);
  });

  it('a malformed image errors the stream, at the last short batch too', async () => {
    const broken: Sample = { image: { data: new Uint8Array(5), width: 1, height: 1, channels: 3 }, label: 0, path: 'broken.png' };
    const before = tf.memory().numTensors;
    await assert.rejects(lastValueFrom(from([sample(1), broken]).pipe(batch({ batchSize: 4 }))), /^RangeError: batch: broken\.png: image buffer has 5 values, expected 1x1x3 = 3$/);
    await assert.rejects(lastValueFrom(from([broken]).pipe(batch({ batchSize: 4 }))), /batch: broken\.png: image buffer has 5 values/);
    assert.equal(tf.memory().numTensors, before);
  });

  it('an error making the tensors (backend not ready) errors the stream', async () => {
    const real = tf.getBackend();
    // A backend whose initialisation never finishes: tfjs throws "not yet initialized" on use.
    tf.registerBackend('never-ready', () => new Promise(() => undefined));
    try {
      void tf.setBackend('never-ready');
      await assert.rejects(lastValueFrom(from([sample(1)]).pipe(batch({ batchSize: 1 }))), /never-ready/);
    } finally {
      // Removed while it is the pending backend, tfjs drops the never-settling init; otherwise
      // every later tf.ready() in this process would wait for it forever.
      tf.removeBackend('never-ready');
      await tf.setBackend(real);
    }
    await tf.ready();
    assert.equal(tf.getBackend(), real);
  });

  it('rejects a bad batch size', () => {
    assert.throws(() => batch({ batchSize: 0 }), /positive integer/);
  });

  it('before a backend is set up, errors the stream with one line saying to await initBackend()', async function () {
    this.timeout(120_000);
    // A process of its own: this one set its backend up long ago.
    const child = path.join(__dirname, 'noBackendChild.ts');
    const { stdout } = await promisify(execFile)(process.execPath, ['--require', require.resolve('tsx/cjs'), child, 'batch']);
    const r = JSON.parse(stdout) as { error: string; backend: string | null; after: number[] };
    assert.match(r.error, /^Error: batch: no tfjs backend is set up to hold the tensors; await initBackend\(\) before the first batch/);
    assert.equal(r.backend, null);
    assert.deepEqual(r.after, [1, 2, 3]);
  });
});
