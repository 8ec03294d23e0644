import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { concat, from, lastValueFrom, Observable, throwError } from 'rxjs';
import { trainProgress } from '../../src/cli/trainProgress';
import type { TrainEvent } from '../../src/telemetry/TrainEvent';

const base = { time: 0, epoch: 0, step: 0 };
const begin: TrainEvent = { kind: 'TrainBegin', ...base, runId: 'r', backend: 'cpu', threads: 1, replicas: 1, epochs: 3, stepsPerEpoch: 4, config: null };
const epochBegin: TrainEvent = { kind: 'EpochBegin', ...base, lr: 0.1, steps: 4, startBatch: 0 };
const batch = (b: number): TrainEvent => ({ kind: 'BatchEnd', ...base, step: b + 1, batch: b, batchSize: 10, loss: 1.5 - b / 10, accuracy: 0.25, imagesPerSec: 20 });
const epochEnd: TrainEvent = { kind: 'EpochEnd', ...base, step: 4, trainLoss: 1, trainAccuracy: 0.5, lr: 0.1, durationMs: 2000 };

function sink() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

describe('trainProgress', () => {
  it('writes plain lines at most every lineEveryMs, and always the last batch of an epoch', async () => {
    const s = sink();
    let t = 0;
    const clock = () => t;
    const events = [begin, epochBegin, batch(0), batch(1), batch(2), batch(3), epochEnd];
    const times = [0, 0, 500, 1200, 1500, 1600, 1700];
    const timed$ = from(events.map((e, i) => ({ e, at: times[i] })));
    await lastValueFrom(
      trainProgress({ stream: s.stream, bar: false, lineEveryMs: 1000, now: clock })(
        new Observable<TrainEvent>((sub) => {
          timed$.subscribe({ next: ({ e, at }) => ((t = at), sub.next(e)), complete: () => sub.complete() });
        }),
      ),
      { defaultValue: undefined },
    );
    const lines = s.text().trim().split('\n');
    assert.deepEqual(lines, [
      'epoch 1/3 batch 2/4 | 20.0 img/s | ETA 1.2s | loss 1.4000 acc 25.0%', // 2 steps in 1.2 s, 2 left
      'epoch 1/3 batch 4/4 | 20.0 img/s | ETA done | loss 1.2000 acc 25.0%',
    ]);
  });

  it('ends an epoch that skipped samples at the batches it trained, saying how many fewer, in plain lines', async () => {
    const s = sink();
    // 4 batches planned; skips left 3 in the first epoch, none in the second, and a resumed
    // epoch (at batch 2, step 10) trained 1 more before its data ran out. No line is due by time.
    const events: TrainEvent[] = [
      begin, epochBegin, batch(0), batch(1), batch(2), { ...epochEnd, step: 3 },
      { ...epochBegin, epoch: 1, step: 3 }, ...[0, 1, 2, 3].map((b) => ({ ...batch(b), epoch: 1, step: 4 + b })), { ...epochEnd, epoch: 1, step: 7 },
      { ...begin, epoch: 2, step: 10, resumedFrom: 'ckpt' }, { ...epochBegin, epoch: 2, step: 10, startBatch: 2 }, { ...batch(2), epoch: 2, step: 11 }, { ...epochEnd, epoch: 2, step: 11 },
    ];
    await lastValueFrom(trainProgress({ stream: s.stream, bar: false, lineEveryMs: 1e12 })(from(events)), { defaultValue: undefined });
    assert.deepEqual(s.text().trim().split('\n'), [
      'epoch 1/3 batch 3/4 (1 fewer: samples skipped) | 20.0 img/s | ETA done | loss 1.3000 acc 25.0%',
      'epoch 2/3 batch 4/4 | 20.0 img/s | ETA done | loss 1.2000 acc 25.0%',
      'epoch 3/3 batch 3/4 (1 fewer: samples skipped) | 20.0 img/s | ETA done | loss 1.3000 acc 25.0%',
    ]);
  });

  it('leaves the end line of an epoch that skipped samples when it clears the bar', async () => {
    const run = async (events: TrainEvent[]): Promise<string> => {
      const s = sink();
      await lastValueFrom(trainProgress({ stream: Object.assign(s.stream, { isTTY: true }), bar: true })(from(events)), { defaultValue: undefined });
      return s.text();
    };
    const short = await run([begin, epochBegin, batch(0), batch(1), batch(2), { ...epochEnd, step: 3 }]);
    assert.match(short, /epoch 1\/3 batch 3\/4 \(1 fewer: samples skipped\) \| 20\.0 img\/s \| ETA done \| loss 1\.3000 acc 25\.0%\n$/);
    // A full epoch's bar is only cleared: the logger's epoch line takes its place.
    const full = await run([begin, epochBegin, batch(0), batch(1), batch(2), batch(3), epochEnd]);
    assert.doesNotMatch(full, /fewer|\n/);
  });

  it("shows an epoch whose data ran out short done at its last BatchEnd, before its validation ends", async () => {
    const last: TrainEvent = { kind: 'BatchEnd', ...base, step: 3, batch: 2, batchSize: 10, loss: 1.3, accuracy: 0.25, imagesPerSec: 20, lastOfEpoch: true };
    // Plain lines: the end line at once (no line is due by time), and not again at EpochEnd.
    const plain = async (events: TrainEvent[]): Promise<string[]> => {
      const s = sink();
      await lastValueFrom(trainProgress({ stream: s.stream, bar: false, lineEveryMs: 1e12 })(from(events)), { defaultValue: undefined });
      return s.text().trim().split('\n');
    };
    const endLine = 'epoch 1/3 batch 3/4 (1 fewer: samples skipped) | 20.0 img/s | ETA done | loss 1.3000 acc 25.0%';
    assert.deepEqual(await plain([begin, epochBegin, batch(0), batch(1), last]), [endLine]);
    assert.deepEqual(await plain([begin, epochBegin, batch(0), batch(1), last, { ...epochEnd, step: 3 }]), [endLine]);
    // The bar: full, with the count it trained, while validation runs (a terminal wide enough for all of it).
    const s = sink();
    await lastValueFrom(trainProgress({ stream: Object.assign(s.stream, { isTTY: true, columns: 120 }), bar: true })(from([begin, epochBegin, batch(0), batch(1), last])), { defaultValue: undefined });
    assert.match(s.text(), /epoch 1\/3 \[\u2588+\] 3\/4 \(1 fewer: samples skipped\) \| +20\.0 img\/s \| ETA +done \| loss 1\.3000 acc +25\.0%/);
  });

  describe('while an epoch validates (ValidationProgress)', () => {
    const val = (batchesDone: number, images: number, batches: number | null = 5): TrainEvent => ({ kind: 'ValidationProgress', ...base, step: 4, batchesDone, images, ...(batches === null ? {} : { batches }) });
    // What a terminal shows of each redraw: the text between cli-progress's escape sequences.
    // eslint-disable-next-line no-control-regex
    const drawn = (text: string) => text.split(/\x1b\[[0-9;?]*[A-Za-z]/).filter((l) => l.startsWith('epoch '));
    /** Feeds `events`, each at its time on the clock. */
    const timed = (events: ReadonlyArray<readonly [number, TrainEvent]>, clock: { t: number }) =>
      new Observable<TrainEvent>((sub) => {
        for (const [at, e] of events) {
          clock.t = at;
          sub.next(e);
        }
        sub.complete();
      });

    it('plain lines: a validation line at most every lineEveryMs, img/s and ETA from the pass so far', async () => {
      const s = sink();
      const clock = { t: 0 };
      const events = timed([[0, begin], [0, epochBegin], [400, batch(0)], [800, batch(1)], [1200, batch(2)], [1600, batch(3)], [2000, val(0, 0)], [2500, val(1, 10)], [3000, val(2, 20)], [3500, val(3, 30)], [4200, val(5, 50)], [4300, epochEnd]], clock);
      await lastValueFrom(trainProgress({ stream: s.stream, bar: false, lineEveryMs: 1000, now: () => clock.t })(events), { defaultValue: undefined });
      assert.deepEqual(s.text().trim().split('\n'), [
        'epoch 1/3 batch 3/4 | 20.0 img/s | ETA 400ms | loss 1.3000 acc 25.0%',
        'epoch 1/3 batch 4/4 | 20.0 img/s | ETA done | loss 1.2000 acc 25.0%',
        'epoch 1/3 validating 2/5 | 20.0 img/s | ETA 1.5s', // 2 batches in 1 s since it began, 3 left
        'epoch 1/3 validating 5/5 | 22.7 img/s | ETA done',
      ]);
    });

    it('the bar becomes a validation bar at once, which EpochEnd clears; without a planned count, a count and no bar', async () => {
      const run = async (events: TrainEvent[], columns = 120): Promise<string> => {
        const s = sink();
        const clock = { t: 0 };
        await lastValueFrom(trainProgress({ stream: Object.assign(s.stream, { isTTY: true, columns }), bar: true, now: () => clock.t })(timed(events.map((e, i) => [i * 500, e] as const), clock)), { defaultValue: undefined });
        return s.text();
      };
      const started = drawn(await run([begin, epochBegin, batch(0), batch(1), batch(2), batch(3), val(0, 0)]));
      assert.match(started[started.length - 1], /^epoch 1\/3 validating \[\u2591+\] 0\/5 \| +- img\/s \| ETA +-$/);
      const going = drawn(await run([begin, epochBegin, batch(0), batch(1), batch(2), batch(3), val(0, 0), val(2, 20)]));
      assert.match(going[going.length - 1], /^epoch 1\/3 validating \[\u2588+\u2591+\] 2\/5 \| +40\.0 img\/s \| ETA +750ms$/);
      const unknown = drawn(await run([begin, epochBegin, batch(3), val(0, 0), val(6, 60, null)]));
      assert.equal(unknown[unknown.length - 1], 'epoch 1/3 validating 6 |  120.0 img/s | ETA      -');
      // Cleared at EpochEnd, leaving nothing behind (the logger's epoch line takes its place).
      const ended = await run([begin, epochBegin, batch(0), batch(1), batch(2), batch(3), val(0, 0), val(2, 20), epochEnd]);
      assert.doesNotMatch(ended, /\n/);
      for (const columns of [80, 40, 30]) {
        const lines = drawn(await run([begin, epochBegin, batch(3), val(0, 0), val(2, 20)], columns)).filter((l) => l.includes('validating'));
        assert.ok(lines.length > 0 && lines.every((l) => l.length < columns), `${columns} columns: ${JSON.stringify(lines)}`);
        assert.match(lines[lines.length - 1], /validating .*2\/5/);
      }
    });

    it("an epoch that skipped samples leaves its end line above the validation bar, once", async () => {
      const s = sink();
      const last: TrainEvent = { kind: 'BatchEnd', ...base, step: 3, batch: 2, batchSize: 10, loss: 1.3, accuracy: 0.25, imagesPerSec: 20, lastOfEpoch: true };
      await lastValueFrom(trainProgress({ stream: Object.assign(s.stream, { isTTY: true, columns: 120 }), bar: true })(from([begin, epochBegin, batch(0), batch(1), last, val(0, 0), val(1, 10), { ...epochEnd, step: 3 }])), { defaultValue: undefined });
      const text = s.text();
      const endLine = 'epoch 1/3 batch 3/4 (1 fewer: samples skipped) | 20.0 img/s | ETA done | loss 1.3000 acc 25.0%\n';
      assert.equal(text.split(endLine).length, 2, text);
      assert.ok(text.indexOf(endLine) < text.indexOf('validating'), 'written before the validation bar');
    });
  });

  it('shows no ETA before the first batch, then one from the average step time of the epoch', async () => {
    const s = sink();
    let t = 0;
    const tty = Object.assign(s.stream, { isTTY: true });
    const events$ = new Observable<TrainEvent>((sub) => {
      sub.next(begin);
      sub.next(epochBegin);
      t = 3000; // a slow first step (warm-up), then 0.5 s each
      sub.next(batch(0));
      t = 3500;
      sub.next(batch(1));
      sub.complete();
    });
    await lastValueFrom(trainProgress({ stream: tty, bar: true, now: () => t })(events$), { defaultValue: undefined });
    const text = s.text();
    assert.match(text, /0\/4 \| +- img\/s \| ETA +- \|/, 'nothing to estimate from before a batch ends');
    assert.doesNotMatch(text, /ETA 0s/);
    assert.match(text, /2\/4 \| +20\.0 img\/s \| ETA +3\.5s \|/, '2 left at 3.5 s / 2 steps each');
  });

  it('draws a bar and clears it, passing errors on', async () => {
    const s = sink();
    const err = new Error('boom');
    await assert.rejects(
      lastValueFrom(trainProgress({ stream: Object.assign(s.stream, { isTTY: true }), bar: true })(concat(from([begin, epochBegin, batch(0)]), throwError(() => err)))),
      /boom/,
    );
    assert.match(s.text(), /epoch 1\/3/);
  });

  it('starts the bar of a resumed epoch at the resumed batch, and the next epoch at 0', async () => {
    const s = sink();
    // Resumed at epoch 1 (0-based), batch 3 of 4: global step 7.
    const resumed: TrainEvent = { ...begin, epoch: 1, step: 7, resumedFrom: 'ckpt' };
    const at = { epoch: 1, step: 7, startBatch: 3 };
    const events: TrainEvent[] = [resumed, { ...epochBegin, ...at }];
    await lastValueFrom(trainProgress({ stream: Object.assign(s.stream, { isTTY: true }), bar: true })(from(events)), { defaultValue: undefined });
    assert.match(s.text(), /epoch 2\/3 \[[^\]]*\] 3\/4 \|/);
    assert.doesNotMatch(s.text(), / 0\/4 \|/);

    const t = sink();
    const next: TrainEvent[] = [resumed, { ...epochBegin, ...at }, { ...epochEnd, epoch: 1, step: 8 }, { ...epochBegin, epoch: 2, step: 8 }];
    await lastValueFrom(trainProgress({ stream: Object.assign(t.stream, { isTTY: true }), bar: true })(from(next)), { defaultValue: undefined });
    assert.match(t.text(), /epoch 3\/3 \[[^\]]*\] 0\/4 \|/);
  });

  it('starts a resumed epoch at the batch it continues, though skips shortened an earlier epoch', async () => {
    const s = sink();
    // Epoch 0 trained 3 of 4 batches (skips), epoch 1 stopped after 2: resumed at global step 5, batch 2.
    const events: TrainEvent[] = [{ ...begin, epoch: 1, step: 5, resumedFrom: 'ckpt' }, { ...epochBegin, epoch: 1, step: 5, startBatch: 2 }];
    await lastValueFrom(trainProgress({ stream: Object.assign(s.stream, { isTTY: true }), bar: true })(from(events)), { defaultValue: undefined });
    assert.match(s.text(), /epoch 2\/3 \[[^\]]*\] 2\/4 \|/);
    assert.doesNotMatch(s.text(), / 1\/4 \|/);
  });

  it('gives the terminal its cursor and line wrapping back when the process exits while a bar is drawn (a second Ctrl-C)', () => {
    const s = sink();
    const tty = Object.assign(s.stream, { isTTY: true });
    let atExit: (() => void) | undefined;
    const events$ = new Observable<TrainEvent>((sub) => {
      sub.next(begin);
      sub.next(epochBegin);
      sub.next(batch(0));
    });
    const sub = trainProgress({ stream: tty, bar: true, atExit: (restore) => ((atExit = restore), () => (atExit = undefined)) })(events$).subscribe();
    try {
      assert.ok(s.text().includes('\x1b[?25l'), 'the bar hides the cursor');
      assert.ok(atExit !== undefined, 'a bar on the screen is restored when the process exits');
      atExit();
      const after = s.text().slice(s.text().lastIndexOf('\x1b[?25l'));
      assert.ok(after.includes('\x1b[?25h') && after.includes('\x1b[?7h'), JSON.stringify(after));
    } finally {
      sub.unsubscribe();
    }
    assert.equal(atExit, undefined, 'no restore once the bar is gone');
  });

  it('keeps every figure of the bar in its column from frame to frame, whatever its digits', async () => {
    // eslint-disable-next-line no-control-regex
    const drawn = (text: string) => text.split(/\x1b\[[0-9;?]*[A-Za-z]/).filter((l) => l.startsWith('epoch '));
    const many: TrainEvent = { ...epochBegin, steps: 120 };
    // Each run ends on one frame: the first frame (nothing known yet) and those of batches whose
    // count, img/s, ETA, loss and accuracy differ in their number of digits.
    const frames = async (columns: number, b: number, ips: number, loss: number, accuracy: number, t: number): Promise<string[]> => {
      const s = sink();
      let now = 0;
      const events$ = new Observable<TrainEvent>((sub) => {
        sub.next(begin);
        sub.next(many);
        now = t;
        sub.next({ kind: 'BatchEnd', ...base, step: b + 1, batch: b, batchSize: 10, loss, accuracy, imagesPerSec: ips });
        sub.complete();
      });
      await lastValueFrom(trainProgress({ stream: Object.assign(s.stream, { isTTY: true, columns }), bar: true, now: () => now })(events$), { defaultValue: undefined });
      return drawn(s.text());
    };
    for (const columns of [120, 80]) {
      const lines = [
        ...(await frames(columns, 0, 9.5, 2.3026, 0.05, 100)),
        ...(await frames(columns, 9, 512.25, 0.5, 0.5, 100_000)),
        ...(await frames(columns, 98, 1234.5, 0.0123, 1, 100)),
      ];
      assert.ok(lines.some((l) => l.includes(' 0/120 | ')) && lines.some((l) => l.includes('1234.5 img/s')), JSON.stringify(lines));
      const columnsOf = (l: string) => [...l].flatMap((c, i) => (c === '|' || c === ']' ? [i] : []));
      for (const line of lines) {
        assert.equal(line.length, lines[0].length, `${columns} columns: ${JSON.stringify(lines)}`);
        assert.deepEqual(columnsOf(line), columnsOf(lines[0]), `${columns} columns: ${JSON.stringify(lines)}`);
      }
    }
  });

  it('fits the bar line to the terminal, keeping the loss and accuracy in sight', async () => {
    // What a terminal shows of each redraw: the text between cli-progress's escape sequences.
    // eslint-disable-next-line no-control-regex
    const drawn = (text: string) => text.split(/\x1b\[[0-9;?]*[A-Za-z]/).filter((l) => l.startsWith('epoch '));
    for (const columns of [200, 80, 60, 40]) {
      const s = sink();
      let t = 0;
      const events$ = new Observable<TrainEvent>((sub) => {
        sub.next(begin);
        sub.next(epochBegin);
        t = 1000;
        sub.next(batch(0));
        t = 2000;
        sub.next(batch(1));
        sub.complete();
      });
      await lastValueFrom(trainProgress({ stream: Object.assign(s.stream, { isTTY: true, columns }), bar: true, now: () => t })(events$), { defaultValue: undefined });
      const lines = drawn(s.text());
      assert.ok(lines.length > 0, `${columns} columns: a line was drawn`);
      for (const line of lines) assert.ok(line.length < columns, `${columns} columns: '${line}' fits`);
      assert.match(lines[lines.length - 1], /^epoch 1\/3 .*2\/4 .*\| loss 1\.4000 acc +25\.0%$/, `${columns} columns`);
    }
  });

});
