import assert from 'node:assert/strict';
import { initialMonitorState, reduceMonitor } from '../../src/telemetry/MonitorState';
import { renderMonitor } from '../../src/telemetry/renderMonitor';
import { DEFAULT_RUN_ID } from '../../src/telemetry/TrainEvent';
import type { SequencedEvent } from '../../src/telemetry/fromProtoEvent';
import type { WatchSignal } from '../../src/telemetry/watchTelemetry';

type Bare<T> = T extends unknown ? Omit<T, 'sequence' | 'runId' | 'time' | 'streamId'> : never;
const ev = (sequence: number, e: Bare<SequencedEvent>): WatchSignal =>
  ({ type: 'event', event: { ...e, sequence, runId: 'alexnet-fashion-01', streamId: 's1', time: 0 } as SequencedEvent });

/** A run in its 4th epoch with everything the view shows filled in. */
function busyRun(): ReturnType<typeof initialMonitorState> {
  const signals: WatchSignal[] = [
    ev(1, { kind: 'TrainBegin', epoch: 0, step: 0, backend: 'tensorflow', threads: 2, replicas: 1, epochs: 12, stepsPerEpoch: 469, config: {} }),
  ];
  for (let e = 0; e < 3; e += 1) {
    signals.push(ev(2 + e * 2, { kind: 'EpochEnd', epoch: e, step: 469 * (e + 1), trainLoss: 0.5123 - e / 10, trainAccuracy: 0.8123, valLoss: 0.4567, valAccuracy: 0.8456, lr: 0.01, durationMs: 123_400 }));
    signals.push(ev(3 + e * 2, { kind: 'CheckpointSaved', epoch: e + 1, step: 469 * (e + 1), path: `runs/fashion-mnist/checkpoints/epoch-000${e + 1}.rxckpt`, best: e === 2 }));
  }
  signals.push(
    ev(8, { kind: 'LrChanged', epoch: 2, step: 1407, from: 0.01, to: 0.001 }),
    ev(9, { kind: 'EpochBegin', epoch: 3, step: 1407, lr: 0.001, steps: 469, startBatch: 0 }),
    ev(10, { kind: 'BatchEnd', epoch: 3, step: 1650, batch: 242, batchSize: 128, loss: 0.3456, accuracy: 0.877, imagesPerSec: 1234.5 }),
    { type: 'disconnected', code: 14, details: 'x', message: 'nothing listens on 127.0.0.1:50051 yet — is training running?', retryInMs: 2000 },
  );
  return signals.reduce(reduceMonitor, initialMonitorState('127.0.0.1:50051'));
}

describe('renderMonitor before and after the run', () => {
  it('before anything was received, says so instead of a run of placeholders', () => {
    const waiting = [{ type: 'disconnected', code: 14, details: 'x', message: 'nothing listens on 127.0.0.1:50051 yet — is training running?', retryInMs: 2000 } as WatchSignal]
      .reduce(reduceMonitor, initialMonitorState('127.0.0.1:50051'));
    const text = renderMonitor(waiting, 160).join('\n');
    assert.equal(text, 'rxtrain monitor  127.0.0.1:50051  [waiting: nothing listens on 127.0.0.1:50051 yet — is training running? (retry in 2.0s)]\n\nnothing received yet: no run to show');
    assert.doesNotMatch(renderMonitor(initialMonitorState('127.0.0.1:50051'), 100).join('\n'), /status UNKNOWN|run \?|batch 0\/\?|loss -/);
  });

  it("an unnamed run (DEFAULT_RUN_ID) shows no name, not 'run run'; a named one its name", () => {
    const unnamed = renderMonitor({ ...busyRun(), runId: DEFAULT_RUN_ID }, 200);
    assert.equal(unnamed[1], 'backend tensorflow  status RUNNING  event #10');
    assert.doesNotMatch(unnamed.join('\n'), /run run/);
    assert.equal(renderMonitor(busyRun(), 200)[1], 'run alexnet-fashion-01  backend tensorflow  status RUNNING  event #10');
  });

  it('a monitor stopped before the run ended says it stopped, not that the run ended', () => {
    const stopped = renderMonitor({ ...busyRun(), connection: 'stopped', connectionDetail: 'Ctrl-C' }, 100);
    assert.equal(stopped[0], 'rxtrain monitor  127.0.0.1:50051  [monitor stopped: Ctrl-C]');
    assert.ok(stopped.some((l) => l.includes('status RUNNING')));
    assert.equal(renderMonitor({ ...busyRun(), connection: 'ended' }, 100)[0], 'rxtrain monitor  127.0.0.1:50051  [ended]');
  });
});

describe('renderMonitor on narrow terminals', () => {
  for (const columns of [30, 40, 50, 60, 80]) {
    it(`at ${columns} columns, fits every line and cuts nothing a user needs`, () => {
      const lines = renderMonitor(busyRun(), columns);
      for (const l of lines) assert.ok(l.length <= columns, `${l.length} > ${columns}: ${l}`);
      const text = lines.join('\n');
      assert.doesNotMatch(text, /\.\.\.$/m, 'no line cut short');
      for (const piece of ['127.0.0.1:50051', 'alexnet-fashion-01', 'tensorflow', 'status RUNNING', 'event #10', 'epoch 4/12', '52%', 'batch 243/469',
        'step 1650', 'loss 0.3456', 'acc 87.7%', 'lr 0.00100', '1234.5 img/s', 'skipped samples: 0', 'lr 0.0100 -> 0.00100']) {
        assert.ok(lines.some((l) => l.includes(piece)), `"${piece}" on one line at ${columns} columns:\n${text}`);
      }
      // Broken across lines when need be, but whole: the connection's state and every checkpoint's path.
      const flat = lines.map((l) => l.trim()).join(' ');
      const joined = lines.map((l) => l.trim()).join('');
      assert.ok(flat.includes('reconnecting: nothing listens on 127.0.0.1:50051 yet — is training running? (retry in 2.0s)'), `the connection's state whole:\n${text}`);
      for (let e = 1; e <= 3; e += 1) assert.ok(joined.includes(`runs/fashion-mnist/checkpoints/epoch-000${e}.rxckpt`), `checkpoint ${e} whole:\n${text}`);
      assert.ok(joined.includes('epoch-0003.rxckpt(best)') || joined.includes('epoch-0003.rxckpt (best)'), 'the best checkpoint says so');
      // Every finished epoch with its train and val figures.
      for (const loss of ['0.5123', '0.4123', '0.3123']) assert.ok(lines.some((l) => l.includes(loss)), `train loss ${loss}:\n${text}`);
      assert.equal((text.match(/84\.6%/g) ?? []).length, 3, `val acc of each epoch:\n${text}`);
      // As train's log writes it (formatDuration), not in plain seconds (123.4s).
      assert.equal((text.match(/2m03s/g) ?? []).length, 3, `time of each epoch:\n${text}`);
    });
  }

  it('keeps the epoch table within the terminal at its own width, an epoch of over 1000 s included', () => {
    const slow = reduceMonitor(busyRun(), ev(11, { kind: 'EpochEnd', epoch: 3, step: 1876, trainLoss: 0.3, trainAccuracy: 0.9, valLoss: 0.4, valAccuracy: 0.88, lr: 0.00001, durationMs: 1_234_500 }));
    const header = (lines: string[]): string | undefined => lines.find((l) => l.startsWith('epoch  train loss'));
    const width = header(renderMonitor(slow, 200))?.length ?? 0;
    for (const columns of [width - 1, width]) {
      const lines = renderMonitor(slow, columns);
      for (const l of lines) assert.ok(l.length <= columns, `${l.length} > ${columns}: ${l}`);
      assert.ok(lines.some((l) => l.includes('20m35s')), lines.join('\n'));
      assert.ok(lines.some((l) => l.includes('0.0000100')), `the epoch's lr:\n${lines.join('\n')}`);
    }
    assert.ok(header(renderMonitor(slow, width)), 'a table at its own width');
    // An epoch of 10 hours or more ('10h17m15s') widens the time column rather than the rows alone.
    const slower = reduceMonitor(slow, ev(12, { kind: 'EpochEnd', epoch: 4, step: 2345, trainLoss: 0.3, trainAccuracy: 0.9, valLoss: 0.4, valAccuracy: 0.88, lr: 0.00001, durationMs: 37_035_000 }));
    const wider = header(renderMonitor(slower, 200))?.length ?? 0;
    assert.equal(wider, width + 1);
    const lines = renderMonitor(slower, wider);
    for (const l of lines) assert.ok(l.length <= wider, `${l.length} > ${wider}: ${l}`);
    assert.ok(lines.some((l) => l.endsWith(' 10h17m15s')) && header(lines), lines.join('\n'));
  });

  it('adds a val top5 column when an epoch reported one (78 columns), and below that width lays each epoch out as a record with it', () => {
    const many = reduceMonitor(busyRun(), ev(11, { kind: 'EpochEnd', epoch: 3, step: 1876, trainLoss: 0.3, trainAccuracy: 0.9, valLoss: 0.4, valAccuracy: 0.88, valTop5Accuracy: 0.987, lr: 0.001, durationMs: 1_234_500 }));
    const wide = renderMonitor(many, 80);
    const header = wide.find((l) => l.startsWith('epoch  train loss'));
    assert.equal(header, 'epoch  train loss  train acc  val loss  val acc  val top5         lr      time');
    for (const l of wide) assert.ok(l.length <= 80, `${l.length} > 80: ${l}`);
    const row = wide.find((l) => /^ {4}4 /.test(l)) ?? '';
    assert.equal(row.length, header.length, 'rows as wide as the header');
    assert.match(row, / 88\.0% {5}98\.7% /);
    assert.match(wide.find((l) => /^ {4}1 /.test(l)) ?? '', / 84\.6% {9}- /, 'an epoch without it shows -');
    for (const columns of [header.length - 1, 60, 40]) {
      const lines = renderMonitor(many, columns);
      for (const l of lines) assert.ok(l.length <= columns, `${l.length} > ${columns}: ${l}`);
      assert.ok(!lines.some((l) => l.startsWith('epoch  train loss')), 'no table below its width');
      assert.ok(lines.some((l) => l.includes('top-5 98.7%')), `the record has it at ${columns} columns:\n${lines.join('\n')}`);
    }
    assert.ok(renderMonitor(busyRun(), 80).some((l) => l === 'epoch  train loss  train acc  val loss  val acc         lr      time'), 'without top-5, the table as before');
  });

  it("adds the epochs' img/s as the last column where it fits (77 columns, 87 with top-5), and to each record below the table's width", () => {
    const rated = reduceMonitor(busyRun(), ev(11, { kind: 'EpochEnd', epoch: 3, step: 1876, trainLoss: 0.3, trainAccuracy: 0.9, valLoss: 0.4, valAccuracy: 0.88, lr: 0.001, durationMs: 123_400, imagesPerSec: 1012.34 }));
    const wide = renderMonitor(rated, 79);
    const header = wide.find((l) => l.startsWith('epoch  train loss'));
    assert.equal(header, 'epoch  train loss  train acc  val loss  val acc         lr      time    img/s');
    const row = wide.find((l) => /^ {4}4 /.test(l)) ?? '';
    assert.equal(row.length, header.length, 'rows as wide as the header');
    assert.match(row, / 2m03s {3}1012\.3$/);
    // Epochs from before the field (an older server, an older checkpoint's history) have none.
    assert.match(wide.find((l) => /^ {4}1 /.test(l)) ?? '', / 2m03s {8}-$/);
    const narrow = renderMonitor(rated, 60);
    assert.ok(narrow.some((l) => l.includes('1012.3 img/s')), `the record has it:\n${narrow.join('\n')}`);
    // With a top-5 column it needs 86: at 79 the table stays, without it.
    const top5 = reduceMonitor(rated, ev(12, { kind: 'EpochEnd', epoch: 4, step: 2345, trainLoss: 0.3, trainAccuracy: 0.9, valLoss: 0.4, valAccuracy: 0.88, valTop5Accuracy: 0.99, lr: 0.001, durationMs: 123_400, imagesPerSec: 1000 }));
    assert.ok(renderMonitor(top5, 79).includes('epoch  train loss  train acc  val loss  val acc  val top5         lr      time'));
    const wider = renderMonitor(top5, 87);
    for (const l of wider) assert.ok(l.length <= 87, `${l.length} > 87: ${l}`);
    assert.ok(wider.includes('epoch  train loss  train acc  val loss  val acc  val top5         lr      time    img/s'), wider.join('\n'));
  });

  it("after an epoch, the view's rate is the epoch's, not its last batches'", () => {
    const ended = reduceMonitor(busyRun(), ev(11, { kind: 'EpochEnd', epoch: 3, step: 1876, trainLoss: 0.3, trainAccuracy: 0.9, lr: 0.001, durationMs: 123_400, imagesPerSec: 1012.34 }));
    assert.equal(ended.imagesPerSec, 1012.34);
    assert.ok(renderMonitor(ended, 79).some((l) => /^loss .* {2}1012\.3 img\/s$/.test(l)));
    // A server before the field: the batches' rate is all there is.
    assert.equal(reduceMonitor(busyRun(), ev(11, { kind: 'EpochEnd', epoch: 3, step: 1876, trainLoss: 0.3, trainAccuracy: 0.9, lr: 0.001, durationMs: 123_400 })).imagesPerSec, 1234.5);
  });

  it("breaks a checkpoint's file name where it has a '-', not in the middle of a number", () => {
    const path = '/tmp/h-watch-py/run-live/checkpoints/ckpt-s0000000032-e0001-b000000.rxckpt';
    const s = reduceMonitor(initialMonitorState('h:1'), ev(1, { kind: 'CheckpointSaved', epoch: 1, step: 32, path, best: true }));
    const lines = renderMonitor(s, 40);
    const at = lines.indexOf('checkpoints:');
    assert.deepEqual(lines.slice(at + 1, at + 4), ['  /tmp/h-watch-py/run-live/checkpoints/', '    ckpt-s0000000032-e0001-', '    b000000.rxckpt (best)']);
  });

  it('on a short narrow terminal gives up the oldest epochs first, keeping the latest and the notes', () => {
    const s = busyRun();
    const full = renderMonitor(s, 40);
    const view = renderMonitor(s, 40, full.length - 2);
    assert.ok(view.length <= full.length - 2, view.join('\n'));
    const text = view.join('\n');
    assert.match(text, /epoch 3 .*0\.3123/, 'the latest epoch stays');
    assert.doesNotMatch(text, /0\.5123/, 'the oldest gave way');
    assert.match(text, /lr 0\.0100 -> 0\.00100/);
  });
});

describe('renderMonitor on terminals of any height', () => {
  const begin = (epoch: number, history?: Array<{ epoch: number; trainLoss: number; trainAccuracy: number; lr: number; durationMs: number }>): WatchSignal =>
    ev(1, { kind: 'TrainBegin', epoch, step: epoch * 4, backend: 'wasm', threads: 2, replicas: 1, epochs: 90, stepsPerEpoch: 4, config: {}, ...(history ? { resumedFrom: `ckpt-${epoch}`, history } : {}) });
  const end = (epoch: number): WatchSignal =>
    ev(2 + epoch, { kind: 'EpochEnd', epoch, step: 4 * (epoch + 1), trainLoss: 1 + epoch / 100, trainAccuracy: 0.5, lr: 0.01, durationMs: 1000 });
  /** A run 40 epochs in, started afresh. */
  const forty = (): ReturnType<typeof initialMonitorState> =>
    [begin(0), ...Array.from({ length: 40 }, (_, e) => end(e))].reduce(reduceMonitor, initialMonitorState('h:1'));
  // The epoch numbers of the table's rows, and its summary row.
  const shown = (lines: string[]): number[] => lines.filter((l) => /^ {3,4}\d+ {7}/.test(l)).map((l) => Number(l.trim().split(/\s+/)[0]));
  const summary = (lines: string[]): string | undefined => lines.find((l) => /^ +\d+(-\d+)? {2}[a-z]/.test(l))?.trim();

  it('fills a taller terminal with more of the latest epochs and says in one row which are not shown', () => {
    const s = forty();
    for (const rows of [23, 30, 47]) {
      const view = renderMonitor(s, 80, rows);
      assert.equal(view.length, rows, `the view fits the height exactly:\n${view.join('\n')}`);
      const epochs = shown(view);
      assert.ok(epochs.length > 5, `more than 5 rows on ${rows} lines: ${epochs.join(' ')}`);
      assert.deepEqual(epochs, Array.from({ length: epochs.length }, (_, i) => 41 - epochs.length + i), 'the latest epochs, in order');
      assert.equal(summary(view), `1-${40 - epochs.length}  not shown`);
    }
    const all = renderMonitor(s, 80, 60);
    assert.deepEqual(shown(all), Array.from({ length: 40 }, (_, i) => i + 1), 'a terminal tall enough shows every epoch');
    assert.equal(summary(all), undefined);
    assert.ok(all.length < 60);
  });

  it('without a height shows the latest 5 epochs and a row for the rest, and on a narrow tall terminal fits records', () => {
    const s = forty();
    const view = renderMonitor(s, 80);
    assert.deepEqual(shown(view), [36, 37, 38, 39, 40]);
    assert.equal(summary(view), '1-35  not shown');
    const narrow = renderMonitor(s, 40, 50);
    assert.ok(narrow.length <= 50, `${narrow.length} lines`);
    const records = narrow.filter((l) => /^epoch \d+ {2}train loss/.test(l)).map((l) => Number(/^epoch (\d+)/.exec(l)?.[1]));
    assert.ok(records.length > 5 && records[records.length - 1] === 40, records.join(' '));
    assert.ok(narrow.includes(`epochs 1-${40 - records.length}  not shown`), narrow.join('\n'));
  });

  it("a resumed run's earlier epochs fill the height too; those without room are the 'before the restart' row", () => {
    const history = Array.from({ length: 40 }, (_, epoch) => ({ epoch, trainLoss: 1 + epoch / 100, trainAccuracy: 0.5, lr: 0.01, durationMs: 1000 }));
    const s = [begin(40, history), end(40)].reduce(reduceMonitor, initialMonitorState('h:1'));
    const view = renderMonitor(s, 80, 30);
    assert.equal(view.length, 30, view.join('\n'));
    const epochs = shown(view);
    assert.ok(epochs.length > 5 && epochs[epochs.length - 1] === 41, epochs.join(' '));
    assert.equal(summary(view), `1-${41 - epochs.length}  before the restart`);
    // Fewer rows than the run has after its restart: the hidden ones are not all before it.
    const after = [begin(3, history.slice(0, 3)), ...Array.from({ length: 37 }, (_, i) => end(i + 3))].reduce(reduceMonitor, initialMonitorState('h:1'));
    assert.equal(summary(renderMonitor(after, 80, 30)), `1-${40 - shown(renderMonitor(after, 80, 30)).length}  not shown`);
  });
});
