import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { closeSync, openSync, promises as fsp, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, tap, toArray } from 'rxjs';
import sharp from 'sharp';
import { createPreprocessWorkers } from '../../src/streams/createPreprocessWorkers';
import { parseCsv } from '../../src/streams/parseCsv';
import { preprocess, PREPROCESS_RECORD_WRITES_AHEAD, type PreprocessEvent, type PreprocessOptions } from '../../src/streams/preprocess';
import { openRecordFile } from '../../src/streams/RecordFile';
import { interceptWrites } from './interceptWrites';
import { exifSegment, photoAsJpeg, withSegments } from './jpegTestFiles';

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
    // Each row names its original, relative to out: exactly the processed files, each once, in
    // the class its row says.
    const sources = [...train, ...val].map((r) => path.resolve(out, r[2]));
    assert.deepEqual([...sources].sort(), prog.filter((p) => p.ok).map((p) => path.resolve(p.path)).sort());
    for (const r of [...train, ...val]) assert.equal(path.basename(path.dirname(path.resolve(out, r[2]))), Object.keys(COLOURS)[Number(r[1]) - 1]);

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

  it("times the run to its real end: the record files' last writes and fsync included, and the summary's img/s with them", async () => {
    const out = path.join(tmp, 'timed');
    // A clock that reads 0 until the record files are in place (finish() renames them there,
    // after their last writes and fsync), and 2 s from then on.
    const now = (): number => (fs.existsSync(path.join(out, 'train.rec')) && fs.existsSync(path.join(out, 'val.rec')) ? 2000 : 0);
    const done = (await collect({ src, out, size: 16, valRatio: 0.3, records: true, now })).at(-1);
    assert.ok(done?.kind === 'done', JSON.stringify(done));
    assert.equal(done.summary.seconds, 2);
    assert.equal(done.summary.imagesPerSecond, (done.summary.train + done.summary.val) / 2);
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

  it('stops on unsubscribe: no record file, no temp file, no manifest, no record write after it', async () => {
    const out = path.join(tmp, 'stopped');
    let writes = 0;
    const restore = interceptWrites((f) => /^\.(train|val)\.rec\./.test(path.basename(f)), (write) => (writes++, write()));
    let atStop = 0;
    try {
      await new Promise<void>((resolve, reject) => {
        const sub = preprocess({ src, out, size: 16, concurrency: 1, records: true }).subscribe({
          next: (e) => {
            if (e.kind === 'progress' && e.done === 3) {
              sub.unsubscribe();
              atStop = writes;
              resolve();
            }
          },
          error: reject,
        });
      });
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      restore();
    }
    assert.ok(atStop > 0, 'no record write had started at the stop');
    assert.equal(writes, atStop);
    assert.deepEqual((await fsp.readdir(out)).sort(), ['train', 'val']);
  });

  it('writes no image after unsubscribe: the jobs still queued for the worker threads are dropped, not sent through sharp', async () => {
    const many = path.join(tmp, 'many');
    const jpeg = await photoAsJpeg('rocket.jpg');
    for (const cls of ['001.a', '002.b']) {
      await fsp.mkdir(path.join(many, cls), { recursive: true });
      for (let i = 0; i < 60; i++) await fsp.writeFile(path.join(many, cls, `${i}.jpg`), jpeg);
    }
    const out = path.join(tmp, 'many-out');
    const count = (): number => ['train', 'val'].reduce((n, d) => n + readdirSync(path.join(out, d)).length, 0);
    const atStop = await new Promise<number>((resolve, reject) => {
      const sub = preprocess({ src: many, out, size: 64 }).subscribe({
        next: (e) => {
          if (e.kind === 'progress') {
            sub.unsubscribe();
            resolve(count());
          }
        },
        error: reject,
      });
    });
    await new Promise((r) => setTimeout(r, 1500));
    // At most the image each thread had in hand; before, the ~30 queued ones went on through sharp.
    assert.ok(count() - atStop <= 2, `${count() - atStop} images written after unsubscribe`);
  });

  it('lists more skipped files than a call can pass as arguments (sidecar files)', async () => {
    // A spread of ~125 000 arguments overflows the default stack; with a tenth of the stack,
    // 15 000 files do the same in a second.
    const big = path.join(tmp, 'sidecars');
    await makeTree(big);
    const dir = path.join(big, '001.red');
    for (let i = 0; i < 15_000; i++) closeSync(openSync(path.join(dir, `${i}.txt`), 'w'));
    try {
      const main = path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts');
      const r = spawnSync(process.execPath, ['--stack-size=100', '--require', 'tsx/cjs', main, 'preprocess', big, path.join(tmp, 'sidecars-out'), '-q'], { encoding: 'utf8', maxBuffer: 1 << 26 });
      assert.equal(r.status, 0, r.stderr.slice(-500));
      assert.equal(r.stderr.split('\n').filter((l) => /\d+\.txt: extension "\.txt" is not an image extension/.test(l)).length, 15_000);
    } finally {
      await fsp.rm(big, { recursive: true, force: true });
    }
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

describe('preprocess: fast JPEG path (decoder auto) against sharp alone', function () {
  this.timeout(60000);
  let tmp: string;
  let src: string;
  before(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'rxtrain-pre-fast-'));
    src = path.join(tmp, 'src');
    const photos = ['astronaut.png', 'chelsea.png', 'coffee.png', 'horse.png', 'motorcycle_left.png', 'rocket.jpg'];
    for (const [c, cls] of ['001.one', '002.two'].entries()) {
      await fsp.mkdir(path.join(src, cls), { recursive: true });
      for (const [i, name] of photos.entries()) {
        // Sizes around the output size: shrinks and enlargements, landscape and portrait.
        const [w, h] = [[120, 80], [70, 90], [200, 150], [64, 64], [90, 61], [150, 220]][(i + c) % 6];
        await fsp.writeFile(path.join(src, cls, `p${i}.jpg`), await photoAsJpeg(name, w, h));
      }
    }
    const plain = await photoAsJpeg('chelsea.png', 120, 80);
    await fsp.writeFile(path.join(src, '001.one', 'rotated.jpg'), withSegments(plain, exifSegment(6)));
    await fsp.writeFile(path.join(src, '001.one', 'grey.jpg'), await sharp(plain).toColourspace('b-w').jpeg().toBuffer());
    await fsp.writeFile(path.join(src, '002.two', 'cmyk.jpg'), await sharp(plain).toColourspace('cmyk').jpeg().toBuffer());
    await fsp.writeFile(path.join(src, '002.two', 'icc.jpg'), await sharp(plain).withMetadata({ orientation: 3 }).jpeg().toBuffer());
    await fsp.writeFile(path.join(src, '002.two', 'photo.png'), await sharp(plain).png().toBuffer());
    await fsp.writeFile(path.join(src, '002.two', 'cut.jpg'), plain.subarray(0, Math.floor(plain.length * 0.6)));
    await fsp.writeFile(path.join(src, '001.one', 'header-only.jpg'), plain.subarray(0, 200));
    await fsp.writeFile(path.join(src, '001.one', 'empty.jpg'), Buffer.alloc(0));
    await fsp.writeFile(path.join(src, '001.one', 'text.jpg'), 'not a jpeg\n');
    const bomb = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#102030' } }).jpeg().toBuffer();
    await fsp.writeFile(path.join(src, '002.two', 'big.jpg'), bomb);
  });
  after(() => fsp.rm(tmp, { recursive: true, force: true }));

  it('same manifests, skips, sizes and record layout; pixels and mean within tolerance; fallback files byte-identical', async () => {
    // One image at a time: libvips keeps one error buffer per process, so two sharp failures at
    // once can swap or merge their messages (seen as 'Unknown error'), which would make the
    // message comparison below flaky for reasons that have nothing to do with the fast path.
    const common = { src, size: 64, valRatio: 0.25, seed: 3, records: true, maxPixels: 200 * 220, concurrency: 1 } as const;
    const fastOut = path.join(tmp, 'fast');
    const sharpOut = path.join(tmp, 'sharp');
    const fast = await collect({ ...common, out: fastOut });
    const slow = await collect({ ...common, out: sharpOut, decoder: 'sharp' });
    const skips = (ev: PreprocessEvent[]) => ev.flatMap((e) => (e.kind === 'skip' ? [`${path.basename(e.path)} ${e.reason} ${e.message}`] : [])).sort();
    assert.deepEqual(skips(fast), skips(slow));
    assert.deepEqual(
      skips(fast).map((s) => s.split(' ').slice(0, 2).join(' ')),
      ['big.jpg too-many-pixels', 'cut.jpg truncated', 'empty.jpg empty', 'header-only.jpg truncated', 'text.jpg not-an-image'],
    );
    for (const f of ['train.csv', 'val.csv', 'categories.csv']) {
      assert.equal(await fsp.readFile(path.join(fastOut, f), 'utf8'), await fsp.readFile(path.join(sharpOut, f), 'utf8'), f);
    }
    const rows = [...(await readRows(path.join(fastOut, 'train.csv'))), ...(await readRows(path.join(fastOut, 'val.csv')))];
    assert.equal(rows.length, 12 + 5);
    const progress = fast.flatMap((e) => (e.kind === 'progress' && e.ok ? [e] : []));
    let compared = 0;
    for (const split of ['train', 'val'] as const) {
      const mine = progress.filter((p) => p.split === split);
      const rec = await openRecordFile(path.join(fastOut, `${split}.rec`));
      const recSharp = await openRecordFile(path.join(sharpOut, `${split}.rec`));
      assert.equal(rec.header.count, mine.length);
      assert.equal(recSharp.header.count, mine.length);
      for (let i = 0; i < mine.length; i++) {
        const name = rec.name(i) ?? assert.fail(`record ${i} has no name`);
        assert.equal(name, recSharp.name(i));
        assert.equal(rec.label(i), recSharp.label(i));
        const [a, b] = [await fsp.readFile(path.join(fastOut, name)), await fsp.readFile(path.join(sharpOut, name))];
        const meta = await sharp(a).metadata();
        assert.deepEqual([meta.width, meta.height, meta.channels], [64, 64, 3], name);
        const base = path.basename(mine[i].path);
        // Files the fast path refuses take sharp's path in both runs: the very same bytes.
        if (['cmyk.jpg', 'icc.jpg', 'photo.png'].includes(base)) assert.ok(a.equals(b), `${base} should be sharp's bytes`);
        else {
          const [pa, pb] = [await rec.read(i), await recSharp.read(i)];
          let sum = 0;
          for (let k = 0; k < pa.length; k++) sum += pa[k] - pb[k];
          // Channel-blind mean difference (lanczos3 vs area/bilinear plus the fast IDCT's bias).
          assert.ok(Math.abs(sum / pa.length) < 2.5, `${base}: mean pixel difference ${(sum / pa.length).toFixed(2)}`);
          compared++;
        }
      }
      await rec.close();
      await recSharp.close();
    }
    assert.equal(compared, 14, 'photos, rotated and grey went through the fast path');
    const [mf, ms] = [fast.at(-1), slow.at(-1)];
    assert.ok(mf?.kind === 'done' && ms?.kind === 'done');
    if (mf?.kind !== 'done' || ms?.kind !== 'done') return;
    for (const k of ['r', 'g', 'b'] as const) assert.ok(Math.abs(mf.summary.mean[k] - ms.summary.mean[k]) < 2, `mean ${k}: ${mf.summary.mean[k]} vs ${ms.summary.mean[k]}`);
    // The fast path's mean is that of the pixels it wrote to the record file, up to the YCbCr
    // route's way of summing (the JFIF transform of the plane sums, before clamping to 0..255;
    // the record pixels' chroma is box-upsampled): measured 0.02–0.10 levels here.
    const rec = await openRecordFile(path.join(fastOut, 'train.rec'));
    const sums = [0, 0, 0];
    for (let i = 0; i < rec.header.count; i++) (await rec.read(i)).forEach((v, k) => (sums[k % 3] += v));
    const n = rec.header.count * 64 * 64;
    await rec.close();
    [mf.summary.mean.r, mf.summary.mean.g, mf.summary.mean.b].forEach((m, k) => assert.ok(Math.abs(m - sums[k] / n) <= 0.15, `mean ${'rgb'[k]}: ${m} vs the records' ${sums[k] / n}`));
  });

  it('is deterministic with the fast path, with and without records', async () => {
    const run = async (out: string, records: boolean) => {
      await collect({ src, out, size: 48, seed: 5, records, concurrency: 3 });
      return snapshot(out);
    };
    const a = await run(path.join(tmp, 'det-a'), true);
    const b = await run(path.join(tmp, 'det-b'), true);
    assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
    for (const [k, v] of a) assert.ok(v.equals(b.get(k)!), `${k} differs`);
    const c = await run(path.join(tmp, 'det-c'), false);
    for (const [k, v] of c) if (k.endsWith('.jpg')) assert.ok(v.equals(a.get(k)!), `${k} differs without records`);
  });

  it('uses a worker pool the caller started, leaves it open, and gives the same outputs as its own pool', async () => {
    const workers = createPreprocessWorkers(2);
    assert.ok(workers);
    try {
      const own = path.join(tmp, 'pool-own');
      const given = path.join(tmp, 'pool-given');
      await collect({ src, out: own, size: 48, seed: 5, records: true });
      for (const out of [given, path.join(tmp, 'pool-given-again')]) {
        await collect({ src, out, size: 48, seed: 5, records: true, workers });
        const [a, b] = [await snapshot(own), await snapshot(out)];
        assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
        for (const [k, v] of a) assert.ok(v.equals(b.get(k)!), `${k} differs with the caller's pool`);
      }
      // Without records (images only written, never decoded on this thread) progress still says ok.
      const noRecords = path.join(tmp, 'pool-no-records');
      const events = await collect({ src, out: noRecords, size: 48, seed: 5, workers });
      const ok = events.filter((e) => e.kind === 'progress' && e.ok).length;
      const rows = (await readRows(path.join(noRecords, 'train.csv'))).length + (await readRows(path.join(noRecords, 'val.csv'))).length;
      assert.equal(ok, rows);
      assert.equal(ok + events.filter((e) => e.kind === 'progress' && !e.ok).length, events.filter((e) => e.kind === 'progress').length);
      assert.ok(ok > 0);
    } finally {
      await workers.close();
    }
  });
});

describe('preprocess --records: record writes overlap', function () {
  this.timeout(60000);
  const size = 16;
  const recordSize = size * size * 3;
  let tmp: string;
  let src: string;
  let reference: string;
  before(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'rxtrain-pre-rec-'));
    src = path.join(tmp, 'src');
    // PNGs (sharp's path) and ordinary JPEGs (the fast path with decoder auto) interleaved, each
    // image its own colour so a record in the wrong place shows; enough train images that
    // `concurrency` + PREPROCESS_RECORD_WRITES_AHEAD record writes can be in flight.
    for (const [c, cls] of ['001.a', '002.b'].entries()) {
      await fsp.mkdir(path.join(src, cls), { recursive: true });
      for (let i = 0; i < 20; i++) {
        const img = sharp({ create: { width: 24 + i, height: 30, channels: 3, background: { r: 10 * i, g: 100 * c, b: 250 - 10 * i } } });
        await (i % 2 === 0 ? img.png() : img.jpeg()).toFile(path.join(src, cls, `${String(i).padStart(2, '0')}.${i % 2 === 0 ? 'png' : 'jpg'}`));
      }
    }
    await fsp.writeFile(path.join(src, '001.a', '05b.jpg'), Buffer.alloc(0));
    reference = path.join(tmp, 'reference');
    await collect({ src, out: reference, size, seed: 2, records: true, decoder: 'sharp' });
  });
  after(() => fsp.rm(tmp, { recursive: true, force: true }));

  const splitOf = (tmpFile: string): 'train' | 'val' => (path.basename(tmpFile).startsWith('.train.rec.') ? 'train' : 'val');

  async function assertSameAsReference(out: string, ref: string): Promise<void> {
    const [a, b] = [await snapshot(out), await snapshot(ref)];
    assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
    for (const [k, v] of a) assert.ok(v.equals(b.get(k)!), `${k} differs`);
    // And in manifest order (the reference's own check, so a shared mistake would show too).
    for (const split of ['train', 'val'] as const) {
      const rows = await readRows(path.join(out, `${split}.csv`));
      const rec = await openRecordFile(path.join(out, `${split}.rec`));
      assert.equal(rec.header.count, rows.length);
      for (let i = 0; i < rows.length; i++) assert.deepEqual([rec.name(i), rec.label(i)], [rows[i][0], Number(rows[i][1]) - 1]);
      await rec.close();
    }
  }

  it('reports an image before its record write completes, and starts an image only while fewer than concurrency + PREPROCESS_RECORD_WRITES_AHEAD are not yet written (or skipped)', async () => {
    const out = path.join(tmp, 'held');
    const concurrency = 2;
    const ahead = concurrency + PREPROCESS_RECORD_WRITES_AHEAD;
    const ok = { train: 0, val: 0 };
    // Images written to their record file, or skipped: the ones a run is done with.
    let finished = 0;
    let total = Infinity;
    let opened = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    let passThrough = false;
    const held: Array<() => void> = [];
    const problems: string[] = [];
    const releaseAll = (): void => {
      passThrough = true;
      // Newest first: the writes complete out of order.
      while (held.length > 0) held.pop()!();
    };
    // Record writes wait until `ahead` are held (then the newest goes: the run can start no
    // image before one is written), or until the run can go no further without them: its last
    // image reported, or every image started (the old code waits for each write before the next image).
    const restoreWrites = interceptWrites(
      (f) => /^\.(train|val)\.rec\./.test(path.basename(f)),
      (write, w) => {
        if (passThrough || w.position === undefined || w.position < 4096) return write();
        const split = splitOf(w.file);
        const k = (w.position - 4096) / recordSize;
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        return new Promise((resolve, reject) => {
          held.push(() =>
            write().then((r) => {
              inFlight--;
              finished++;
              if (ok[split] <= k) problems.push(`${split} record ${k}: written before its image was reported`);
              resolve(r);
            }, reject),
          );
          if (held.length >= ahead) held.pop()!();
        });
      },
    );
    const open = fs.promises.open;
    fs.promises.open = ((file: fs.PathLike, ...rest: unknown[]) => {
      // Counted from the start event on: the listing opens files too.
      if (total !== Infinity && String(file).startsWith(src + path.sep)) {
        opened++;
        if (opened > finished + ahead) problems.push(`image ${opened} started with only ${finished} written or skipped`);
        if (opened === total) releaseAll();
      }
      return (open as (...a: unknown[]) => Promise<fs.promises.FileHandle>)(file, ...rest);
    }) as typeof fs.promises.open;
    try {
      await lastValueFrom(
        preprocess({ src, out, size, seed: 2, records: true, decoder: 'sharp', concurrency }).pipe(
          tap((e) => {
            if (e.kind === 'start') total = e.total;
            if (e.kind !== 'progress') return;
            if (e.ok) ok[e.split]++;
            else finished++;
            if (e.done === e.total) releaseAll();
          }),
        ),
      );
    } finally {
      fs.promises.open = open;
      restoreWrites();
    }
    assert.deepEqual(problems, []);
    // Writes did overlap, as many as the bound lets.
    assert.equal(maxInFlight, ahead);
    await assertSameAsReference(out, reference);
  });

  it('writes the same record files when the fast path\'s writes complete newest first', async () => {
    // Each batch of writes started in one event-loop turn completes in the next, newest first:
    // the pixels of a fast-path image sit in a pool slot that must not be reused before its write.
    const batch: Array<() => void> = [];
    const restore = interceptWrites(
      (f) => /^\.(train|val)\.rec\./.test(path.basename(f)),
      (write) =>
        new Promise((resolve, reject) => {
          if (batch.length === 0) setImmediate(() => batch.splice(0).reverse().forEach((go) => go()));
          batch.push(() => write().then(resolve, reject));
        }),
    );
    const [fastOut, fastRef] = [path.join(tmp, 'fast-reversed'), path.join(tmp, 'fast-ref')];
    try {
      await collect({ src, out: fastOut, size, seed: 2, records: true });
    } finally {
      restore();
    }
    await collect({ src, out: fastRef, size, seed: 2, records: true, concurrency: 1 });
    await assertSameAsReference(fastOut, fastRef);
  });

  it('a failed record write fails the run, naming the record file, and leaves no record file, temp file or manifest', async () => {
    const nVal = (await readRows(path.join(reference, 'val.csv'))).length;
    // The second train record, or the very last record (val's, failing while the run finishes).
    for (const [split, index] of [['train', 1], ['val', nVal - 1]] as const) {
      const out = path.join(tmp, `full-${split}`);
      const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      const restore = interceptWrites(
        (f) => path.basename(f).startsWith(`.${split}.rec.`),
        (write, w) => (w.position === 4096 + index * recordSize ? Promise.reject(full) : write()),
      );
      try {
        await assert.rejects(collect({ src, out, size, seed: 2, records: true }), (e: unknown) => {
          assert.equal((e as Error).message, `cannot write ${path.join(out, `${split}.rec`)}: no space left on device (disk full)`);
          return true;
        });
      } finally {
        restore();
      }
      assert.deepEqual((await fsp.readdir(out)).sort(), ['train', 'val'], split);
    }
  });

  it('a record write cut short (disk full, ulimit -f) names the record file, not its temporary name, with a short reason', async () => {
    const out = path.join(tmp, 'short');
    // What a write past `ulimit -f` (or onto a full disk) gives back: fewer bytes than asked for.
    const restore = interceptWrites(
      (f) => path.basename(f).startsWith('.train.rec.'),
      async (write, w) => (w.position === 4096 + recordSize ? { bytesWritten: 4096, buffer: undefined } : write()),
    );
    try {
      await assert.rejects(collect({ src, out, size, seed: 2, records: true }), (e: unknown) => {
        assert.equal((e as Error).message, `cannot write ${path.join(out, 'train.rec')}: a record was written only in part (disk full, or a file size limit such as ulimit -f)`);
        return true;
      });
    } finally {
      restore();
    }
    assert.deepEqual((await fsp.readdir(out)).sort(), ['train', 'val']);
  });
});
