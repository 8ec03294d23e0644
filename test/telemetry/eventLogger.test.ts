import assert from 'node:assert/strict';
import { concat, lastValueFrom, of, Subject, throwError } from 'rxjs';
import { createLogger } from '../../src/telemetry/createLogger';
import { eventLogger, formatDuration, formatEvent, INITIALISED_FRESH_LOG_MAX } from '../../src/telemetry/eventLogger';
import { DEFAULT_RUN_ID, type TrainEvent } from '../../src/telemetry/TrainEvent';
import { checkpoint, epochEnd, trainBegin, trainEnd } from './events';

function capture(level: 'error' | 'warn' | 'info' | 'debug') {
  const lines: string[] = [];
  const logger = createLogger({ level, console: { write: (t: string) => lines.push(...t.trimEnd().split('\n')) }, clock: () => new Date(0) });
  return { lines, logger };
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const batch: TrainEvent = { kind: 'BatchEnd', time: 0, epoch: 1, step: 14, batch: 3, batchSize: 64, loss: 1.23456, accuracy: 0.5, imagesPerSec: 123.45 };
const skipped: TrainEvent = { kind: 'SampleSkipped', time: 0, epoch: 1, step: 14, path: 'a/b.jpg', reason: 'truncated', message: 'bad JPEG' };
const failed: TrainEvent = { kind: 'Error', time: 0, epoch: 1, step: 14, message: 'NaN loss', fatal: true };

describe('formatDuration', () => {
  it('picks a readable unit', () => {
    assert.equal(formatDuration(850), '850ms');
    assert.equal(formatDuration(12_340), '12.3s');
    assert.equal(formatDuration(245_000), '4m05s');
    assert.equal(formatDuration(3_723_000), '1h02m03s');
  });
});

describe('eventLogger', () => {
  it('logs one info line per epoch with train/val loss and accuracy, lr and duration', async () => {
    const { lines, logger } = capture('info');
    await lastValueFrom(eventLogger(logger)(of<TrainEvent[]>(trainBegin(0), batch, epochEnd(1), checkpoint(1), trainEnd(1))), { defaultValue: undefined });
    assert.deepEqual(lines.map((l) => l.slice(25)), [
      'INFO  starting run run-1: 5 epochs × 10 steps, backend wasm, 2 threads, 1 replica',
      'INFO  epoch 2/5: train loss 1.0000 acc 20.00% | val loss 1.2500 acc 18.00% | lr 0.0100 | 1m02s',
      'INFO  checkpoint saved at step 20: ckpt/epoch-1 (best so far)',
      'INFO  training ended (completed) at step 20, after 1h02m03s',
    ]);
  });

  it('leaves the default run id out of the start line (a run started without a name)', () => {
    assert.deepEqual(formatEvent({ ...trainBegin(0), runId: DEFAULT_RUN_ID }), ['info', 'starting run: 5 epochs × 10 steps, backend wasm, 2 threads, 1 replica']);
    assert.match(formatEvent({ ...trainBegin(2, 'ckpt/epoch-1'), runId: DEFAULT_RUN_ID })[1], /^resuming run: 5 epochs × 10 steps, .*, from ckpt\/epoch-1 at epoch 3/);
  });

  it('counts the run\'s skipped files by reason after the end, most first, when there were any', async () => {
    const skip = (path: string, reason: string): TrainEvent => ({ ...skipped, path, reason: reason as 'hidden' });
    const events = [trainBegin(0), skip('a/.DS_Store', 'hidden'), skip('a/x.jpg', 'truncated'), skip('a/._y.jpg', 'hidden'), skip('a/z.jpg', 'empty'), epochEnd(1), trainEnd(1)];
    const { lines, logger } = capture('info');
    await lastValueFrom(eventLogger(logger)(of<TrainEvent[]>(...events)), { defaultValue: undefined });
    assert.deepEqual(lines.slice(-2).map((l) => l.slice(25)), [
      'INFO  training ended (completed) at step 20, after 1h02m03s',
      'INFO  skipped 4 files in this run, each named above: hidden 2, empty 1, truncated 1',
    ]);
    const one = capture('info');
    await lastValueFrom(eventLogger(one.logger)(of<TrainEvent[]>(trainBegin(0), skip('a/x.jpg', 'truncated'), trainEnd(1))), { defaultValue: undefined });
    assert.equal(one.lines.at(-1)?.slice(25), 'INFO  skipped 1 file in this run, each named above: truncated 1');
  });

  it('warns after the start line that a step takes minutes on the cpu backend, and not on another', async () => {
    const cpu = capture('info');
    await lastValueFrom(eventLogger(cpu.logger)(of<TrainEvent[]>({ ...trainBegin(0), backend: 'cpu' })), { defaultValue: undefined });
    assert.equal(cpu.lines.length, 2);
    assert.match(cpu.lines[1].slice(25), /^WARN {2}backend cpu runs tfjs's plain-JavaScript kernels: a convnet step takes minutes .*--backend wasm/);
    const wasm = capture('info');
    await lastValueFrom(eventLogger(wasm.logger)(of<TrainEvent[]>(trainBegin(0))), { defaultValue: undefined });
    assert.equal(wasm.lines.length, 1);
  });

  it('says that the threads are per replica when there are several (each replica its own backend)', () => {
    assert.deepEqual(formatEvent({ ...trainBegin(0), threads: 1, replicas: 2 }), ['info', 'starting run run-1: 5 epochs × 10 steps, backend wasm, 1 thread per replica, 2 replicas']);
  });

  it('adds the validation top-5 accuracy to the epoch line when the epoch has it (more than 5 classes)', () => {
    assert.deepEqual(formatEvent({ ...epochEnd(1), valTop5Accuracy: 0.625 }), ['info', 'epoch 2: train loss 1.0000 acc 20.00% | val loss 1.2500 acc 18.00% top-5 62.50% | lr 0.0100 | 1m02s']);
  });

  it("ends the epoch line with the epoch's training img/s when the event has it (not from a server before the field)", () => {
    assert.deepEqual(formatEvent({ ...epochEnd(1), imagesPerSec: 101.23 }, 5), ['info', 'epoch 2/5: train loss 1.0000 acc 20.00% | val loss 1.2500 acc 18.00% | lr 0.0100 | 1m02s, 101.2 img/s']);
    assert.equal(formatEvent(epochEnd(1), 5)[1], 'epoch 2/5: train loss 1.0000 acc 20.00% | val loss 1.2500 acc 18.00% | lr 0.0100 | 1m02s');
  });

  it('logs batches at debug, skips at warn and errors at error', () => {
    assert.deepEqual(formatEvent(batch), ['debug', 'epoch 2 batch 4 (step 14): loss 1.2346 acc 50.00% 123.5 img/s']);
    assert.deepEqual(formatEvent(skipped), ['warn', 'skipped a/b.jpg (truncated): bad JPEG']);
    assert.deepEqual(formatEvent(failed), ['error', 'fatal error at epoch 2, step 14: NaN loss']);
    assert.deepEqual(formatEvent(epochEnd(0, false), 3)[1], 'epoch 1/3: train loss 2.0000 acc 10.00% | lr 0.0100 | 1m02s');
    const { lines, logger } = capture('warn');
    eventLogger(logger)(of(batch, skipped, failed)).subscribe();
    assert.deepEqual(lines.map((l) => l.slice(25, 30)), ['WARN ', 'ERROR']);
  });

  it('logs validation progress at debug only, so that the log stays quiet at info', () => {
    const progress: TrainEvent = { kind: 'ValidationProgress', time: 0, epoch: 2, step: 30, batchesDone: 12, batches: 40, images: 768 };
    assert.deepEqual(formatEvent(progress, 30), ['debug', 'epoch 3/30 validating: 12/40 batches, 768 images']);
    assert.deepEqual(formatEvent({ kind: 'ValidationProgress', time: 0, epoch: 2, step: 30, batchesDone: 41, images: 2600 }, 30), ['debug', 'epoch 3/30 validating: 41 batches, 2600 images']);
  });

  it('logs a skip as one WARN line naming the file, even when its message has several lines', () => {
    // A Skip built by hand (not with skip()) from a libvips message: the logger stamps each line
    // of a message separately, so fragments without the file name would follow.
    const multi: TrainEvent = { ...skipped, reason: 'corrupt', message: 'Input buffer has corrupt header: VipsJpeg: Bogus Huffman table definition\nVipsJpeg: Bogus Huffman table definition\n' };
    const { lines, logger } = capture('warn');
    eventLogger(logger)(of(multi)).subscribe();
    assert.deepEqual(lines.map((l) => l.slice(25)), ['WARN  skipped a/b.jpg (corrupt): Input buffer has corrupt header: VipsJpeg: Bogus Huffman table definition']);
  });

  it('logs a skipped file whose name holds a line break on one line, the name quoted', () => {
    assert.deepEqual(formatEvent({ ...skipped, path: 'a/new\nline.jpg' }), ['warn', 'skipped "a/new\\nline.jpg" (truncated): bad JPEG']);
  });

  it('quotes a checkpoint path holding a line break, resumed from or saved, on one line', () => {
    assert.match(formatEvent(trainBegin(2, 'runs/new\nline/ckpt-2'))[1], /, from "runs\/new\\nline\/ckpt-2" at epoch 3, step 20$/);
    assert.deepEqual(formatEvent({ kind: 'CheckpointSaved', time: 0, epoch: 1, step: 20, path: 'runs/new\nline/ckpt-3', best: false }), [
      'info',
      'checkpoint saved at step 20: "runs/new\\nline/ckpt-3"',
    ]);
  });

  it('names the first few tensors a fine-tuned run left fresh and counts the rest, listing them all at debug level', async () => {
    const labels = (n: number): string[] => Array.from({ length: n }, (_, k) => `conv${k}/kernel [3,3,8,8] vs [3,3,8,16]`);
    const tuned = (fresh: string[], freshMore?: number): TrainEvent => ({
      ...trainBegin(0),
      initialisedFrom: { path: 'runs/pre/checkpoints/best.rxckpt', step: 32, weights: 'trained', taken: 2, total: 2 + fresh.length + (freshMore ?? 0), fresh, ...(freshMore === undefined ? {} : { freshMore }) },
    });
    const first = labels(INITIALISED_FRESH_LOG_MAX).join(', ');
    assert.match(formatEvent(tuned(labels(25)))[1], new RegExp(`; fresh: ${escape(first)}, and 15 more$`));
    // As many as the line names: no count; read back from gRPC, its own count of the rest adds up.
    assert.match(formatEvent(tuned(labels(INITIALISED_FRESH_LOG_MAX)))[1], new RegExp(`; fresh: ${escape(first)}$`));
    assert.match(formatEvent(tuned(labels(100), 150))[1], new RegExp(`; fresh: ${escape(first)}, and 240 more$`));
    for (const level of ['info', 'debug'] as const) {
      const { lines, logger } = capture(level);
      await lastValueFrom(eventLogger(logger)(of<TrainEvent[]>(tuned(labels(25)))), { defaultValue: undefined });
      assert.deepEqual(lines.slice(1).map((l) => l.slice(25)), level === 'info' ? [] : [`DEBUG fresh weight tensors (all 25): ${labels(25).join(', ')}`]);
    }
  });

  it('says when it resumes', () => {
    assert.match(formatEvent(trainBegin(2, 'runs/a/ckpt-2'))[1], /^resuming run run-1: .*, from runs\/a\/ckpt-2 at epoch 3, step 20$/);
  });

  it('says so when a resumed run has no epochs left, instead of "epoch 6/5"', () => {
    const line = formatEvent(trainBegin(5, 'runs/a/ckpt-5'), 5)[1];
    assert.match(line, /, from runs\/a\/ckpt-5: all 5 epochs are done already \(raise the epochs to train on\)$/);
    assert.doesNotMatch(line, /6\/5/);
  });

  it('logs a non-fatal Error as a warning, with a position only once training has started', () => {
    const warning: TrainEvent = { kind: 'Error', time: 0, epoch: 0, step: 0, message: 'checkpoint c2 is unusable; falling back to c1', fatal: false };
    assert.deepEqual(formatEvent(warning), ['warn', 'warning: checkpoint c2 is unusable; falling back to c1']);
    assert.deepEqual(formatEvent({ ...warning, epoch: 1, step: 14 }), ['warn', 'warning at epoch 2, step 14: checkpoint c2 is unusable; falling back to c1']);
    assert.deepEqual(formatEvent({ ...failed, epoch: 0, step: 0 }), ['error', 'fatal error: NaN loss']);
  });

  it('places an error after the last epoch (its checkpoint failed) after that epoch, not in an epoch past the end', () => {
    const full: TrainEvent = { ...failed, epoch: 2, step: 8, message: 'cannot write checkpoint c: ENOSPC' };
    assert.deepEqual(formatEvent(full, 2), ['error', 'fatal error after epoch 2/2, step 8: cannot write checkpoint c: ENOSPC']);
    assert.deepEqual(formatEvent({ ...full, epoch: 1, step: 4 }, 2), ['error', 'fatal error at epoch 2/2, step 4: cannot write checkpoint c: ENOSPC']);
  });

  it('logs a fatal error once, not again when the stream then fails with the same message', async () => {
    const { lines, logger } = capture('info');
    const fatal: TrainEvent = { kind: 'Error', time: 0, epoch: 0, step: 0, message: 'refusing to resume from c1: …', fatal: true };
    await assert.rejects(lastValueFrom(eventLogger(logger)(concat(of(fatal), throwError(() => new Error('refusing to resume from c1: …'))))), /refusing/);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], /ERROR fatal error: refusing to resume from c1: …$/);
  });

  it('logs an upstream error, then passes it on', async () => {
    const { lines, logger } = capture('info');
    await assert.rejects(lastValueFrom(eventLogger(logger)(concat(of(epochEnd(0)), throwError(() => new Error('disk full'))))), /disk full/);
    assert.match(lines[1], /ERROR training stream failed: disk full$/);
  });

  it('errors, naming the log, when the logger cannot write', async () => {
    const { logger } = capture('info');
    const broken = { ...logger, file: 'runs/x/train.log', log: () => { throw new Error('ENOSPC: no space left on device'); } };
    await assert.rejects(lastValueFrom(eventLogger(broken)(of(epochEnd(0)))), /logger: cannot write runs\/x\/train\.log: ENOSPC/);
  });

  it('completes on an empty stream and stops on early unsubscribe', async () => {
    const { lines, logger } = capture('debug');
    await lastValueFrom(eventLogger(logger, { closeOnEnd: true })(of()), { defaultValue: undefined });
    assert.deepEqual(lines, []);
    const s = new Subject<TrainEvent>();
    const sub = eventLogger(logger)(s).subscribe();
    s.next(batch);
    sub.unsubscribe();
    s.next(batch);
    assert.equal(lines.length, 1);
  });
});
