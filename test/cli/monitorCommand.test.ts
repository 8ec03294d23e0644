import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Subject } from 'rxjs';
import { MONITOR_EXIT, run, type MonitorIo } from '../../src/cli/monitorCommand';
import type { StopSignal } from '../../src/cli/processStopSignal';
import { serveTelemetry } from '../../src/telemetry/serveTelemetry';
import type { TelemetryServer } from '../../src/telemetry/TelemetryServer';
import { DEFAULT_RUN_ID, TRAIN_EVENT_KINDS, type TrainEvent } from '../../src/telemetry/TrainEvent';
import { batchEnd, recorder, REPO_ROOT, selfSignedCert, tcpProxy, until } from '../telemetry/telemetryTestKit';

describe('rxtrain monitor', () => {
  let events: Subject<TrainEvent>;
  let server: TelemetryServer | undefined;

  const begin = (): TrainEvent => ({ kind: 'TrainBegin', time: Date.now(), epoch: 0, step: 0, runId: 'alexnet-1', backend: 'wasm', threads: 2, replicas: 1, epochs: 2, stepsPerEpoch: 4, config: {} });
  const endOk = (): TrainEvent => ({ kind: 'TrainEnd', time: Date.now(), epoch: 1, step: 8, reason: 'completed', durationMs: 10 });
  function io(extra: Partial<MonitorIo> = {}, tty = false) {
    const out = recorder(tty ? { isTTY: true, columns: 100 } : {});
    const err = recorder();
    return { out, err, io: { out, err, env: {}, onStopSignal: () => () => undefined, backoff: { initialMs: 20, maxMs: 100 }, ...extra } satisfies MonitorIo };
  }
  const lines = (s: string) => s.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { sequence: number; kind: string; runId: string; loss?: number });

  beforeEach(() => {
    events = new Subject<TrainEvent>();
  });
  afterEach(async () => {
    await server?.shutdown();
    server = undefined;
  });

  it('--json prints one event per line and exits 0 when training ends', async () => {
    server = await serveTelemetry(events, { runId: 'alexnet-1', address: '127.0.0.1:0' });
    events.next(begin());
    for (let i = 0; i < 4; i += 1) events.next(batchEnd(0, 2 - i * 0.1));
    const t = io();
    const exit = run([server.address, '--json'], t.io);
    await until(() => t.out.text().split('\n').length > 5, 5000, 'replayed events');
    events.next(endOk());
    events.complete();
    assert.equal(await exit, MONITOR_EXIT.OK);
    const got = lines(t.out.text());
    assert.deepEqual(got.map((e) => e.sequence), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(got.map((e) => e.kind), ['TrainBegin', 'BatchEnd', 'BatchEnd', 'BatchEnd', 'BatchEnd', 'TrainEnd']);
    assert.ok(got.every((e) => e.runId === 'alexnet-1'));
    assert.equal(got[1].loss, 2);
  });

  it('reconnects after a dropped connection and resumes from the last sequence, without duplicates', async function () {
    this.timeout(20000);
    server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0' });
    const proxy = await tcpProxy(server.address);
    try {
      const t = io();
      const exit = run([proxy.address, '--json'], t.io);
      for (let i = 0; i < 5; i += 1) events.next(batchEnd());
      await until(() => lines(t.out.text()).length === 5, 5000, 'first 5 events');
      proxy.cut();
      for (let i = 0; i < 5; i += 1) events.next(batchEnd());
      await until(() => lines(t.out.text()).length === 10, 10000, 'events after the reconnect');
      events.complete();
      assert.equal(await exit, MONITOR_EXIT.OK);
      assert.deepEqual(lines(t.out.text()).map((e) => e.sequence), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      assert.match(t.err.text(), /disconnected: .*retrying/);
      assert.match(t.err.text(), /connected to 127\.0\.0\.1:\d+ \(resuming from #6\)/);
    } finally {
      await proxy.close();
    }
  });

  it('after a training restart (killed, resumed in a new process) says where training resumed, in line mode and on a terminal', async function () {
    this.timeout(30000);
    const resumed = (): TrainEvent => ({ kind: 'TrainBegin', time: Date.now(), epoch: 1, step: 4, runId: 'alexnet-1', backend: 'wasm', threads: 2, replicas: 1, epochs: 2, stepsPerEpoch: 4, config: {}, resumedFrom: 'runs/a/ckpt-1' });
    const watch = async (tty: boolean): Promise<{ out: string; err: string }> => {
      const first = new Subject<TrainEvent>();
      server = await serveTelemetry(first, { runId: 'alexnet-1', address: '127.0.0.1:0' });
      const proxy = await tcpProxy(server.address);
      let second: TelemetryServer | undefined;
      try {
        const t = io({}, tty);
        const exit = run([proxy.address, '--wait', '20s'], t.io);
        first.next(begin());
        first.next({ kind: 'EpochEnd', time: Date.now(), epoch: 0, step: 4, trainLoss: 1, trainAccuracy: 0.5, lr: 0.01, durationMs: 10 });
        await until(() => server!.subscribers === 1 && /epoch done/.test(t.out.text()) === !tty, 5000, 'the first process\'s events');
        if (tty) await new Promise((r) => setTimeout(r, 300)); // painted
        // Killed: its connections reset, nothing serves there; then the resumed process does.
        proxy.retarget('127.0.0.1:1');
        proxy.cut();
        await server.shutdown();
        server = undefined;
        const next = new Subject<TrainEvent>();
        second = await serveTelemetry(next, { runId: 'alexnet-1', address: '127.0.0.1:0' });
        next.next(resumed());
        proxy.retarget(second.address);
        await until(() => second!.subscribers === 1, 10000, 'the monitor back');
        next.next(endOk());
        next.complete();
        assert.equal(await exit, MONITOR_EXIT.OK);
        return { out: t.out.text(), err: t.err.text() };
      } finally {
        await second?.shutdown();
        await proxy.close();
      }
    };
    const piped = await watch(false);
    assert.match(piped.err, /\nrxtrain monitor: training restarted: resumed at epoch 2\/2 step 4 from runs\/a\/ckpt-1\n/);
    assert.doesNotMatch(piped.err, /server restarted/);
    const term = await watch(true);
    // The last view painted, without its erase-line codes.
    const view = (term.out.split('\x1b[J').at(-2) ?? '').split('\x1b[K').join('');
    assert.match(view, /\n {2}training restarted: resumed at epoch 2\/2 step 4 from runs\/a\/ckpt-1\n/);
    assert.doesNotMatch(view, /new event stream|resumed from/, 'one note for the restart');
  });

  describe('--follow', () => {
    const resumed = (): TrainEvent => ({ kind: 'TrainBegin', time: Date.now(), epoch: 1, step: 4, runId: 'alexnet-1', backend: 'wasm', threads: 2, replicas: 1, epochs: 2, stepsPerEpoch: 4, config: {}, resumedFrom: 'runs/a/ckpt-1' });
    const epochEnd = (): TrainEvent => ({ kind: 'EpochEnd', time: Date.now(), epoch: 0, step: 4, trainLoss: 1, trainAccuracy: 0.5, lr: 0.01, durationMs: 10 });
    const stopped = (): TrainEvent => ({ kind: 'TrainEnd', time: Date.now(), epoch: 1, step: 4, reason: 'stopped', durationMs: 10 });
    // eslint-disable-next-line no-control-regex
    const lastView = (text: string) => text.slice(text.lastIndexOf('rxtrain monitor')).replace(/\x1b\[[0-9]*[A-Za-z]/g, '');

    it('goes on past a run stopped with Ctrl-C to its resume on the same address, and says where it resumed, until Ctrl-C', async function () {
      this.timeout(30000);
      for (const tty of [false, true]) {
        const first = new Subject<TrainEvent>();
        server = await serveTelemetry(first, { runId: 'alexnet-1', address: '127.0.0.1:0' });
        const address = server.address;
        let stop: (signal: StopSignal) => void = () => undefined;
        const t = io({ onStopSignal: (s) => ((stop = s), () => undefined) }, tty);
        let settled = false;
        const exit = run([address, '--follow'], t.io).finally(() => (settled = true));
        first.next(begin());
        first.next(epochEnd());
        await until(() => server!.subscribers === 1 && (tty || /epoch done/.test(t.out.text())), 5000, "the first run's events");
        // Training stopped with Ctrl-C: its stream ends with its TrainEnd, its server goes.
        first.next(stopped());
        first.complete();
        await server.closed;
        server = undefined;
        await until(() => (tty ? /\[ended: waiting for the next run\]/.test(lastView(t.out.text())) : /waiting for the next run/.test(t.err.text())), 5000, 'the wait for the next run');
        await new Promise((r) => setTimeout(r, 300)); // a few tries at the address, where nothing listens now
        assert.equal(settled, false, 'the monitor goes on after the run ended');
        // The resumed run, on the same address.
        const next = new Subject<TrainEvent>();
        server = await serveTelemetry(next, { runId: 'alexnet-1', address });
        next.next(resumed());
        if (tty) {
          await until(() => /training restarted: resumed at epoch 2\/2 step 4 from runs\/a\/ckpt-1/.test(lastView(t.out.text())), 10000, 'the resumed run in view');
          assert.match(lastView(t.out.text()), /\[live\]/);
        } else {
          await until(() => /#1 epoch 2\/2 step 4 training alexnet-1/.test(t.out.text()), 10000, 'the resumed run');
        }
        stop('SIGINT');
        assert.equal(await exit, MONITOR_EXIT.INTERRUPTED);
        if (!tty) {
          assert.equal(t.err.text(),
            `rxtrain monitor: connecting to ${address}\n`
            + `rxtrain monitor: training ended (stopped); waiting for the next run at ${address} (--follow)\n`
            + 'rxtrain monitor: training restarted: resumed at epoch 2/2 step 4 from runs/a/ckpt-1\n');
          assert.match(t.out.text(), /training ended: stopped after 10ms\n#1 epoch 2\/2 step 4 training alexnet-1 on wasm: 2 epochs × 4 steps, resumed from runs\/a\/ckpt-1\n/);
        }
        await server.shutdown();
        server = undefined;
      }
    });

    it('with --json waits past a failed run, or a finished one still served (linger) without printing it again; --wait gives up on the next run with exit 3', async function () {
      this.timeout(30000);
      for (const failed of [false, true]) {
        const first = new Subject<TrainEvent>();
        server = await serveTelemetry(first, { runId: 'alexnet-1', address: '127.0.0.1:0', lingerAfterEndMs: 60_000 });
        const t = io();
        const exit = run([server.address, '--follow', '--json', '--wait', '1s'], t.io);
        first.next(begin());
        await until(() => lines(t.out.text()).length === 1, 5000, 'the first event');
        if (failed) first.error(new Error('loss is NaN'));
        else {
          first.next(endOk());
          first.complete();
        }
        assert.equal(await exit, MONITOR_EXIT.NOTHING_LISTENS);
        // The lingering server's replay of the ended run is not shown again.
        assert.deepEqual(lines(t.out.text()).map((e) => e.kind), failed ? ['TrainBegin'] : ['TrainBegin', 'TrainEnd']);
        assert.match(t.err.text(), failed
          ? /\nrxtrain monitor: training failed: loss is NaN; waiting for the next run at 127\.0\.0\.1:\d+ \(--follow\)\n/
          : /\nrxtrain monitor: training ended \(completed\); waiting for the next run at 127\.0\.0\.1:\d+ \(--follow\)\n/);
        assert.match(t.err.text(), new RegExp(`\nrxtrain monitor: no next run at 127\\.0\\.0\\.1:\\d+ for 1s \\(--wait\\) since the last one ended \\(${failed ? 'failed' : 'completed'}\\)\n$`));
        await server.shutdown();
        server = undefined;
      }
    });
  });

  it('once training it watched stops serving without ending its stream (killed), says so, not that training has not started', async function () {
    this.timeout(20000);
    server = await serveTelemetry(events, { runId: 'alexnet-1', address: '127.0.0.1:0' });
    const proxy = await tcpProxy(server.address);
    const t = io();
    const exit = run([proxy.address, '--wait', '1s'], t.io);
    events.next(begin());
    await until(() => /training alexnet-1/.test(t.out.text()), 5000, 'the first event');
    // Killed: its connections reset, and nothing listens there any more.
    await proxy.close();
    assert.equal(await exit, MONITOR_EXIT.NOTHING_LISTENS);
    assert.match(t.err.text(), new RegExp(`\\nrxtrain monitor: nothing listens on ${proxy.address} any more — did training stop\\? retrying in `));
    assert.match(t.err.text(), new RegExp(`\\nrxtrain monitor: nothing answered at ${proxy.address} for 1s \\(--wait\\): training stopped serving there \\(killed\\?\\) and did not come back\\n$`));
    assert.doesNotMatch(t.err.text(), /yet|has not started/);
  });

  it('exits 1 when training fails, saying why in plain words (not the gRPC status name)', async () => {
    server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0' });
    events.next(begin());
    const t = io();
    const exit = run([server.address], t.io);
    await until(() => t.out.text().includes('training alexnet-1'), 5000, 'the first event');
    events.next({ kind: 'Error', time: Date.now(), epoch: 0, step: 1, message: 'out of memory', fatal: true });
    events.error(new Error('out of memory'));
    assert.equal(await exit, MONITOR_EXIT.FAILED);
    assert.match(t.out.text(), /FATAL error: out of memory/);
    assert.match(t.err.text(), /rxtrain monitor: training failed: out of memory\n/);
    assert.doesNotMatch(t.err.text(), /ABORTED/);
  });

  it('--kinds filters, and --token is sent as a bearer token', async () => {
    server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0', token: 'tok' });
    events.next(batchEnd());
    events.next({ kind: 'CheckpointSaved', time: Date.now(), epoch: 0, step: 1, path: 'ckpt-1', best: false });
    const t = io();
    const exit = run([server.address, '--json', '--kinds', 'CheckpointSaved', '--token', 'tok'], t.io);
    await until(() => lines(t.out.text()).length === 1, 5000, 'the checkpoint event');
    events.complete();
    assert.equal(await exit, MONITOR_EXIT.OK);
    assert.deepEqual(lines(t.out.text()).map((e) => [e.sequence, e.kind]), [[2, 'CheckpointSaved']]);
  });

  it('exits 1 with a clear message on a missing or wrong token', async () => {
    server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0', token: 'tok' });
    const t = io();
    assert.equal(await run([server.address, '--json'], t.io), MONITOR_EXIT.FAILED);
    assert.match(t.err.text(), /wants a token \(missing 'authorization: Bearer <token>' metadata\): pass the one rxtrain train was given as --token TOKEN, or set RXTRAIN_TELEMETRY_TOKEN/);
    const t2 = io();
    assert.equal(await run([server.address, '--token', 'nope'], t2.io), MONITOR_EXIT.FAILED);
    assert.match(t2.err.text(), /refused the token from --token \(invalid bearer token\): pass the one rxtrain train was given/);
    const t3 = io({ env: { RXTRAIN_TELEMETRY_TOKEN: 'nope' } });
    assert.equal(await run([server.address], t3.io), MONITOR_EXIT.FAILED);
    assert.match(t3.err.text(), /refused the token from RXTRAIN_TELEMETRY_TOKEN/);
  });

  it('an empty RXTRAIN_TELEMETRY_TOKEN is named as such, not as --token (exit 2)', async () => {
    const t = io({ env: { RXTRAIN_TELEMETRY_TOKEN: '' } });
    assert.equal(await run(['127.0.0.1:1'], t.io), MONITOR_EXIT.USAGE);
    assert.match(t.err.text(), /RXTRAIN_TELEMETRY_TOKEN must be a non-empty token/);
    assert.doesNotMatch(t.err.text(), /--token/);
  });

  it('paints a live view on a terminal', async () => {
    server = await serveTelemetry(events, { runId: 'alexnet-1', address: '127.0.0.1:0' });
    events.next(begin());
    events.next({ kind: 'EpochBegin', time: Date.now(), epoch: 0, step: 0, lr: 0.01, steps: 4, startBatch: 0 });
    events.next({ kind: 'BatchEnd', time: Date.now(), epoch: 0, step: 1, batch: 1, batchSize: 32, loss: 1.2345, accuracy: 0.375, imagesPerSec: 250 });
    events.next({ kind: 'CheckpointSaved', time: Date.now(), epoch: 0, step: 4, path: 'runs/a/ckpt-0001', best: true });
    events.next({ kind: 'SampleSkipped', time: Date.now(), epoch: 0, step: 4, path: 'cats/bad.jpg', reason: 'truncated', message: 'eof' });
    const t = io({}, true);
    const exit = run([server.address], t.io);
    await until(() => t.out.text().includes('cats/bad.jpg'), 5000, 'the view');
    events.next(endOk());
    events.complete();
    assert.equal(await exit, MONITOR_EXIT.OK);
    const view = t.out.text();
    for (const want of ['run alexnet-1', 'backend wasm', 'epoch 1/2', 'batch 2/4', 'loss 1.234', 'acc 37.5%', 'lr 0.0100', 'runs/a/ckpt-0001 (best)', 'skipped samples: 1', 'truncated: cats/bad.jpg', 'status FINISHED']) {
      assert.ok(view.includes(want), `view shows '${want}':\n${view}`);
    }
  });

  it('repaints at once on a terminal resize, from a cleared screen and at the new width, its last column left free', async () => {
    server = await serveTelemetry(events, { runId: 'alexnet-1', address: '127.0.0.1:0' });
    events.next(begin());
    events.next({ kind: 'CheckpointSaved', time: Date.now(), epoch: 0, step: 4, path: `runs/${'a'.repeat(60)}/ckpt-0001`, best: true });
    // A terminal: writes recorded, 'resize' emitted by the test, its width changed in between.
    let text = '';
    const term = Object.assign(new EventEmitter(), { isTTY: true, columns: 100, rows: 40, write: (s: string) => ((text += s), true) });
    const t = io({ out: term });
    const exit = run([server.address], t.io);
    await until(() => text.includes('ckpt-0001'), 5000, 'the first view');
    await new Promise((r) => setTimeout(r, 50));
    const before = text.length;
    term.columns = 40;
    term.emit('resize');
    const after = text.slice(before);
    assert.ok(after.startsWith('\x1b[H\x1b[2J'), `a cleared screen first: ${JSON.stringify(after.slice(0, 20))}`);
    // eslint-disable-next-line no-control-regex
    const lines = after.replace(/\x1b\[[0-9]*[A-Za-z]/g, '').split('\n').filter((l) => l !== '');
    assert.ok(lines.some((l) => l.startsWith('run alexnet-1')), after);
    // The last column free: a line that fills it loses its last character to the erase after it.
    assert.ok(lines.every((l) => l.replace(/\r/g, '').length < 40), `every line fits 39 of the 40 columns:\n${lines.join('\n')}`);
    events.complete();
    assert.equal(await exit, MONITOR_EXIT.OK);
  });

  it('on a terminal of size 0×0 (a pty nobody sized) paints the 80-column view, not a 20-column stub', async () => {
    server = await serveTelemetry(events, { runId: 'alexnet-1', address: '127.0.0.1:0' });
    events.next(begin());
    events.next({ kind: 'EpochBegin', time: Date.now(), epoch: 0, step: 0, lr: 0.01, steps: 4, startBatch: 0 });
    events.next(batchEnd(0, 1.5));
    let text = '';
    const term = Object.assign(new EventEmitter(), { isTTY: true, columns: 0, rows: 0, write: (s: string) => ((text += s), true) });
    const exit = run([server.address], io({ out: term }).io);
    await until(() => text.includes('epoch 1/2'), 5000, 'the view with its epoch line');
    events.complete();
    assert.equal(await exit, MONITOR_EXIT.OK);
    // eslint-disable-next-line no-control-regex
    const view = text.slice(text.lastIndexOf('rxtrain monitor')).replace(/\x1b\[[0-9]*[A-Za-z]/g, '');
    assert.match(view, /^rxtrain monitor {2}127\.0\.0\.1:\d+ {2}\[ended\]\n/, view);
    assert.match(view, /^run alexnet-1 {2}backend wasm/m, view);
  });

  it('on a terminal, Ctrl-C leaves the view saying the monitor stopped (the run goes on), and a run that ends says ended', async () => {
    server = await serveTelemetry(events, { runId: 'alexnet-1', address: '127.0.0.1:0' });
    events.next(begin());
    // eslint-disable-next-line no-control-regex
    const lastView = (text: string) => text.slice(text.lastIndexOf('rxtrain monitor')).replace(/\x1b\[[0-9]*[A-Za-z]/g, '');
    let stop: (signal: StopSignal) => void = () => undefined;
    const term = () => {
      const t = { text: '' };
      return Object.assign(t, { out: Object.assign(new EventEmitter(), { isTTY: true, columns: 100, rows: 40, write: (s: string) => ((t.text += s), true) }) });
    };
    const a = term();
    const exit = run([server.address], io({ out: a.out, onStopSignal: (s) => ((stop = s), () => undefined) }).io);
    await until(() => a.text.includes('run alexnet-1'), 5000, 'the first view');
    stop('SIGINT');
    assert.equal(await exit, MONITOR_EXIT.INTERRUPTED);
    assert.match(lastView(a.text), /^rxtrain monitor {2}127\.0\.0\.1:\d+ {2}\[monitor stopped: Ctrl-C\]\n/);
    assert.match(lastView(a.text), /status RUNNING/);

    const b = term();
    const ended = run([server.address], io({ out: b.out }).io);
    await until(() => b.text.includes('run alexnet-1'), 5000, 'the second view');
    events.next(endOk());
    events.complete();
    assert.equal(await ended, MONITOR_EXIT.OK);
    assert.match(lastView(b.text), /^rxtrain monitor {2}127\.0\.0\.1:\d+ {2}\[ended\]\n/);
  });

  it("in line mode leaves an unnamed run's id (DEFAULT_RUN_ID) out, as the log does: \"training on wasm\", not \"training run on wasm\"", async () => {
    server = await serveTelemetry(events, { runId: DEFAULT_RUN_ID, address: '127.0.0.1:0' });
    events.next({ ...(begin() as Extract<TrainEvent, { kind: 'TrainBegin' }>), runId: DEFAULT_RUN_ID });
    const t = io();
    const exit = run([server.address], t.io);
    await until(() => server!.subscribers === 1, 5000, 'the monitor');
    events.next(endOk());
    events.complete();
    assert.equal(await exit, MONITOR_EXIT.OK);
    assert.match(t.out.text(), /^#1 epoch 1\/2 step 0 training on wasm: 2 epochs × 4 steps$/m);
  });

  it('after a 1-epoch run shows epoch 1/1, not 2/1, in line mode and on a terminal', async () => {
    const oneEpoch = (): TrainEvent[] => [
      { ...(begin() as Extract<TrainEvent, { kind: 'TrainBegin' }>), epochs: 1 },
      { kind: 'EpochBegin', time: Date.now(), epoch: 0, step: 0, lr: 0.01, steps: 4, startBatch: 0 },
      { kind: 'BatchEnd', time: Date.now(), epoch: 0, step: 4, batch: 3, batchSize: 32, loss: 1, accuracy: 0.5, imagesPerSec: 250 },
      { kind: 'EpochEnd', time: Date.now(), epoch: 0, step: 4, trainLoss: 1, trainAccuracy: 0.5, lr: 0.01, durationMs: 10 },
      // The training cursor has moved on to epoch 1 (0-based) when the run ends.
      { kind: 'CheckpointSaved', time: Date.now(), epoch: 1, step: 4, path: 'ckpt-1', best: true },
      { kind: 'TrainEnd', time: Date.now(), epoch: 1, step: 4, reason: 'completed', durationMs: 10 },
    ];
    for (const tty of [false, true]) {
      events = new Subject<TrainEvent>();
      server = await serveTelemetry(events, { runId: 'alexnet-1', address: '127.0.0.1:0' });
      for (const e of oneEpoch()) events.next(e);
      const t = io({}, tty);
      const exit = run([server.address], t.io);
      await until(() => server!.subscribers === 1, 5000, 'the monitor');
      events.complete();
      assert.equal(await exit, MONITOR_EXIT.OK);
      const text = t.out.text();
      assert.doesNotMatch(text, /epoch 2/);
      if (tty) assert.match(text, /epoch 1\/1 {2}\[#+\] 100%/);
      else {
        assert.match(text, /#5 epoch 1\/1 step 4 checkpoint ckpt-1 \(best so far\)$/m, 'the log\'s words: a better one may come later');
        assert.match(text, /^#1 epoch 1\/1 step 0 training alexnet-1 on wasm: 1 epoch × 4 steps$/m, 'not "1 epochs"');
        assert.match(text, /#6 epoch 1\/1 step 4 training ended: completed/);
      }
      await server.shutdown();
      server = undefined;
    }
  });

  it("in line mode prints a resumed run's earlier epochs (TrainBegin.history) as epoch lines from before the restart", async () => {
    server = await serveTelemetry(events, { runId: 'alexnet-1', address: '127.0.0.1:0' });
    const history = [0, 1].map((epoch) => ({ epoch, trainLoss: 2 - epoch / 2, trainAccuracy: 0.25 + epoch / 4, ...(epoch === 1 ? { valLoss: 1.25, valAccuracy: 0.625 } : {}), lr: 0.01, durationMs: 1500 }));
    events.next({ ...(begin() as Extract<TrainEvent, { kind: 'TrainBegin' }>), epochs: 3, epoch: 2, step: 8, resumedFrom: 'ckpt-2', history });
    events.next({ kind: 'EpochEnd', time: Date.now(), epoch: 2, step: 12, trainLoss: 1, trainAccuracy: 0.75, lr: 0.01, durationMs: 1500 });
    const t = io();
    const exit = run([server.address], t.io);
    await until(() => server!.subscribers === 1, 5000, 'the monitor');
    events.complete();
    assert.equal(await exit, MONITOR_EXIT.OK);
    assert.deepEqual(t.out.text().split('\n').slice(0, 4), [
      '#1 epoch 3/3 step 8 training alexnet-1 on wasm: 3 epochs × 4 steps, resumed from ckpt-2',
      '#1 epoch 1/3 epoch done before the restart: train loss 2.0000 acc 25.0%, lr 0.01, 1.5s',
      '#1 epoch 2/3 epoch done before the restart: train loss 1.5000 acc 50.0%, val loss 1.2500 acc 62.5%, lr 0.01, 1.5s',
      // The live epoch line, for comparison: the same figures, with its step.
      '#2 epoch 3/3 step 12 epoch done: train loss 1.0000 acc 75.0%, lr 0.01, 1.5s',
    ]);
  });

  it('in line mode says once that an epoch validates, as its pass starts, not once per ValidationProgress', async () => {
    server = await serveTelemetry(events, { runId: 'alexnet-1', address: '127.0.0.1:0' });
    events.next(begin());
    events.next({ kind: 'BatchEnd', time: Date.now(), epoch: 0, step: 4, batch: 3, batchSize: 8, loss: 1, accuracy: 0.5, imagesPerSec: 10, lastOfEpoch: true });
    for (const batchesDone of [0, 1, 2, 3]) events.next({ kind: 'ValidationProgress', time: Date.now(), epoch: 0, step: 4, batchesDone, batches: 3, images: batchesDone * 8 });
    events.next({ kind: 'EpochEnd', time: Date.now(), epoch: 0, step: 4, trainLoss: 1, trainAccuracy: 0.75, lr: 0.01, durationMs: 1500 });
    const t = io();
    const exit = run([server.address], t.io);
    await until(() => server!.subscribers === 1, 5000, 'the monitor');
    events.complete();
    assert.equal(await exit, MONITOR_EXIT.OK);
    assert.deepEqual(t.out.text().split('\n').slice(1, 3), [
      '#3 epoch 1/2 step 4 validating: 3 batches',
      '#7 epoch 1/2 step 4 epoch done: train loss 1.0000 acc 75.0%, lr 0.01, 1.5s',
    ]);
  });

  it('in line mode shows the validation top-5 accuracy after the top-1 when the epoch has it (more than 5 classes), live and from the history', async () => {
    server = await serveTelemetry(events, { runId: 'alexnet-1', address: '127.0.0.1:0' });
    const history = [{ epoch: 0, trainLoss: 2, trainAccuracy: 0.25, valLoss: 1.25, valAccuracy: 0.625, valTop5Accuracy: 0.875, lr: 0.01, durationMs: 1500 }];
    events.next({ ...(begin() as Extract<TrainEvent, { kind: 'TrainBegin' }>), epochs: 2, epoch: 1, step: 4, resumedFrom: 'ckpt-1', history });
    events.next({ kind: 'EpochEnd', time: Date.now(), epoch: 1, step: 8, trainLoss: 1, trainAccuracy: 0.75, valLoss: 1, valAccuracy: 0.7, valTop5Accuracy: 0.9, lr: 0.01, durationMs: 1500 });
    const t = io();
    const exit = run([server.address], t.io);
    await until(() => server!.subscribers === 1, 5000, 'the monitor');
    events.complete();
    assert.equal(await exit, MONITOR_EXIT.OK);
    assert.deepEqual(t.out.text().split('\n').slice(1, 3), [
      '#1 epoch 1/2 epoch done before the restart: train loss 2.0000 acc 25.0%, val loss 1.2500 acc 62.5% top-5 87.5%, lr 0.01, 1.5s',
      '#2 epoch 2/2 step 8 epoch done: train loss 1.0000 acc 75.0%, val loss 1.0000 acc 70.0% top-5 90.0%, lr 0.01, 1.5s',
    ]);
  });

  it("in line mode ends an epoch's line with its time, as train's log writes it, and its training img/s when it has one, live and from the history", async () => {
    server = await serveTelemetry(events, { runId: 'alexnet-1', address: '127.0.0.1:0' });
    // The first epoch's checkpoint was written before the field: no img/s for it.
    const history = [{ epoch: 0, trainLoss: 2, trainAccuracy: 0.25, lr: 0.01, durationMs: 1500 }, { epoch: 1, trainLoss: 2, trainAccuracy: 0.25, lr: 0.01, durationMs: 1500, imagesPerSec: 98.76 }];
    events.next({ ...(begin() as Extract<TrainEvent, { kind: 'TrainBegin' }>), epochs: 3, epoch: 2, step: 8, resumedFrom: 'ckpt-2', history });
    // Its time as train's log writes it: 20m35s, not 1234.5s.
    events.next({ kind: 'EpochEnd', time: Date.now(), epoch: 2, step: 12, trainLoss: 1, trainAccuracy: 0.75, lr: 0.01, durationMs: 1_234_500, imagesPerSec: 101.23 });
    const t = io();
    const exit = run([server.address], t.io);
    await until(() => server!.subscribers === 1, 5000, 'the monitor');
    events.complete();
    assert.equal(await exit, MONITOR_EXIT.OK);
    assert.deepEqual(t.out.text().split('\n').slice(1, 4), [
      '#1 epoch 1/3 epoch done before the restart: train loss 2.0000 acc 25.0%, lr 0.01, 1.5s',
      '#1 epoch 2/3 epoch done before the restart: train loss 2.0000 acc 25.0%, lr 0.01, 1.5s, 98.8 img/s',
      '#2 epoch 3/3 step 12 epoch done: train loss 1.0000 acc 75.0%, lr 0.01, 20m35s, 101.2 img/s',
    ]);
  });

  it('shows in one line what a run started from another run\'s weights took (TrainBegin.initialised_from over gRPC)', async () => {
    server = await serveTelemetry(events, { runId: 'alexnet-1', address: '127.0.0.1:0' });
    events.next({ ...(begin() as Extract<TrainEvent, { kind: 'TrainBegin' }>), initialisedFrom: { path: 'runs/new\nline/best.rxckpt', step: 938, weights: 'ema', taken: 14, total: 16, fresh: ['fc8/kernel [4096,257] vs [4096,10]', 'fc8/bias [257] vs [10]'] } });
    const t = io();
    const exit = run([server.address], t.io);
    await until(() => server!.subscribers === 1, 5000, 'the monitor');
    events.complete();
    assert.equal(await exit, MONITOR_EXIT.OK);
    assert.deepEqual(t.out.text().trimEnd().split('\n'), [
      '#1 epoch 1/2 step 0 training alexnet-1 on wasm: 2 epochs × 4 steps, initialised from "runs/new\\nline/best.rxckpt" (step 938, ema weights; 14 of 16 tensors)',
    ]);
  });

  it('says "unknown weights" for a weights kind it does not know (a newer server\'s), rather than taking it for trained ones', async () => {
    server = await serveTelemetry(events, { runId: 'alexnet-1', address: '127.0.0.1:0' });
    // Only a newer server sends another kind: the cast stands in for one.
    events.next({ ...(begin() as Extract<TrainEvent, { kind: 'TrainBegin' }>), initialisedFrom: { path: 'best.rxckpt', step: 938, weights: 'swa' as 'ema', taken: 16, total: 16, fresh: [] } });
    const t = io();
    const exit = run([server.address], t.io);
    await until(() => server!.subscribers === 1, 5000, 'the monitor');
    events.complete();
    assert.equal(await exit, MONITOR_EXIT.OK);
    assert.match(t.out.text(), /initialised from best\.rxckpt \(step 938, unknown weights; 16 of 16 tensors\)/);
  });

  it('in line mode and in its messages quotes a path holding a line break, so that it stays on its line', async () => {
    server = await serveTelemetry(events, { runId: 'alexnet-1', address: '127.0.0.1:0' });
    events.next({ ...(begin() as Extract<TrainEvent, { kind: 'TrainBegin' }>), epoch: 1, step: 4, resumedFrom: 'runs/new\nline/ckpt-1' });
    events.next({ kind: 'SampleSkipped', time: Date.now(), epoch: 1, step: 5, path: 'cat/new\nline.jpg', reason: 'empty', message: '0 bytes' });
    events.next({ kind: 'CheckpointSaved', time: Date.now(), epoch: 2, step: 8, path: 'runs/new\nline/ckpt-2', best: false });
    events.next({ kind: 'SampleSkipped', time: Date.now(), epoch: 2, step: 9, path: 'dog/1.jpg', reason: 'corrupt', message: 'VipsJpeg: bad\nVipsJpeg: bad\npremature end' });
    events.next({ kind: 'Error', time: Date.now(), epoch: 2, step: 9, message: 'validation failed\n  disk gone', fatal: false });
    const t = io();
    const exit = run([server.address], t.io);
    await until(() => server!.subscribers === 1, 5000, 'the monitor');
    events.complete();
    assert.equal(await exit, MONITOR_EXIT.OK);
    assert.deepEqual(t.out.text().trimEnd().split('\n'), [
      '#1 epoch 2/2 step 4 training alexnet-1 on wasm: 2 epochs × 4 steps, resumed from "runs/new\\nline/ckpt-1"',
      '#2 epoch 2/2 step 5 skipped "cat/new\\nline.jpg": empty (0 bytes)',
      '#3 epoch 2/2 step 8 checkpoint "runs/new\\nline/ckpt-2"',
      '#4 epoch 2/2 step 9 skipped dog/1.jpg: corrupt (VipsJpeg: bad; premature end)',
      '#5 epoch 2/2 step 9 error: validation failed; disk gone',
    ]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-ca-'));
    try {
      const missing = path.join(dir, 'new\nline.pem');
      const m = io();
      assert.equal(await run(['127.0.0.1:1', '--ca', missing], m.io), MONITOR_EXIT.USAGE);
      assert.equal(m.err.text().split('\n')[0], `rxtrain monitor: cannot read CA certificate ${JSON.stringify(missing)}: no such file or folder`);
      const key = path.join(dir, 'new\nline-key.pem');
      fs.writeFileSync(key, '-----BEGIN PRIVATE KEY-----\n');
      const k = io();
      assert.equal(await run(['127.0.0.1:1', '--ca', key], k.io), MONITOR_EXIT.USAGE);
      assert.ok(k.err.text().startsWith(`rxtrain monitor: --ca ${JSON.stringify(key)} holds a private key, not a certificate`), k.err.text());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--from past the end of the stream says so, then shows the events from the start', async () => {
    server = await serveTelemetry(events, { runId: 'alexnet-1', address: '127.0.0.1:0' });
    events.next(begin());
    events.next(batchEnd(0, 2));
    const t = io();
    const exit = run([server.address, '--from', '99999'], t.io);
    await until(() => server!.subscribers === 1, 5000, 'the monitor');
    events.next(endOk());
    events.complete();
    assert.equal(await exit, MONITOR_EXIT.OK);
    assert.match(t.err.text(), /the server has no event #99999 yet \(its stream is shorter: a --from past the end, or a training that started over\); showing its events from the start/);
    assert.doesNotMatch(t.err.text(), /the server restarted/);
    assert.match(t.out.text(), /#1 .*#3 /s);
  });

  it('--from with --stream of an earlier training process starts over from the new stream, saying the training restarted', async () => {
    server = await serveTelemetry(events, { runId: 'alexnet-1', address: '127.0.0.1:0' });
    events.next(begin());
    events.next(batchEnd(0, 2));
    events.next(batchEnd(0, 3));
    const json = io();
    const first = run([server.address, '--json', '--from', '2'], json.io);
    await until(() => json.out.text().split('\n').length > 2, 5000, 'two lines');
    const line = JSON.parse(json.out.text().split('\n')[0]) as { sequence: number; streamId: string };
    assert.equal(line.sequence, 2);
    assert.match(line.streamId, /^[0-9a-f-]{36}$/, '--json lines carry the stream id');
    // The same process: --stream matches, so --from counts in it.
    const same = io();
    const again = run([server.address, '--json', '--from', '3', '--stream', line.streamId], same.io);
    await until(() => server!.subscribers === 2, 5000, 'the second monitor');
    events.next(endOk());
    events.complete();
    assert.equal(await first, MONITOR_EXIT.OK);
    assert.equal(await again, MONITOR_EXIT.OK);
    assert.deepEqual(same.out.text().trim().split('\n').map((l) => (JSON.parse(l) as { sequence: number }).sequence), [3, 4]);
    await server.shutdown();
    // A new process (new stream) with more events than that: --from 3 would skip its first two.
    events = new Subject<TrainEvent>();
    server = await serveTelemetry(events, { runId: 'alexnet-1', address: '127.0.0.1:0' });
    for (const e of [begin(), batchEnd(0, 2), batchEnd(0, 3), batchEnd(0, 4)]) events.next(e);
    const later = io();
    const exit = run([server.address, '--json', '--from', '3', '--stream', line.streamId], later.io);
    await until(() => server!.subscribers === 1, 5000, 'the monitor');
    events.next(endOk());
    events.complete();
    assert.equal(await exit, MONITOR_EXIT.OK);
    assert.deepEqual(later.out.text().trim().split('\n').map((l) => (JSON.parse(l) as { sequence: number }).sequence), [1, 2, 3, 4, 5]);
    assert.match(later.err.text(), /training restarted: a new run, from epoch 1\n/);
  });

  it('while nothing listens, says so readably and keeps retrying until Ctrl-C (exit 130)', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const address = `127.0.0.1:${(probe.address() as net.AddressInfo).port}`;
    await new Promise((r) => probe.close(r));
    let stop: (signal: StopSignal) => void = () => undefined;
    const t = io({ onStopSignal: (s) => ((stop = s), () => undefined), backoff: { initialMs: 1000, maxMs: 2000 } });
    const exit = run([address], t.io);
    await until(() => /retrying in/.test(t.err.text()), 10000, 'a retry');
    stop('SIGINT');
    assert.equal(await exit, MONITOR_EXIT.INTERRUPTED);
    const port = address.split(':')[1];
    assert.ok(
      t.err.text().includes(`nothing listens on ${address} yet — is training running, and serving on ${port}, not its default 50051? retrying in 1s (further retries are not listed)\n`),
      t.err.text(),
    );
    assert.doesNotMatch(t.err.text(), /ECONNREFUSED|Resolution note/);
  });

  it('piped, says a connection problem once while it lasts, not two lines per retry, and when a server answers again', async () => {
    // A listener that drops every connection at once: each retry fails the same way, and the
    // count of connections says how many retries there were without reading the monitor's output.
    let attempts = 0;
    const dropper = net.createServer((socket) => {
      attempts += 1;
      socket.destroy();
    });
    await new Promise<void>((r) => dropper.listen(0, '127.0.0.1', r));
    const address = `127.0.0.1:${(dropper.address() as net.AddressInfo).port}`;
    let stop: (signal: StopSignal) => void = () => undefined;
    const t = io({ onStopSignal: (s) => ((stop = s), () => undefined), backoff: { initialMs: 10, maxMs: 20 } });
    try {
      const exit = run([address], t.io);
      await until(() => attempts >= 4, 10000, 'four attempts');
      stop('SIGINT');
      assert.equal(await exit, MONITOR_EXIT.INTERRUPTED);
    } finally {
      await new Promise((r) => dropper.close(r));
    }
    const notices = t.err.text().split('\n').filter((l) => l !== '');
    assert.equal(notices.filter((l) => /retrying in/.test(l)).length, 1, t.err.text());
    assert.equal(notices.filter((l) => /connecting to/.test(l)).length, 1, t.err.text());
  });

  it("dials at its own backoff while nothing answers, not at grpc-js's (1 s growing to 2 min), so it sees a run that starts much later", async function () {
    this.timeout(20000);
    // A listener that resets every connection before a word of HTTP/2: each dial fails, as one to a
    // training not serving yet does, and is counted. grpc-js's own backoff (1 s, then ×1.6 with
    // ±20 % jitter, never shorter under load) dials at most 3 times in the first 3.5 s whatever
    // the load; this monitor's (10–20 ms here) dials dozens of times.
    let dials = 0;
    const listener = net.createServer((socket) => {
      dials += 1;
      socket.resetAndDestroy();
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const port = (listener.address() as net.AddressInfo).port;
    let stop: (signal: StopSignal) => void = () => undefined;
    const t = io({ onStopSignal: (s) => ((stop = s), () => undefined), backoff: { initialMs: 10, maxMs: 20 } });
    const exit = run([`127.0.0.1:${port}`], t.io);
    try {
      await until(() => dials >= 10, 3500, '10 dials within 3.5 s');
    } finally {
      stop('SIGINT');
      await exit;
      await new Promise((r) => listener.close(r));
    }
  });

  it('--wait DURATION: once nothing has answered for that long, stops with exit 3 and says why', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const address = `127.0.0.1:${(probe.address() as net.AddressInfo).port}`;
    await new Promise((r) => probe.close(r));
    const t = io({ backoff: { initialMs: 20, maxMs: 50 } });
    assert.equal(await run([address, '--wait', '0.2s'], t.io), MONITOR_EXIT.NOTHING_LISTENS);
    assert.match(t.err.text(), /is training running, and serving on \d+, not its default 50051\? retrying in/, 'it tried first');
    assert.match(t.err.text(), new RegExp(`rxtrain monitor: nothing answered at ${address} for 0\\.2s \\(--wait\\): training has not started there \\(is it serving on \\d+, not its default 50051\\?\\), or it ended before this monitor connected\n$`));
  });

  it('--wait on a host name that does not resolve ends by asking about the name, not about training', async () => {
    const t = io({ backoff: { initialMs: 20, maxMs: 50 } });
    assert.equal(await run(['no-such-host.invalid:50051', '--wait', '0.2s'], t.io), MONITOR_EXIT.NOTHING_LISTENS);
    assert.match(t.err.text(), /rxtrain monitor: nothing answered at no-such-host\.invalid:50051 for 0\.2s \(--wait\): cannot resolve no-such-host\.invalid — is the host name right\?\n$/);
    assert.doesNotMatch(t.err.text(), /training has not started there/);
  });

  it('started after a short run ended, is served the whole run by a server that lingers (exit 0)', async () => {
    server = await serveTelemetry(events, { runId: 'alexnet-1', address: '127.0.0.1:0', lingerAfterEndMs: 3_600_000 });
    events.next(begin());
    events.next(endOk());
    events.complete();
    const t = io();
    assert.equal(await run([server.address, '--json', '--wait', '30s'], t.io), MONITOR_EXIT.OK);
    assert.deepEqual(lines(t.out.text()).map((e) => e.kind), ['TrainBegin', 'TrainEnd']);
    await server.closed;
  });

  it('a host name that does not resolve is asked about, not reported as a dropped connection', async () => {
    let stop: (signal: StopSignal) => void = () => undefined;
    const t = io({ onStopSignal: (s) => ((stop = s), () => undefined), backoff: { initialMs: 50, maxMs: 100 } });
    const exit = run(['no-such-host.invalid:50051'], t.io);
    await until(() => /retrying in/.test(t.err.text()), 20000, 'a retry');
    stop('SIGINT');
    assert.equal(await exit, MONITOR_EXIT.INTERRUPTED);
    assert.match(t.err.text(), /rxtrain monitor: cannot resolve no-such-host\.invalid — is the host name right\? retrying in [\d.]+s \(further retries are not listed\)\n/);
    assert.doesNotMatch(t.err.text(), /disconnected/);
  });

  it('SIGTERM (a service manager, kill) ends it with 143, as it ends rxtrain train', async () => {
    let stop: (signal: StopSignal) => void = () => undefined;
    const t = io({ onStopSignal: (s) => ((stop = s), () => undefined), backoff: { initialMs: 1000, maxMs: 2000 } });
    const exit = run(['127.0.0.1:1'], t.io);
    await until(() => /retrying in/.test(t.err.text()), 10000, 'a retry');
    stop('SIGTERM');
    assert.equal(await exit, MONITOR_EXIT.TERMINATED);
    assert.equal(MONITOR_EXIT.TERMINATED, 143);
  });

  describe('TLS mismatches stop with exit 1 and a hint', () => {
    let tls: { dir: string; cert: string; key: string };
    before(async () => {
      tls = await selfSignedCert(['DNS:gpu-box', 'DNS:gpu-box.lan']);
    });
    after(() => fs.rmSync(tls.dir, { recursive: true, force: true }));

    it('--tls against a plaintext server', async () => {
      server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0' });
      const t = io();
      assert.equal(await run([server.address, '--tls'], t.io), MONITOR_EXIT.FAILED);
      assert.match(t.err.text(), new RegExp(`the server at ${server.address} does not speak TLS: drop --tls\n`));
      assert.doesNotMatch(t.err.text(), /retrying/);
    });

    it('plaintext against a TLS server', async () => {
      server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0', tls: { cert: tls.cert, key: tls.key } });
      const t = io();
      assert.equal(await run([server.address], t.io), MONITOR_EXIT.FAILED);
      assert.match(t.err.text(), /speaks TLS: add --tls \(and --ca FILE if its certificate is self-signed\)/);
    });

    it('--ca against a certificate for other names; --server-name fixes it', async () => {
      server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0', tls: { cert: tls.cert, key: tls.key } });
      const t = io();
      assert.equal(await run([server.address, '--ca', tls.cert], t.io), MONITOR_EXIT.FAILED);
      assert.match(t.err.text(), /the certificate is for gpu-box, gpu-box\.lan, not 127\.0\.0\.1: pass --server-name gpu-box\n/);
      const ok = io();
      events.next(batchEnd());
      const exit = run([server.address, '--ca', tls.cert, '--server-name', 'gpu-box', '--json'], ok.io);
      await until(() => lines(ok.out.text()).length === 1, 5000, 'an event over TLS');
      events.complete();
      assert.equal(await exit, MONITOR_EXIT.OK);
    });

    it('--tls against a self-signed certificate', async () => {
      server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0', tls: { cert: tls.cert, key: tls.key } });
      const t = io();
      assert.equal(await run([server.address, '--tls', '--server-name', 'gpu-box'], t.io), MONITOR_EXIT.FAILED);
      assert.match(t.err.text(), /the server's certificate is not trusted \(self-signed certificate\): pass its CA, or the certificate itself if it is self-signed, as --ca FILE/);
    });
  });

  it('stops quietly (exit 0) and cancels its call when the reader of stdout goes away (| head -1)', async () => {
    server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0' });
    events.next(batchEnd());
    const head = spawn('head', ['-1'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let headOut = '';
    head.stdout.on('data', (d: Buffer) => (headOut += d.toString()));
    const headExited = new Promise((r) => head.on('exit', r));
    const err = recorder();
    const exit = run([server.address, '--json'], { out: head.stdin, err, env: {}, onStopSignal: () => () => undefined });
    await headExited;
    // Events keep coming; writing them finds the pipe closed.
    const feed = setInterval(() => events.next(batchEnd()), 20);
    try {
      assert.equal(await exit, MONITOR_EXIT.OK);
    } finally {
      clearInterval(feed);
    }
    assert.equal(lines(headOut).length, 1);
    assert.doesNotMatch(err.text(), /EPIPE|error/i);
    await until(() => server!.subscribers === 0, 5000, 'the server to see the call cancelled');
  });

  it('as a process: | head -1 exits 0 without an EPIPE trace, and a --ca dial to an IP prints no DEP0123 warning', async function () {
    this.timeout(60000);
    const tls = await selfSignedCert(['IP:127.0.0.1']);
    try {
      server = await serveTelemetry(events, { runId: 'r', address: '127.0.0.1:0', tls: { cert: tls.cert, key: tls.key } });
      events.next(batchEnd());
      const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(REPO_ROOT, 'src', 'cli', 'main.ts'), 'monitor', server.address, '--ca', tls.cert, '--json'], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((r) => child.on('exit', r));
      // Read the first line, then close the pipe like `head -1`.
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      child.stdout.destroy();
      const feed = setInterval(() => events.next(batchEnd()), 20);
      try {
        assert.equal(await exited, 0, stderr);
      } finally {
        clearInterval(feed);
      }
      assert.doesNotMatch(stderr, /DEP0123|DeprecationWarning|EPIPE|Unhandled/, stderr);
    } finally {
      fs.rmSync(tls.dir, { recursive: true, force: true });
    }
  });

  it('--ca with a private key or a file without a certificate is refused at once (exit 2), even before the server is up', async () => {
    const tls = await selfSignedCert(['DNS:gpu-box']);
    try {
      const t = io();
      assert.equal(await run(['127.0.0.1:1', '--ca', tls.key], t.io), MONITOR_EXIT.USAGE);
      assert.match(t.err.text(), /--ca .*key\.pem holds a private key, not a certificate: pass the server's certificate \(--telemetry-cert of rxtrain train\)/);
      const junk = path.join(tls.dir, 'junk.pem');
      fs.writeFileSync(junk, 'not a certificate\n');
      const t2 = io();
      assert.equal(await run(['127.0.0.1:1', '--ca', junk], t2.io), MONITOR_EXIT.USAGE);
      assert.match(t2.err.text(), /--ca .*junk\.pem holds no PEM certificate/);
      assert.doesNotMatch(t.err.text() + t2.err.text(), /connecting/);
    } finally {
      fs.rmSync(tls.dir, { recursive: true, force: true });
    }
  });

  it('rejects bad usage with exit 2 and prints --help', async () => {
    const t = io();
    assert.equal(await run(['nohost'], t.io), MONITOR_EXIT.USAGE);
    assert.match(t.err.text(), /expected HOST:PORT/);
    assert.equal(await run(['127.0.0.1:1', '--kinds', 'Bogus'], t.io), MONITOR_EXIT.USAGE);
    assert.match(t.err.text(), /unknown event kind 'Bogus'; the kinds: TrainBegin, EpochBegin, .*, Error\n/);
    const k = io();
    assert.equal(await run(['127.0.0.1:1', '--kinds', 'EpochEnd,checkpointsaved,EPOCH_ENDS'], k.io), MONITOR_EXIT.USAGE);
    assert.match(k.err.text(), /--kinds: unknown event kind 'EPOCH_ENDS' \(did you mean EpochEnd\?\); the kinds: /);
    assert.equal(await run(['127.0.0.1:1', '--ca', '/nonexistent.pem'], t.io), MONITOR_EXIT.USAGE);
    assert.match(t.err.text(), /cannot read CA certificate \/nonexistent\.pem: no such file or folder\n/);
    const s = io();
    assert.equal(await run(['127.0.0.1:1', '--server-name', 'gpu-box'], s.io), MONITOR_EXIT.USAGE, 'a --server-name without TLS would be ignored');
    assert.match(s.err.text(), /--server-name is the name expected in the server's TLS certificate: add --tls .* or --ca FILE/);
    const w = io();
    assert.equal(await run(['127.0.0.1:1', '--wait', '30'], w.io), MONITOR_EXIT.USAGE, 'a bare number would leave its unit to a guess');
    assert.match(w.err.text(), /--wait must be a duration such as 30s, 5m or 1h, got '30'/);
    const h = io();
    assert.equal(await run(['--help'], h.io), MONITOR_EXIT.OK);
    assert.match(h.out.text(), /usage: rxtrain monitor \[HOST:PORT\]/);
    // The sections in the order of the other commands' help: options, exit codes, examples.
    const at = (head: string): number => h.out.text().indexOf(`\n${head}:\n`);
    assert.ok(at('options') > 0 && at('options') < at('exit codes') && at('exit codes') < at('examples'), h.out.text());
    for (const [code, what] of [['0', 'training ended'], ['1', 'training failed'], ['2', 'bad usage'], ['3', 'nothing listened for --wait'], ['130', 'interrupted'], ['143', 'terminated \\(SIGTERM\\)']]) {
      assert.match(h.out.text(), new RegExp(`^ +${code} +${what}`, 'm'), `--help explains exit code ${code}`);
    }
    // Exit 3's usual cause has its cure on the training side: the help says where.
    assert.match(h.out.text(), /over before the\s+monitor connected: rxtrain train --telemetry-linger DURATION/);
    const listed = new Set(h.out.text().split(/[\s(),]+/));
    for (const kind of TRAIN_EVENT_KINDS) assert.ok(listed.has(kind), `--help names ${kind}`);
  });
});
