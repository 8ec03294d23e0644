import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
// The module object itself (the namespace import is a read-only view), to stub a read-only file system.
import nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import { formatSkips, runPreprocess } from '../../src/cli/preprocessCommand';
import type { StopSignal } from '../../src/cli/processStopSignal';
import { writeAuditFiles } from '../streams/fixtures';

function sink(isTTY = false): Writable & { text: () => string; isTTY: boolean } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  }) as Writable & { text: () => string; isTTY: boolean };
  w.text = () => chunks.join('');
  w.isTTY = isTTY;
  return w;
}

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await runPreprocess(argv, { stdout, stderr });
  return { code, out: stdout.text(), err: stderr.text() };
}

describe('rxtrain preprocess (CLI)', function () {
  this.timeout(60000);
  let tmp: string;
  let src: string;
  before(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'rxtrain-precli-'));
    src = path.join(tmp, 'src');
    for (const cls of ['cats', 'dogs']) {
      await fsp.mkdir(path.join(src, cls), { recursive: true });
      for (let i = 0; i < 5; i++) {
        await sharp({ create: { width: 30 + i, height: 20, channels: 3, background: cls === 'cats' ? '#ff0000' : '#0000ff' } })
          .jpeg()
          .toFile(path.join(src, cls, `${i}.jpg`));
      }
    }
    await fsp.writeFile(path.join(src, 'dogs', 'broken.jpg'), 'nope');
  });
  after(() => fsp.rm(tmp, { recursive: true, force: true }));

  it('on a terminal, the bar shows no rate and no ETA before an image is done ("- img/s | ETA -"), never "ETA 0s" with images to go; every frame fits an 80-column terminal, the skipped count on it', async () => {
    const stdout = sink();
    const stderr = Object.assign(sink(true), { columns: 80 });
    assert.equal(await runPreprocess([src, path.join(tmp, 'bar'), '--decoder', 'sharp'], { stdout, stderr }), 0, stderr.text());
    // eslint-disable-next-line no-control-regex
    const frames = stderr.text().split(/\r|\x1b\[[0-9;?]*[A-Za-z]/).filter((f) => f.startsWith('preprocess ['));
    assert.ok(frames.length > 0, stderr.text());
    assert.match(frames[0], / 0\/11 \| +- img\/s \| ETA +- \| skipped +0$/);
    for (const f of frames) {
      const [done, total] = (/ +(\d+)\/(\d+) \|/.exec(f) ?? []).slice(1).map(Number);
      if (done < total) assert.doesNotMatch(f, /ETA +0s|ETA +done/, f);
      assert.ok(f.length < 80 && /skipped +\d+$/.test(f), `${f.length} columns: ${f}`);
    }
  });

  it('an output file it cannot write (a full disk, a folder in its place) fails the run with one line naming the file and the cause', async () => {
    const out = path.join(tmp, 'unwritable');
    assert.equal((await cli([src, out, '--decoder', 'sharp', '-q'])).code, 0);
    await fsp.rm(path.join(out, 'train', '000001.jpg'));
    await fsp.mkdir(path.join(out, 'train', '000001.jpg'));
    const r = await cli([src, out, '--decoder', 'sharp', '-q']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^rxtrain preprocess: cannot write \S*unwritable\/train\/000001\.jpg: a folder is in its place\n$/);
  });

  it('says an OUT it cannot create is on a read-only file system, not "no such file or directory"', async () => {
    const readOnly = path.join(tmp, 'read-only');
    await fsp.mkdir(readOnly);
    const [mkdir, access] = [nodeFs.promises.mkdir, nodeFs.accessSync];
    // What Node's recursive mkdir and access(2) say there.
    nodeFs.promises.mkdir = (async (p: string, o?: object) => {
      if (p.startsWith(readOnly)) throw Object.assign(new Error(`ENOENT: no such file or directory, mkdir '${p}'`), { code: 'ENOENT', syscall: 'mkdir', path: p });
      return mkdir(p, o);
    }) as typeof nodeFs.promises.mkdir;
    nodeFs.accessSync = ((p: string, m?: number) => {
      if (p === readOnly) throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
      access(p, m);
    }) as typeof nodeFs.accessSync;
    try {
      const r = await cli([src, path.join(readOnly, 'pre'), '-q']);
      assert.equal(r.code, 1);
      assert.match(r.err, /^rxtrain preprocess: \S*read-only\/pre\S*: cannot create it: \S*read-only is on a read-only file system\n$/);
    } finally {
      [nodeFs.promises.mkdir, nodeFs.accessSync] = [mkdir, access];
    }
  });

  it('--help prints the usage and exits 0', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /usage: rxtrain preprocess SRC OUT/);
    assert.match(r.out, /--val-ratio/);
    assert.match(r.out, /--records/);
  });

  for (const [argv, re] of [
    [['onlysrc'], /expected SRC and OUT/],
    [['a', 'b', 'c'], /unexpected argument "c"/],
    [['a', 'b', '--frobnicate'], /unknown option --frobnicate$/m],
    [['a', 'b', '--size', 'big'], /--size must be an integer, got "big"/],
    [['a', 'b', '--size', '0'], /--size must be between 1 and 16384, got 0/],
    [['a', 'b', '--val-ratio', '1'], /--val-ratio must be a number with 0 ≤ R < 1, got "1"/],
    [['a', 'b', '--val-ratio', 'x'], /--val-ratio must be a number/],
    [['a', 'b', '--quality', '101'], /--quality must be between 1 and 100/],
    [['a', 'b', '--concurrency=-1'], /--concurrency must be between 1 and 1024/],
    [['a', 'b', '--background', 'pink'], /--background must be black or white/],
    [['a', 'b', '--decoder', 'magic'], /--decoder must be auto or sharp, got "magic"/],
    [['a', 'b', '--seed'], /--seed needs a value/],
    // As train, predict and evaluate word it.
    [['a', 'b', '--max-pixels', '0'], /--max-pixels must be a positive integer, got '0'/],
    [['a', 'b', '--max-pixels', '1.5'], /--max-pixels must be a positive integer, got '1\.5'/],
    [['a', 'b', '--max-pixels', '1e20'], /--max-pixels must be a positive integer, got '1e20'/],
  ] as const) {
    it(`exits 2 with a clear message for ${argv.join(' ')}`, async () => {
      const r = await cli([...argv]);
      assert.equal(r.code, 2);
      assert.match(r.err, re);
      assert.match(r.err, /--help/);
    });
  }

  it('reads --max-pixels as train, predict and evaluate do: 1e9 and 6e2 as well as 600', async () => {
    assert.equal((await cli([src, path.join(tmp, 'mp-big'), '--decoder', 'sharp', '-q', '--max-pixels', '1e9'])).code, 0);
    // 30x20 is 600 pixels, at the limit; the 31..34 wide ones are over it.
    for (const limit of ['6e2', '600']) {
      const r = await cli([src, path.join(tmp, `mp-${limit}`), '--decoder', 'sharp', '--max-pixels', limit]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^preprocessed 2 images /m, `${limit}: ${r.out}`);
      assert.match(r.err, /too-many-pixels \(8\):/, `${limit}: ${r.err}`);
    }
  });

  it('exits 1 with a clear message when SRC does not exist', async () => {
    const r = await cli([path.join(tmp, 'missing'), path.join(tmp, 'o')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /dataset folder .*missing does not exist/);
  });

  it('exits 1 when no image can be processed', async () => {
    const bad = path.join(tmp, 'bad');
    await fsp.mkdir(path.join(bad, 'x'), { recursive: true });
    await fsp.writeFile(path.join(bad, 'x', 'a.jpg'), '');
    const r = await cli([bad, path.join(tmp, 'bad-out'), '--quiet']);
    assert.equal(r.code, 1);
    assert.match(r.err, /empty \(1\):\n.*a\.jpg: file has 0 bytes/);
    assert.match(r.err, /no image .* could be processed/);
  });

  it('preprocesses, summarises and lists skipped files by reason', async () => {
    const out = path.join(tmp, 'out');
    const r = await cli([src, out, '--size', '8', '--val-ratio', '0.4', '--seed', '3', '--records', '--concurrency', '2']);
    assert.equal(r.code, 0, r.err);
    const m = /preprocessed 10 images in (\d+ms|\d+\.\ds) \(\d+ img\/s\): (\d+) train, (\d+) val, 2 categories/.exec(r.out);
    assert.ok(m, r.out);
    assert.equal(Number(m[2]) + Number(m[3]), 10);
    assert.match(r.out, /train mean RGB: /);
    assert.match(r.out, /record files: .*train\.rec/);
    assert.match(r.err, /skipped 1 file:\n {2}not-an-image \(1\):\n {4}.*broken\.jpg: /);
    assert.doesNotMatch(r.err, /\[.*\] \d+%/, 'no progress bar when stderr is not a TTY');
    assert.deepEqual((await fsp.readdir(out)).sort(), ['categories.csv', 'preprocess.json', 'rgb_val.json', 'train', 'train.csv', 'train.rec', 'val', 'val.csv', 'val.rec']);
    assert.equal(await fsp.readFile(path.join(out, 'preprocess.json'), 'utf8'), '{"background":"black"}\n', 'the default background, recorded');
  });

  it('says one image and one category in the singular', async () => {
    const one = path.join(tmp, 'one-image');
    await fsp.mkdir(path.join(one, 'cats'), { recursive: true });
    await fsp.copyFile(path.join(src, 'cats', '0.jpg'), path.join(one, 'cats', '0.jpg'));
    const r = await cli([one, path.join(tmp, 'one-out'), '--size', '8', '--decoder', 'sharp']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^preprocessed 1 image in (\d+ms|\d+\.\ds) \(\d+ img\/s\): 1 train, 0 val, 1 category → /);
  });

  it('names the output and its record files as given, relative to the working directory, not as absolute paths', async () => {
    // As the README shows it: `… 257 categories → data/caltech256-pre`, then the record files.
    const cwd = process.cwd();
    process.chdir(tmp);
    try {
      const r = await cli(['src', path.join('data', 'pre'), '--size', '8', '--records']);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^preprocessed 10 images in .*, 2 categories → data\/pre$/m);
      assert.match(r.out, /^record files: data\/pre\/train\.rec, data\/pre\/val\.rec$/m);
    } finally {
      process.chdir(cwd);
    }
  });

  it('notes the classes left without a val image (a class of one image), and none when all have one', async () => {
    const few = path.join(tmp, 'few');
    for (const [cls, n] of [['001.solo', 1], ['002.pair', 2], ['003.many', 5]] as const) {
      await fsp.mkdir(path.join(few, cls), { recursive: true });
      for (let i = 0; i < n; i++) {
        await sharp({ create: { width: 12, height: 12, channels: 3, background: '#808080' } }).jpeg().toFile(path.join(few, cls, `${i}.jpg`));
      }
    }
    const r = await cli([few, path.join(tmp, 'few-out'), '--size', '8', '--val-ratio', '0.2']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^note: 1 class has no val image \(one image only, or its val images were skipped\), so its accuracy is not measured: "solo"$/m);
    const none = await cli([few, path.join(tmp, 'few-out0'), '--size', '8', '--val-ratio', '0']);
    assert.doesNotMatch(none.err, /no val image/, 'no val split asked for: nothing to note');
  });

  it('notes the classes with no image at all (an empty folder, every file skipped): training would never show them', async () => {
    const gaps = path.join(tmp, 'gaps');
    for (const [cls, n] of [['001.ak47', 5], ['002.empty', 0], ['003.broken', 0], ['004.backpack', 5]] as const) {
      await fsp.mkdir(path.join(gaps, cls), { recursive: true });
      for (let i = 0; i < n; i++) {
        await sharp({ create: { width: 12, height: 12, channels: 3, background: '#808080' } }).jpeg().toFile(path.join(gaps, cls, `${i}.jpg`));
      }
    }
    await fsp.writeFile(path.join(gaps, '003.broken', 'a.jpg'), 'not a jpeg');
    const r = await cli([gaps, path.join(tmp, 'gaps-out'), '--size', '8']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^note: 2 classes have no image \(an empty folder, or every file skipped\), so the model never sees them \(it still has an output for each\): "empty", "broken"$/m);
    assert.doesNotMatch(r.err, /no val image/, 'a class without images is not also one without val images');
    await fsp.rm(path.join(gaps, '002.empty'), { recursive: true });
    await fsp.rm(path.join(gaps, '003.broken'), { recursive: true });
    const full = await cli([gaps, path.join(tmp, 'gaps-out-full'), '--size', '8']);
    assert.equal(full.code, 0, full.err);
    assert.doesNotMatch(full.err, /no image \(/, 'every class has images: nothing to note');
  });

  for (const decoder of ['auto', 'sharp']) {
    it(`lists each bad file once, under its own reason, on one line (--decoder ${decoder})`, async () => {
      // The files of a user audit, added to a class folder: the corrupt JPEG was listed under
      // "truncated", and its multi-line message put lines naming no file into the summary.
      const audit = path.join(tmp, `audit-${decoder}`);
      await fsp.cp(src, audit, { recursive: true });
      await fsp.rm(path.join(audit, 'dogs', 'broken.jpg'));
      const want = await writeAuditFiles(path.join(audit, 'cats'));
      const r = await cli([audit, path.join(tmp, `audit-${decoder}-out`), '--size', '8', '-q', '--decoder', decoder]);
      assert.equal(r.code, 0, r.err);
      const lines = r.err.trimEnd().split('\n');
      assert.equal(lines[0], 'skipped 4 files:');
      const got: Record<string, string> = {};
      let reason = '';
      for (const line of lines.slice(1)) {
        const group = /^ {2}(\S+) \((\d+)\):$/.exec(line);
        if (group) {
          reason = group[1];
          continue;
        }
        const row = /^ {4}(.+?): (.+)$/.exec(line) ?? assert.fail(`a summary line that is neither a reason nor a file: ${JSON.stringify(line)}`);
        const name = path.basename(row[1]);
        assert.equal(got[name], undefined, `${name} listed twice`);
        got[name] = reason;
      }
      assert.deepEqual(got, want);
      assert.match(r.err, /zz_cut\.jpg: the file ends inside the image data/);
      assert.doesNotMatch(r.err, /zz_corrupt\.jpg: .*(file ends|cut off)/);
    });
  }

  it('--decoder sharp gives the same manifests as the default fast path', async () => {
    const [a, b] = [path.join(tmp, 'dec-auto'), path.join(tmp, 'dec-sharp')];
    assert.equal((await cli([src, a, '--size', '8', '--seed', '3', '-q'])).code, 0);
    const r = await cli([src, b, '--size', '8', '--seed', '3', '-q', '--decoder', 'sharp']);
    assert.equal(r.code, 0, r.err);
    for (const f of ['train.csv', 'val.csv', 'categories.csv']) assert.equal(await fsp.readFile(path.join(a, f), 'utf8'), await fsp.readFile(path.join(b, f), 'utf8'), f);
  });

  it('Ctrl-C: exit 130 (SIGTERM: 143), the cursor shown again, no manifests and no partial record file left', async () => {
    const big = path.join(tmp, 'big');
    for (const cls of ['a', 'b']) {
      await fsp.mkdir(path.join(big, cls), { recursive: true });
      for (let i = 0; i < 40; i++) {
        await sharp({ create: { width: 200 + i, height: 160, channels: 3, background: { r: 9 * i, g: 80, b: 200 } } }).jpeg().toFile(path.join(big, cls, `${i}.jpg`));
      }
    }
    for (const [signal, exitCode] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      const out = path.join(tmp, `out-int-${signal}`);
      const stdout = sink();
      const stderr = sink(true); // a terminal: the progress bar hides the cursor
      let stop: ((s: StopSignal) => void) | undefined;
      let asked = false;
      // The signal as soon as the bar first draws: the run has started, the record files are open.
      const origWrite = stderr.write.bind(stderr);
      stderr.write = ((chunk: string | Buffer, ...rest: never[]) => {
        const r = origWrite(chunk, ...rest);
        if (!asked && /preprocess \[/.test(chunk.toString())) {
          asked = true;
          setImmediate(() => stop?.(signal)); // a signal arrives from outside, not inside the bar's draw
        }
        return r;
      }) as typeof stderr.write;
      const code = await runPreprocess([big, out, '--size', '64', '--records', '--concurrency', '1'], {
        stdout, stderr, onStopSignal: (h) => ((stop = h), () => { stop = undefined; }),
      });
      assert.equal(code, exitCode, `${signal}: ${stderr.text()}`);
      assert.ok(asked, 'stopped mid-run');
      assert.match(stderr.text(), /interrupted( by SIGTERM)?; nothing was written to the manifests, partial record files are removed/);
      const text = stderr.text();
      assert.ok(text.lastIndexOf('\x1b[?25h') > text.lastIndexOf('\x1b[?25l'), 'the cursor is shown again');
      await new Promise((r) => setTimeout(r, 200)); // the teardown removes the temp files asynchronously
      const left = await fsp.readdir(out).catch(() => [] as string[]);
      assert.deepEqual(left.filter((f) => f.endsWith('.tmp') || f.endsWith('.csv') || f.endsWith('.rec')), [], left.join(', '));
    }
  });

  it('--quiet prints no success summary', async () => {
    const r = await cli([src, path.join(tmp, 'quiet'), '--size', '8', '-q']);
    assert.equal(r.code, 0);
    assert.equal(r.out, '');
  });

  it('formatSkips groups by reason, largest group first', () => {
    const text = formatSkips([
      { path: 'a', reason: 'empty', message: 'm1' },
      { path: 'b', reason: 'truncated', message: 'm2' },
      { path: 'c', reason: 'truncated', message: 'm3' },
    ]);
    assert.equal(text, 'skipped 3 files:\n  truncated (2):\n    b: m2\n    c: m3\n  empty (1):\n    a: m1\n');
    assert.equal(formatSkips([]), '');
  });

  it('formatSkips keeps a file name with a line break on its row, quoted', () => {
    assert.equal(formatSkips([{ path: 'src/cat/new\nline.jpg', reason: 'empty', message: 'file has 0 bytes' }]), 'skipped 1 file:\n  empty (1):\n    "src/cat/new\\nline.jpg": file has 0 bytes\n');
  });
});
