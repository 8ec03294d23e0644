import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { lastValueFrom } from 'rxjs';
import { datasetFromManifest } from '../../src/streams/datasetFromManifest';
import { preprocess } from '../../src/streams/preprocess';
import type { BatchItem } from '../../src/streams/BatchSource';
import { photoJpeg, tempDir, write } from './fixtures';

async function collect(it: AsyncIterable<BatchItem>): Promise<Array<{ names: string[]; labels: number[]; xs: Float32Array }>> {
  const out = [];
  for await (const b of it) {
    if (b.kind !== 'batch') continue;
    out.push({ names: b.paths.map((p) => path.basename(p)), labels: Array.from(await b.ys.data()), xs: (await b.xs.data()) as Float32Array });
    tf.dispose([b.xs, b.ys]);
  }
  return out;
}

describe('datasetFromManifest', () => {
  let out: string;
  before(async () => {
    await tf.ready();
    const src = await tempDir();
    const photos = ['astronaut.png', 'chelsea.png', 'coffee.png', 'horse.png', 'rocket.jpg', 'motorcycle_left.png'];
    for (const [k, cls] of ['001.cat', '002.dog', '003.owl'].entries()) {
      for (let i = 0; i < 4; i++) await write(path.join(src, cls, `${i}.jpg`), await photoJpeg(photos[(k + i) % photos.length], 40 + i));
    }
    out = await tempDir();
    await lastValueFrom(preprocess({ src, out, size: 24, valRatio: 0.25, seed: 1, records: true }), { defaultValue: undefined });
  });

  it('prefers the record file, and reads the same samples as the JPEGs', async () => {
    const opts = { batchSize: 4, seed: 2, augment: { kind: 'eval', crop: 20 } } as const;
    const rec = await datasetFromManifest(out, 'train', opts);
    const files = await datasetFromManifest(out, 'train', { ...opts, records: false });
    assert.equal(rec.source, 'records');
    assert.equal(files.source, 'files');
    assert.deepEqual(rec.categories.map((c) => c.name), ['cat', 'dog', 'owl']);
    assert.equal(rec.size, files.size);
    assert.ok(rec.size >= 6);
    assert.deepEqual([...rec.imageShape], [20, 20, 3]);
    const a = await collect(rec.epoch(0));
    const b = await collect(files.epoch(0));
    assert.deepEqual(a.map((x) => [x.names, x.labels]), b.map((x) => [x.names, x.labels]));
    // Same pixels up to JPEG re-encoding error; mean from rgb_val.json subtracted.
    let diff = 0;
    let n = 0;
    a.forEach((x, i) => x.xs.forEach((v, j) => ((diff += Math.abs(v - b[i].xs[j])), n++)));
    assert.ok(diff / n < 8, `mean abs difference ${diff / n}`);
    const m = rec.mean;
    const avg = a.flatMap((x) => Array.from(x.xs)).reduce((s, v) => s + v, 0) / n;
    assert.ok(Math.abs(avg) < Math.abs(m.r + m.g + m.b) / 3, 'mean subtracted');
    await rec.close();
    await files.close();
  });

  it('records: true requires the record file; a stale one is a readable error', async () => {
    const val = await datasetFromManifest(out, 'val', { batchSize: 2, augment: { kind: 'eval', crop: 24, mean: [0] }, records: true });
    assert.equal(val.source, 'records');
    await val.close();
    const copy = await tempDir();
    for (const f of ['categories.csv', 'train.csv', 'rgb_val.json', 'val.rec']) await fsp.copyFile(path.join(out, f), path.join(copy, f));
    await assert.rejects(datasetFromManifest(copy, 'train', { batchSize: 2, augment: { kind: 'eval', crop: 24 }, records: true }), /train\.rec/);
    await fsp.copyFile(path.join(copy, 'val.rec'), path.join(copy, 'train.rec'));
    await assert.rejects(datasetFromManifest(copy, 'train', { batchSize: 2, augment: { kind: 'eval', crop: 24 } }), /rerun `rxtrain preprocess --records`/);
  });

  it('manifest rows it cannot use are reported in skipped; a missing folder is a readable error', async () => {
    const copy = await tempDir();
    for (const f of ['categories.csv', 'rgb_val.json']) await fsp.copyFile(path.join(out, f), path.join(copy, f));
    await fsp.cp(path.join(out, 'train'), path.join(copy, 'train'), { recursive: true });
    const rows = (await fsp.readFile(path.join(out, 'train.csv'), 'utf8')).trim().split('\n');
    await write(path.join(copy, 'train.csv'), [...rows, 'train/x.jpg,99'].join('\n'));
    const ds = await datasetFromManifest(copy, 'train', { batchSize: 2, augment: { kind: 'train', crop: 16, flip: true } });
    assert.equal(ds.source, 'files');
    assert.equal(ds.size, rows.length - 1);
    assert.deepEqual(ds.skipped.map((s) => s.reason), ['bad-label']);
    await assert.rejects(datasetFromManifest(path.join(copy, 'nope'), 'train', { batchSize: 2, augment: { kind: 'eval', crop: 2 } }), /not found/);
  });
});
