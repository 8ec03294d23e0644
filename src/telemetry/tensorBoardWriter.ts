import { Observable } from 'rxjs';
import type { EventSink } from './EventSink';
import { EventFileWriter, type EventFileWriterOptions } from './EventFileWriter';
import type { ScalarValue } from './encodeEvent';
import { encodeGraphDef, type GraphNode } from './GraphDef';
import type { EpochEnd } from './TrainEvent';

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
  readonly graph?: readonly GraphNode[];
  /**
   * When an epoch's scalars are written. `checkpoint` (default): when the `CheckpointSaved`
   * of that epoch (or a later one) arrives, so that a run resumed from its last checkpoint
   * redoes exactly the epochs that were never written and the curves get no duplicate
   * points. `epoch`: as soon as the epoch ends (for runs without checkpoints).
   */
  readonly flushOn?: 'checkpoint' | 'epoch';
}

/**
 * Scalar tags written per epoch, at step = number of epochs completed (`epoch + 1`).
 * Validation tags only appear for epochs that were validated.
 *
 * @example
 * ```ts
 * TENSORBOARD_SCALARS.includes('loss/val'); // true
 * ```
 */
export const TENSORBOARD_SCALARS = ['loss/train', 'loss/val', 'accuracy/train', 'accuracy/val', 'lr'] as const;

/**
 * The scalar values of one epoch, in {@link TENSORBOARD_SCALARS} order.
 *
 * @example
 * ```ts
 * epochScalars(e).map((s) => s.tag); // ['loss/train', 'loss/val', 'accuracy/train', 'accuracy/val', 'lr']
 * ```
 */
export function epochScalars(e: EpochEnd): ScalarValue[] {
  const out: ScalarValue[] = [{ tag: 'loss/train', value: e.trainLoss }];
  if (e.valLoss !== undefined) out.push({ tag: 'loss/val', value: e.valLoss });
  out.push({ tag: 'accuracy/train', value: e.trainAccuracy });
  if (e.valAccuracy !== undefined) out.push({ tag: 'accuracy/val', value: e.valAccuracy });
  out.push({ tag: 'lr', value: e.lr });
  return out;
}

/**
 * TensorBoard event-file writer, as an {@link EventSink}: works with every tfjs backend,
 * needs neither TensorFlow nor tfjs-node. On subscription it creates
 * `<logDir>/events.out.tfevents.<seconds>.<host>` (the file-version record, then the graph
 * if given). Each epoch's {@link TENSORBOARD_SCALARS} are buffered until the checkpoint of
 * that epoch is saved, then written and fsynced; on `TrainEnd` whatever is buffered is
 * written, since the run finished. Epochs still buffered when the stream errors or is
 * unsubscribed are dropped: a resume will train them again and write them then.
 * Throws at once if `opts.graph` is malformed (duplicate names, edges to unknown nodes).
 *
 * @example
 * ```ts
 * // then: tensorboard --logdir runs
 * tensorBoardWriter('runs/alexnet', { graph: graphFromLayers(model) })(events$).subscribe();
 * ```
 */
export function tensorBoardWriter(logDir: string, opts: TensorBoardWriterOptions = {}): EventSink {
  const flushOn = opts.flushOn ?? 'checkpoint';
  // Encoded here so that a malformed graph is reported where the writer is configured.
  const graphDef = opts.graph !== undefined ? encodeGraphDef(opts.graph) : undefined;
  return (events$) =>
    new Observable<never>((subscriber) => {
      let file: EventFileWriter | undefined;
      const pending = new Map<number, EpochEnd>();
      const writePending = (upToEpoch: number): void => {
        const epochs = [...pending.keys()].filter((k) => k <= upToEpoch).sort((a, b) => a - b);
        if (epochs.length === 0 || file === undefined) return;
        for (const k of epochs) {
          const e = pending.get(k) as EpochEnd;
          file.writeScalars(k + 1, epochScalars(e), e.time);
          pending.delete(k);
        }
        file.flush();
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
        file = EventFileWriter.open(logDir, opts);
        if (graphDef !== undefined) file.writeGraph(graphDef);
        file.flush();
      } catch (err) {
        fail(err);
        return;
      }
      const sub = events$.subscribe({
        next: (e) => {
          try {
            switch (e.kind) {
              case 'EpochEnd':
                pending.set(e.epoch, e);
                if (flushOn === 'epoch') writePending(e.epoch);
                break;
              case 'CheckpointSaved':
                writePending(e.epoch);
                break;
              case 'TrainEnd':
                writePending(Number.POSITIVE_INFINITY);
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
