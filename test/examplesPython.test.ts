import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Subject } from 'rxjs';
import { serveTelemetry } from '../src/telemetry/serveTelemetry';
import type { TelemetryServer } from '../src/telemetry/TelemetryServer';
import { INITIALISED_FRESH_MAX } from '../src/telemetry/toProtoEvent';
import { DEFAULT_RUN_ID, type TrainEvent } from '../src/telemetry/TrainEvent';
import { batchEnd, REPO_ROOT, selfSignedCert, tcpProxy, until } from './telemetry/telemetryTestKit';

/**
 * The example beside Python stubs of the proto without the lines `field` matches: what a
 * client built before that field runs. The caller removes the folder.
 */
function stubsWithout(field: RegExp): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-py-old-'));
  const text = fs.readFileSync(path.join(REPO_ROOT, 'proto', 'telemetry.proto'), 'utf8');
  fs.writeFileSync(path.join(dir, 'telemetry.proto'), text.split('\n').filter((l) => !field.test(l)).join('\n'));
  execFileSync('protoc', ['-I', dir, `--python_out=${dir}`, `--grpc_out=${dir}`, '--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin', path.join(dir, 'telemetry.proto')]);
  fs.copyFileSync(path.join(REPO_ROOT, 'examples', 'python', 'watch_run.py'), path.join(dir, 'watch_run.py'));
  return dir;
}

/**
 * examples/python/watch_run.py, run as the README says (system python3 with python3-grpcio,
 * stubs made by protoc and grpc_python_plugin), against real servers.
 */
describe('examples/python/watch_run.py', function () {
  this.timeout(60000);
  let dir: string | undefined;
  let server: TelemetryServer | undefined;

  // The python3 on PATH (a pyenv, a venv) may lack grpcio that the system's has.
  let python = 'python3';
  let systemHasGrpc = false;

  before(() => {
    const hasGrpc = (py: string): boolean => {
      try {
        execFileSync(py, ['-c', 'import grpc, google.protobuf'], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    };
    python = ['python3', '/usr/bin/python3'].find(hasGrpc) ?? '';
    systemHasGrpc = hasGrpc('/usr/bin/python3');
    try {
      if (python === '') throw new Error('no python3 with grpc');
      execFileSync('protoc', ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error('this test needs python3 with grpcio and protobuf, and protoc with grpc_python_plugin '
        + '(apt-get install python3-grpcio python3-protobuf protobuf-compiler protobuf-compiler-grpc)');
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-py-'));
    fs.copyFileSync(path.join(REPO_ROOT, 'examples', 'python', 'watch_run.py'), path.join(dir, 'watch_run.py'));
    execFileSync('protoc', ['-I', path.join(REPO_ROOT, 'proto'), `--python_out=${dir}`, `--grpc_out=${dir}`,
      '--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin', path.join(REPO_ROOT, 'proto', 'telemetry.proto')]);
  });
  after(() => {
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await server?.shutdown();
    server = undefined;
  });

  /**
   * Runs the example; `firstLines` > 0 closes its stdout after that many lines, as `| head -N`
   * does. GRPC_VERBOSITY is left unset (the example picks its default) unless `env` sets it.
   */
  function watch(args: readonly string[], firstLines = 0, env: Record<string, string> = {}, from = dir, live?: { out: string }): Promise<{ code: number | null; out: string; err: string }> {
    return new Promise((resolve) => {
      const { GRPC_VERBOSITY: _, ...inherited } = process.env;
      const child = spawn(python, [path.join(from ?? '', 'watch_run.py'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...inherited, ...env } });
      let out = '';
      let err = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (live !== undefined) live.out = out;
        if (firstLines > 0 && out.split('\n').length > firstLines) child.stdout.destroy();
      });
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, out, err });
      });
    });
  }

  /**
   * What the example printed for a whole run of `sent` (the server ends it), watching `kinds`
   * with the stubs and script in `from`: one server each, shut down after.
   */
  async function watchRun(sent: readonly TrainEvent[], kinds: string, from: string | undefined): Promise<string> {
    const events = new Subject<TrainEvent>();
    server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0' });
    for (const e of sent) events.next(e);
    const r = watch([server.address, '--kinds', kinds], 0, {}, from);
    await until(() => server?.subscribers === 1, 20000, 'the example subscribed');
    events.complete();
    const got = await r;
    await server.shutdown();
    server = undefined;
    assert.equal(got.code, 0, got.err);
    return got.out;
  }

  it('stops quietly with exit 0 when the reader of its stdout goes away (| head -1)', async () => {
    const events = new Subject<TrainEvent>();
    server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0' });
    for (let i = 0; i < 3; i += 1) events.next(batchEnd());
    const r = watch([server.address], 1);
    // Keep events coming so that the example writes to the closed pipe.
    const tick = setInterval(() => events.next(batchEnd()), 50);
    const got = await r.finally(() => clearInterval(tick));
    assert.equal(got.code, 0, got.err);
    assert.doesNotMatch(got.err, /Traceback|BrokenPipeError/);
  });

  it('shows the run status, learning-rate changes and how training ended by their names without the enum prefix', async () => {
    const events = new Subject<TrainEvent>();
    server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0' });
    events.next({ kind: 'TrainBegin', time: Date.now(), epoch: 0, step: 0, runId: 'r', backend: 'wasm', threads: 1, replicas: 1, epochs: 3, stepsPerEpoch: 4, config: {} });
    events.next({ kind: 'LrChanged', time: Date.now(), epoch: 1, step: 4, from: 0.01, to: 0.001 });
    // Kinds as the README spells them, and by their full proto names.
    const r = watch([server.address, '--kinds', 'LR_CHANGED,EVENT_KIND_TRAIN_END']);
    await until(() => server?.subscribers === 1, 20000, 'the example subscribed');
    events.next({ kind: 'TrainEnd', time: Date.now(), epoch: 2, step: 8, reason: 'early-stop', durationMs: 1500 });
    events.complete();
    const got = await r;
    assert.equal(got.code, 0, got.err);
    // Epochs 1-based, as rxtrain monitor shows them; TrainEnd's own epoch is the cursor (2, after
    // LrChanged's epoch 1 ended), which the monitor shows as the epoch last done.
    assert.match(got.out, /^run r: RUNNING, 3 epochs, step 4, events 1\.\.2\n/);
    assert.doesNotMatch(got.out, /train_begin/, '--kinds filters');
    assert.match(got.out, /\n2 epoch 2\/3 lr_changed 0\.01 -> 0\.001\n/);
    assert.match(got.out, /\n3 epoch 2\/3 train_end EARLY_STOPPED after 1\.5s\n/);
  });

  it('stops with exit 1 and a hint on what retrying cannot fix: TLS on the client only, a certificate for other names or not signed by --ca', async () => {
    const tls = await selfSignedCert(['DNS:gpu-box']);
    const other = await selfSignedCert(['DNS:gpu-box']);
    try {
      const plain = await serveTelemetry(new Subject<TrainEvent>(), { runId: 'r', address: '127.0.0.1:0' });
      try {
        const r = await watch([plain.address, '--ca', tls.cert, '--server-name', 'gpu-box']);
        assert.equal(r.code, 1, r.err);
        assert.match(r.err, new RegExp(`the server at ${plain.address} does not speak TLS: drop --ca`));
      } finally {
        await plain.shutdown();
      }
      const events = new Subject<TrainEvent>();
      server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0', tls: { cert: tls.cert, key: tls.key } });
      const byIp = await watch([server.address, '--ca', tls.cert]);
      assert.equal(byIp.code, 1, byIp.err);
      assert.match(byIp.err, /the certificate is not for 127\.0\.0\.1: pass --server-name/);
      const wrongCa = await watch([server.address, '--ca', other.cert, '--server-name', 'gpu-box']);
      assert.equal(wrongCa.code, 1, wrongCa.err);
      assert.equal(wrongCa.err, `the server's certificate is not signed by ${other.cert}: pass the CA that signed it, or the server's own certificate if it is self-signed, as --ca\n`,
        "only the example's own words: grpc's handshake log line stays off the terminal");
      // Asked for, grpc's own lines are there too.
      const verbose = await watch([server.address, '--ca', other.cert, '--server-name', 'gpu-box'], 0, { GRPC_VERBOSITY: 'ERROR' });
      assert.match(verbose.err, /Handshake failed/);
      // Plaintext against TLS: grpc says only "Socket closed"; the example tries a TLS handshake and says so.
      const noCa = await watch([server.address]);
      assert.equal(noCa.code, 1, noCa.err);
      assert.match(noCa.err, new RegExp(`^the server at ${server.address} speaks TLS: add --tls \\(and --ca FILE if its certificate is self-signed\\)\n$`));
      const tick = setInterval(() => events.next(batchEnd()), 50);
      const ok = await watch([server.address, '--ca', tls.cert, '--server-name', 'gpu-box'], 2).finally(() => clearInterval(tick));
      assert.match(ok.out, /^run r: /, ok.err); // with the right flags it connects
      const usage = await watch([server.address, '--server-name', 'gpu-box']);
      assert.equal(usage.code, 2);
      assert.match(usage.err, /--server-name .* needs --tls or --ca/);
    } finally {
      fs.rmSync(tls.dir, { recursive: true, force: true });
      fs.rmSync(other.dir, { recursive: true, force: true });
    }
  });

  it('--tls without --ca verifies with the system\'s root CAs, and says what to change when they do not trust the server', async () => {
    const tls = await selfSignedCert(['DNS:gpu-box']);
    try {
      const plain = await serveTelemetry(new Subject<TrainEvent>(), { runId: 'r', address: '127.0.0.1:0' });
      try {
        const r = await watch([plain.address, '--tls']);
        assert.equal(r.code, 1, r.err);
        assert.equal(r.err, `the server at ${plain.address} does not speak TLS: drop --tls\n`);
      } finally {
        await plain.shutdown();
      }
      const events = new Subject<TrainEvent>();
      server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0', tls: { cert: tls.cert, key: tls.key } });
      const untrusted = await watch([server.address, '--tls', '--server-name', 'gpu-box']);
      assert.equal(untrusted.code, 1, untrusted.err);
      assert.equal(untrusted.err, "the server's certificate is not trusted: pass its CA, or the certificate itself if it is self-signed, as --ca FILE\n");
      // The system's roots, as grpc finds them: here a root file that holds the server's certificate.
      const tick = setInterval(() => events.next(batchEnd()), 50);
      const ok = await watch([server.address, '--tls', '--server-name', 'gpu-box'], 2, { GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: tls.cert }).finally(() => clearInterval(tick));
      assert.match(ok.out, /^run r: /, ok.err);
    } finally {
      fs.rmSync(tls.dir, { recursive: true, force: true });
    }
  });

  it('--wait SECONDS: one line while it waits, then exit 3 and why once nothing answered for that long; a server that answers keeps it watching', async () => {
    const gone = await serveTelemetry(new Subject<TrainEvent>(), { runId: 'r', address: '127.0.0.1:0' });
    await gone.shutdown(); // its port: nothing listens there now
    const r = await watch([gone.address, '--wait', '1']);
    assert.equal(r.code, 3, r.err);
    // One line while it waits, however many times it retried (as rxtrain monitor's view shows
    // the waiting in place), then why it gave up.
    assert.deepEqual(r.err.trimEnd().split('\n'), [
      `nothing listens on ${gone.address} yet — is training running, and serving on ${gone.address.split(':')[1]}, not its default 50051? retrying for up to 1s (--wait)`,
      `nothing answered at ${gone.address} for 1s (--wait): training has not started there (is it serving on ${gone.address.split(':')[1]}, not its default 50051?), or it ended before this watcher connected`,
    ]);
    assert.equal(r.out, '');

    const events = new Subject<TrainEvent>();
    server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0' });
    const quiet = watch([server.address, '--wait', '0.5']);
    await until(() => server?.subscribers === 1, 20000, 'the example subscribed');
    // Longer than --wait without an event: the server answered, so it goes on watching.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    events.next({ kind: 'TrainEnd', time: Date.now(), epoch: 1, step: 4, reason: 'completed', durationMs: 10 });
    events.complete();
    const got = await quiet;
    assert.equal(got.code, 0, got.err);
    assert.match(got.out, /\n1 epoch 1 train_end COMPLETED after 10ms\n/);
  });

  it('run by a python3 without grpcio (a venv, pyenv) while /usr/bin/python3 has it, names the command to run instead', () => {
    const venv = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-venv-'));
    try {
      // A python3 that sees no dist-packages, as a pyenv or venv one first on PATH does.
      execFileSync(python, ['-m', 'venv', '--without-pip', venv]);
      const r = spawnSync(path.join(venv, 'bin', 'python3'), [path.join(dir ?? '', 'watch_run.py'), 'gpu-box:50051', '--kinds', 'EPOCH_END'], { encoding: 'utf8' });
      assert.equal(r.status, 1);
      assert.equal(r.stderr.trimEnd(), systemHasGrpc
        ? `No module named 'grpc' in ${path.join(venv, 'bin', 'python3')}, but /usr/bin/python3 has it (Debian's python3-grpcio): run /usr/bin/python3 ${path.join(dir ?? '', 'watch_run.py')} gpu-box:50051 --kinds EPOCH_END`
        : `No module named 'grpc': install grpcio and generate the stubs first (see the top of ${path.join(dir ?? '', 'watch_run.py')})`);
    } finally {
      fs.rmSync(venv, { recursive: true, force: true });
    }
  });

  it('--wait on a host name that does not resolve asks about the name, in its own words rather than C-ares\'s', async () => {
    const r = await watch(['no-such-host.invalid:50051', '--wait', '1']);
    assert.equal(r.code, 3, r.err);
    assert.deepEqual(r.err.trimEnd().split('\n'), [
      'cannot resolve no-such-host.invalid — is the host name right? retrying for up to 1s (--wait)',
      'nothing answered at no-such-host.invalid:50051 for 1s (--wait): cannot resolve no-such-host.invalid — is the host name right?',
    ]);
  });

  it("starts its first line without GetRun's epoch, which after an epoch's end is already the next one: the events say the epoch as rxtrain monitor shows it", async () => {
    const events = new Subject<TrainEvent>();
    server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0' });
    events.next({ kind: 'TrainBegin', time: Date.now(), epoch: 0, step: 0, runId: 'r', backend: 'wasm', threads: 1, replicas: 1, epochs: 3, stepsPerEpoch: 4, config: {} });
    events.next({ kind: 'EpochEnd', time: Date.now(), epoch: 0, step: 4, trainLoss: 1, trainAccuracy: 0.5, lr: 0.01, durationMs: 10 });
    // Epoch 1 ended: its checkpoint carries the training cursor, epoch 2 (0-based 1).
    events.next({ kind: 'CheckpointSaved', time: Date.now(), epoch: 1, step: 4, path: 'ckpt-1', best: true });
    const r = watch([server.address]);
    await until(() => server?.subscribers === 1, 20000, 'the example subscribed');
    events.complete();
    const got = await r;
    assert.equal(got.code, 0, got.err);
    assert.equal(got.out.split('\n')[0], 'run r: RUNNING, 3 epochs, step 4, events 1..3');
    assert.match(got.out, /\n3 epoch 1\/3 checkpoint_saved ckpt-1 \(best so far\)\n/);
  });

  it("names an unnamed run (DEFAULT_RUN_ID) as rxtrain monitor does: 'run: RUNNING, …', not 'run run: …'", async () => {
    const events = new Subject<TrainEvent>();
    server = await serveTelemetry(events, { runId: DEFAULT_RUN_ID, address: '127.0.0.1:0' });
    events.next({ kind: 'TrainBegin', time: Date.now(), epoch: 0, step: 0, runId: DEFAULT_RUN_ID, backend: 'wasm', threads: 1, replicas: 1, epochs: 3, stepsPerEpoch: 4, config: {} });
    const r = watch([server.address]);
    await until(() => server?.subscribers === 1, 20000, 'the example subscribed');
    events.complete();
    const got = await r;
    assert.equal(got.code, 0, got.err);
    assert.equal(got.out.split('\n')[0], 'run: RUNNING, 3 epochs, step 0, events 1..1');
  });

  it('after a training restart (killed, resumed in a new process) says where training resumed, in the words of rxtrain monitor', async function () {
    this.timeout(60000);
    const first = new Subject<TrainEvent>();
    server = await serveTelemetry(first, { runId: 'r', address: '127.0.0.1:0' });
    const proxy = await tcpProxy(server.address);
    let second: TelemetryServer | undefined;
    try {
      first.next({ kind: 'TrainBegin', time: Date.now(), epoch: 0, step: 0, runId: 'r', backend: 'wasm', threads: 1, replicas: 1, epochs: 2, stepsPerEpoch: 4, config: {} });
      first.next({ kind: 'EpochEnd', time: Date.now(), epoch: 0, step: 4, trainLoss: 1, trainAccuracy: 0.5, lr: 0.01, durationMs: 10 });
      const live = { out: '' };
      const r = watch([proxy.address], 0, {}, dir, live);
      // Its events seen: a watcher cut off before any knows of no earlier run to say restarted.
      await until(() => /epoch_end/.test(live.out), 20000, 'the example showed the first run');
      // Killed: its connections reset, nothing serves there; then the resumed process does.
      proxy.retarget('127.0.0.1:1');
      proxy.cut();
      await server.shutdown();
      server = undefined;
      const next = new Subject<TrainEvent>();
      second = await serveTelemetry(next, { runId: 'r', address: '127.0.0.1:0' });
      next.next({ kind: 'TrainBegin', time: Date.now(), epoch: 1, step: 4, runId: 'r', backend: 'wasm', threads: 1, replicas: 1, epochs: 2, stepsPerEpoch: 4, config: {}, resumedFrom: 'runs/a/ckpt-1' });
      proxy.retarget(second.address);
      await until(() => second?.subscribers === 1, 20000, 'the example back');
      next.complete();
      const got = await r;
      assert.equal(got.code, 0, got.err);
      assert.match(got.err, /\ntraining restarted: resumed at epoch 2\/2 step 4 from runs\/a\/ckpt-1\n/);
      assert.doesNotMatch(got.err, /server restarted/);
      assert.match(got.out, /\n1 epoch 2\/2 train_begin 2 epochs x 4 steps, wasm, resumed from runs\/a\/ckpt-1\n/);
    } finally {
      await second?.shutdown();
      await proxy.close();
    }
  });

  it("prints a resumed run's earlier epochs under its train_begin line (TrainBegin.history)", async () => {
    const events = new Subject<TrainEvent>();
    server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0' });
    const history = [0, 1].map((epoch) => ({ epoch, trainLoss: 2 - epoch / 2, trainAccuracy: 0.25 + epoch / 4, ...(epoch === 1 ? { valLoss: 1.25, valAccuracy: 0.625 } : {}), lr: 0.01, durationMs: 1000 }));
    events.next({ kind: 'TrainBegin', time: Date.now(), epoch: 2, step: 8, runId: 'r', backend: 'wasm', threads: 1, replicas: 1, epochs: 3, stepsPerEpoch: 4, config: {}, resumedFrom: 'ckpt-2', history });
    // A path with a line break stays on its event's line, quoted.
    events.next({ kind: 'CheckpointSaved', time: Date.now(), epoch: 2, step: 9, path: 'runs/new\nline/ckpt-3', best: true });
    const r = watch([server.address, '--kinds', 'TRAIN_BEGIN,CHECKPOINT_SAVED']);
    await until(() => server?.subscribers === 1, 20000, 'the example subscribed');
    events.complete();
    const got = await r;
    assert.equal(got.code, 0, got.err);
    assert.match(got.out, /\n1 epoch 3\/3 train_begin 3 epochs x 4 steps, wasm, resumed from ckpt-2\n {2}history epoch 1\/3 train_loss 2\.0000 train_acc 0\.2500 lr 0\.01\n {2}history epoch 2\/3 train_loss 1\.5000 train_acc 0\.5000 val_acc 0\.6250 lr 0\.01\n/);
    assert.match(got.out, /\n2 epoch 3\/3 checkpoint_saved "runs\/new\\nline\/ckpt-3" \(best so far\)\n/);
  });

  it("marks an epoch's last BatchEnd (BatchEnd.last_of_epoch), also with stubs built before the field", async () => {
    const oldDir = stubsWithout(/last_of_epoch = \d+;/);
    try {
      const sent: TrainEvent[] = [
        { kind: 'BatchEnd', time: Date.now(), epoch: 0, step: 2, batch: 1, batchSize: 8, loss: 1.5, accuracy: 0.5, imagesPerSec: 100 },
        { kind: 'BatchEnd', time: Date.now(), epoch: 0, step: 3, batch: 2, batchSize: 8, loss: 1.25, accuracy: 0.5, imagesPerSec: 100, lastOfEpoch: true },
      ];
      const current = await watchRun(sent, 'BATCH_END', dir);
      assert.match(current, /batch_end batch 1 loss 1\.5000 100 img\/s\n/);
      assert.match(current, /batch_end batch 2 loss 1\.2500 100 img\/s \(the epoch's last\)\n/);
      const old = await watchRun(sent, 'BATCH_END', oldDir);
      assert.match(old, /batch_end batch 2 loss 1\.2500 100 img\/s\n/);
    } finally {
      fs.rmSync(oldDir, { recursive: true, force: true });
    }
  });

  it('prints validation progress (ValidationProgress), and stubs built before the message skip it', async () => {
    const oldDir = stubsWithout(/validation_progress = \d+;|EVENT_KIND_VALIDATION_PROGRESS = \d+;/);
    try {
      const sent: TrainEvent[] = [
        { kind: 'BatchEnd', time: Date.now(), epoch: 0, step: 4, batch: 3, batchSize: 8, loss: 1.25, accuracy: 0.5, imagesPerSec: 100, lastOfEpoch: true },
        { kind: 'ValidationProgress', time: Date.now(), epoch: 0, step: 4, batchesDone: 0, batches: 40, images: 0 },
        { kind: 'ValidationProgress', time: Date.now(), epoch: 0, step: 4, batchesDone: 12, batches: 40, images: 768 },
        { kind: 'ValidationProgress', time: Date.now(), epoch: 0, step: 4, batchesDone: 41, images: 2600 },
        { kind: 'EpochEnd', time: Date.now(), epoch: 0, step: 4, trainLoss: 1, trainAccuracy: 0.5, lr: 0.01, durationMs: 10 },
      ];
      const current = await watchRun(sent, '', dir);
      assert.match(current, /\n1 epoch 1 batch_end .*\n2 epoch 1 validation_progress batch 0\/40 images 0\n3 epoch 1 validation_progress batch 12\/40 images 768\n4 epoch 1 validation_progress batch 41 images 2600\n5 epoch 1 epoch_end /);
      const old = await watchRun(sent, '', oldDir);
      assert.match(old, /\n1 epoch 1 batch_end .*\n5 epoch 1 epoch_end /);
    } finally {
      fs.rmSync(oldDir, { recursive: true, force: true });
    }
  });

  it('says "1 epoch", not "1 epochs", for a 1-epoch run', async () => {
    const sent: TrainEvent[] = [{ kind: 'TrainBegin', time: Date.now(), epoch: 0, step: 0, runId: 'r', backend: 'wasm', threads: 1, replicas: 1, epochs: 1, stepsPerEpoch: 4, config: {} }];
    assert.match(await watchRun(sent, 'TRAIN_BEGIN', dir), /\n1 epoch 1\/1 train_begin 1 epoch x 4 steps, wasm\n/);
  });

  it('prints what a run started from another run\'s weights took (TrainBegin.initialised_from), also with stubs built before the field', async () => {
    // Stubs of the proto before initialised_from: this one with its line taken out.
    const oldDir = stubsWithout(/initialised_from = \d+;/);
    try {
      const initialisedFrom = { path: 'runs/pre/checkpoints/best.rxckpt', step: 938, weights: 'ema' as const, taken: 14, total: 16, fresh: ['fc3/kernel [1024,10] vs [1024,3]', 'fc3/bias [10] vs [3]'] };
      const sent: TrainEvent[] = [{ kind: 'TrainBegin', time: Date.now(), epoch: 0, step: 0, runId: 'r', backend: 'wasm', threads: 1, replicas: 1, epochs: 3, stepsPerEpoch: 4, config: {}, initialisedFrom }];
      const run = (from: string | undefined): Promise<string> => watchRun(sent, 'TRAIN_BEGIN', from);
      const current = await run(dir);
      assert.match(current, /\n1 epoch 1\/3 train_begin 3 epochs x 4 steps, wasm\n {2}initialised from runs\/pre\/checkpoints\/best\.rxckpt \(step 938, ema weights; 14 of 16 tensors\); fresh: fc3\/kernel \[1024,10\] vs \[1024,3\], fc3\/bias \[10\] vs \[3\]\n/);
      const old = await run(oldDir);
      assert.match(old, /\n1 epoch 1\/3 train_begin 3 epochs x 4 steps, wasm\n/);
      assert.doesNotMatch(old, /initialised/);
    } finally {
      fs.rmSync(oldDir, { recursive: true, force: true });
    }
  });

  it('prints an unknown weights kind as unknown, and the count of the fresh tensors past the capped list (fresh_more), also with stubs built before that field', async () => {
    const oldDir = stubsWithout(/fresh_more = \d+;/);
    try {
      const fresh = Array.from({ length: INITIALISED_FRESH_MAX + 7 }, (_, i) => `l${i}/bias [2] vs [3]`);
      // Only a newer server sends another kind: the cast stands in for one.
      const initialisedFrom = { path: 'best.rxckpt', step: 938, weights: 'swa' as 'ema', taken: 1, total: 2 + fresh.length, fresh };
      const sent: TrainEvent[] = [{ kind: 'TrainBegin', time: Date.now(), epoch: 0, step: 0, runId: 'r', backend: 'wasm', threads: 1, replicas: 1, epochs: 3, stepsPerEpoch: 4, config: {}, initialisedFrom }];
      const listed = fresh.slice(0, INITIALISED_FRESH_MAX).join(', ').replace(/[[\]]/g, '\\$&');
      const current = await watchRun(sent, 'TRAIN_BEGIN', dir);
      assert.match(current, new RegExp(`\n {2}initialised from best\\.rxckpt \\(step 938, unknown weights; 1 of ${initialisedFrom.total} tensors\\); fresh: ${listed} and 7 more\n`));
      const old = await watchRun(sent, 'TRAIN_BEGIN', oldDir);
      assert.match(old, new RegExp(`\n {2}initialised from best\\.rxckpt \\(step 938, unknown weights; 1 of ${initialisedFrom.total} tensors\\); fresh: ${listed}\n`));
    } finally {
      fs.rmSync(oldDir, { recursive: true, force: true });
    }
  });

  it('prints the validation top-5 accuracy when the server sends it (more than 5 classes), also with stubs built before the field', async () => {
    // Stubs of the proto before val_top5_accuracy: this one with its lines taken out.
    const oldDir = stubsWithout(/val_top5_accuracy = \d+;/);
    try {
      const history = [{ epoch: 0, trainLoss: 2, trainAccuracy: 0.25, valLoss: 1.25, valAccuracy: 0.5, valTop5Accuracy: 0.875, lr: 0.01, durationMs: 1000 }];
      const sent: TrainEvent[] = [
        { kind: 'TrainBegin', time: Date.now(), epoch: 1, step: 4, runId: 'r', backend: 'wasm', threads: 1, replicas: 1, epochs: 3, stepsPerEpoch: 4, config: {}, resumedFrom: 'ckpt-1', history },
        { kind: 'EpochEnd', time: Date.now(), epoch: 1, step: 8, trainLoss: 1.5, trainAccuracy: 0.5, valLoss: 1, valAccuracy: 0.625, valTop5Accuracy: 0.9375, lr: 0.01, durationMs: 1000 },
      ];
      const run = (from: string | undefined): Promise<string> => watchRun(sent, 'TRAIN_BEGIN,EPOCH_END', from);
      const current = await run(dir);
      assert.match(current, /\n {2}history epoch 1\/3 train_loss 2\.0000 train_acc 0\.2500 val_acc 0\.5000 val_top5_acc 0\.8750 lr 0\.01\n/);
      assert.match(current, /\n2 epoch 2\/3 epoch_end train_loss 1\.5000 train_acc 0\.5000 val_acc 0\.6250 val_top5_acc 0\.9375 lr 0\.01\n/);
      const old = await run(oldDir);
      assert.match(old, /\n {2}history epoch 1\/3 train_loss 2\.0000 train_acc 0\.2500 val_acc 0\.5000 lr 0\.01\n/);
      assert.match(old, /\n2 epoch 2\/3 epoch_end train_loss 1\.5000 train_acc 0\.5000 val_acc 0\.6250 lr 0\.01\n/);
    } finally {
      fs.rmSync(oldDir, { recursive: true, force: true });
    }
  });

  it("writes a run's duration as rxtrain's log and monitor do (1h02m03s, not 3723.0s)", async () => {
    const end = (durationMs: number): TrainEvent => ({ kind: 'TrainEnd', time: Date.now(), epoch: 1, step: 4, reason: 'completed', durationMs });
    assert.match(await watchRun([end(3_723_000)], 'TRAIN_END', dir), /\n1 epoch 1 train_end COMPLETED after 1h02m03s\n/);
    assert.match(await watchRun([end(245_500)], 'TRAIN_END', dir), /\n1 epoch 1 train_end COMPLETED after 4m06s\n/);
  });

  it("prints an epoch's training img/s when the server sends it, also with stubs built before the field", async () => {
    // Stubs of the proto before EpochEnd's and EpochSummary's images_per_sec (BatchEnd's = 5 stays).
    const oldDir = stubsWithout(/images_per_sec = [89];/);
    try {
      const history = [{ epoch: 0, trainLoss: 2, trainAccuracy: 0.25, lr: 0.01, durationMs: 1000, imagesPerSec: 98.76 }];
      const sent: TrainEvent[] = [
        { kind: 'TrainBegin', time: Date.now(), epoch: 1, step: 4, runId: 'r', backend: 'wasm', threads: 1, replicas: 1, epochs: 3, stepsPerEpoch: 4, config: {}, resumedFrom: 'ckpt-1', history },
        { kind: 'EpochEnd', time: Date.now(), epoch: 1, step: 8, trainLoss: 1.5, trainAccuracy: 0.5, lr: 0.01, durationMs: 1000, imagesPerSec: 101.23 },
      ];
      const run = (from: string | undefined): Promise<string> => watchRun(sent, 'TRAIN_BEGIN,EPOCH_END', from);
      const current = await run(dir);
      assert.match(current, /\n {2}history epoch 1\/3 train_loss 2\.0000 train_acc 0\.2500 lr 0\.01 98\.8 img\/s\n/);
      assert.match(current, /\n2 epoch 2\/3 epoch_end train_loss 1\.5000 train_acc 0\.5000 lr 0\.01 101\.2 img\/s\n/);
      const old = await run(oldDir);
      assert.match(old, /\n {2}history epoch 1\/3 train_loss 2\.0000 train_acc 0\.2500 lr 0\.01\n/);
      assert.match(old, /\n2 epoch 2\/3 epoch_end train_loss 1\.5000 train_acc 0\.5000 lr 0\.01\n/);
    } finally {
      fs.rmSync(oldDir, { recursive: true, force: true });
    }
  });
});
