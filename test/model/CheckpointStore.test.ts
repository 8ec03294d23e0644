import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/model/Checkpoint';
import { checkpointFileName, latestCheckpointHeader, openCheckpointStore, scanCheckpoints } from '../../src/model/CheckpointStore';
import { CheckpointFolderInUseError } from '../../src/model/CheckpointFolderInUseError';
import { CHECKPOINT_FOLDER_LOCK_FILE } from '../../src/model/lockCheckpointFolder';
import { sampleCheckpoint } from './fixtures/sampleCheckpoint';

describe('CheckpointStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-ckpt-')), 'checkpoints');
  });
  afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

  it('names files so that they sort by step', () => {
    assert.equal(checkpointFileName(120, 3, 0), 'ckpt-s0000000120-e0003-b000000.rxckpt');
    assert.ok(checkpointFileName(99, 9, 0) < checkpointFileName(100, 9, 1));
  });

  it('creates the directory, saves, scans the newest, keeps the last K and the best', async () => {
    const store = await openCheckpointStore(dir, { keepLast: 2, keepBest: true });
    assert.deepEqual(await store.scan(), { problems: [] });
    await store.save(sampleCheckpoint(10), { best: true });
    await store.save(sampleCheckpoint(20), { best: false });
    const last = await store.save(sampleCheckpoint(30), { best: false });
    const files = fs.readdirSync(dir).sort();
    assert.deepEqual(files, [CHECKPOINT_FOLDER_LOCK_FILE, 'best.rxckpt', path.basename(checkpointFileName(20, 2, 3)), path.basename(last)]);
    const { latest, problems } = await store.scan();
    assert.equal(latest?.checkpoint.step, 30);
    assert.equal(latest?.path, last);
    assert.deepEqual(problems, []);
  });

  it('keeps the best checkpoint as a second name of its file, not a copy, and it outlives pruning', async () => {
    const store = await openCheckpointStore(dir, { keepLast: 1, keepBest: true });
    const first = await store.save(sampleCheckpoint(10), { best: true });
    const best = path.join(dir, 'best.rxckpt');
    assert.equal(fs.statSync(best).ino, fs.statSync(first).ino, 'one file on disk');
    assert.equal(fs.statSync(first).nlink, 2);
    const bytes = fs.readFileSync(first);
    await store.save(sampleCheckpoint(20), { best: false }); // prunes `first`
    assert.equal(fs.existsSync(first), false);
    assert.deepEqual(fs.readFileSync(best), bytes);
    assert.equal(fs.statSync(best).nlink, 1);
    const third = await store.save(sampleCheckpoint(30), { best: true }); // a new best replaces it atomically
    assert.equal(fs.statSync(best).ino, fs.statSync(third).ino);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  });

  it('ensureBest makes best.rxckpt a given checkpoint when it holds an older one, and is a no-op after', async () => {
    const store = await openCheckpointStore(dir, { keepLast: 3, keepBest: true });
    await store.save(sampleCheckpoint(10), { best: true });
    const newer = await store.save(sampleCheckpoint(20), { best: false });
    const loaded = { path: newer, checkpoint: sampleCheckpoint(20) };
    assert.equal(await store.ensureBest?.(loaded), true);
    assert.equal(fs.statSync(path.join(dir, 'best.rxckpt')).ino, fs.statSync(newer).ino);
    assert.equal(await store.ensureBest?.(loaded), false);
    const noBest = await openCheckpointStore(path.join(dir, 'other'), { keepLast: 3, keepBest: false });
    const only = await noBest.save(sampleCheckpoint(30), { best: false });
    assert.equal(await noBest.ensureBest?.({ path: only, checkpoint: sampleCheckpoint(30) }), false);
    assert.equal(fs.existsSync(path.join(dir, 'other', 'best.rxckpt')), false);
  });

  it('skips a damaged newest checkpoint and says so', async () => {
    const store = await openCheckpointStore(dir, { keepLast: 3, keepBest: false });
    await store.save(sampleCheckpoint(10), { best: false });
    const newest = await store.save(sampleCheckpoint(20), { best: false });
    fs.writeFileSync(newest, fs.readFileSync(newest).subarray(0, 100));
    const { latest, problems } = await store.scan();
    assert.equal(latest?.checkpoint.step, 10);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /unusable .*falling back/);
    assert.ok(problems[0].includes(newest));
  });

  it('a run resumed before a damaged newest checkpoint keeps what it saves, and leaves the damaged one alone', async () => {
    const store = await openCheckpointStore(dir, { keepLast: 1, keepBest: false });
    const resumedFrom = await store.save(sampleCheckpoint(10), { best: false });
    const damaged = path.join(dir, checkpointFileName(90, 9, 0));
    fs.writeFileSync(damaged, 'cut short');
    assert.equal((await store.scan()).latest?.path, resumedFrom);
    const saved = await store.save(sampleCheckpoint(20), { best: false });
    assert.deepEqual(fs.readdirSync(dir).sort(), [CHECKPOINT_FOLDER_LOCK_FILE, path.basename(saved), path.basename(damaged)]);
    const { latest, problems } = await store.scan();
    assert.equal(latest?.path, saved);
    assert.equal(problems.length, 1);
  });

  it('reports, without crashing, when every checkpoint is damaged', async () => {
    const store = await openCheckpointStore(dir, { keepLast: 3, keepBest: false });
    const only = await store.save(sampleCheckpoint(10), { best: false });
    fs.writeFileSync(only, '');
    const { latest, problems } = await store.scan();
    assert.equal(latest, undefined);
    assert.equal(problems.length, 1);
  });

  it('never takes a short write for a saved checkpoint: a full disk fails the save and leaves the older ones alone', function () {
    this.timeout(60_000);
    // A file size limit makes write(2) stop short without an error, as a full disk does;
    // the limit lies between the two halves that the store writes, so only the second is cut.
    const script = `
      const fs = require('node:fs');
      const { openCheckpointStore } = require(${JSON.stringify(path.resolve(__dirname, '../../src/model/CheckpointStore'))});
      const { sampleCheckpoint } = require(${JSON.stringify(path.resolve(__dirname, 'fixtures/sampleCheckpoint'))});
      (async () => {
        const store = await openCheckpointStore(${JSON.stringify(dir)}, { keepLast: 1, keepBest: false });
        await store.save(sampleCheckpoint(10), { best: false });
        const big = sampleCheckpoint(20);
        const weights = [{ name: 'w', shape: [60000], data: new Float32Array(60000).fill(1) }];
        let error = null;
        try { await store.save({ ...big, trainer: { weights, optimizer: weights } }, { best: false }); } catch (e) { error = e.message; }
        const { latest } = await store.scan();
        console.log(JSON.stringify({ error, files: fs.readdirSync(${JSON.stringify(dir)}).sort(), latest: latest && latest.checkpoint.step }));
      })();`;
    const r = spawnSync('sh', ['-c', 'ulimit -f 300 && exec "$@"', 'sh', process.execPath, '--require', 'tsx/cjs', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { error: string | null; files: string[]; latest: number };
    assert.match(out.error ?? '(the save succeeded)', /^cannot write checkpoint .*ckpt-s0000000020-e0002-b000003\.rxckpt: .*EFBIG.*already on disk are intact/);
    assert.deepEqual(out.files, [CHECKPOINT_FOLDER_LOCK_FILE, checkpointFileName(10, 2, 3)], 'no truncated checkpoint under a real name, no temp file left, and nothing pruned');
    assert.equal(out.latest, 10);
  });

  /** A checkpoint of several write pieces (8 MB each): 2 × 24 MB of tensors. */
  const largeCheckpoint = (step: number): Checkpoint => {
    const weights = [{ name: 'w', shape: [6 << 20], data: new Float32Array(6 << 20).fill(0.5) }];
    return { ...sampleCheckpoint(step), trainer: { weights, optimizer: weights } };
  };

  it('writes a checkpoint without holding the event loop: what was scheduled as the save began runs while the file is still being written', async () => {
    const store = await openCheckpointStore(dir, { keepLast: 1, keepBest: false });
    const ck = largeCheckpoint(20);
    const file = path.join(dir, checkpointFileName(20, 2, 3));
    const order: string[] = [];
    let seen: { readonly inPlace: boolean; readonly writing: unknown } | undefined;
    const saved = store.save(ck, { best: false }).then((p) => (order.push('saved'), p));
    setImmediate(() => {
      order.push('immediate');
      seen = { inPlace: fs.existsSync(file), writing: store.writing };
    });
    assert.equal(await saved, file);
    assert.deepEqual(order, ['immediate', 'saved']);
    assert.deepEqual(seen, { inPlace: false, writing: { step: 20, epoch: 2, batch: 3 } }, 'the write was under way, not done');
    assert.equal(store.writing, undefined);
    assert.deepEqual(fs.readFileSync(file), encodeCheckpoint(ck), 'the bytes encodeCheckpoint gives');
  });

  it('writes saves one at a time, in call order: one called during another waits for it', async () => {
    const store = await openCheckpointStore(dir, { keepLast: 2, keepBest: true });
    const first = store.save(largeCheckpoint(20), { best: true });
    const second = store.save(sampleCheckpoint(30), { best: false });
    // Looked at on every turn of the event loop, which each step of a write (open, write, fsync,
    // rename…) waits for.
    const writing: number[] = [];
    let mostTemps = 0;
    let sampling = true;
    const sample = (): void => {
      const step = store.writing?.step;
      if (step !== undefined && writing.at(-1) !== step) writing.push(step);
      mostTemps = Math.max(mostTemps, fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')).length);
      if (sampling) setImmediate(sample);
    };
    setImmediate(sample);
    const done: number[] = [];
    await Promise.all([first.then(() => done.push(20)), second.then(() => done.push(30))]);
    sampling = false;
    assert.deepEqual(writing, [20, 30]);
    assert.equal(mostTemps, 1, 'never two files being written at once');
    assert.deepEqual(done, [20, 30]);
    assert.equal((await store.scan()).latest?.checkpoint.step, 30);
    assert.equal(decodeCheckpoint(fs.readFileSync(path.join(dir, 'best.rxckpt'))).step, 20);
  });

  /** Turns the event loop until `store` has a save's temp file on disk, being written. */
  const untilWriting = async (store: { readonly writing?: unknown }): Promise<void> => {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (fs.readdirSync(dir).some((f) => f.startsWith('.ckpt-') && f.endsWith('.tmp'))) return;
      assert.notEqual(store.writing, undefined, 'the save is still under way');
    }
  };

  it('a store closed while a save is being written keeps the folder locked until that file is in place, then gives the lock back; saves waiting their turn are refused', async () => {
    const lockPath = path.join(dir, CHECKPOINT_FOLDER_LOCK_FILE);
    const store = await openCheckpointStore(dir, { keepLast: 2, keepBest: true });
    const saving = store.save(largeCheckpoint(20), { best: true });
    const waiting = store.save(sampleCheckpoint(30), { best: false });
    await untilWriting(store);
    store.close?.();
    // Given back now, another process could open the folder and remove the temp file being written.
    assert.equal(JSON.parse(fs.readFileSync(lockPath, 'utf8')).pid, process.pid, 'still held while the file is written');
    assert.equal(await saving, path.join(dir, checkpointFileName(20, 2, 3)));
    await assert.rejects(waiting, /checkpoint store .* is closed/);
    assert.equal(fs.existsSync(lockPath), false, 'given back once the write is done');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['best.rxckpt', checkpointFileName(20, 2, 3)]);
    assert.equal(decodeCheckpoint(fs.readFileSync(path.join(dir, 'best.rxckpt'))).step, 20);
  });

  it('opening the folder again while this process writes a save there leaves that save\'s temp file alone: it is no crash\'s leftover', async () => {
    const store = await openCheckpointStore(dir, { keepLast: 2, keepBest: false });
    const saving = store.save(largeCheckpoint(20), { best: false });
    await untilWriting(store);
    const again = await openCheckpointStore(dir, { keepLast: 2, keepBest: false });
    assert.deepEqual(again.removedTempFiles, []);
    assert.equal(await saving, path.join(dir, checkpointFileName(20, 2, 3)));
    assert.equal((await again.scan()).latest?.checkpoint.step, 20);
    store.close?.();
    again.close?.();
  });

  it('a write that fails part-way fails the save as before: the previous checkpoint still loads, its temp file goes, nothing is pruned, and the next save goes ahead', async () => {
    const store = await openCheckpointStore(dir, { keepLast: 1, keepBest: true });
    const good = await store.save(sampleCheckpoint(10), { best: true });
    // The third write of the file fails (an I/O error), after two pieces are on disk.
    const probe = await fs.promises.open(path.join(path.dirname(dir), 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<unknown> };
    await probe.close();
    const write = proto.write;
    let calls = 0;
    proto.write = function (this: unknown, ...args: unknown[]) {
      calls += 1;
      return calls === 3 ? Promise.reject(Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' })) : write.apply(this, args);
    };
    try {
      await assert.rejects(store.save(largeCheckpoint(20), { best: true }), (e: Error) => {
        assert.equal(e.message, `cannot write checkpoint ${path.join(dir, checkpointFileName(20, 2, 3))}: EIO: i/o error, write (the checkpoints already on disk are intact)`);
        return true;
      });
    } finally {
      proto.write = write;
    }
    assert.equal(calls, 3);
    assert.deepEqual(fs.readdirSync(dir).sort(), [CHECKPOINT_FOLDER_LOCK_FILE, 'best.rxckpt', path.basename(good)]);
    assert.equal((await store.scan()).latest?.checkpoint.step, 10);
    assert.equal(decodeCheckpoint(fs.readFileSync(path.join(dir, 'best.rxckpt'))).step, 10);
    assert.equal(store.writing, undefined);
    assert.equal((await store.save(sampleCheckpoint(30), { best: false })).endsWith(checkpointFileName(30, 2, 3)), true);
  });

  it('a save into a folder deleted during the run says that the folder is gone, not that the checkpoints on disk are intact', async () => {
    const store = await openCheckpointStore(dir, { keepLast: 2, keepBest: false });
    await store.save(sampleCheckpoint(10), { best: false });
    fs.rmSync(dir, { recursive: true });
    await assert.rejects(store.save(sampleCheckpoint(20), { best: false }), (e: Error) => {
      assert.ok(e.message.startsWith(`cannot write checkpoint ${path.join(dir, checkpointFileName(20, 2, 3))}: ENOENT: `), e.message);
      assert.ok(e.message.endsWith(`: the folder ${dir} is gone (deleted or moved during the run), and with it this run's checkpoints`), e.message);
      return true;
    });
    store.close?.();
  });

  it('where the file system makes no hard links, best.rxckpt is a complete copy', async () => {
    const store = await openCheckpointStore(dir, { keepLast: 2, keepBest: true });
    const link = fs.promises.link;
    fs.promises.link = () => Promise.reject(Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' }));
    let saved: string;
    try {
      saved = await store.save(largeCheckpoint(20), { best: true });
    } finally {
      fs.promises.link = link;
    }
    const best = path.join(dir, 'best.rxckpt');
    assert.notEqual(fs.statSync(best).ino, fs.statSync(saved).ino);
    assert.deepEqual(fs.readFileSync(best), fs.readFileSync(saved));
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  });

  it('removes temp files a crash left behind, and never lists them', async () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, '.ckpt-s0000000050-e0001-b000000.rxckpt.123.tmp'), 'half');
    const store = await openCheckpointStore(dir, { keepLast: 3, keepBest: false });
    assert.deepEqual(fs.readdirSync(dir), [CHECKPOINT_FOLDER_LOCK_FILE]);
    assert.equal((await store.scan()).latest, undefined);
  });

  it('reports the temp files it removed: what each was a write of, and how much of it was written', async () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, '.ckpt-s0000000050-e0001-b000000.rxckpt.123.tmp'), 'half');
    fs.writeFileSync(path.join(dir, '.best.rxckpt.123.tmp'), 'linked');
    fs.writeFileSync(path.join(dir, '.other.tmp'), '');
    const store = await openCheckpointStore(dir, { keepLast: 3, keepBest: false });
    const byPath = [...(store.removedTempFiles ?? [])].sort((a, b) => a.path.localeCompare(b.path));
    assert.deepEqual(byPath, [
      { path: path.join(dir, '.best.rxckpt.123.tmp'), bytes: 6, of: 'best' },
      { path: path.join(dir, '.ckpt-s0000000050-e0001-b000000.rxckpt.123.tmp'), bytes: 4, of: { step: 50, epoch: 1, batch: 0 } },
      { path: path.join(dir, '.other.tmp'), bytes: 0 },
    ]);
    assert.deepEqual((await openCheckpointStore(dir, { keepLast: 3, keepBest: false })).removedTempFiles, [], 'nothing left to remove the second time');
  });

  it('rejects keepLast < 1', async () => {
    await assert.rejects(openCheckpointStore(dir, { keepLast: 0, keepBest: false }), /keepLast must be a positive integer/);
  });

  it('latestCheckpointHeader: the newest checkpoint whose header reads, read without its tensors, passing over newer ones as a resume does; undefined without one', async () => {
    assert.equal(await latestCheckpointHeader(dir), undefined, 'no folder');
    fs.mkdirSync(dir);
    assert.equal(await latestCheckpointHeader(dir), undefined, 'no checkpoint');
    const ck = sampleCheckpoint();
    const at = (step: number): string => path.join(dir, checkpointFileName(step, 1, 0));
    fs.writeFileSync(at(1), encodeCheckpoint({ ...ck, step: 1 }));
    fs.writeFileSync(at(2), encodeCheckpoint({ ...ck, step: 2 }));
    fs.writeFileSync(at(3), 'not a checkpoint');
    fs.writeFileSync(path.join(dir, 'best.rxckpt'), encodeCheckpoint({ ...ck, step: 9 }));
    const latest = await latestCheckpointHeader(dir);
    assert.equal(latest?.path, at(2));
    assert.equal(latest?.header.step, 2);
  });

  describe('one writer per folder', function () {
    this.timeout(60_000);
    const HOLDER = path.resolve(__dirname, 'fixtures/storeHolder.ts');
    const holders: ChildProcessWithoutNullStreams[] = [];
    afterEach(() => {
      for (const h of holders.splice(0)) if (h.exitCode === null && h.signalCode === null) h.kill('SIGKILL');
    });

    /** Another process that opens a store in `dir`; resolves once it has (or was refused), with what it printed. */
    async function holder(): Promise<{ readonly proc: ChildProcessWithoutNullStreams; readonly said: string; next(): Promise<string> }> {
      const proc = spawn(process.execPath, ['--require', 'tsx/cjs', HOLDER, dir], { cwd: path.resolve(__dirname, '../..') });
      holders.push(proc);
      const lines: string[] = [];
      const waiting: Array<(line: string) => void> = [];
      let buf = '';
      let err = '';
      proc.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
      proc.stdout.on('data', (c: Buffer) => {
        buf += c.toString('utf8');
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const w = waiting.shift();
          if (w === undefined) lines.push(line);
          else w(line);
        }
      });
      const next = (): Promise<string> =>
        lines.length > 0
          ? Promise.resolve(lines.shift() ?? '')
          : new Promise((resolve, reject) => {
              waiting.push(resolve);
              proc.on('exit', (code) => reject(new Error(`holder exited (${code}) saying nothing more: ${err}`)));
            });
      return { proc, said: await next(), next };
    }

    function exited(proc: ChildProcessWithoutNullStreams): Promise<void> {
      return proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise((resolve) => proc.on('exit', () => resolve()));
    }

    it('refuses to open a folder another process has open for writing, naming it, until that one closes it; reading is never blocked', async () => {
      const other = await holder();
      assert.equal(other.said, 'open');
      await assert.rejects(openCheckpointStore(dir, { keepLast: 1, keepBest: false }), (e: unknown) => {
        assert.ok(e instanceof CheckpointFolderInUseError, String(e));
        assert.equal(e.holder?.pid, other.proc.pid);
        assert.equal(e.holder?.host, os.hostname());
        assert.equal(e.elsewhere, false);
        assert.match(e.message, new RegExp(`^checkpoint folder .* is open for writing by another process \\(pid ${other.proc.pid}, since \\d{4}-\\d\\d-\\d\\dT[^)]+\\); wait for it or stop it`));
        return true;
      });
      // Neither pruned nor cut short by the refused open: what the other process saved is there, and readable meanwhile.
      assert.equal((await scanCheckpoints(dir)).latest?.checkpoint.step, 10);
      assert.equal((await latestCheckpointHeader(dir))?.header.step, 10);
      // A second refused process says the same.
      const third = await holder();
      assert.match(third.said, new RegExp(`^refused CheckpointFolderInUseError: checkpoint folder .* \\(pid ${other.proc.pid}, since `));
      // The opt-out: whoever says it sees to one writer at a time.
      const unlocked = await openCheckpointStore(dir, { keepLast: 5, keepBest: false, lock: false });
      assert.equal((await unlocked.scan()).latest?.checkpoint.step, 10);
      other.proc.stdin.write('close\n');
      assert.equal(await other.next(), 'closed');
      assert.equal(fs.existsSync(path.join(dir, CHECKPOINT_FOLDER_LOCK_FILE)), false, 'closing gives the lock back');
      const mine = await openCheckpointStore(dir, { keepLast: 1, keepBest: false });
      mine.close?.();
      other.proc.stdin.end();
      await exited(other.proc);
    });

    it('takes over the lock of a process that was killed, and one that exited without closing leaves none', async () => {
      const killed = await holder();
      assert.equal(killed.said, 'open');
      killed.proc.kill('SIGKILL');
      await exited(killed.proc);
      const lockPath = path.join(dir, CHECKPOINT_FOLDER_LOCK_FILE);
      assert.equal(JSON.parse(fs.readFileSync(lockPath, 'utf8')).pid, killed.proc.pid, 'a kill -9 leaves its lock');
      const store = await openCheckpointStore(dir, { keepLast: 1, keepBest: false });
      assert.equal(JSON.parse(fs.readFileSync(lockPath, 'utf8')).pid, process.pid, 'taken over');
      assert.equal(store.lockTakeover?.file, lockPath);
      assert.equal(store.lockTakeover?.holder?.pid, killed.proc.pid, 'and says from whom');
      const sharing = await openCheckpointStore(dir, { keepLast: 1, keepBest: false });
      assert.equal(sharing.lockTakeover, undefined, 'a store sharing this process\'s lock took nothing over');
      sharing.close?.();
      assert.equal((await holder()).said.startsWith(`refused CheckpointFolderInUseError: checkpoint folder ${dir} is open for writing by another process (pid ${process.pid}, `), true);
      store.close?.();
      const ended = await holder();
      assert.equal(ended.said, 'open');
      ended.proc.stdin.end();
      await exited(ended.proc);
      assert.equal(fs.existsSync(lockPath), false, 'the exit released it');
    });
  });

  it('stores of one process share its lock of a folder: it goes when the last one closes, and a closed store refuses to save', async () => {
    const lockPath = path.join(dir, CHECKPOINT_FOLDER_LOCK_FILE);
    const first = await openCheckpointStore(dir, { keepLast: 2, keepBest: false });
    const resumed = await openCheckpointStore(dir, { keepLast: 2, keepBest: false });
    first.close?.();
    first.close?.();
    assert.equal(JSON.parse(fs.readFileSync(lockPath, 'utf8')).pid, process.pid, 'still held for the other store');
    await assert.rejects(first.save(sampleCheckpoint(10), { best: false }), /checkpoint store .* is closed: open it again to write there/);
    await resumed.save(sampleCheckpoint(20), { best: false });
    resumed.close?.();
    assert.equal(fs.existsSync(lockPath), false);
    assert.deepEqual(fs.readdirSync(dir), [checkpointFileName(20, 2, 3)]);
  });
});
