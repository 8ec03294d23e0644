import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { lastValueFrom, toArray } from 'rxjs';
import { createTrainer } from '../../src/model/createTrainer';
import { train } from '../../src/model/train';
import { tinyAlexNet } from './tinySpec';
import sharp from 'sharp';
import { hashIdentity, matchIdentity } from '../../src/model/Checkpoint';
import { detectDataFormat, openDatasets, openEvalData, recordFilesNotTrainedOn, runIdentity } from '../../src/model/setupFromConfig';
import { decodeTrainConfig, type TrainConfig } from '../../src/model/TrainConfig';
import { makeImage } from '../../src/ops/Image';
import { createRng } from '../../src/ops/Rng';
import { skipSample } from '../../src/ops/skipSample';
import type { BatchSource } from '../../src/streams/BatchSource';
import type { SampleTransform } from '../../src/streams/SampleTransform';
import type { TrainEvent } from '../../src/telemetry/TrainEvent';
import type { IdxDataset } from '../../src/streams/idxDataset';
import { idxToFolders } from '../../src/streams/idxToFolders';
import { idxToRecordFile } from '../../src/streams/idxToRecordFile';
import { preprocess } from '../../src/streams/preprocess';
import { createRecordFileWriter, openRecordFile } from '../../src/streams/RecordFile';
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

/** Rewrites a record file with the same names, labels and classes, `change` applied to each record's pixels. */
async function remakeRecordFile(file: string, change: (index: number, pixels: Uint8Array) => void): Promise<void> {
  const r = await openRecordFile(file);
  try {
    const { width, height, channels, numClasses, classes } = r.header;
    const w = await createRecordFileWriter(file, { width, height, channels, numClasses, ...(classes === undefined ? {} : { classes }) });
    for (let i = 0; i < r.header.count; i++) {
      const px = Uint8Array.from(await r.read(i));
      change(i, px);
      await w.append(px, r.label(i), r.name(i));
    }
    await w.finish();
  } finally {
    await r.close();
  }
}

function config(over: unknown): TrainConfig {
  const r = decodeTrainConfig(over);
  assert.ok(E.isRight(r), JSON.stringify(r));
  return r.right;
}

/** One epoch of a tiny model on cpu over the opened datasets (closed afterwards): its events. */
async function trainOneEpoch(d: Awaited<ReturnType<typeof openDatasets>>): Promise<TrainEvent[]> {
  try {
    return await lastValueFrom(
      train({
        setup: async () => ({ trainer: await createTrainer({ model: tinyAlexNet(3), backend: 'cpu', seed: 1 }), train: d.train, ...(d.val ? { val: d.val } : {}) }),
        epochs: 1,
        seed: 1,
        lr: 0.01,
      }).pipe(toArray()),
    );
  } finally {
    await d.close();
  }
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
      assert.deepEqual(
        Object.keys(d.fingerprint).sort(),
        ['categories.csv', 'format', 'preprocess.json', 'rgb_val.json', 'train.csv', 'train.rec', 'val.csv', 'val.rec'],
        'how the images were made too (the background), and the record files read',
      );
      // What checkpoints store for scoring: the resolved train-set mean, not "dataset".
      const m = JSON.parse(fs.readFileSync(path.join(tmp, 'pre', 'rgb_val.json'), 'utf8')) as { r: number; g: number; b: number };
      assert.deepEqual(d.inference, { classes: ['dark', 'bright', 'mid'], mean: [m.r, m.g, m.b], imageSide: 16, background: 'black' }, 'the background preprocess.json names');
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

  it('takes the mean of a record file given as data.train from the rgb_val.json beside it (a preprocess output), and refuses "dataset" for one without', async () => {
    const rec = path.join(tmp, 'pre', 'train.rec');
    const cfg = (train: string): TrainConfig => config({ data: { train }, model: { name: 'small', inputSize: 12 }, batchSize: 4, augmentation: { mean: 'dataset' } });
    const d = await openDatasets(cfg(rec));
    try {
      const m = JSON.parse(fs.readFileSync(path.join(tmp, 'pre', 'rgb_val.json'), 'utf8')) as { r: number; g: number; b: number };
      assert.deepEqual(d.inference.mean, [m.r, m.g, m.b]);
      assert.ok(d.notes.some((n) => n.startsWith('mean: ') && n.endsWith(`(from ${path.join(tmp, 'pre', 'rgb_val.json')})`)), d.notes.join('; '));
      assert.match(d.fingerprint['rgb_val.json'] as string, /^[0-9a-f]{64}$/, 'a remade mean tells the run apart');
    } finally {
      await d.close();
    }
    const alone = path.join(tmp, 'alone');
    fs.mkdirSync(alone, { recursive: true });
    fs.copyFileSync(rec, path.join(alone, 'train.rec'));
    await assert.rejects(openDatasets(cfg(path.join(alone, 'train.rec'))), /is a record file without rgb_val\.json beside it: give the mean in 0\.\.255 units \(--mean 124,116,104/);
  });

  it('names the original of every validation image, from image files, the record file, or the record file given as data.val', async () => {
    const pre = path.join(tmp, 'pre');
    const classOf = ['001.dark', '002.bright', '003.mid'];
    const originals = async (over: Record<string, unknown>): Promise<string[]> => {
      const d = await openDatasets(config({ data: { train: pre, ...over }, model: { name: 'small', inputSize: 12 }, batchSize: 4, augmentation: { mean: 'dataset' } }));
      const seen: string[] = [];
      try {
        assert.ok(d.val !== undefined);
        for await (const b of d.val.epoch(0, 0)) {
          if (b.kind !== 'batch') continue;
          const ys = await b.ys.data();
          b.paths.forEach((p, i) => {
            const o = d.originalOf(p);
            assert.ok(o !== undefined, `no original for ${p}`);
            // The original is the source file of that class.
            assert.equal(path.basename(path.dirname(o)), classOf[ys[i]], o);
            seen.push(o);
          });
          b.xs.dispose();
          b.ys.dispose();
        }
        assert.equal(d.originalOf('val/999999.jpg'), undefined);
        assert.equal(d.inference.imageSide, 16, 'the preprocess size, from the record header or the first JPEG');
      } finally {
        await d.close();
      }
      return seen.sort();
    };
    const fromFiles = await originals({ records: false });
    assert.equal(fromFiles.length, 6);
    assert.equal(new Set(fromFiles).size, 6);
    for (const o of fromFiles) assert.ok(o.startsWith(path.join(tmp, 'src') + path.sep) && fs.existsSync(o), o);
    assert.deepEqual(await originals({ records: true }), fromFiles);
    assert.deepEqual(await originals({ val: path.join(pre, 'val.rec') }), fromFiles);
  });

  it('reads folders, reports the junk it left out, and needs explicit mean for them', async () => {
    const base = { data: { train: path.join(tmp, 'src'), val: path.join(tmp, 'src') }, model: { name: 'small', inputSize: 16 }, batchSize: 4 };
    // In the command's terms as well as the config's: the first thing `rxtrain train --data FOLDER` meets.
    await assert.rejects(openDatasets(config(base)), (e: Error) => {
      assert.match(e.message, /^augmentation\.mean: "dataset" \(the default\) reads rgb_val\.json, which only a rxtrain preprocess output has, and .*src is a folder-per-class tree: /);
      assert.match(e.message, /\(--mean 124,116,104\b.*\(--mean none; null in the config\), or train on the folder's rxtrain preprocess output/);
      return true;
    });
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

  it('skips image files over data.maxPixels (rxtrain train --max-pixels) as too-many-pixels, in both splits; the default reads them', async () => {
    const root = path.join(tmp, 'big');
    fs.cpSync(path.join(tmp, 'src'), root, { recursive: true });
    // 40×40 = 1,600 pixels, the others 20×20 = 400.
    await sharp(Buffer.alloc(40 * 40 * 3, 90), { raw: { width: 40, height: 40, channels: 3 } }).png().toFile(path.join(root, '003.mid', 'big.png'));
    const skipsOf = async (data: Record<string, unknown>): Promise<string[]> => {
      const d = await openDatasets(config({ data: { train: root, val: root, ...data }, model: { name: 'small', inputSize: 16 }, batchSize: 4, augmentation: { mean: [128, 128, 128], resize: 16 } }));
      try {
        const seen: string[] = [];
        for (const [split, source] of [['train', d.train], ['val', d.val]] as const) {
          for await (const item of source?.epoch(0) ?? []) {
            if (item.kind === 'skip' && item.reason !== 'hidden') seen.push(`${split} ${path.basename(item.path)} ${item.reason}: ${item.message}`);
            else if (item.kind === 'batch') {
              item.xs.dispose();
              item.ys.dispose();
            }
          }
        }
        return seen;
      } finally {
        await d.close();
      }
    };
    const limited = await skipsOf({ maxPixels: 1000 });
    assert.deepEqual(limited.map((s) => s.split(':')[0]), ['train big.png too-many-pixels', 'val big.png too-many-pixels']);
    assert.match(limited[0], /image is 40x40 \(1,600 pixels\), over the limit of 1,000, .*--max-pixels of rxtrain preprocess or rxtrain train/);
    assert.deepEqual(await skipsOf({}), []);
  });

  it('a data size that leaves one image over for the last batch trains (that image left out, with a note) instead of failing the epoch', async () => {
    // 15 images in batches of 7: 7, 7 and a lone one, which no training step can take (BatchNorm).
    const d = await openDatasets(config({ data: { train: path.join(tmp, 'src') }, model: { name: 'small', inputSize: 16, channels: 1 }, batchSize: 7, augmentation: { mean: null } }));
    assert.equal(d.train.stepsPerEpoch, 2);
    assert.ok(d.notes.some((n) => /^train: 15 images in batches of 7 leave one over \(unless files are skipped\): each epoch leaves out that last image/.test(n)), d.notes.join('; '));
    const events = await trainOneEpoch(d);
    assert.deepEqual(events.filter((e) => e.kind === 'Error'), []);
    assert.equal(events.at(-1)?.kind, 'TrainEnd');
    assert.equal(events.at(-1)?.step, 2);
  });

  it('notes a class without image files (an empty folder): the model would never see it', async () => {
    const root = path.join(tmp, 'with-empty');
    await folders(root, 2);
    fs.rmSync(path.join(root, '003.mid'), { recursive: true });
    fs.mkdirSync(path.join(root, '003.mid'));
    fs.writeFileSync(path.join(root, '003.mid', 'notes.txt'), 'not an image');
    const d = await openDatasets(config({ data: { train: root }, model: { name: 'small', inputSize: 16 }, augmentation: { mean: null } }));
    try {
      assert.deepEqual(d.classes, ['dark', 'bright', 'mid']);
      assert.ok(d.notes.includes('train: class "mid" has no image files (an empty folder, or only files that are skipped): the model never sees it'), d.notes.join('; '));
    } finally {
      await d.close();
    }
    const full = await openDatasets(config({ data: { train: path.join(tmp, 'src') }, model: { name: 'small', inputSize: 16 }, augmentation: { mean: null } }));
    await full.close();
    assert.ok(!full.notes.some((n) => /no image files/.test(n)), full.notes.join('; '));
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

  it('refuses a split folder of a preprocess output as data, saying what to give instead; a class tree beside a manifest is still read', async () => {
    const pre = path.join(tmp, 'pre');
    await assert.rejects(
      openDatasets(config({ data: { train: path.join(pre, 'train'), val: null }, model: { name: 'small', inputSize: 12 }, augmentation: { mean: null } })),
      (e: Error) => e.message === `data.train: ${path.join(pre, 'train')} is the train split of the rxtrain preprocess output ${pre}, not a folder-per-class tree (its images' classes are in ${path.join(pre, 'train.csv')}): give data.train the output folder ${pre} itself, whose manifests hold the classes`,
    );
    await assert.rejects(
      openDatasets(config({ data: { train: path.join(tmp, 'src'), val: `${path.join(pre, 'val')}/` }, model: { name: 'small', inputSize: 12 }, augmentation: { mean: null } })),
      (e: Error) => e.message === `data.val: ${path.join(pre, 'val')}/ is the val split of the rxtrain preprocess output ${pre}, not a folder-per-class tree (its images' classes are in ${path.join(pre, 'val.csv')}): give its record file ${path.join(pre, 'val.rec')} or the folder-per-class tree it was made from`,
    );
    const beside = path.join(tmp, 'beside');
    fs.cpSync(path.join(tmp, 'src'), path.join(beside, 'val'), { recursive: true });
    fs.writeFileSync(path.join(beside, 'val.csv'), 'file,class\n');
    const d = await openDatasets(config({ data: { train: path.join(tmp, 'src'), val: path.join(beside, 'val') }, model: { name: 'small', inputSize: 12 }, augmentation: { mean: null } }));
    try {
      assert.equal(d.val?.size, 15);
    } finally {
      await d.close();
    }
  });

  it('openEvalData brings image files to the side the run validated on, whatever their own size (as predict does)', async () => {
    // One picture, a horizontal gradient, at the run's side (32) and at 64: both must reach the
    // network as the same 28² centre crop of the 32² image, not the 64² one's zoomed-in middle.
    const write = async (root: string, side: number): Promise<void> => {
      for (const cls of ['001.a', '002.b']) {
        fs.mkdirSync(path.join(root, cls), { recursive: true });
        const px = Buffer.alloc(32 * 32 * 3);
        for (let p = 0; p < 32 * 32; p++) px.fill(40 + (p % 32) * 5, p * 3, p * 3 + 3);
        await sharp(px, { raw: { width: 32, height: 32, channels: 3 } }).resize(side, side).png().toFile(path.join(root, cls, '0.png'));
      }
    };
    await write(path.join(tmp, 'side32'), 32);
    await write(path.join(tmp, 'side64'), 64);
    const cfg = config({ data: { train: path.join(tmp, 'gone') }, model: { name: 'small', inputSize: 28 }, batchSize: 2, augmentation: { mean: [128, 128, 128] } });
    const info = { classes: ['a', 'b'], mean: [128, 128, 128], std: [64, 64, 64], imageSide: 32 };
    const pixels = async (where: string): Promise<Float32Array> => {
      const d = await openEvalData(cfg, info, where);
      try {
        assert.ok(d.val !== undefined);
        const first = await d.val.epoch(0, 0).next();
        assert.ok(first.done !== true && first.value.kind === 'batch');
        const b = first.value;
        assert.ok(b.kind === 'batch');
        assert.deepEqual(b.xs.shape, [2, 28, 28, 3]);
        const xs = (await b.xs.data()) as Float32Array;
        b.xs.dispose();
        b.ys.dispose();
        return xs;
      } finally {
        await d.close();
      }
    };
    const at32 = await pixels(path.join(tmp, 'side32'));
    const at64 = await pixels(path.join(tmp, 'side64'));
    const worst = at32.reduce((m, x, i) => Math.max(m, Math.abs(x - at64[i])), 0);
    assert.ok(worst < 0.15, `largest difference ${worst.toFixed(3)} (in units of std 64)`);
    // A run trained with one value for every channel (--mean 128 --std 64) stores one value:
    // its checkpoint scores other data (evaluate --data) exactly as with the value spelt out.
    info.mean = [128];
    info.std = [64];
    assert.deepEqual(await pixels(path.join(tmp, 'side32')), at32);
  });

  it('fingerprints the record files a preprocess run reads, by their index: a remade one, a switch of --no-records and an older checkpoint are each told apart', async () => {
    const pre = path.join(tmp, 'pre-records');
    fs.cpSync(path.join(tmp, 'pre'), pre, { recursive: true });
    const cfg = (records: boolean): TrainConfig => config({ data: { train: pre, records }, model: { name: 'small', inputSize: 12 }, batchSize: 4, replicas: 1, augmentation: { mean: 'dataset' } });
    const identity = async (records = true): Promise<ReturnType<typeof runIdentity>> => {
      const d = await openDatasets(cfg(records));
      await d.close();
      return runIdentity(cfg(records), d.fingerprint);
    };
    const match = (saved: ReturnType<typeof runIdentity>, now: ReturnType<typeof runIdentity>): ReturnType<typeof matchIdentity> => matchIdentity(saved, hashIdentity(saved), now);
    const read = await identity();
    const fp = read.data as Record<string, string>;
    assert.match(fp['train.rec'], /^[0-9a-f]{64}$/);
    assert.match(fp['val.rec'], /^[0-9a-f]{64}$/);
    assert.deepEqual(match(read, await identity()), { ok: true, moved: [], changed: [] }, 'the same file, the same hash');

    // Remade from other pixels (another --size or --decoder would do it): the manifests and the mean stay.
    await remakeRecordFile(path.join(pre, 'train.rec'), (i, px) => {
      if (i === 0) px[0] ^= 1;
    });
    const remade = await identity();
    assert.deepEqual(Object.entries(remade.data as object).filter(([k, v]) => fp[k] !== v).map(([k]) => k), ['train.rec'], 'only the record file tells');
    const refused = match(read, remade);
    assert.ok(!refused.ok);
    assert.deepEqual(refused.differs, ['data']);
    assert.match(refused.problems[0], /differs in data\.train\.rec$/);
    assert.ok(refused.problems.includes('the checkpoint was trained on the pixels of train.rec as it was then: resuming needs that record file, read as before (without --no-records)'), refused.problems.join('\n'));

    // --no-records: the image files' pixels (after JPEG compression), not the record file's.
    const files = await identity(false);
    assert.equal((files.data as Record<string, string>)['train.rec'], 'not read (--no-records)');
    const toFiles = match(remade, files);
    assert.ok(!toFiles.ok && toFiles.problems.includes('data.train.rec: checkpoint "' + (remade.data as Record<string, string>)['train.rec'] + '", now "not read (--no-records)"'), JSON.stringify(toFiles));
    const toRecords = match(files, remade);
    assert.ok(!toRecords.ok && toRecords.problems.some((p) => /^the checkpoint was trained on the image files \(--no-records\); train\.rec holds the pixels before JPEG compression, .*pass --no-records/.test(p)), JSON.stringify(toRecords));

    // A checkpoint from before the record files were fingerprinted resumes, saying it cannot tell.
    const { 'train.rec': _t, 'val.rec': _v, ...older } = remade.data as Record<string, string>;
    const old = { config: remade.config, data: older };
    const legacy = match(old, remade);
    assert.ok(legacy.ok, JSON.stringify(legacy));
    assert.deepEqual(legacy.changed.map((c) => [c.part, c.line.replace(/ \(it predates record files there.*$/, '')]), [
      ['data', `data.train.rec: checkpoint (absent), now "${(remade.data as Record<string, string>)['train.rec']}": the checkpoint's data fingerprint has no train.rec`],
      ['data', `data.val.rec: checkpoint (absent), now "${fp['val.rec']}": the checkpoint's data fingerprint has no val.rec`],
    ]);

    // Record files a --no-records run never read, deleted: the same image files are read.
    fs.rmSync(path.join(pre, 'train.rec'));
    fs.rmSync(path.join(pre, 'val.rec'));
    const gone = match(files, await identity(false));
    assert.ok(gone.ok, JSON.stringify(gone));
    assert.equal(gone.changed.length, 2);
  });

  it('fingerprints the sizes of a sample of the image files a run reads: a preprocess output remade with another --quality is told apart, an older checkpoint resumes with a warning', async () => {
    // Textured images: a flat one compresses to the same few bytes at any quality.
    const src = path.join(tmp, 'src-textured');
    for (const [ci, cls] of ['001.a', '002.b'].entries()) {
      fs.mkdirSync(path.join(src, cls), { recursive: true });
      for (let i = 0; i < 4; i++) {
        const px = Buffer.from(Array.from({ length: 24 * 24 * 3 }, (_, j) => (j * 37 + i * 101 + ci * 53 + ((j * j) % 17) * 9) % 256));
        await sharp(px, { raw: { width: 24, height: 24, channels: 3 } }).png().toFile(path.join(src, cls, `${i}.png`));
      }
    }
    const pre = path.join(tmp, 'pre-quality');
    const make = (quality: number, records = false): Promise<unknown> =>
      lastValueFrom(preprocess({ src, out: pre, size: 16, valRatio: 0.25, quality, records }), { defaultValue: undefined });
    const cfg = (records: boolean): TrainConfig => config({ data: { train: pre, records }, model: { name: 'small', inputSize: 12 }, batchSize: 4, replicas: 1, augmentation: { mean: 'dataset' } });
    const identity = async (records = false): Promise<ReturnType<typeof runIdentity>> => {
      const d = await openDatasets(cfg(records));
      await d.close();
      return runIdentity(cfg(records), d.fingerprint);
    };
    const match = (saved: ReturnType<typeof runIdentity>, now: ReturnType<typeof runIdentity>): ReturnType<typeof matchIdentity> => matchIdentity(saved, hashIdentity(saved), now);

    await make(90);
    const q90 = await identity();
    const fp = q90.data as Record<string, string>;
    assert.match(fp['train image sizes'], /^[0-9a-f]{64}$/);
    assert.match(fp['val image sizes'], /^[0-9a-f]{64}$/);
    await make(90);
    assert.deepEqual(match(q90, await identity()), { ok: true, moved: [], changed: [] }, 'remade with the same options: the same files');

    await make(50);
    const q50 = await identity();
    assert.deepEqual(Object.entries(q50.data as object).filter(([k, v]) => fp[k] !== v).map(([k]) => k), ['train image sizes', 'val image sizes'], 'only the sizes tell');
    const refused = match(q90, q50);
    assert.ok(!refused.ok);
    assert.deepEqual(refused.differs, ['data']);
    assert.match(refused.problems[0], /^the data is not what the checkpoint was trained on: .* differs in data\.train image sizes, data\.val image sizes$/);
    assert.ok(refused.problems.includes('the train image files are not the ones the checkpoint was trained on (sizes of a sample of them differ: the preprocess output was remade, with another --quality or --size?); resume with the output it was trained on, or start a new run (another --run-dir)'), refused.problems.join('\n'));

    // A checkpoint from before the sizes were fingerprinted resumes, saying it cannot tell.
    const { 'train image sizes': _t, 'val image sizes': _v, ...older } = q90.data as Record<string, string>;
    const legacy = match({ config: q90.config, data: older }, q50);
    assert.ok(legacy.ok, JSON.stringify(legacy));
    assert.deepEqual(legacy.changed.map((c) => c.part), ['data', 'data']);
    assert.match(legacy.changed[0].line, /^data\.train image sizes: checkpoint \(absent\), now "[0-9a-f]{64}": the checkpoint predates the train image files' sizes in the data fingerprint, so it cannot show that the preprocess output was not remade with another --quality or --size since it was written; resuming as if not \(a change from now on is refused\)$/);

    // Trained on the image files, resumed on a record file made only since: other pixels (before JPEG compression).
    await make(50, true);
    const packed = match(q50, await identity(true));
    assert.ok(!packed.ok);
    assert.ok(packed.problems.includes('the checkpoint was trained on the train image files (--no-records, or no train.rec then); train.rec, read now, holds the pixels before JPEG compression: pass --no-records (config data.records false) to resume'), packed.problems.join('\n'));
    const files = match(q50, await identity(false));
    assert.ok(files.ok, JSON.stringify(files));
    assert.deepEqual(files.changed.map((c) => c.line.replace(/:.*$/, '')), ['data.train.rec', 'data.val.rec'], 'with --no-records the same image files are read (the record files, unread, are new)');
  });

  it('fingerprints the sizes of a sample of a folder tree\'s images (data.train and data.val): images re-encoded under the same names are told apart, an older checkpoint resumes with a warning', async () => {
    const tree = path.join(tmp, 'tree-quality');
    const valTree = path.join(tmp, 'tree-quality-val');
    // Textured JPEGs: a flat image compresses to the same few bytes at any quality.
    const write = async (quality: number): Promise<void> => {
      for (const [root, n] of [[tree, 4], [valTree, 2]] as const) {
        for (const [ci, cls] of ['a', 'b'].entries()) {
          fs.mkdirSync(path.join(root, cls), { recursive: true });
          for (let i = 0; i < n; i++) {
            const px = Buffer.from(Array.from({ length: 24 * 24 * 3 }, (_, j) => (j * 37 + i * 101 + ci * 53 + n * 7 + ((j * j) % 17) * 9) % 256));
            await sharp(px, { raw: { width: 24, height: 24, channels: 3 } }).jpeg({ quality }).toFile(path.join(root, cls, `${i}.jpg`));
          }
        }
      }
    };
    const cfg = config({ data: { train: tree, val: valTree }, model: { name: 'small', inputSize: 12 }, batchSize: 4, replicas: 1, augmentation: { mean: [128, 128, 128], resize: 16 } });
    const identity = async (): Promise<ReturnType<typeof runIdentity>> => {
      const d = await openDatasets(cfg);
      await d.close();
      return runIdentity(cfg, d.fingerprint);
    };
    const match = (saved: ReturnType<typeof runIdentity>, now: ReturnType<typeof runIdentity>): ReturnType<typeof matchIdentity> => matchIdentity(saved, hashIdentity(saved), now);

    await write(90);
    const q90 = await identity();
    const fp = q90.data as Record<string, string>;
    assert.match(fp['train image sizes'], /^[0-9a-f]{64}$/);
    assert.match(fp['val image sizes'], /^[0-9a-f]{64}$/);
    await write(90);
    assert.deepEqual(match(q90, await identity()), { ok: true, moved: [], changed: [] }, 'written again alike: the same images');

    await write(40);
    const q40 = await identity();
    assert.deepEqual(Object.entries(q40.data as object).filter(([k, v]) => fp[k] !== v).map(([k]) => k), ['train image sizes', 'val image sizes'], 'only the sizes tell: names and classes are the same');
    const refused = match(q90, q40);
    assert.ok(!refused.ok);
    assert.deepEqual(refused.differs, ['data']);
    assert.match(refused.problems[0], /^the data is not what the checkpoint was trained on: .* differs in data\.train image sizes, data\.val image sizes$/);
    for (const split of ['train', 'val']) {
      assert.ok(
        refused.problems.includes(`the ${split} image files are not the ones the checkpoint was trained on (sizes of a sample of them differ: images in data.${split} re-encoded or replaced under the same names?); resume with the images it was trained on, or start a new run (another --run-dir)`),
        refused.problems.join('\n'),
      );
    }

    // A checkpoint from before the sizes were fingerprinted resumes, saying it cannot tell.
    const { 'train image sizes': _t, 'val image sizes': _v, ...older } = fp;
    const legacy = match({ config: q90.config, data: older }, q40);
    assert.ok(legacy.ok, JSON.stringify(legacy));
    assert.deepEqual(legacy.changed.map((c) => c.part), ['data', 'data']);
    assert.match(legacy.changed[0].line, /^data\.train image sizes: checkpoint \(absent\), now "[0-9a-f]{64}": the checkpoint predates the train image files' sizes in the data fingerprint, so it cannot show that the images in data\.train were not re-encoded or replaced under the same names since it was written; resuming as if not \(a change from now on is refused\)$/);

    // data.val a record file: its index is its fingerprint, no sizes to take.
    const rec = path.join(tmp, 'tree-quality-val.rec');
    await lastValueFrom(preprocess({ src: valTree, out: path.join(tmp, 'tree-quality-pre'), size: 16, valRatio: 0.5, records: true }), { defaultValue: undefined });
    fs.copyFileSync(path.join(tmp, 'tree-quality-pre', 'val.rec'), rec);
    const d = await openDatasets({ ...cfg, data: { ...cfg.data, val: rec } });
    await d.close();
    assert.ok(!('val image sizes' in d.fingerprint) && 'train image sizes' in d.fingerprint, Object.keys(d.fingerprint).join(', '));
  });

  it('identity covers what changes the maths, not epochs or logging', () => {
    const a = config({ data: { train: 'd' }, epochs: 5, log: { level: 'debug' } });
    const b = config({ data: { train: 'd' }, epochs: 50, telemetry: { address: 'off' } });
    const c = config({ data: { train: 'd' }, batchSize: 7 });
    assert.deepEqual(runIdentity(a, { x: '1' }), runIdentity(b, { x: '1' }));
    assert.notDeepEqual(runIdentity(a, { x: '1' }), runIdentity(c, { x: '1' }));
    assert.notDeepEqual(runIdentity(a, { x: '1' }), runIdentity(a, { x: '2' }));
  });

  it('identity records the name of your transforms when given, and is unchanged without one (older checkpoints still match)', () => {
    const c = config({ data: { train: 'd' } });
    const transformOf = (id: ReturnType<typeof runIdentity>): unknown => (id.config as { transform?: unknown }).transform;
    assert.deepEqual(runIdentity(c, { x: '1' }, {}), runIdentity(c, { x: '1' }));
    assert.equal('transform' in (runIdentity(c, {}).config as object), false);
    assert.equal(transformOf(runIdentity(c, {}, { transformId: 'cutout-v2' })), 'cutout-v2');
    assert.notDeepEqual(runIdentity(c, {}, { transformId: 'cutout-v2' }), runIdentity(c, {}, { transformId: 'cutout-v3' }));
    for (const bad of ['', '  ', 7]) {
      assert.throws(() => runIdentity(c, {}, { transformId: bad as string }), /^TypeError: runIdentity: transformId must be a non-empty string naming your transforms \(e\.g\. 'cutout-v2'\), got /);
    }
  });

  it('identity records the replica count the run trains on, and refuses 0 (auto) until it is resolved', () => {
    const replicasOf = (c: TrainConfig): unknown => (runIdentity(c, {}).config as { replicas?: unknown }).replicas;
    assert.equal(replicasOf(config({ data: { train: 'd' }, replicas: 2 })), 2);
    // "auto" resolves per machine and backend: recorded as 0, it matched any count on resume.
    assert.throws(() => runIdentity(config({ data: { train: 'd' }, replicas: 0 }), {}), /replicas 0 \(auto\) must be resolved/);
  });

  it('identity records balance speed only over 2 or more replicas; a 1-replica checkpoint that recorded it resumes, saying it changes nothing', () => {
    const at = (replicas: number, balance: 'even' | 'speed'): ReturnType<typeof runIdentity> => runIdentity(config({ data: { train: 'd' }, replicas, balance }), { x: '1' });
    const balanceOf = (id: ReturnType<typeof runIdentity>): unknown => (id.config as { balance?: unknown }).balance;
    assert.equal(balanceOf(at(2, 'speed')), 'speed');
    assert.equal(balanceOf(at(2, 'even')), undefined);
    // One replica trains every batch whole: switching the balance there is the same run.
    assert.equal(hashIdentity(at(1, 'speed')), hashIdentity(at(1, 'even')));
    const saved = at(1, 'even');
    assert.deepEqual(matchIdentity(saved, hashIdentity(saved), at(1, 'speed')), { ok: true, moved: [], changed: [] });
    // What checkpoints written before that say: balance speed on 1 replica.
    const old = { config: { ...(saved.config as object), balance: 'speed' }, data: saved.data };
    for (const now of ['speed', 'even'] as const) {
      const m = matchIdentity(old, hashIdentity(old), at(1, now));
      assert.ok(m.ok, JSON.stringify(m));
      assert.deepEqual(m.changed.map((c) => c.line.replace(/: the balance has no effect on 1 replica.*$/, '')), ['config.balance: checkpoint "speed", now (absent)']);
    }
    // Over 2 replicas the balance still counts, and a 2-replica checkpoint still needs its count.
    const two = at(2, 'speed');
    assert.equal(matchIdentity(two, hashIdentity(two), at(2, 'even')).ok, false);
    const down = matchIdentity(two, hashIdentity(two), at(1, 'speed'));
    assert.ok(!down.ok && down.problems.includes('config.replicas: checkpoint 2, now 1'), JSON.stringify(down));
  });

  it('the same --init-from resumes when its source changed since the start (a best.rxckpt appeared, or it is gone), with a warning; another source is still refused', () => {
    const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-init-change-')));
    try {
      const pre = path.join(tmp, 'runs', 'pre');
      fs.mkdirSync(path.join(pre, 'checkpoints'), { recursive: true });
      fs.writeFileSync(path.join(pre, 'checkpoints', 'ckpt-e1.rxckpt'), 'not read');
      fs.symlinkSync(path.join(tmp, 'runs'), path.join(tmp, 'linked'));
      const at = (initFrom: string): ReturnType<typeof runIdentity> => runIdentity(config({ data: { train: 'd' }, initFrom }), { x: '1' });
      const resumes = (saved: ReturnType<typeof runIdentity>, initFrom: string): boolean => {
        const m = matchIdentity(saved, hashIdentity(saved), at(initFrom));
        assert.ok(m.ok || m.problems.some((p) => /config\.initFrom/.test(p)), JSON.stringify(m));
        assert.ok(!m.ok || m.changed.every((c) => /config\.initFrom: .*resolves to another file now .*not read again/.test(c.line)), JSON.stringify(m));
        return m.ok;
      };
      // Started when the source run had no best.rxckpt: its checkpoint folder is recorded.
      const noBest = at(pre);
      const throughLink = at(path.join(tmp, 'linked', 'pre'));
      assert.equal((noBest.config as { initFrom?: string }).initFrom, path.join(pre, 'checkpoints'));
      // The source run went on and kept a best.rxckpt.
      fs.writeFileSync(path.join(pre, 'checkpoints', 'best.rxckpt'), 'not read');
      const withBest = at(pre);
      assert.deepEqual([pre, path.join(pre, 'checkpoints'), path.join(tmp, 'linked', 'pre'), path.relative(process.cwd(), pre)].map((p) => resumes(noBest, p)), [true, true, true, true]);
      assert.equal(resumes(throughLink, path.join(tmp, 'linked', 'pre')), true);
      // Its best.rxckpt named directly was not what the run took (its newest checkpoint then): not the same source.
      assert.equal(resumes(noBest, path.join(pre, 'checkpoints', 'best.rxckpt')), false);
      // The source is gone: the spellings that named it still resume, whichever file it resolved to.
      fs.rmSync(pre, { recursive: true });
      for (const saved of [noBest, withBest]) {
        assert.deepEqual([pre, path.join(pre, 'checkpoints'), path.join(tmp, 'linked', 'pre')].map((p) => resumes(saved, p)), [true, true, true]);
      }
      assert.equal(resumes(withBest, path.join(pre, 'checkpoints', 'best.rxckpt')), true);
      // Told what the checkpoint recorded, the identity keeps it, so that the next checkpoints do
      // too: a later resume with another spelling of the source still fits the start's.
      const kept = (initFrom: string, recordedInitFrom: string): unknown =>
        (runIdentity(config({ data: { train: 'd' }, initFrom }), { x: '1' }, { recordedInitFrom }).config as { initFrom?: unknown }).initFrom;
      const started = (withBest.config as { initFrom: string }).initFrom;
      assert.deepEqual([pre, path.join(pre, 'checkpoints')].map((p) => kept(p, started)), [started, started]);
      // Not a spelling the given source could have had: what it resolves to now, as without.
      assert.equal(kept(path.join(tmp, 'runs', 'gone'), started), path.join(tmp, 'runs', 'gone'));
      // Another source, there or gone, is refused as before.
      const other = path.join(tmp, 'other.rxckpt');
      fs.writeFileSync(other, 'not read');
      assert.equal(resumes(noBest, other), false);
      assert.equal(resumes(withBest, path.join(tmp, 'runs', 'gone')), false);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a change of --init-weights is refused with exactly what to pass: the kind the run recorded, or none for the default', () => {
    const at = (initWeights: 'ema' | 'trained' | null): ReturnType<typeof runIdentity> => runIdentity(config({ data: { train: 'd' }, initFrom: 'runs/pre', initWeights }), { x: '1' });
    const cases: Array<[saved: 'ema' | 'trained' | null, now: 'ema' | 'trained' | null, pass: RegExp]> = [
      [null, 'ema', /took its --init-from's default weights: resume it without --init-weights/],
      [null, 'trained', /took its --init-from's default weights: resume it without --init-weights/],
      ['ema', null, /started from its --init-from's moving average: resume it with --init-weights ema,/],
      ['ema', 'trained', /started from its --init-from's moving average: resume it with --init-weights ema,/],
      ['trained', null, /started from its --init-from's trained weights: resume it with --init-weights trained,/],
    ];
    for (const [saved, now, pass] of cases) {
      const m = matchIdentity(at(saved), hashIdentity(at(saved)), at(now));
      assert.ok(!m.ok, `${saved} then ${now}`);
      assert.equal(m.problems.filter((p) => /--init-weights/.test(p)).length, 1, m.problems.join('\n'));
      assert.ok(m.problems.some((p) => pass.test(p)), m.problems.join('\n'));
    }
  });

  it('identity covers dropout rates, and leaves the default ones out (older checkpoints still match)', () => {
    const plain = config({ data: { train: 'd' } });
    const seeds = config({ data: { train: 'd' }, model: { dropout: { conv: 0.25, dense: 0.5 } } });
    const less = config({ data: { train: 'd' }, model: { dropout: { conv: 0.1, dense: 0.5 } } });
    const modelOf = (c: TrainConfig): Record<string, unknown> => (runIdentity(c, {}).config as { model: Record<string, unknown> }).model;
    assert.equal('dropout' in modelOf(plain), false, 'written as before rates were configurable');
    assert.deepEqual(runIdentity(plain, {}), runIdentity(seeds, {}));
    assert.deepEqual(modelOf(less).dropout, { conv: 0.1, dense: 0.5 });
    const flip = (c: TrainConfig): unknown => (runIdentity(c, {}).config as { valFlip?: unknown }).valFlip;
    assert.equal(flip(plain), undefined, 'valFlip off is left out too');
    assert.equal(flip(config({ data: { train: 'd' }, valFlip: true })), true);
    const smoothing = (c: TrainConfig): unknown => (runIdentity(c, {}).config as { labelSmoothing?: unknown }).labelSmoothing;
    assert.equal(smoothing(plain), undefined, 'no label smoothing is left out too');
    assert.equal(smoothing(config({ data: { train: 'd' }, labelSmoothing: 0.1 })), 0.1);
    const ema = (c: TrainConfig): unknown => (runIdentity(c, {}).config as { ema?: unknown }).ema;
    assert.equal(ema(config({ data: { train: 'd' }, ema: { everySteps: 5 } })), undefined, 'no average (decay 0) is left out too');
    assert.deepEqual(ema(config({ data: { train: 'd' }, ema: { decay: 0.999 } })), { decay: 0.999, everySteps: 10 });
  });
});

describe('openDatasets: record files and grey models', function () {
  this.timeout(120_000);
  let tmp: string;
  const names = ['dark', 'bright', 'mid'];
  /** 8×8 grey images, 3 classes: the IDX-style dataset import-idx converts. */
  function ds(count: number, salt: number, side = 8): IdxDataset {
    const ys = Uint8Array.from({ length: count }, (_, i) => (i * 7 + salt) % 3);
    const rng = createRng(salt);
    const n = side * side;
    const px = Uint8Array.from({ length: count * n }, () => rng.int(256));
    return { count, width: side, height: side, channels: 1, labels: ys, image: (i) => makeImage(px.subarray(i * n, (i + 1) * n), side, side, 1) };
  }
  before(async () => {
    await useCpu();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-setup-rec-'));
    for (const [split, n, salt] of [['train', 23, 1], ['test', 9, 2]] as const) {
      await idxToFolders(ds(n, salt), path.join(tmp, 'png', split), { names });
      for (const c of [1, 3] as const) await idxToRecordFile(ds(n, salt), path.join(tmp, `rec${c}`, `${split}.rec`), { names, channels: c });
    }
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const cfgFor = (train: string, val: string, channels: 1 | 3): TrainConfig =>
    config({
      data: { train, val },
      model: { name: 'small', inputSize: 8, channels },
      batchSize: 5,
      seed: 3,
      augmentation: { pad: 2, randomCrop: true, flip: true, mean: [100, 100, 100], std: [50, 50, 50] },
    });

  async function batches(src: NonNullable<Awaited<ReturnType<typeof openDatasets>>['val']>): Promise<Array<{ xs: number[]; ys: number[]; shape: number[] }>> {
    const out: Array<{ xs: number[]; ys: number[]; shape: number[] }> = [];
    for await (const b of src.epoch(0)) {
      assert.equal(b.kind, 'batch', b.kind === 'skip' ? `${b.reason}: ${b.message}` : '');
      if (b.kind !== 'batch') continue;
      out.push({ xs: [...(await b.xs.data())], ys: [...(await b.ys.data())], shape: b.xs.shape });
      b.xs.dispose();
      b.ys.dispose();
    }
    return out;
  }

  for (const channels of [1, 3] as const) {
    it(`${channels} channel(s): a record file gives the same batches as the PNG tree import-idx wrote`, async () => {
      const fromPng = await openDatasets(cfgFor(path.join(tmp, 'png', 'train'), path.join(tmp, 'png', 'test'), channels));
      const recCfg = cfgFor(path.join(tmp, `rec${channels}`, 'train.rec'), path.join(tmp, `rec${channels}`, 'test.rec'), channels);
      assert.equal(detectDataFormat(recCfg.data), 'records');
      const fromRec = await openDatasets(recCfg);
      try {
        assert.deepEqual(fromRec.classes, names);
        assert.deepEqual(fromRec.inputShape, [8, 8, channels]);
        assert.deepEqual(fromPng.inputShape, [8, 8, channels]);
        assert.ok(fromRec.notes.some((n) => /train: packed records .*23 8x8x\d images, no decoding/.test(n)), fromRec.notes.join('; '));
        assert.equal(fromRec.train.size, 23);
        const [a, b] = [await batches(fromPng.train), await batches(fromRec.train)];
        assert.equal(a.length, 5);
        assert.deepEqual(a[0].shape, [5, 8, 8, channels]);
        assert.deepEqual(b, a);
        assert.deepEqual(await batches(fromRec.val!), await batches(fromPng.val!));
      } finally {
        await fromPng.close();
        await fromRec.close();
      }
    });
  }

  it('a record file and the PNG tree of the same import stand in for each other, whatever the class names look like', async () => {
    // Folders spell 'T-shirt/top' as 001.t-shirt_top; the record file keeps the dataset's name.
    const fancy = ['T-shirt/top', 'Ankle boot', 'Bag'];
    const dir = path.join(tmp, 'fancy');
    await idxToFolders(ds(9, 2), path.join(dir, 'png'), { names: fancy });
    await idxToRecordFile(ds(9, 2), path.join(dir, 'test.rec'), { names: fancy, channels: 1 });
    await idxToRecordFile(ds(23, 1), path.join(dir, 'train.rec'), { names: fancy, channels: 1 });
    await idxToFolders(ds(23, 1), path.join(dir, 'png-train'), { names: fancy });
    const recTrainPngVal = await openDatasets(cfgFor(path.join(dir, 'train.rec'), path.join(dir, 'png'), 1));
    const pngTrainRecVal = await openDatasets(cfgFor(path.join(dir, 'png-train'), path.join(dir, 'test.rec'), 1));
    try {
      assert.deepEqual(recTrainPngVal.classes, fancy);
      assert.deepEqual(pngTrainRecVal.classes, ['t-shirt_top', 'ankle_boot', 'bag']);
      assert.deepEqual(await batches(recTrainPngVal.val!), await batches(pngTrainRecVal.val!));
    } finally {
      await recTrainPngVal.close();
      await pngTrainRecVal.close();
    }
    // The order is the label: the same names in another order are still refused.
    const swapped = path.join(dir, 'swapped.rec');
    await idxToRecordFile(ds(4, 1), swapped, { names: ['Ankle boot', 'T-shirt/top', 'Bag'], channels: 1 });
    await assert.rejects(openDatasets(cfgFor(path.join(dir, 'train.rec'), swapped, 1)), /data\.val: .*swapped\.rec has classes Ankle boot, T-shirt\/top, Bag; the training data has T-shirt\/top, Ankle boot, Bag/);
  });

  it('of record files with many classes (Caltech\'s 257) that differ, names only the difference, not both lists', async () => {
    const many = Array.from({ length: 257 }, (_, i) => `class-${String(i + 1).padStart(3, '0')}`);
    const dir = path.join(tmp, 'many');
    await idxToRecordFile(ds(23, 1), path.join(dir, 'train.rec'), { names: many, channels: 1 });
    const other = many.map((n, i) => (i === 163 ? 'hummingbird' : n));
    await idxToRecordFile(ds(9, 2), path.join(dir, 'other.rec'), { names: other, channels: 1 });
    await idxToRecordFile(ds(9, 2), path.join(dir, 'fewer.rec'), { names: many.slice(0, 250), channels: 1 });
    const reordered = [...many];
    [reordered[3], reordered[4]] = [reordered[4], reordered[3]];
    await idxToRecordFile(ds(9, 2), path.join(dir, 'reordered.rec'), { names: reordered, channels: 1 });
    const refusal = async (val: string): Promise<string> => {
      const e = await openDatasets(cfgFor(path.join(dir, 'train.rec'), path.join(dir, val), 1)).then(
        (d) => d.close().then(() => assert.fail(`${val} accepted`)),
        (err: unknown) => (err as Error).message,
      );
      assert.ok(e.length < 300, `one readable line, not 500 names (${e.length} characters): ${e.slice(0, 300)}…`);
      return e;
    };
    assert.match(await refusal('other.rec'), /^data\.val: \S*other\.rec has 257 classes, the training data 257, and they differ \(missing: class-164; extra: hummingbird\)$/);
    assert.match(await refusal('fewer.rec'), /^data\.val: \S*fewer\.rec has 250 classes, the training data 257, and they differ \(missing: class-251, class-252, class-253, class-254, class-255, class-256, class-257; extra: none\)$/);
    assert.match(await refusal('reordered.rec'), /^data\.val: \S*reordered\.rec has 257 classes, the training data 257, and they differ \(the same classes in another order: label 3 is class-005, in the training data class-004\)$/);
  });

  it('of a record file without class names (an earlier version\'s) whose class count differs, says the two counts, not the training classes as its own', async () => {
    const unnamed = path.join(tmp, 'unnamed.rec');
    const w = await createRecordFileWriter(unnamed, { width: 8, height: 8, channels: 1, numClasses: 4 });
    for (let i = 0; i < 4; i++) await w.append(new Uint8Array(64).fill(i * 60), i, `${i}.png`);
    await w.finish();
    await assert.rejects(openDatasets(cfgFor(path.join(tmp, 'rec1', 'train.rec'), unnamed, 1)), /^Error: data\.val: \S*unnamed\.rec has 4 classes; the training data has 3$/);
  });

  it('refuses a record file whose channels differ from model.channels, and val classes that differ', async () => {
    await assert.rejects(
      openDatasets(cfgFor(path.join(tmp, 'rec1', 'train.rec'), path.join(tmp, 'rec1', 'test.rec'), 3)),
      /data\.train: .*train\.rec holds 1-channel images but model\.channels is 3/,
    );
    await assert.rejects(
      openDatasets(cfgFor(path.join(tmp, 'rec1', 'train.rec'), path.join(tmp, 'rec3', 'test.rec'), 1)),
      /data\.val: .*test\.rec holds 3-channel images but model\.channels is 1/,
    );
    const other = path.join(tmp, 'other.rec');
    await idxToRecordFile(ds(4, 1), other, { names: ['a', 'b', 'c'], channels: 1 });
    await assert.rejects(openDatasets(cfgFor(path.join(tmp, 'rec1', 'train.rec'), other, 1)), /data\.val: .*other\.rec has classes a, b, c; the training data has dark, bright, mid/);
    fs.writeFileSync(path.join(tmp, 'junk.rec'), 'not a record file');
    await assert.rejects(
      openDatasets(cfgFor(path.join(tmp, 'junk.rec'), other, 1)),
      /^Error: data\.train: \S*junk\.rec is a CSV or text file, not a folder or a record file: expected a folder-per-class tree, a rxtrain preprocess output folder, or a record file \(\.rec, from rxtrain preprocess --records or import-idx --records\)$/,
    );
  });

  it('an image (or another file) given as the data says what it is and what the data can be, not "bad magic"', async () => {
    const jpeg = path.join(tmp, 'photo.jpg');
    fs.writeFileSync(jpeg, Buffer.from('\xff\xd8\xff\xe0 a jpeg', 'latin1'));
    const forms = (which: string): string => `expected a folder-per-class tree${which}, or a record file \\(\\.rec, from rxtrain preprocess --records or import-idx --records\\)$`;
    await assert.rejects(openDatasets(cfgFor(jpeg, path.join(tmp, 'rec1', 'test.rec'), 1)), new RegExp(`^Error: data\\.train: \\S*photo\\.jpg is a JPEG image, not a folder or a record file: ${forms(', a rxtrain preprocess output folder')}`));
    await assert.rejects(
      openDatasets(cfgFor(path.join(tmp, 'rec1', 'train.rec'), jpeg, 1)),
      new RegExp(`^Error: data\\.val: \\S*photo\\.jpg is a JPEG image, not a folder or a record file: ${forms(' with the training classes')}`),
    );
    const empty = path.join(tmp, 'empty.rec');
    fs.writeFileSync(empty, '');
    await assert.rejects(openDatasets(cfgFor(empty, path.join(tmp, 'rec1', 'test.rec'), 1)), /data\.train: \S*empty\.rec is an empty file, not a folder or a record file/);
  });

  it('a file given as the data with format "manifest" or "folder" says what it is and what the format expects, not ENOTDIR', async () => {
    const png = path.join(tmp, 'photo.png');
    fs.writeFileSync(png, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const rec = path.join(tmp, 'rec1', 'train.rec');
    const withFormat = (train: string, format: 'manifest' | 'folder'): TrainConfig => {
      const c = cfgFor(train, path.join(tmp, 'rec1', 'test.rec'), 1);
      return { ...c, data: { ...c.data, format } };
    };
    await assert.rejects(openDatasets(withFormat(png, 'manifest')),
      /^Error: data\.train: \S*photo\.png is a PNG image, not a folder: data\.format "manifest" \(--format manifest\) expects a rxtrain preprocess output folder \(with categories\.csv and train\.csv\)$/);
    await assert.rejects(openDatasets(withFormat(png, 'folder')),
      /^Error: data\.train: \S*photo\.png is a PNG image, not a folder: data\.format "folder" \(--format folder\) expects a folder-per-class tree$/);
    await assert.rejects(openDatasets(withFormat(rec, 'manifest')),
      /^Error: data\.train: \S*train\.rec is a record file, not a folder: data\.format "manifest" \(--format manifest\) expects a rxtrain preprocess output folder \(with categories\.csv and train\.csv\); data\.format "auto" \(the default\) reads a record file$/);
  });

  it('fingerprints a record file by its content: same pixels same hash, one changed pixel another', async () => {
    const fp = async (file: string): Promise<string> => {
      const d = await openDatasets(cfgFor(file, path.join(tmp, 'rec1', 'test.rec'), 1));
      await d.close();
      return d.fingerprint.train;
    };
    const again = path.join(tmp, 'again.rec');
    await idxToRecordFile(ds(23, 1), again, { names, channels: 1 });
    assert.equal(await fp(again), await fp(path.join(tmp, 'rec1', 'train.rec')));
    const changed = ds(23, 1);
    const img = changed.image(5);
    img.data[10] ^= 1;
    await idxToRecordFile(changed, again, { names, channels: 1, overwrite: true });
    assert.notEqual(await fp(again), await fp(path.join(tmp, 'rec1', 'train.rec')));
  });
});

describe('grey training end to end (model.channels 1)', function () {
  this.timeout(120_000);
  let tmp: string;
  before(async () => {
    await useCpu();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-grey-'));
    for (const [split, n] of [['train', 12], ['test', 6]] as const) {
      const ys = Uint8Array.from({ length: n }, (_, i) => i % 3);
      const px = Uint8Array.from({ length: n * 256 }, (_, k) => (k * 31 + ys[Math.floor(k / 256)] * 60) % 256);
      const ds: IdxDataset = { count: n, width: 16, height: 16, channels: 1, labels: ys, image: (i) => makeImage(px.subarray(i * 256, (i + 1) * 256), 16, 16, 1) };
      await idxToFolders(ds, path.join(tmp, split), { names: ['a', 'b', 'c'] });
    }
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('grey PNGs decode to 1 channel and train a 1-channel network for an epoch with validation', async () => {
    const cfg = config({
      data: { train: path.join(tmp, 'train'), val: path.join(tmp, 'test') },
      model: { name: 'small', inputSize: 16, channels: 1 },
      batchSize: 4,
      augmentation: { pad: 2, mean: [72.9, 72.9, 72.9], std: [90, 90, 90] },
    });
    const d = await openDatasets(cfg);
    assert.deepEqual(d.inputShape, [16, 16, 1]);
    const events = await trainOneEpoch(d);
    const end = events.find((e) => e.kind === 'EpochEnd');
    assert.ok(end !== undefined && end.kind === 'EpochEnd', events.map((e) => e.kind).join(','));
    assert.ok(Number.isFinite(end.trainLoss) && end.valAccuracy !== null && end.valAccuracy !== undefined, JSON.stringify(end));
    assert.ok(!events.some((e) => e.kind === 'SampleSkipped'), 'no image skipped');
    assert.equal(events.at(-1)?.kind, 'TrainEnd');
  });

  it('openDatasets(cfg, { transform }) runs your kernel on the training images only, and train() trains an epoch with it', async () => {
    const cfg = config({
      data: { train: path.join(tmp, 'train'), val: path.join(tmp, 'test') },
      model: { name: 'small', inputSize: 16, channels: 1 },
      batchSize: 4,
      augmentation: { pad: 2, mean: [72.9, 72.9, 72.9] },
    });
    const seen: string[] = [];
    // Zeroes a random 4×4 square (its own generator), like a cutout operator.
    const transform: SampleTransform = (img, rng, ctx) => {
      seen.push(`${ctx.epoch}:${path.relative(tmp, ctx.path)}`);
      const x0 = rng.int(img.width - 4);
      const y0 = rng.int(img.height - 4);
      const data = img.data.slice();
      for (let y = y0; y < y0 + 4; y++) data.fill(0, y * img.width + x0, y * img.width + x0 + 4);
      return makeImage(data, img.width, img.height, img.channels);
    };
    const d = await openDatasets(cfg, { transform });
    const events = await trainOneEpoch(d);
    const end = events.find((e) => e.kind === 'EpochEnd');
    assert.ok(end !== undefined && end.kind === 'EpochEnd' && Number.isFinite(end.trainLoss) && typeof end.valAccuracy === 'number', events.map((e) => e.kind).join(','));
    assert.equal(events.at(-1)?.kind, 'TrainEnd');
    // Each of the 12 training images once, in epoch 0; no validation image.
    assert.equal(seen.length, 12);
    assert.ok(seen.every((s) => s.startsWith(`0:train${path.sep}`)), seen.join(' '));
    assert.equal(new Set(seen).size, 12);
  });

  it('openDatasets(cfg, { transform, valTransform }): each split gets its own, validation the same images every pass; tenCrop and openEvalData too', async () => {
    const cfg = (over: object = {}): TrainConfig => config({
      data: { train: path.join(tmp, 'train'), val: path.join(tmp, 'test') },
      model: { name: 'small', inputSize: 12, channels: 1 },
      batchSize: 4,
      augmentation: { mean: [72.9, 72.9, 72.9] },
      ...over,
    });
    const seen: Record<'train' | 'val', string[]> = { train: [], val: [] };
    const draws = new Map<string, number>();
    // Inverts the image, and notes which split called and the first draw of its generator.
    const recorder = (split: 'train' | 'val'): SampleTransform => (img, rng, ctx) => {
      seen[split].push(path.relative(tmp, ctx.path).split(path.sep)[0]);
      draws.set(`${split}/${ctx.epoch}/${path.relative(tmp, ctx.path)}`, rng.next());
      return makeImage(img.data.map((v) => 255 - v), img.width, img.height, img.channels);
    };
    const pixels = async (source: BatchSource, epoch = 0): Promise<number[][]> => {
      const out: number[][] = [];
      for await (const item of source.epoch(epoch)) {
        if (item.kind !== 'batch') continue;
        out.push(Array.from(await item.xs.data()));
        item.xs.dispose();
        item.ys.dispose();
      }
      return out;
    };
    const d = await openDatasets(cfg(), { transform: recorder('train'), valTransform: recorder('val') });
    const plain = await openDatasets(cfg());
    let first: number[][] = [];
    try {
      assert.ok(d.val !== undefined && plain.val !== undefined);
      first = await pixels(d.val, 0);
      assert.deepEqual(await pixels(d.val, 3), first, 'the same validation images every pass');
      assert.notDeepEqual(first, await pixels(plain.val), 'the validation transform ran');
      await pixels(d.train, 0);
      assert.deepEqual([...new Set(seen.train)], ['train']);
      assert.deepEqual([...new Set(seen.val)], ['test']);
      assert.equal(seen.val.length, 12);
      for (const [k, v] of draws) if (k.startsWith('val/3/')) assert.equal(v, draws.get(k.replace('val/3/', 'val/0/')), k);
    } finally {
      await d.close();
      await plain.close();
    }
    // Only the training transform: validation as before.
    const trainOnly = await openDatasets(cfg(), { transform: recorder('train') });
    const plainAgain = await openDatasets(cfg());
    try {
      assert.deepEqual(await pixels(trainOnly.val!), await pixels(plainAgain.val!));
    } finally {
      await trainOnly.close();
      await plainAgain.close();
    }
    // tenCrop cuts its crops from transformed images.
    seen.val.length = 0;
    const ten = await openDatasets(cfg({ tenCrop: true, augmentation: { mean: [72.9, 72.9, 72.9], resize: 16 } }), { valTransform: recorder('val') });
    try {
      assert.ok(ten.tenCrop !== undefined);
      await pixels(ten.tenCrop.source);
      assert.equal(seen.val.length, 6);
    } finally {
      await ten.close();
    }
    // Scoring a checkpoint from code: openEvalData takes the run's validation transform.
    seen.val.length = 0;
    const info = { classes: ['a', 'b', 'c'], mean: [72.9] };
    const scored = await openEvalData(cfg(), info, path.join(tmp, 'test'), { valTransform: recorder('val') });
    const unscored = await openEvalData(cfg(), info, path.join(tmp, 'test'));
    try {
      const got = await pixels(scored.val!);
      assert.equal(seen.val.length, 6);
      assert.deepEqual(got, first, 'the images the run validated on');
      assert.notDeepEqual(got, await pixels(unscored.val!));
    } finally {
      await scored.close();
      await unscored.close();
    }
  });

  it('a sample the transform leaves out with skipSample reaches train() as a SampleSkipped event naming the transform and the reason', async () => {
    const cfg = config({
      data: { train: path.join(tmp, 'train'), val: path.join(tmp, 'test') },
      model: { name: 'small', inputSize: 16, channels: 1 },
      batchSize: 4,
      augmentation: { mean: [72.9, 72.9, 72.9] },
    });
    const left: string[] = [];
    const d = await openDatasets(cfg, {
      transform: function thirds(img, _rng, ctx) {
        if (ctx.index % 3 !== 0) return img;
        left.push(ctx.path);
        return skipSample(`index ${ctx.index} is a multiple of 3`);
      },
    });
    const events = await trainOneEpoch(d);
    assert.equal(events.at(-1)?.kind, 'TrainEnd');
    const skipped = events.flatMap((e) => (e.kind === 'SampleSkipped' ? [e] : []));
    assert.equal(left.length, 4);
    assert.deepEqual(skipped.map((e) => e.path).sort(), [...left].sort());
    for (const e of skipped) {
      assert.equal(e.reason, 'transform');
      assert.match(e.message, /^transform thirds: index (0|3|6|9) is a multiple of 3$/);
    }
  });
});

describe('recordFilesNotTrainedOn', () => {
  let out: string;
  before(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-unread-'));
    // Only their presence counts: the checkpoint's fingerprint says what its run read.
    for (const f of ['train.csv', 'val.csv', 'train.rec', 'val.rec']) fs.writeFileSync(path.join(out, f), '');
  });
  after(() => fs.rmSync(out, { recursive: true, force: true }));
  const data = (val: string | null = null): TrainConfig['data'] => ({ train: out, val, format: 'auto', records: true, prefetch: 1, maxPixels: 100_000_000 });
  const trained = (fp: Record<string, string>) => ({ config: {}, data: { format: 'manifest', 'train.csv': 'h', ...fp } });
  const NOT_READ = 'not read (--no-records)';

  it('names the record files that exist now of the splits a checkpoint\'s run trained on the image files of, and none when it read a record file or cannot tell', () => {
    const images = { 'train image sizes': 'a', 'val image sizes': 'b' };
    assert.deepEqual(recordFilesNotTrainedOn(data(), trained(images)), ['train.rec', 'val.rec'], 'made since');
    assert.deepEqual(recordFilesNotTrainedOn(data(), trained({ ...images, 'train.rec': NOT_READ, 'val.rec': NOT_READ })), ['train.rec', 'val.rec'], '--no-records');
    assert.deepEqual(recordFilesNotTrainedOn(data(), trained({ 'train.rec': NOT_READ })), ['train.rec'], 'an older fingerprint, without image sizes');
    assert.deepEqual(recordFilesNotTrainedOn(data(path.join(out, 'elsewhere')), trained(images)), ['train.rec'], 'another validation folder: val.rec is not read anyway');
    assert.deepEqual(recordFilesNotTrainedOn(data(), trained({ 'train.rec': 'hash', 'val.rec': 'hash' })), [], 'trained on the record files');
    assert.deepEqual(recordFilesNotTrainedOn(data(), trained({ 'train image sizes': 'a', 'val.rec': 'hash' })), [], 'one split on each: refused as before');
    assert.deepEqual(recordFilesNotTrainedOn(data(), trained({})), [], 'a fingerprint that does not say');
    assert.deepEqual(recordFilesNotTrainedOn(data(), { config: {}, data: { format: 'folder', train: 'h', 'train image sizes': 'a' } }), [], 'not a preprocess output then');
    assert.deepEqual(recordFilesNotTrainedOn({ ...data(), format: 'folder' }, trained(images)), [], 'not read as one now');
    fs.rmSync(path.join(out, 'val.rec'));
    assert.deepEqual(recordFilesNotTrainedOn(data(), trained(images)), ['train.rec'], 'only those there now');
  });
});

