import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createPreprocessWorkers, type PreprocessJob, type PreprocessJobResult, type PreprocessWorkers } from '../../src/streams/createPreprocessWorkers';
import { fastJpegPreprocess } from '../../src/streams/fastJpegPreprocess';
import { loadJpegTurbo } from '../../src/streams/loadJpegTurbo';
import { photoAsJpeg } from './jpegTestFiles';

describe('createPreprocessWorkers', function () {
  // Two worker threads booting through tsx.
  this.timeout(60_000);
  let dir: string;
  let pool: PreprocessWorkers | undefined;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'rxtrain-cpw-'))));
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs many jobs posted in one turn (batched messages): every file written, results per job, pixels in slots', async () => {
    const jt = loadJpegTurbo();
    assert.ok(jt, 'the optional dependency @julusian/jpeg-turbo must load in the test environment');
    const photos = await Promise.all(['chelsea.png', 'coffee.png', 'rocket.jpg', 'horse.png'].map((n) => photoAsJpeg(n)));
    const srcs = photos.map((p, i) => {
      const f = path.join(dir, `in${i}.jpg`);
      writeFileSync(f, p);
      return f;
    });
    const bad = path.join(dir, 'bad.jpg');
    writeFileSync(bad, photos[0].subarray(0, 500));
    pool = createPreprocessWorkers(2);
    assert.ok(pool);
    const job = (i: number, src: string, wantPixels: boolean): PreprocessJob => ({ src, dest: path.join(dir, `out${i}.jpg`), size: 32, quality: 90, maxPixels: 1e8, wantPixels });
    const n = 40;
    const jobs = Array.from({ length: n }, (_, i) => job(i, i === 17 ? bad : srcs[i % srcs.length], i % 2 === 0));
    const results: PreprocessJobResult[] = await Promise.all(jobs.map((j) => pool!.run(j)));
    for (const [i, r] of results.entries()) {
      if (i === 17) {
        assert.equal(r.kind, 'fallback', 'a truncated file goes to sharp');
        continue;
      }
      assert.equal(r.kind, 'written', `job ${i}`);
      if (r.kind !== 'written') continue;
      const want = fastJpegPreprocess(jt, photos[i % photos.length], { size: 32, quality: 90, maxPixels: 1e8, wantPixels: true });
      assert.equal(want.kind, 'ok');
      if (want.kind !== 'ok' || want.pixels === undefined) continue;
      assert.deepEqual(readFileSync(jobs[i].dest), Buffer.from(want.jpeg), `job ${i}: file`);
      assert.deepEqual(r.sums, want.sums, `job ${i}: sums`);
      if (jobs[i].wantPixels) assert.deepEqual(r.pixels, want.pixels, `job ${i}: pixels`);
      else assert.equal(r.pixels, undefined);
      r.release();
    }
  });

  it('rejects a job whose output cannot be written, and resolves pending jobs as fallback on close', async () => {
    const photo = await photoAsJpeg('rocket.jpg');
    const src = path.join(dir, 'in.jpg');
    writeFileSync(src, photo);
    pool = createPreprocessWorkers(1);
    assert.ok(pool);
    const p = pool;
    await assert.rejects(p.run({ src, dest: path.join(dir, 'no-such-folder', 'x.jpg'), size: 32, quality: 90, maxPixels: 1e8, wantPixels: false }), /cannot write .*x\.jpg: ENOENT/);
    const pending = Array.from({ length: 8 }, (_, i) => p.run({ src, dest: path.join(dir, `o${i}.jpg`), size: 32, quality: 90, maxPixels: 1e8, wantPixels: true }));
    await p.close();
    for (const r of await Promise.all(pending)) assert.ok(r.kind === 'fallback' || r.kind === 'written');
    assert.equal((await p.run({ src, dest: path.join(dir, 'late.jpg'), size: 32, quality: 90, maxPixels: 1e8, wantPixels: false })).kind, 'fallback');
  });

  it('hands a FIFO (a file swapped for one since the listing) back to sharp instead of blocking a thread on its open', async () => {
    const fifo = path.join(dir, 'swapped.jpg');
    execFileSync('mkfifo', [fifo]);
    pool = createPreprocessWorkers(1);
    assert.ok(pool);
    const r = await pool.run({ src: fifo, dest: path.join(dir, 'out.jpg'), size: 32, quality: 90, maxPixels: 1e8, wantPixels: false });
    assert.equal(r.kind, 'fallback');
  });

  it('closes threads busy inside the libjpeg-turbo binding or still starting without aborting the process; no file is written after close', async () => {
    // Before: close() terminated the threads, and a thread stopped inside the binding's
    // node-addon-api code aborts the whole process (exit 134, seen once in CI at start-up).
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'fixtures', 'closeBusyPreprocessPool.ts'), '3'], {
      env: { ...process.env, RXTRAIN_NATIVE: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, err);
    const report = JSON.parse(out) as Array<{ queued: number; atClose: number; later: number; fallbacks: number }>;
    assert.equal(report.length, 3);
    for (const r of report) {
      assert.equal(r.later, r.atClose, 'a thread wrote files after close() resolved');
      assert.ok(r.atClose < r.queued, `the threads dropped their queued jobs on close (${r.atClose} of ${r.queued} written)`);
      assert.ok(r.fallbacks >= r.queued - r.atClose, 'every job not written resolved as fallback');
    }
  });
});
