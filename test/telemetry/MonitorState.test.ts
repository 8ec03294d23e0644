import assert from 'node:assert/strict';
import { endedAs, initialMonitorState, reduceMonitor } from '../../src/telemetry/MonitorState';
import { renderMonitor } from '../../src/telemetry/renderMonitor';
import { initialRun, reduceRun } from '../../src/telemetry/runReducer';
import type { TrainEvent } from '../../src/telemetry/TrainEvent';
import type { SequencedEvent } from '../../src/telemetry/fromProtoEvent';
import type { WatchSignal } from '../../src/telemetry/watchTelemetry';

type Bare<T> = T extends unknown ? Omit<T, 'sequence' | 'runId' | 'time' | 'streamId'> : never;
const ev = (sequence: number, e: Bare<SequencedEvent>): WatchSignal =>
  ({ type: 'event', event: { ...e, sequence, runId: 'r1', streamId: 's1', time: 0 } as SequencedEvent });

describe('MonitorState / renderMonitor', () => {
  it('a view taller than the terminal shows fewer old epochs, so the notes (lr cuts) below stay in sight', () => {
    const signals: WatchSignal[] = [ev(1, { kind: 'TrainBegin', epoch: 0, step: 0, backend: 'wasm', threads: 2, replicas: 1, epochs: 9, stepsPerEpoch: 4, config: {} })];
    for (let e = 0; e < 6; e += 1) {
      signals.push(ev(2 + e * 3, { kind: 'EpochEnd', epoch: e, step: 4 * (e + 1), trainLoss: 2 - e / 10, trainAccuracy: 0.3, lr: 0.01, durationMs: 1000 }));
      signals.push(ev(3 + e * 3, { kind: 'CheckpointSaved', epoch: e + 1, step: 4 * (e + 1), path: `ckpt-${e + 1}`, best: false }));
      signals.push(ev(4 + e * 3, { kind: 'LrChanged', epoch: e + 1, step: 4 * (e + 1), from: 0.01 / 2 ** e, to: 0.01 / 2 ** (e + 1) }));
    }
    const s = signals.reduce(reduceMonitor, initialMonitorState('h:1'));
    const full = renderMonitor(s, 80);
    assert.ok(full.length > 23, `the whole view (${full.length} lines) is taller than a 24-row terminal`);
    const view = renderMonitor(s, 80, 23);
    assert.ok(view.length <= 23, `${view.length} lines:\n${view.join('\n')}`);
    const text = view.join('\n');
    assert.match(text, /lr 0\.000313 -> 0\.000156/, 'the latest note is shown');
    assert.match(text, /\n {4}6 /, 'the latest epoch row is shown');
    assert.doesNotMatch(text, /\n {4}2 /, 'an old epoch row gave way');
    const tall = renderMonitor(s, 80, 100);
    assert.deepEqual(tall.filter((l) => /^ {4}\d /.test(l)).map((l) => l.trim().split(/\s+/)[0]), ['1', '2', '3', '4', '5', '6'], 'a tall enough terminal shows every epoch');
    assert.doesNotMatch(tall.join('\n'), /not shown/);
  });

  it('marks only the newest best checkpoint (best), not every one that was best so far', () => {
    const saved = (seq: number, n: number, best: boolean): WatchSignal => ev(seq, { kind: 'CheckpointSaved', epoch: n, step: 32 * n, path: `ckpt-${n}`, best });
    const s = [saved(1, 1, true), saved(2, 2, false), saved(3, 3, true)].reduce(reduceMonitor, initialMonitorState('h:1'));
    assert.deepEqual(s.checkpoints.map((c) => c.text), ['ckpt-1', 'ckpt-2', 'ckpt-3 (best)']);
    // A checkpoint that is no better leaves the mark where it is.
    const later = reduceMonitor(s, saved(4, 4, false));
    assert.deepEqual(later.checkpoints.map((c) => c.text), ['ckpt-2', 'ckpt-3 (best)', 'ckpt-4']);
  });

  it('shows a skipped file whose name holds a line break on one line of the view, quoted', () => {
    const s = reduceMonitor(initialMonitorState('h:1'), ev(1, { kind: 'SampleSkipped', epoch: 0, step: 1, path: 'cat/new\nline.jpg', reason: 'empty', message: '0 bytes' }));
    assert.deepEqual(s.recentSkips.map((r) => r.text), ['empty: "cat/new\\nline.jpg"']);
  });

  it('notes in one line what a run started from another run\'s weights took', () => {
    const initialisedFrom = { path: 'runs/pre/checkpoints/best.rxckpt', step: 938, weights: 'trained' as const, taken: 14, total: 16, fresh: ['fc8/bias [257] vs [10]'] };
    const s = reduceMonitor(initialMonitorState('h:1'), ev(1, { kind: 'TrainBegin', epoch: 0, step: 0, backend: 'wasm', threads: 1, replicas: 1, epochs: 3, stepsPerEpoch: 4, config: {}, initialisedFrom }));
    assert.deepEqual(s.notes.map((n) => n.text), ['initialised from runs/pre/checkpoints/best.rxckpt (step 938, trained weights; 14 of 16 tensors)']);
    assert.ok(renderMonitor(s, 100).some((l) => l.includes('initialised from runs/pre/checkpoints/best.rxckpt')));
  });

  it('shows a checkpoint and a resumed-from path holding a line break on one line of the view, quoted', () => {
    const s = [
      ev(1, { kind: 'TrainBegin', epoch: 1, step: 4, backend: 'wasm', threads: 1, replicas: 1, epochs: 3, stepsPerEpoch: 4, config: {}, resumedFrom: 'runs/new\nline/ckpt-1' }),
      ev(2, { kind: 'CheckpointSaved', epoch: 2, step: 8, path: 'runs/new\nline/ckpt-2', best: true }),
    ].reduce(reduceMonitor, initialMonitorState('h:1'));
    assert.deepEqual(s.notes.map((n) => n.text), ['resumed from "runs/new\\nline/ckpt-1"']);
    assert.deepEqual(s.checkpoints.map((c) => c.text), ['"runs/new\\nline/ckpt-2" (best)']);
    const view = renderMonitor(s, 80);
    assert.ok(view.every((l) => !l.includes('\n')), view.join('|'));
  });

  it('folds events into what the view shows', () => {
    const signals: WatchSignal[] = [
      { type: 'connected', fromSequence: 0 },
      ev(1, { kind: 'TrainBegin', epoch: 0, step: 0, backend: 'wasm', threads: 2, replicas: 1, epochs: 10, stepsPerEpoch: 20, config: {} }),
      ev(2, { kind: 'EpochBegin', epoch: 0, step: 0, lr: 0.01, steps: 20, startBatch: 0 }),
      ev(3, { kind: 'BatchEnd', epoch: 0, step: 5, batch: 4, batchSize: 64, loss: NaN, accuracy: 0.1, imagesPerSec: 300 }),
      ev(4, { kind: 'EpochEnd', epoch: 0, step: 20, trainLoss: 2.1, trainAccuracy: 0.3, lr: 0.01, durationMs: 4000 }),
      ev(5, { kind: 'LrChanged', epoch: 1, step: 20, from: 0.01, to: 0.001 }),
      ev(6, { kind: 'SampleSkipped', epoch: 1, step: 21, path: 'a.jpg', reason: 'empty', message: '0 bytes' }),
      { type: 'disconnected', code: 14, details: 'Connection dropped', message: 'Connection dropped', retryInMs: 500 },
    ];
    const s = signals.reduce(reduceMonitor, initialMonitorState('h:1'));
    assert.equal(s.connection, 'retrying');
    assert.equal(s.lr, 0.001);
    assert.equal(s.skipped, 1);
    assert.equal(s.lastSequence, 6);
    assert.equal(s.epochsDone.length, 1);
    const view = renderMonitor(s, 100).join('\n');
    assert.match(view, /reconnecting: Connection dropped \(retry in 0\.5s\)/);
    assert.match(view, /loss NaN/);
    assert.match(view, /lr 0\.0100 -> 0\.00100/);
    assert.match(view, /\s+1\s+2\.100\s+30\.0%\s+-\s+-\s+0\.0100\s+4\.0s/);
  });

  it('shows a resumed epoch from the batch it continues at, not from 0', () => {
    const s = reduceMonitor(initialMonitorState('h:1'), ev(1, { kind: 'EpochBegin', epoch: 4, step: 400, lr: 0.01, steps: 100, startBatch: 37 }));
    assert.equal(s.batch, 37);
    assert.match(renderMonitor(s, 100).join('\n'), /batch 37\/100/);
  });

  it('shows the last epoch done once training ended, never epoch N+1/N', () => {
    const oneEpoch: WatchSignal[] = [
      ev(1, { kind: 'TrainBegin', epoch: 0, step: 0, backend: 'wasm', threads: 2, replicas: 1, epochs: 1, stepsPerEpoch: 4, config: {} }),
      ev(2, { kind: 'EpochBegin', epoch: 0, step: 0, lr: 0.01, steps: 4, startBatch: 0 }),
      ev(3, { kind: 'BatchEnd', epoch: 0, step: 4, batch: 3, batchSize: 8, loss: 1, accuracy: 0.5, imagesPerSec: 100 }),
      ev(4, { kind: 'EpochEnd', epoch: 0, step: 4, trainLoss: 1, trainAccuracy: 0.5, lr: 0.01, durationMs: 10 }),
      // Both carry the cursor, which already points past the epoch that ended.
      ev(5, { kind: 'CheckpointSaved', epoch: 1, step: 4, path: 'ckpt-1', best: true }),
      ev(6, { kind: 'TrainEnd', epoch: 1, step: 4, reason: 'completed', durationMs: 10 }),
    ];
    const s = oneEpoch.reduce(reduceMonitor, initialMonitorState('h:1'));
    assert.equal(s.epoch, 0);
    assert.match(renderMonitor(s, 100)[3], /^epoch 1\/1 {2}\[#+\] 100% {2}batch 4\/4/);

    // Stopped at the boundary after epoch 2 of 3: epoch 2/3, not 3/3.
    const stopped = [
      ev(1, { kind: 'TrainBegin', epoch: 0, step: 0, backend: 'wasm', threads: 2, replicas: 1, epochs: 3, stepsPerEpoch: 4, config: {} }),
      ev(2, { kind: 'EpochEnd', epoch: 1, step: 8, trainLoss: 1, trainAccuracy: 0.5, lr: 0.01, durationMs: 10 }),
      ev(3, { kind: 'TrainEnd', epoch: 2, step: 8, reason: 'stopped', durationMs: 10 }),
    ].reduce(reduceMonitor, initialMonitorState('h:1'));
    assert.match(renderMonitor(stopped, 100)[3], /^epoch 2\/3 /);
    // Stopped within epoch 2: that epoch stays shown.
    const midEpoch = [
      ev(1, { kind: 'BatchEnd', epoch: 1, step: 6, batch: 1, batchSize: 8, loss: 1, accuracy: 0.5, imagesPerSec: 100 }),
      ev(2, { kind: 'TrainEnd', epoch: 1, step: 6, reason: 'stopped', durationMs: 10 }),
    ].reduce(reduceMonitor, initialMonitorState('h:1'));
    assert.equal(midEpoch.epoch, 1);
    // Resumed with every epoch done: the run starts at epoch == epochs.
    const allDone = [
      ev(1, { kind: 'TrainBegin', epoch: 3, step: 12, backend: 'wasm', threads: 2, replicas: 1, epochs: 3, stepsPerEpoch: 4, config: {}, resumedFrom: 'ckpt-3' }),
      ev(2, { kind: 'TrainEnd', epoch: 3, step: 12, reason: 'completed', durationMs: 1 }),
    ].reduce(reduceMonitor, initialMonitorState('h:1'));
    assert.match(renderMonitor(allDone, 100)[3], /^epoch 3\/3 {2}\[#+\] 100%/);
    // Only TrainEnd watched (--kinds TrainEnd): still the last epoch done.
    assert.match(renderMonitor(reduceMonitor(initialMonitorState('h:1'), ev(9, { kind: 'TrainEnd', epoch: 1, step: 4, reason: 'completed', durationMs: 1 })), 100)[3], /^epoch 1 /);
  });

  it('an epoch that skipped samples ends at the batches it trained, not at the planned count, and says how many fewer', () => {
    // 32 batches planned from the file count; skips left 22, and the throttle sent no BatchEnd after the 20th.
    const s = [
      ev(1, { kind: 'TrainBegin', epoch: 0, step: 0, backend: 'wasm', threads: 2, replicas: 1, epochs: 2, stepsPerEpoch: 32, config: {} }),
      ev(2, { kind: 'EpochBegin', epoch: 0, step: 0, lr: 0.01, steps: 32, startBatch: 0 }),
      ev(3, { kind: 'BatchEnd', epoch: 0, step: 20, batch: 19, batchSize: 32, loss: 1, accuracy: 0.5, imagesPerSec: 100 }),
      ev(4, { kind: 'EpochEnd', epoch: 0, step: 22, trainLoss: 1, trainAccuracy: 0.5, lr: 0.01, durationMs: 10 }),
    ].reduce(reduceMonitor, initialMonitorState('h:1'));
    assert.equal(s.batch, 22);
    assert.equal(s.batchesShort, 10);
    assert.match(renderMonitor(s, 100)[3], /^epoch 1\/2 {2}\[#+\] 100% {2}batch 22\/32 {2}step 22 {2}\(10 fewer: samples skipped\)$/);
    // A resumed epoch counts from the batch it continued at; the next epoch starts the count again.
    const resumed = [
      ev(1, { kind: 'EpochBegin', epoch: 1, step: 30, lr: 0.01, steps: 32, startBatch: 8 }),
      ev(2, { kind: 'EpochEnd', epoch: 1, step: 44, trainLoss: 1, trainAccuracy: 0.5, lr: 0.01, durationMs: 10 }),
    ].reduce(reduceMonitor, s);
    assert.equal(resumed.batch, 22);
    const next = reduceMonitor(resumed, ev(3, { kind: 'EpochBegin', epoch: 2, step: 44, lr: 0.01, steps: 32, startBatch: 0 }));
    assert.equal(next.batchesShort, 0);
    assert.doesNotMatch(renderMonitor(next, 100)[3], /fewer/);
    // Without the epoch's EpochBegin (evicted, or --kinds left it out) the planned count is all there is.
    const joinedLate = reduceMonitor(initialMonitorState('h:1'), ev(1, { kind: 'EpochEnd', epoch: 0, step: 22, trainLoss: 1, trainAccuracy: 0.5, lr: 0.01, durationMs: 10 }));
    assert.equal(joinedLate.batchesShort, 0);
  });

  it("shows an epoch that skipped samples done at its last BatchEnd, while it validates, not at the planned count", () => {
    const begun = [
      ev(1, { kind: 'TrainBegin', epoch: 0, step: 0, backend: 'wasm', threads: 2, replicas: 1, epochs: 2, stepsPerEpoch: 32, config: {} }),
      ev(2, { kind: 'EpochBegin', epoch: 0, step: 0, lr: 0.01, steps: 32, startBatch: 0 }),
      ev(3, { kind: 'BatchEnd', epoch: 0, step: 20, batch: 19, batchSize: 32, loss: 1, accuracy: 0.5, imagesPerSec: 100 }),
    ].reduce(reduceMonitor, initialMonitorState('h:1'));
    assert.equal(begun.batchesShort, 0, 'not before the data ran out');
    const last = reduceMonitor(begun, ev(4, { kind: 'BatchEnd', epoch: 0, step: 22, batch: 21, batchSize: 32, loss: 1, accuracy: 0.5, imagesPerSec: 100, lastOfEpoch: true }));
    assert.equal(last.batch, 22);
    assert.equal(last.batchesShort, 10);
    assert.match(renderMonitor(last, 100)[3], /^epoch 1\/2 {2}\[#+\] 100% {2}batch 22\/32 {2}step 22 {2}\(10 fewer: samples skipped\)$/);
    // A full epoch's last BatchEnd: nothing fewer.
    const full = reduceMonitor(begun, ev(4, { kind: 'BatchEnd', epoch: 0, step: 32, batch: 31, batchSize: 32, loss: 1, accuracy: 0.5, imagesPerSec: 100, lastOfEpoch: true }));
    assert.equal(full.batchesShort, 0);
    // A monitor that missed the epoch's EpochBegin (evicted) keeps what the last BatchEnd said at its EpochEnd.
    const late = [
      ev(4, { kind: 'BatchEnd', epoch: 0, step: 22, batch: 21, batchSize: 32, loss: 1, accuracy: 0.5, imagesPerSec: 100, lastOfEpoch: true }),
      ev(5, { kind: 'EpochEnd', epoch: 0, step: 22, trainLoss: 1, trainAccuracy: 0.5, lr: 0.01, durationMs: 10 }),
    ].reduce(reduceMonitor, { ...initialMonitorState('h:1'), stepsPerEpoch: 32, epochs: 2 });
    assert.equal(late.batch, 22);
    assert.equal(late.batchesShort, 10);
  });

  describe('while an epoch validates (ValidationProgress)', () => {
    const at = (time: number, sequence: number, e: Bare<SequencedEvent>): WatchSignal => ({ type: 'event', event: { ...e, sequence, runId: 'r1', streamId: 's1', time } as SequencedEvent });
    const trained = [
      ev(1, { kind: 'TrainBegin', epoch: 0, step: 0, backend: 'wasm', threads: 2, replicas: 1, epochs: 30, stepsPerEpoch: 32, config: {} }),
      ev(2, { kind: 'EpochBegin', epoch: 2, step: 64, lr: 0.01, steps: 32, startBatch: 0 }),
      ev(3, { kind: 'BatchEnd', epoch: 2, step: 96, batch: 31, batchSize: 32, loss: 1, accuracy: 0.5, imagesPerSec: 100, lastOfEpoch: true }),
    ].reduce(reduceMonitor, initialMonitorState('h:1'));
    const validating = [
      at(10_000, 4, { kind: 'ValidationProgress', epoch: 2, step: 96, batchesDone: 0, batches: 40, images: 0 }),
      at(11_500, 5, { kind: 'ValidationProgress', epoch: 2, step: 96, batchesDone: 12, batches: 40, images: 768 }),
    ].reduce(reduceMonitor, trained);

    it('shows the pass under the full training bar: its bar, batches, images and img/s since it began', () => {
      assert.deepEqual(validating.validation && { ...validating.validation, since: undefined }, { epoch: 2, batchesDone: 12, batches: 40, images: 768, since: undefined, imagesPerSec: 512 });
      const lines = renderMonitor(validating, 100);
      const i = lines.findIndex((l) => l.startsWith('epoch 3/30'));
      assert.match(lines[i], /\[#+\] 100% {2}batch 32\/32/);
      assert.match(lines[i + 1], /^validating {2}\[#+\.+\] {2}30% {2}batch 12\/40 {2}768 images {2}512\.0 img\/s$/);
      for (const columns of [30, 40, 60]) {
        const narrow = renderMonitor(validating, columns);
        assert.ok(narrow.every((l) => l.length <= columns), `${columns} columns:\n${narrow.join('\n')}`);
        for (const piece of ['validating', 'batch 12/40', '768 images', '512.0 img/s']) assert.ok(narrow.some((l) => l.includes(piece)), `${piece} at ${columns} columns:\n${narrow.join('\n')}`);
      }
    });

    it('without a planned count shows the count and no bar; at the epoch\'s end the line goes', () => {
      const past = reduceMonitor(validating, at(12_000, 6, { kind: 'ValidationProgress', epoch: 2, step: 96, batchesDone: 41, images: 2600 }));
      assert.ok(renderMonitor(past, 100).includes('validating  batch 41  2600 images  1300.0 img/s'), renderMonitor(past, 100).join('\n'));
      const ended = reduceMonitor(past, ev(7, { kind: 'EpochEnd', epoch: 2, step: 96, trainLoss: 1, trainAccuracy: 0.5, valLoss: 1, valAccuracy: 0.5, lr: 0.01, durationMs: 10 }));
      assert.equal(ended.validation, undefined);
      assert.ok(!renderMonitor(ended, 100).some((l) => l.startsWith('validating')));
      // A monitor that joined during the pass measures img/s from the first event it saw.
      const late = reduceMonitor(trained, at(11_500, 5, { kind: 'ValidationProgress', epoch: 2, step: 96, batchesDone: 12, batches: 40, images: 768 }));
      assert.equal(late.validation?.imagesPerSec, undefined);
      assert.ok(renderMonitor(late, 100).some((l) => /^validating {2}\[#+\.+\] {2}30% {2}batch 12\/40 {2}768 images$/.test(l)), renderMonitor(late, 100).join('\n'));
    });
  });

  it('names how the run ended, the time budget included', () => {
    const ended = (reason: 'completed' | 'early-stop' | 'stopped' | 'time-limit'): string =>
      reduceMonitor(initialMonitorState('h:1'), ev(1, { kind: 'TrainEnd', epoch: 3, step: 9, reason, durationMs: 1 })).status;
    assert.deepEqual(
      (['completed', 'early-stop', 'stopped', 'time-limit'] as const).map(ended),
      ['FINISHED', 'EARLY_STOPPED', 'STOPPED', 'TIME_LIMIT'],
    );
  });

  it("shows GetRun's status by the names the events give (the exit code tests for FAILED)", () => {
    const ends: TrainEvent[] = [
      ...(['completed', 'early-stop', 'stopped', 'time-limit'] as const).map((reason): TrainEvent => ({ kind: 'TrainEnd', time: 0, epoch: 3, step: 9, reason, durationMs: 1 })),
      { kind: 'Error', time: 0, epoch: 3, step: 9, message: 'disk full', fatal: true },
    ];
    for (const e of ends) {
      const byEvent = reduceMonitor(initialMonitorState('h:1'), ev(1, e)).status;
      const run = { ...reduceRun(initialRun('r1'), e, 1), subscribers: 1, oldestSequence: 1 };
      assert.equal(reduceMonitor(initialMonitorState('h:1'), { type: 'run', run }).status, byEvent, `${e.kind} ${e.kind === 'TrainEnd' ? e.reason : ''}`);
    }
    assert.equal(reduceMonitor(initialMonitorState('h:1'), { type: 'run', run: { ...initialRun('r1'), subscribers: 1, oldestSequence: 0 } }).status, 'STARTING');
  });

  it('endedAs names an ended run\'s status in the TrainEnd line\'s words (completed, not FINISHED), and no end for a live one', () => {
    const reasons = ['completed', 'early-stop', 'stopped', 'time-limit'] as const;
    const statuses = reasons.map((reason) => reduceMonitor(initialMonitorState('h:1'), ev(1, { kind: 'TrainEnd', epoch: 3, step: 9, reason, durationMs: 1 })).status);
    assert.deepEqual(statuses.map(endedAs), [...reasons]);
    assert.equal(endedAs('FAILED'), 'failed');
    for (const live of ['UNKNOWN', 'UNSPECIFIED', 'STARTING', 'RUNNING']) assert.equal(endedAs(live), undefined, live);
    assert.equal(endedAs('9'), '9'); // a status newer than this client, as it arrived
  });

  describe('a training restarted in a new process (resumed)', () => {
    const begin = (seq: number, epoch: number, resumedFrom?: string): WatchSignal =>
      ev(seq, { kind: 'TrainBegin', epoch, step: epoch * 4, backend: 'wasm', threads: 2, replicas: 1, epochs: 6, stepsPerEpoch: 4, config: {}, ...(resumedFrom !== undefined ? { resumedFrom } : {}) });
    const end = (seq: number, epoch: number): WatchSignal =>
      ev(seq, { kind: 'EpochEnd', epoch, step: 4 * (epoch + 1), trainLoss: 1 + epoch / 10, trainAccuracy: 0.5, lr: 0.01, durationMs: 1000 });
    const rows = (lines: string[]): string[] => lines.filter((l) => /^ {3,4}\d|^ +\d-\d+ /.test(l)).map((l) => l.trim().split(/\s+/).slice(0, 2).join(' '));

    it('keeps the epochs it saw before the restart that the resumed run does not train again', () => {
      const signals = [begin(1, 0), end(2, 0), end(3, 1), end(4, 2), { type: 'restarted' } as WatchSignal, begin(1, 2, 'ckpt-2'), end(2, 2), end(3, 3)];
      const s = signals.reduce(reduceMonitor, initialMonitorState('h:1'));
      // Epoch 3 (0-based 2) was trained again after the restart: its new row, once.
      assert.deepEqual(rows(renderMonitor(s, 80)), ['1 1.000', '2 1.100', '3 1.200', '4 1.300']);
      // A training started afresh in the new process starts a new table.
      const afresh = [begin(1, 0), end(2, 0), end(3, 1), { type: 'restarted' } as WatchSignal, begin(1, 0), end(2, 0)].reduce(reduceMonitor, initialMonitorState('h:1'));
      assert.deepEqual(rows(renderMonitor(afresh, 80)), ['1 1.000']);
    });

    it('says which epochs ran before the restart when it did not see them (started after it)', () => {
      const s = [begin(1, 3, 'runs/r/checkpoints/epoch-0003.rxckpt'), end(2, 3)].reduce(reduceMonitor, initialMonitorState('h:1'));
      const wide = renderMonitor(s, 80);
      assert.deepEqual(rows(wide), ['1-3 before', '4 1.300']);
      assert.match(wide.join('\n'), /\n {2}1-3 {2}before the restart\n/);
      assert.match(renderMonitor(s, 40).join('\n'), /\nepochs 1-3 {2}before the restart\n/);
      const one = [begin(1, 1, 'ckpt-1')].reduce(reduceMonitor, initialMonitorState('h:1'));
      assert.match(renderMonitor(one, 80).join('\n'), /\n {4}1 {2}before the restart/);
    });

    it('after a restart it reconnects rather than waits, and says where training resumed once the new TrainBegin comes', () => {
      const dropped: WatchSignal = { type: 'disconnected', code: 14, details: 'connect ECONNREFUSED', message: 'nothing listens on h:1 yet — is training running?', retryInMs: 500 };
      const seen = [begin(1, 0), end(2, 0), dropped, { type: 'restarted' } as WatchSignal].reduce(reduceMonitor, initialMonitorState('h:1'));
      // Between the new stream's start and its first event (a retry then): still the run seen before.
      const between = renderMonitor(reduceMonitor(seen, dropped), 80);
      assert.match(between.join('\n'), /\[reconnecting: nothing listens/);
      assert.doesNotMatch(between.join('\n'), /waiting|nothing received yet/);
      assert.match(between.join('\n'), /run r1 /);
      const resumed = reduceMonitor(seen, begin(1, 1, 'runs/r/ckpt-1'));
      const notes = renderMonitor(resumed, 80).join('\n');
      assert.match(notes, /\n {2}training restarted: resumed at epoch 2\/6 step 4 from runs\/r\/ckpt-1$/);
      assert.doesNotMatch(notes, /new event stream|resumed from/, 'one note says it');
      assert.match(renderMonitor(reduceMonitor(seen, begin(1, 0)), 80).join('\n'), /\n {2}training restarted: a new run, from epoch 1$/);
      // A monitor that started after the restart just says where the run resumed from.
      assert.match(renderMonitor(reduceMonitor(initialMonitorState('h:1'), begin(1, 1, 'runs/r/ckpt-1')), 80).join('\n'), /\n {2}resumed from runs\/r\/ckpt-1$/);
    });

    it("fills in a restart's note from the new stream's first event when its TrainBegin never comes (evicted, --kinds)", () => {
      const restarted: WatchSignal = { type: 'restarted' };
      const s = [begin(1, 0), end(2, 0), restarted, end(7, 2)].reduce(reduceMonitor, initialMonitorState('h:1'));
      assert.deepEqual(s.notes.map((n) => n.text), ['training restarted: going on at epoch 3 step 12']);
      // Once the run's epochs are known (GetRun), out of them; a cursor event shows the epoch it follows.
      const run: WatchSignal = { type: 'run', run: { ...initialRun('r1'), epochs: 6, subscribers: 1, oldestSequence: 5 } };
      const known = [begin(1, 0), restarted, run, ev(5, { kind: 'CheckpointSaved', epoch: 3, step: 12, path: 'ckpt-3', best: false })].reduce(reduceMonitor, initialMonitorState('h:1'));
      assert.deepEqual(known.notes.map((n) => n.text), ['training restarted: going on at epoch 3/6 step 12']);
    });

    it("fills in only the latest restart's note: an earlier stream the monitor saw nothing of keeps its own", () => {
      const restarted: WatchSignal = { type: 'restarted' };
      const s = [begin(1, 0), end(2, 0), restarted, restarted, begin(1, 1, 'runs/r/ckpt-1')].reduce(reduceMonitor, initialMonitorState('h:1'));
      assert.deepEqual(s.notes.map((n) => n.text), ['training restarted: new event stream', 'training restarted: resumed at epoch 2/6 step 4 from runs/r/ckpt-1']);
    });

    it("shows the epochs before the restart with their figures when TrainBegin carries the run's history", () => {
      const history = [0, 1, 2].map((epoch) => ({ epoch, trainLoss: 1 + epoch / 10, trainAccuracy: 0.5, valLoss: 2 + epoch / 10, valAccuracy: 0.25, lr: 0.005, durationMs: 1000 }));
      const resumed: WatchSignal = ev(1, { kind: 'TrainBegin', epoch: 3, step: 12, backend: 'wasm', threads: 2, replicas: 1, epochs: 6, stepsPerEpoch: 4, config: {}, resumedFrom: 'ckpt-3', history });
      const s = [resumed, end(2, 3)].reduce(reduceMonitor, initialMonitorState('h:1'));
      const wide = renderMonitor(s, 80);
      assert.deepEqual(rows(wide), ['1 1.000', '2 1.100', '3 1.200', '4 1.300']);
      assert.doesNotMatch(wide.join('\n'), /before the restart/);
      // Every figure of an earlier epoch: train and val loss and accuracy, lr, time.
      assert.match(wide.join('\n'), /\n {4}3 {7}1\.200 {6}50\.0% {5}2\.200 {4}25\.0% {4}0\.00500 {6}1\.0s\n/);
      assert.match(renderMonitor(s, 40).join('\n'), /\nepoch 3 {2}train loss 1\.200 acc 50\.0%\n {2}val loss 2\.200 acc 25\.0%\n {2}lr 0\.00500 {2}1\.0s\n/);
      // The monitor saw epochs 1-2 of the earlier process; the checkpoint's history has them all.
      const seenSome = [begin(1, 0), end(2, 0), end(3, 1), { type: 'restarted' } as WatchSignal, resumed].reduce(reduceMonitor, initialMonitorState('h:1'));
      assert.deepEqual(rows(renderMonitor(seenSome, 80)), ['1 1.000', '2 1.100', '3 1.200']);
      // A long run: the table keeps its latest rows, as it does without a restart.
      const long = Array.from({ length: 40 }, (_, epoch) => ({ ...history[0], epoch }));
      const late = [ev(1, { kind: 'TrainBegin', epoch: 40, step: 160, backend: 'wasm', threads: 2, replicas: 1, epochs: 90, stepsPerEpoch: 4, config: {}, resumedFrom: 'ckpt-40', history: long })].reduce(reduceMonitor, initialMonitorState('h:1'));
      assert.deepEqual(rows(renderMonitor(late, 80)), ['1-35 before', '36 1.000', '37 1.000', '38 1.000', '39 1.000', '40 1.000']);
    });
  });

  it("following past a run's end (--follow): says it waits for the next run, through the tries at the address, and a failed end says FAILED", () => {
    const begin = ev(1, { kind: 'TrainBegin', epoch: 0, step: 0, backend: 'wasm', threads: 2, replicas: 1, epochs: 2, stepsPerEpoch: 4, config: {} });
    const ended: WatchSignal = { type: 'ended', failed: false, details: '' };
    const dropped: WatchSignal = { type: 'disconnected', code: 14, details: 'connect ECONNREFUSED', message: 'nothing listens on h:1 any more — did training stop?', retryInMs: 500 };
    const s = [begin, ev(2, { kind: 'TrainEnd', epoch: 2, step: 8, reason: 'stopped', durationMs: 10 }), ended, { type: 'connected', fromSequence: 3 } as WatchSignal, dropped].reduce(reduceMonitor, initialMonitorState('h:1'));
    assert.match(renderMonitor(s, 80)[0], /\[ended: waiting for the next run\]$/);
    assert.equal(s.status, 'STOPPED');
    const failed = [begin, { type: 'ended', failed: true, details: 'training failed: loss is NaN' } as WatchSignal].reduce(reduceMonitor, initialMonitorState('h:1'));
    assert.equal(failed.status, 'FAILED');
    // The next run's stream: the view is live again.
    const next = [{ type: 'restarted' } as WatchSignal, begin].reduce(reduceMonitor, s);
    assert.match(renderMonitor(next, 80)[0], /\[live\]$/);
  });

  it('starts over on a server restart and keeps lines within the terminal width', () => {
    const s = reduceMonitor(reduceMonitor(initialMonitorState('h:1'), ev(9, { kind: 'CheckpointSaved', epoch: 0, step: 1, path: 'x'.repeat(300), best: false })), { type: 'restarted' });
    assert.equal(s.lastSequence, 0);
    assert.equal(s.checkpoints.length, 0);
    for (const line of renderMonitor(reduceMonitor(initialMonitorState('h:1'), ev(1, { kind: 'CheckpointSaved', epoch: 0, step: 1, path: 'y'.repeat(300), best: true })), 60)) {
      assert.ok(line.length <= 60, line);
    }
  });
});
