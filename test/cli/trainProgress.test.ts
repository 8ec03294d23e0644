import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { concat, from, lastValueFrom, Observable, throwError } from 'rxjs';
import { trainProgress } from '../../src/cli/trainProgress';
import type { TrainEvent } from '../../src/telemetry/TrainEvent';

const base = { time: 0, epoch: 0, step: 0 };
const begin: TrainEvent = { kind: 'TrainBegin', ...base, runId: 'r', backend: 'cpu', threads: 1, replicas: 1, epochs: 3, stepsPerEpoch: 4, config: null };
const epochBegin: TrainEvent = { kind: 'EpochBegin', ...base, lr: 0.1, steps: 4 };
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
      'epoch 1/3 batch 2/4 | 20.0 img/s | ETA 1.0s | loss 1.4000 acc 25.0%',
      'epoch 1/3 batch 4/4 | 20.0 img/s | ETA 0ms | loss 1.2000 acc 25.0%',
    ]);
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
});
