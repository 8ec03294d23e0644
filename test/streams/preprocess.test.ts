import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import sharp from 'sharp';
import { parseCsv } from '../../src/streams/parseCsv';
import { preprocess, type PreprocessEvent, type PreprocessOptions } from '../../src/streams/preprocess';
import { openRecordFile } from '../../src/streams/RecordFile';

const COLOURS: Record<string, [number, number, number]> = {
  '001.red': [200, 10, 20],
  '002.green': [30, 180, 40],
  '003.blue': [5, 60, 250],
};
// Unequal class sizes: with stratified rounding the val share differs per class, so a mean
// over all images would differ from the mean over train.
const COUNTS: Record<string, number> = { '001.red': 7, '002.green': 3, '003.blue': 6 };

async function makeTree(root: string): Promise<void> {
  for (const [cls, rgb] of Object.entries(COLOURS)) {
    await fsp.mkdir(path.join(root, cls), { recursive: true });
    for (let i = 0; i < COUNTS[cls]; i++) {
      const [w, h] = [[40, 30], [24, 50], [33, 33]][i % 3];
      // PNG: lossless, so every processed pixel is exactly the class colour.
      await sharp({ create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
        .png()
        .toFile(path.join(root, cls, `img${i}.png`));
    }
  }
  const good = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#808080' } }).jpeg().toBuffer();
  await fsp.writeFile(path.join(root, '001.red', 'empty.jpg'), Buffer.alloc(0));
  await fsp.writeFile(path.join(root, '002.green', 'cut.jpg'), good.subarray(0, Math.floor(good.length / 2)));
  await fsp.writeFile(path.join(root, '003.blue', 'notes.jpg'), 'this is not an image\n');
  await fsp.writeFile(path.join(root, '003.blue', '.DS_Store'), 'junk');
}

async function collect(opts: PreprocessOptions): Promise<PreprocessEvent[]> {
  return lastValueFrom(preprocess(opts).pipe(toArray()));
}

async function readRows(file: string): Promise<string[][]> {
  return parseCsv(await fsp.readFile(file, 'utf8')).slice(1).map((r) => r.fields);
}

async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await fsp.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) {
      const full = path.join(e.parentPath, e.name);
      out.set(path.relative(dir, full), await fsp.readFile(full));
    }
  }
  return out;
}

describe('preprocess', function () {
  this.timeout(60000);
  let tmp: string;
  let src: string;
  before(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'rxtrain-pre-'));
    src = path.join(tmp, 'src');
    await makeTree(src);
  });
  after(() => fsp.rm(tmp, { recursive: true, force: true }));

  it('writes images, manifests, categories, train mean and record files; bad files become skips', async () => {
    const out = path.join(tmp, 'out1');
    const events = await collect({ src, out, size: 16, valRatio: 0.3, seed: 1, concurrency: 3, records: true });
    const skips = events.filter((e) => e.kind === 'skip');
    assert.deepEqual(
      skips.map((s) => [path.basename(s.path), s.reason]).sort(),
      [['.DS_Store', 'hidden'], ['cut.jpg', 'truncated'], ['empty.jpg', 'empty'], ['notes.jpg', 'not-an-image']],
    );
    const start = events.find((e) => e.kind === 'start');
    assert.ok(start && start.kind === 'start' && start.total === 19);
    const progress = events.filter((e) => e.kind === 'progress');
    assert.deepEqual(progress.map((p) => (p.kind === 'progress' ? p.done : 0)), Array.from({ length: 19 }, (_, i) => i + 1));
    const done = events[events.length - 1];
    assert.equal(done.kind, 'done');
    if (done.kind !== 'done') return;
    assert.equal(done.summary.train + done.summary.val, 16);
    assert.equal(done.summary.skipped.length, 4);

    assert.equal(await fsp.readFile(path.join(out, 'categories.csv'), 'utf8'), 'id,name\n1,red\n2,green\n3,blue\n');
    const train = await readRows(path.join(out, 'train.csv'));
    const val = await readRows(path.join(out, 'val.csv'));
    // Stratified over the listed files: round(n × 0.3) of each class went to val.
    const prog = progress.flatMap((p) => (p.kind === 'progress' ? [p] : []));
    for (const cls of Object.keys(COLOURS)) {
      const mine = prog.filter((p) => path.basename(path.dirname(p.path)) === cls);
      assert.equal(mine.filter((p) => p.split === 'val').length, Math.round(mine.length * 0.3), cls);
    }
    // The manifests list exactly the files that were processed, per split and class.
    const perClass = (rows: string[][], id: string) => rows.filter((r) => r[1] === id).length;
    const okPerClass = (split: string, cls: string) => prog.filter((p) => p.ok && p.split === split && path.basename(path.dirname(p.path)) === cls).length;
    assert.deepEqual(['1', '2', '3'].map((id) => perClass(val, id)), Object.keys(COLOURS).map((c) => okPerClass('val', c)));
    assert.deepEqual(['1', '2', '3'].map((id) => perClass(train, id)), Object.keys(COLOURS).map((c) => okPerClass('train', c)));
    for (const [file] of [...train, ...val]) {
      const meta = await sharp(path.join(out, file)).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height, meta.channels], ['jpeg', 16, 16, 3]);
    }

    // The mean, recomputed independently from the class colours and the train manifest.
    const colourById: Record<string, [number, number, number]> = { '1': COLOURS['001.red'], '2': COLOURS['002.green'], '3': COLOURS['003.blue'] };
    const expected = [0, 1, 2].map((c) => train.reduce((s, r) => s + colourById[r[1]][c], 0) / train.length);
    const all = [0, 1, 2].map((c) => [...train, ...val].reduce((s, r) => s + colourById[r[1]][c], 0) / (train.length + val.length));
    const mean = JSON.parse(await fsp.readFile(path.join(out, 'rgb_val.json'), 'utf8')) as { r: number; g: number; b: number };
    assert.ok(Math.abs(expected[0] - all[0]) > 1, 'test tree must make train-only and all-images means differ');
    for (const [k, c] of [['r', 0], ['g', 1], ['b', 2]] as const) assert.ok(Math.abs(mean[k] - expected[c]) < 1e-9, `${k}: ${mean[k]} vs ${expected[c]}`);

    // The record file holds the same images, in manifest order, with labels = category label.
    const rec = await openRecordFile(path.join(out, 'train.rec'));
    assert.equal(rec.header.count, train.length);
    assert.deepEqual(rec.header.classes, ['red', 'green', 'blue']);
    for (let i = 0; i < train.length; i++) {
      assert.equal(rec.name(i), train[i][0]);
      assert.equal(rec.label(i), Number(train[i][1]) - 1);
      const px = await rec.read(i);
      assert.deepEqual([px[0], px[1], px[2]], colourById[train[i][1]]);
    }
    await rec.close();
    assert.equal((await openRecordFile(path.join(out, 'val.rec')).then(async (r) => (await r.close(), r.header.count))), val.length);
  });

  it('is deterministic: same inputs and seed give byte-identical outputs at any concurrency', async () => {
    const a = path.join(tmp, 'det-a');
    const b = path.join(tmp, 'det-b');
    await collect({ src, out: a, size: 16, seed: 7, concurrency: 1, records: true });
    await collect({ src, out: b, size: 16, seed: 7, concurrency: 4, records: true });
    const [sa, sb] = [await snapshot(a), await snapshot(b)];
    assert.deepEqual([...sa.keys()].sort(), [...sb.keys()].sort());
    for (const [k, v] of sa) assert.ok(v.equals(sb.get(k)!), `${k} differs`);
    // A rerun into the same folder reproduces it, and a different seed changes the split.
    await collect({ src, out: a, size: 16, seed: 7, concurrency: 2, records: true });
    for (const [k, v] of await snapshot(a)) assert.ok(v.equals(sa.get(k)!), `${k} differs on rerun`);
    const valSources = (events: PreprocessEvent[]) => events.flatMap((e) => (e.kind === 'progress' && e.split === 'val' ? [e.path] : []));
    const seed7 = valSources(await collect({ src, out: path.join(tmp, 'det-c'), size: 16, seed: 7 }));
    // Without records, val images go file to file in one sharp call: still the same bytes.
    const noRecords = await snapshot(path.join(tmp, 'det-c'));
    const images = [...noRecords.keys()].filter((k) => k.endsWith('.jpg'));
    assert.ok(images.some((k) => k.startsWith('val')), 'no val image to compare');
    for (const k of images) assert.ok(noRecords.get(k)!.equals(sa.get(k)!), `${k} differs without records`);
    const seed8 = valSources(await collect({ src, out: path.join(tmp, 'det-d'), size: 16, seed: 8 }));
    assert.equal(seed7.length, seed8.length);
    assert.notDeepEqual(seed8, seed7);
  });

  it('rerunning without records removes the old record files and stale images', async () => {
    const out = path.join(tmp, 'rerun');
    await collect({ src, out, size: 16, valRatio: 0.5, records: true });
    await collect({ src, out, size: 16, valRatio: 0 });
    const names = await fsp.readdir(out);
    assert.ok(!names.includes('train.rec') && !names.includes('val.rec'));
    assert.deepEqual(await fsp.readdir(path.join(out, 'val')), []);
    assert.equal((await fsp.readdir(path.join(out, 'train'))).length, 16);
  });

  it('stops on unsubscribe: no record file, no temp file, no manifest', async () => {
    const out = path.join(tmp, 'stopped');
    await new Promise<void>((resolve, reject) => {
      const sub = preprocess({ src, out, size: 16, concurrency: 1, records: true }).subscribe({
        next: (e) => {
          if (e.kind === 'progress') {
            sub.unsubscribe();
            resolve();
          }
        },
        error: reject,
      });
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual((await fsp.readdir(out)).sort(), ['train', 'val']);
  });

  it('refuses an output folder holding other files, or one inside the dataset', async () => {
    const out = path.join(tmp, 'foreign');
    await fsp.mkdir(out);
    await fsp.writeFile(path.join(out, 'thesis.docx'), 'x');
    await assert.rejects(collect({ src, out }), /not empty and not a previous preprocess output \(found "thesis.docx"\)/);
    await assert.rejects(collect({ src, out: path.join(src, 'pre') }), /inside the dataset folder/);
    await assert.rejects(collect({ src: path.join(tmp, 'nope'), out: path.join(tmp, 'o') }), /does not exist/);
    await assert.rejects(collect({ src, out: path.join(tmp, 'o'), valRatio: 1 }), /val ratio/);
    const flat = path.join(tmp, 'flat');
    await fsp.mkdir(flat);
    await fsp.writeFile(path.join(flat, 'a.jpg'), 'x');
    await assert.rejects(collect({ src: flat, out: path.join(tmp, 'o') }), /has no class folders: expected one sub-folder per class/);
  });
});
