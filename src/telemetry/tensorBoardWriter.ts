import * as fs from 'node:fs';
import * as path from 'node:path';
import { Observable } from 'rxjs';
import type { EventSink } from './EventSink';
import { EventFileWriter, type EventFileWriterOptions } from './EventFileWriter';
import type { ScalarValue } from './encodeEvent';
import { encodeGraphDef, type GraphNode } from './GraphDef';
import { replaceFileSync } from './replaceFileSync';
import { DEFAULT_RUN_ID, type BatchEnd, type EpochEnd, type TrainBegin } from './TrainEvent';

/**
 * Options of {@link tensorBoardWriter}.
 *
 * @example
 * ```ts
 * const o: TensorBoardWriterOptions = { flushOn: 'epoch', graph: graphFromNetworkSpec(spec) };
 * ```
 */
export interface TensorBoardWriterOptions extends EventFileWriterOptions {
  /** Model graph written at the start, shown in TensorBoard's Graphs tab (see `graphFromLayers`). */
  readonly graph?: readonly GraphNode[] | undefined;
  /**
   * When an epoch's scalars are written. `checkpoint` (default): when the `CheckpointSaved`
   * of that epoch (or a later one) arrives, so that a run resumed from its last checkpoint
   * redoes exactly the epochs that were never written and the curves get no duplicate
   * points. `epoch`: as soon as the epoch ends (for runs without checkpoints).
   */
  readonly flushOn?: 'checkpoint' | 'epoch' | undefined;
  /**
   * Also write the (throttled) batch metrics {@link TENSORBOARD_BATCH_SCALARS} at the global
   * step (default true). They are held back like the epochs: until a checkpoint at or after
   * their step is saved (or, with `flushOn: 'epoch'`, until their epoch ends).
   */
  readonly batchScalars?: boolean | undefined;
  /**
   * Write a `run` text summary at each `TrainBegin` (default true): run id, backend, threads,
   * replicas, what it resumed from, and the config as JSON, so TensorBoard's Text tab shows
   * how every start (and resume) of the run was configured.
   */
  readonly runText?: boolean | undefined;
}

/**
 * Scalar tags written per epoch, at step = number of epochs completed (`epoch + 1`).
 * Validation tags only appear for epochs that were validated, `accuracy/val_top5` only with
 * more than 5 classes, `images_per_sec` (the epoch's training throughput, validation left out)
 * for epochs whose EpochEnd has it.
 *
 * @example
 * ```ts
 * TENSORBOARD_SCALARS.includes('loss/val'); // true
 * ```
 */
export const TENSORBOARD_SCALARS = ['loss/train', 'loss/val', 'accuracy/train', 'accuracy/val', 'accuracy/val_top5', 'lr', 'images_per_sec'] as const;

/**
 * Scalar tags written per reported batch, at step = global step: the loss and accuracy of
 * the batches since the previous report, and the training throughput.
 *
 * @example
 * ```ts
 * TENSORBOARD_BATCH_SCALARS[0]; // 'batch/loss'
 * ```
 */
export const TENSORBOARD_BATCH_SCALARS = ['batch/loss', 'batch/accuracy', 'batch/images_per_sec'] as const;

// Event files get copied around and uploaded (tensorboard.dev, shared drives): never put
// credentials from the config in them.
const SECRET_KEY = /token|password|passwd|secret|credential|private.?key|api.?key/i;
function redactSecrets(key: string, value: unknown): unknown {
  return SECRET_KEY.test(key) && value !== null && value !== undefined ? '(redacted)' : value;
}

/**
 * The Markdown of the `run` text summary written at a `TrainBegin`; values of config keys
 * that look like credentials (`token`, `password`, `secret`, ...) are redacted.
 *
 * @example
 * ```ts
 * runMarkdown(begin); // '**run** alexnet started ...'; a run without a runId: '**run** started ...'
 * ```
 */
export function runMarkdown(e: TrainBegin): string {
  const lines = [
    // An unnamed run's id, 'run', would read "**run** run started".
    `**run**${e.runId === DEFAULT_RUN_ID ? '' : ` ${e.runId}`} ${e.resumedFrom !== undefined ? `resumed from \`${e.resumedFrom}\` at epoch ${e.epoch + 1}, step ${e.step}` : 'started'}`,
    '',
    `${e.epochs} epoch${e.epochs === 1 ? '' : 's'} × ${e.stepsPerEpoch} steps; backend ${e.backend}, ${e.threads} thread${e.threads === 1 ? '' : 's'}${e.replicas > 1 ? ' per replica' : ''}, ${e.replicas} replica${e.replicas === 1 ? '' : 's'}`,
    '',
    '```json',
    JSON.stringify(e.config, redactSecrets, 2) ?? 'null',
    '```',
  ];
  return lines.join('\n');
}

/**
 * The scalar values of one epoch, in {@link TENSORBOARD_SCALARS} order.
 *
 * @example
 * ```ts
 * epochScalars(e).map((s) => s.tag); // ['loss/train', 'loss/val', 'accuracy/train', 'accuracy/val', 'lr']
 * // with more than 5 classes 'accuracy/val_top5' follows 'accuracy/val'
 * // without validation: ['loss/train', 'accuracy/train', 'lr']
 * // with the epoch's img/s, 'images_per_sec' last
 * ```
 */
export function epochScalars(e: EpochEnd): ScalarValue[] {
  const out: ScalarValue[] = [{ tag: 'loss/train', value: e.trainLoss }];
  if (e.valLoss !== undefined) out.push({ tag: 'loss/val', value: e.valLoss });
  out.push({ tag: 'accuracy/train', value: e.trainAccuracy });
  if (e.valAccuracy !== undefined) out.push({ tag: 'accuracy/val', value: e.valAccuracy });
  if (e.valTop5Accuracy !== undefined) out.push({ tag: 'accuracy/val_top5', value: e.valTop5Accuracy });
  out.push({ tag: 'lr', value: e.lr });
  if (e.imagesPerSec !== undefined) out.push({ tag: 'images_per_sec', value: e.imagesPerSec });
  return out;
}

/**
 * The file in a TensorBoard log dir where {@link tensorBoardWriter} notes how many epochs'
 * scalars its event files hold (`{"epochs":N}`), so that a resume can tell which epochs a kill
 * kept it from writing. TensorBoard ignores it.
 *
 * @example
 * ```ts
 * path.join('runs/a/tensorboard', TENSORBOARD_WRITTEN_FILE); // runs/a/tensorboard/.rxtrain-written.json
 * ```
 */
export const TENSORBOARD_WRITTEN_FILE = '.rxtrain-written.json';

/** Epochs the log dir's event files hold, or undefined when unknown (no note: an older writer). */
function readWritten(file: string): number | undefined {
  try {
    const n = (JSON.parse(fs.readFileSync(file, 'utf8')) as { epochs?: unknown }).epochs;
    return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * TensorBoard event-file writer, as an {@link EventSink}: works with every tfjs backend,
 * needs neither TensorFlow nor tfjs-node. On subscription it creates
 * `<logDir>/events.out.tfevents.<seconds>.<host>` (the file-version record, then the graph
 * if given, unless `logDir` already holds event files: a resumed run's graph is written once). Each epoch's {@link TENSORBOARD_SCALARS} (and each reported batch's
 * {@link TENSORBOARD_BATCH_SCALARS}) are buffered until a checkpoint covering them is saved,
 * then written and fsynced; on `TrainEnd` whatever is buffered is written, since the run
 * finished. Points still buffered when the stream errors or is unsubscribed are dropped: a
 * resume trains them again and writes them then, so no step is ever written twice. The
 * epochs written are noted in {@link TENSORBOARD_WRITTEN_FILE}; a resumed run's `TrainBegin`
 * carries the checkpoint's `history`, and epochs in it that the note lacks (a kill after the
 * checkpoint was saved, before its event) are written then, at the resume's wall time.
 * Throws at once if `opts.graph` is malformed (duplicate names, edges to unknown nodes).
 *
 * @example
 * ```ts
 * // then: tensorboard --logdir runs
 * tensorBoardWriter('runs/alexnet', { graph: graphFromLayers(model.layers) })(events$).subscribe();
 * ```
 */
export function tensorBoardWriter(logDir: string, opts: TensorBoardWriterOptions = {}): EventSink {
  const flushOn = opts.flushOn ?? 'checkpoint';
  // Encoded here so that a malformed graph is reported where the writer is configured.
  const graphDef = opts.graph !== undefined ? encodeGraphDef(opts.graph) : undefined;
  return (events$) =>
    new Observable<never>((subscriber) => {
      let file: EventFileWriter | undefined;
      const writtenFile = path.join(logDir, TENSORBOARD_WRITTEN_FILE);
      let written = readWritten(writtenFile);
      // After the event file is fsynced: a note ahead of the data could hide a lost epoch.
      const noteWritten = (epochs: number): void => {
        written = Math.max(written ?? 0, epochs);
        replaceFileSync(writtenFile, JSON.stringify({ epochs: written }));
      };
      const pending = new Map<number, EpochEnd>();
      let batches: BatchEnd[] = [];
      // Writes the epochs up to `upToEpoch` and the batches up to global step `upToStep`.
      const writePending = (upToEpoch: number, upToStep: number): void => {
        if (file === undefined) return;
        const epochs = [...pending.keys()].filter((k) => k <= upToEpoch).sort((a, b) => a - b);
        const ready = batches.filter((b) => b.step <= upToStep);
        if (epochs.length === 0 && ready.length === 0) return;
        for (const b of ready) {
          file.writeScalars(
            b.step,
            [
              { tag: 'batch/loss', value: b.loss },
              { tag: 'batch/accuracy', value: b.accuracy },
              { tag: 'batch/images_per_sec', value: b.imagesPerSec },
            ],
            b.time,
          );
        }
        batches = batches.filter((b) => b.step > upToStep);
        for (const k of epochs) {
          const e = pending.get(k) as EpochEnd;
          file.writeScalars(k + 1, epochScalars(e), e.time);
          pending.delete(k);
        }
        file.flush();
        if (epochs.length > 0) noteWritten(epochs[epochs.length - 1] + 1);
      };
      const fail = (err: unknown): void => {
        try {
          file?.close();
        } catch {
          // the original error is the one worth reporting
        }
        subscriber.error(err);
      };
      try {
        // One graph per run: a resumed run (event files already there) has the same model, and
        // TensorBoard warns about "more than one graph event per run" otherwise.
        const resumed = (() => {
          try {
            return fs.readdirSync(logDir).some((f) => f.startsWith('events.out.tfevents.'));
          } catch {
            return false;
          }
        })();
        file = EventFileWriter.open(logDir, opts);
        if (graphDef !== undefined && !resumed) file.writeGraph(graphDef);
        file.flush();
      } catch (err) {
        fail(new Error(`TensorBoard: cannot write an event file in ${logDir}: ${(err as Error).message}`));
        return;
      }
      const sub = events$.subscribe({
        next: (e) => {
          try {
            switch (e.kind) {
              case 'TrainBegin':
                if (opts.runText ?? true) {
                  file?.writeTexts(e.step, [{ tag: 'run', text: runMarkdown(e) }], e.time);
                  file?.flush();
                }
                if (e.resumedFrom === undefined) {
                  // A fresh start: a note left by an earlier run in this dir says nothing about this one.
                  written = 0;
                  noteWritten(0);
                } else if (written !== undefined && file !== undefined) {
                  // Epochs the checkpoint holds but a kill kept from the event files (between the
                  // checkpoint's rename and its CheckpointSaved event): the resume will not redo them.
                  const missing = (e.history ?? []).filter((r) => r.epoch + 1 > (written as number));
                  for (const r of missing) file.writeScalars(r.epoch + 1, epochScalars({ ...r, kind: 'EpochEnd', time: e.time, step: e.step }), e.time);
                  if (missing.length > 0) {
                    file.flush();
                    noteWritten(missing[missing.length - 1].epoch + 1);
                  }
                }
                break;
              case 'BatchEnd':
                if (opts.batchScalars ?? true) batches.push(e);
                break;
              case 'EpochEnd':
                pending.set(e.epoch, e);
                if (flushOn === 'epoch') writePending(e.epoch, e.step);
                break;
              case 'CheckpointSaved':
                writePending(e.epoch, e.step);
                break;
              case 'TrainEnd':
                writePending(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);
                break;
              default:
                break;
            }
          } catch (err) {
            fail(new Error(`TensorBoard: writing ${file?.path ?? logDir} failed: ${(err as Error).message}`));
          }
        },
        error: (err: unknown) => fail(err),
        complete: () => {
          try {
            file?.close();
            subscriber.complete();
          } catch (err) {
            subscriber.error(err);
          }
        },
      });
      return () => {
        sub.unsubscribe();
        try {
          file?.close();
        } catch {
          // teardown must not throw; the file is as complete as the OS let us make it
        }
      };
    });
}
