import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { lastValueFrom } from 'rxjs';
import sharp from 'sharp';
import { detectDataFormat, openDatasets, runIdentity } from '../../src/model/setupFromConfig';
import { decodeTrainConfig, type TrainConfig } from '../../src/model/TrainConfig';
import { preprocess } from '../../src/streams/preprocess';
import { useCpu } from './fixtures/tinyTraining';

async function folders(root: string, perClass: number): Promise<void> {
  for (const [ci, cls] of ['001.dark', '002.bright', '003.mid'].entries()) {
    fs.mkdirSync(path.join(root, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const px = Buffer.alloc(20 * 20 * 3, [40, 200, 120][ci] + i);
      await sharp(px, { raw: { width: 20, height: 20, channels: 3 } }).png().toFile(path.join(root, cls, `${i}.png`));
    }
  }
  fs.writeFileSync(path.join(root, '002.bright', '.DS_Store'), 'junk');
}

function config(over: unknown): TrainConfig {
  const r = decodeTrainConfig(over);
  assert.ok(E.isRight(r), JSON.stringify(r));
  return r.right;
}

describe('openDatasets / runIdentity', function () {
  this.timeout(120_000);
  let tmp: string;
  before(async () => {
    await useCpu();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-setup-'));
    await folders(path.join(tmp, 'src'), 5);
    await lastValueFrom(preprocess({ src: path.join(tmp, 'src'), out: path.join(tmp, 'pre'), size: 16, valRatio: 0.4, records: true }), { defaultValue: undefined });
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('reads a preprocess directory: records, val split, classes, mean from rgb_val.json', async () => {
    const cfg = config({ data: { train: path.join(tmp, 'pre') }, model: { name: 'small', inputSize: 12 }, batchSize: 4, augmentation: { mean: 'dataset' } });
    assert.equal(detectDataFormat(cfg.data), 'manifest');
    const d = await openDatasets(cfg);
    try {
      assert.deepEqual(d.classes, ['dark', 'bright', 'mid']);
      assert.ok(d.notes.some((n) => /train: packed records/.test(n)), d.notes.join('; '));
      assert.ok(d.notes.some((n) => /^mean: /.test(n)));
      assert.ok(d.val !== undefined);
      assert.equal(d.train.size + (d.val?.size ?? 0), 15);
      assert.deepEqual(Object.keys(d.fingerprint).sort(), ['categories.csv', 'format', 'rgb_val.json', 'train.csv', 'val.csv']);
      const first = await d.train.epoch(0, 0).next();
      assert.ok(first.done !== true && first.value.kind === 'batch');
      if (first.value.kind === 'batch') {
        assert.deepEqual(first.value.xs.shape, [4, 12, 12, 3]);
        first.value.xs.dispose();
        first.value.ys.dispose();
      }
    } finally {
      await d.close();
    }
  });

  it('reads folders, reports the junk it left out, and needs explicit mean for them', async () => {
    const base = { data: { train: path.join(tmp, 'src'), val: path.join(tmp, 'src') }, model: { name: 'small', inputSize: 16 }, batchSize: 4 };
    await assert.rejects(openDatasets(config(base)), /augmentation\.mean: "dataset" reads rgb_val\.json/);
    const d = await openDatasets(config({ ...base, augmentation: { mean: [128, 128, 128], resize: 16 } }));
    try {
      assert.equal(detectDataFormat(config(base).data), 'folder');
      assert.deepEqual(d.classes, ['dark', 'bright', 'mid']);
      assert.ok(d.val !== undefined);
      assert.ok(typeof d.fingerprint.train === 'string' && d.fingerprint.train.length === 64);
      assert.deepEqual(
        d.skipped.map((k) => [path.basename(k.path), k.reason]),
        [
          ['.DS_Store', 'hidden'],
          ['.DS_Store', 'hidden'],
        ],
        'once for train, once for val',
      );
    } finally {
      await d.close();
    }
  });

  it('refuses class folders that differ between train and val, and a wrong class count', async () => {
    fs.mkdirSync(path.join(tmp, 'val2', '001.dark'), { recursive: true });
    await assert.rejects(
      openDatasets(config({ data: { train: path.join(tmp, 'src'), val: path.join(tmp, 'val2') }, model: { name: 'small', inputSize: 16 }, augmentation: { mean: null } })),
      /data\.val: its class folders differ .*missing: bright, mid/,
    );
    await assert.rejects(
      openDatasets(config({ data: { train: path.join(tmp, 'pre') }, model: { name: 'small', inputSize: 12, numClasses: 7 } })),
      /model\.numClasses: the config says 7 but the data has 3 classes/,
    );
  });

  it('identity covers what changes the maths, not epochs or logging', () => {
    const a = config({ data: { train: 'd' }, epochs: 5, log: { level: 'debug' } });
    const b = config({ data: { train: 'd' }, epochs: 50, telemetry: { address: 'off' } });
    const c = config({ data: { train: 'd' }, batchSize: 7 });
    assert.deepEqual(runIdentity(a, { x: '1' }), runIdentity(b, { x: '1' }));
    assert.notDeepEqual(runIdentity(a, { x: '1' }), runIdentity(c, { x: '1' }));
    assert.notDeepEqual(runIdentity(a, { x: '1' }), runIdentity(a, { x: '2' }));
  });
});
