import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import sharp from 'sharp';
import { run } from '../../src/cli/importIdxCommand';
import { missingDatasetHint } from '../../src/cli/missingDatasetHint';
import { encodeIdx } from '../../src/streams/idxArray';
import { classDirName, FASHION_MNIST_CLASSES } from '../../src/streams/idxClassNames';
import { openRecordStore } from '../../src/streams/recordStore';

const SAMPLE = path.join(__dirname, '..', '..', 'data', 'fashion-mnist-sample');

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: { write: (t: string) => out.push(t) }, err: { write: (t: string) => err.push(t) } } };
}

async function grey(file: string): Promise<Buffer> {
  const { data, info } = await sharp(file).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height], [28, 28], file);
  return data;
}

/** The sample split as (label, pixels) in IDX-file order (file names are the source indices). */
async function readSplit(split: string): Promise<{ label: number; index: number; pixels: Buffer }[]> {
  const rows: { label: number; index: number; pixels: Buffer }[] = [];
  for (const [label, name] of FASHION_MNIST_CLASSES.entries()) {
    const dir = path.join(SAMPLE, split, classDirName(label, name));
    for (const f of fs.readdirSync(dir)) rows.push({ label, index: Number(path.basename(f, '.png')), pixels: await grey(path.join(dir, f)) });
  }
  return rows.sort((a, b) => a.index - b.index);
}

describe('data/fashion-mnist-sample', () => {
  it('holds 100 train and 20 test 28×28 greyscale PNGs per Fashion-MNIST class, with its licence', async () => {
    for (const [split, per] of [['train', 100], ['test', 20]] as const) {
      const dirs = fs.readdirSync(path.join(SAMPLE, split)).sort();
      assert.deepEqual(dirs, FASHION_MNIST_CLASSES.map((n, i) => classDirName(i, n)));
      for (const d of dirs) {
        const files = fs.readdirSync(path.join(SAMPLE, split, d));
        assert.equal(files.length, per, `${split}/${d}`);
        for (const f of files) assert.match(f, /^\d{5}\.png$/);
        const meta = await sharp(path.join(SAMPLE, split, d, files[0])).metadata();
        assert.deepEqual([meta.format, meta.width, meta.height, meta.channels], ['png', 28, 28, 1]);
      }
    }
    assert.match(fs.readFileSync(path.join(SAMPLE, 'LICENSE'), 'utf8'), /Zalando SE[\s\S]*The MIT License/);
    assert.match(fs.readFileSync(path.join(SAMPLE, 'README.md'), 'utf8'), /rxtrain import-idx --dataset-dir \/usr\/share\/datasets\/fashion-mnist/);
  });
});

describe('rxtrain import-idx', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'import-idx-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Writes the sample test split back as IDX files (gzip images, raw labels) in `where`. */
  async function sampleAsIdx(where: string, prefix: string): Promise<{ label: number; pixels: Buffer }[]> {
    const rows = await readSplit('test');
    fs.mkdirSync(where, { recursive: true });
    const images = encodeIdx({ type: 'ubyte', dims: [rows.length, 28, 28], data: new Uint8Array(Buffer.concat(rows.map((r) => r.pixels))) });
    fs.writeFileSync(path.join(where, `${prefix}-images-idx3-ubyte.gz`), zlib.gzipSync(images));
    fs.writeFileSync(path.join(where, `${prefix}-labels-idx1-ubyte`), encodeIdx({ type: 'ubyte', dims: [rows.length], data: Uint8Array.from(rows.map((r) => r.label)) }));
    return rows;
  }

  it('re-imports IDX files made from the sample into the same classes and pixels, taking the first N per class', async () => {
    const rows = await sampleAsIdx(dir, 'fashion');
    const out = path.join(dir, 'out');
    const c = capture();
    const code = await run(
      [path.join(dir, 'fashion-images-idx3-ubyte.gz'), path.join(dir, 'fashion-labels-idx1-ubyte'), out, '--limit-per-class', '5'],
      c.io,
    );
    assert.equal(code, 0, c.err.join(''));
    assert.match(c.out.join(''), /out: 50 28×28 images in 10 classes \(5 per class\)/);
    for (const [label, name] of FASHION_MNIST_CLASSES.entries()) {
      const expected = rows.map((r, i) => ({ ...r, i })).filter((r) => r.label === label).slice(0, 5);
      const d = path.join(out, classDirName(label, name));
      assert.deepEqual(fs.readdirSync(d).sort(), expected.map((r) => `${String(r.i).padStart(5, '0')}.png`));
      for (const r of expected) assert.ok((await grey(path.join(d, `${String(r.i).padStart(5, '0')}.png`))).equals(r.pixels));
    }
  });

  it('imports a dataset folder into train/ and test/ with separate limits', async () => {
    const src = path.join(dir, 'fashion-mnist');
    await sampleAsIdx(src, 'train');
    await sampleAsIdx(src, 't10k');
    const out = path.join(dir, 'out');
    const c = capture();
    const code = await run(['--dataset-dir', src, out, '--limit-per-class', '3', '--test-limit-per-class', '2', '--quiet'], c.io);
    assert.equal(code, 0, c.err.join(''));
    assert.deepEqual(c.out, []);
    const count = (split: string) => fs.readdirSync(path.join(out, split)).reduce((n, d) => n + fs.readdirSync(path.join(out, split, d)).length, 0);
    assert.equal(count('train'), 30);
    assert.equal(count('test'), 20);
  });

  it('--records writes OUT/train.rec and OUT/test.rec next to (or, with --no-png, instead of) the PNG trees', async () => {
    const src = path.join(dir, 'fashion-mnist');
    const rows = await sampleAsIdx(src, 'train');
    await sampleAsIdx(src, 't10k');
    const out = path.join(dir, 'out');
    const c = capture();
    assert.equal(await run(['--dataset-dir', src, out, '--limit-per-class', '3', '--records'], c.io), 0, c.err.join(''));
    assert.match(c.out.join(''), /train\.rec: 30 28×28×1 records in 10 classes \(3 per class\)/);
    assert.ok(fs.statSync(path.join(out, 'train')).isDirectory());
    const rec = await openRecordStore(path.join(out, 'train.rec'));
    try {
      assert.deepEqual([rec.size, rec.header.channels, rec.classes], [30, 1, [...FASHION_MNIST_CLASSES]]);
      const first = await rec.load(0);
      assert.equal(first.kind, 'sample');
      // Class 0's first image of the file, named like its PNG.
      const i0 = rows.findIndex((r) => r.label === 0);
      assert.equal(first.path, `${classDirName(0, FASHION_MNIST_CLASSES[0])}/${String(i0).padStart(5, '0')}.png`);
      assert.ok(Buffer.from((first as { image: { data: Uint8Array } }).image.data).equals(rows[i0].pixels));
    } finally {
      await rec.close();
    }
    const c2 = capture();
    const out2 = path.join(dir, 'out2');
    assert.equal(await run(['--dataset-dir', src, out2, '--records', '--no-png', '--channels', '3', '--quiet'], c2.io), 0, c2.err.join(''));
    assert.deepEqual(fs.readdirSync(out2).sort(), ['test.rec', 'train.rec']);
    const rec3 = await openRecordStore(path.join(out2, 'test.rec'));
    assert.deepEqual([rec3.size, rec3.header.channels], [200, 3]);
    await rec3.close();
    const c3 = capture();
    assert.equal(await run(['--dataset-dir', src, out2, '--records', '--no-png'], c3.io), 1);
    assert.match(c3.err.join(''), /train\.rec already exists \(pass overwrite \/ --overwrite/);
  });

  it('fails with exit code 1 and names the file for bad data', async () => {
    await sampleAsIdx(dir, 'fashion');
    const labels = path.join(dir, 'short-labels');
    fs.writeFileSync(labels, encodeIdx({ type: 'ubyte', dims: [3], data: Uint8Array.of(0, 1, 2) }));
    const c = capture();
    assert.equal(await run([path.join(dir, 'fashion-images-idx3-ubyte.gz'), labels, path.join(dir, 'o')], c.io), 1);
    assert.match(c.err.join(''), /^rxtrain import-idx: .*short-labels: has 3 labels but .*fashion-images-idx3-ubyte\.gz has 200 images/);
    const c2 = capture();
    assert.equal(await run(['--dataset-dir', path.join(dir, 'missing'), path.join(dir, 'o'), '--names', 'mnist'], c2.io), 1);
    assert.match(c2.err.join(''), /missing: no such folder: download the four \*-ubyte\.gz files .* and pass it as --dataset-dir\n$/);
    assert.doesNotMatch(c2.err.join(''), /ENOENT|apt-get/);
    // Where the npm scripts look (which may exist on this machine): the Debian package is named.
    assert.match(missingDatasetHint('/usr/share/datasets/fashion-mnist'), /^Debian's dataset-fashion-mnist package installs it \(apt-get install dataset-fashion-mnist\); or download/);
    assert.match(missingDatasetHint('/usr/share/datasets/fashion-mnist/'), /apt-get install dataset-fashion-mnist/);
  });

  it('fails with exit code 2 and the usage for bad arguments', async () => {
    for (const argv of [
      ['a', 'b'],
      ['a', 'b', 'c', '--limit-per-class', 'ten'],
      ['x-images', 'x-labels', 'out'],
      ['--bogus'],
      ['a', 'b', 'c', '--no-png'],
      ['a', 'b', 'c', '--channels', '3'],
      ['a', 'b', 'c', '--records', '--channels', '2'],
    ]) {
      const c = capture();
      assert.equal(await run(argv, c.io), 2, argv.join(' '));
      assert.match(c.err.join(''), /^rxtrain import-idx: .*\n\(rxtrain import-idx --help lists the options\)\n$/);
    }
    const c = capture();
    assert.equal(await run(['--help'], c.io), 0);
    assert.match(c.out.join(''), /--limit-per-class N/);
    // As every command's help does: what its exit codes mean.
    assert.match(c.out.join(''), /\nexit codes: 0 written, 1 failed .*\n.*2 usage error\n/);
  });
});
