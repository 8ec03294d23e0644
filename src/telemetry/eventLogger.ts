import { Observable } from 'rxjs';
import type { EventSink } from './EventSink';
import type { Logger, LogLevel } from './createLogger';
import { printablePath } from '../streams/printablePath';
import { oneLine } from '../streams/Skip';
import { DEFAULT_RUN_ID, type InitialisedFrom, type TrainEvent } from './TrainEvent';

/**
 * Options of {@link eventLogger}.
 *
 * @example
 * ```ts
 * eventLogger(log, { closeOnEnd: true });
 * ```
 */
export interface EventLoggerOptions {
  /** Close the logger when the sink ends (default false: whoever created the logger closes it). */
  readonly closeOnEnd?: boolean | undefined;
}

/**
 * Human-readable duration: `850ms`, `12.3s`, `4m05s`, `1h02m03s`.
 *
 * @example
 * ```ts
 * formatDuration(3723000); // '1h02m03s'
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m${sec}s` : `${m}m${sec}s`;
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
const num = (x: number): string => x.toFixed(4);
const lr = (x: number): string => x.toPrecision(3);

/**
 * The most tensors left fresh that the TrainBegin log line names (the first ones, then how many
 * more): a new last layer is two, but a model taken from another architecture's checkpoint may
 * leave hundreds, which would make the run's first line unreadable. {@link eventLogger} lists
 * them all on a `debug` line after it.
 *
 * @example
 * ```ts
 * fresh.slice(0, INITIALISED_FRESH_LOG_MAX).join(', ');
 * ```
 */
export const INITIALISED_FRESH_LOG_MAX = 10;

/** What a fine-tuned run took from its source: every tensor, or which were left fresh (the first few). */
function initialisedLine(i: InitialisedFrom): string {
  // A TrainBegin read back from gRPC lists only the first ones and counts the rest.
  const more = Math.max(0, i.fresh.length - INITIALISED_FRESH_LOG_MAX) + (i.freshMore ?? 0);
  const shown = i.fresh.slice(0, INITIALISED_FRESH_LOG_MAX);
  const rest = more === 0 ? '' : shown.length === 0 ? `${more} tensors` : `, and ${more} more`;
  return `initialised ${i.taken} of ${i.total} weight tensors from ${printablePath(i.path)} (step ${i.step}, ${i.weights} weights)` +
    (shown.length === 0 && more === 0 ? '' : `; fresh: ${shown.join(', ')}${rest}`);
}

/**
 * The log line for one event, and its level: one `info` line per epoch (train/val loss and
 * accuracy, learning rate, duration and the epoch's training img/s; a fine-tuned run's start names the first
 * {@link INITIALISED_FRESH_LOG_MAX} tensors left fresh and counts the rest), `debug` for
 * batches, validation progress and epoch starts, `warn` for
 * skipped samples and non-fatal `Error` events (warnings, such as a damaged checkpoint passed
 * over), `error` for fatal ones. Epochs are shown 1-based (`epoch 3/90` is the third).
 *
 * @example
 * ```ts
 * const [level, line] = formatEvent(e, 90);
 * ```
 */
export function formatEvent(e: TrainEvent, totalEpochs?: number): [LogLevel, string] {
  const ep = `epoch ${e.epoch + 1}${totalEpochs !== undefined ? `/${totalEpochs}` : ''}`;
  switch (e.kind) {
    case 'TrainBegin':
      return [
        'info',
        `${e.resumedFrom !== undefined ? 'resuming' : 'starting'} run${e.runId === DEFAULT_RUN_ID ? '' : ` ${e.runId}`}: ${e.epochs} epoch${e.epochs === 1 ? '' : 's'} × ${e.stepsPerEpoch} steps, ` +
          `backend ${e.backend}, ${e.threads} thread${e.threads === 1 ? '' : 's'}${e.replicas > 1 ? ' per replica' : ''}, ${e.replicas} replica${e.replicas === 1 ? '' : 's'}` +
          (e.resumedFrom === undefined ? ''
            : e.epoch >= e.epochs ? `, from ${printablePath(e.resumedFrom)}: ${e.epochs === 1 ? 'its one epoch is' : `all ${e.epochs} epochs are`} done already (raise the epochs to train on)`
              : `, from ${printablePath(e.resumedFrom)} at ${ep}, step ${e.step}`) +
          (e.initialisedFrom === undefined ? '' : `; ${initialisedLine(e.initialisedFrom)}`),
      ];
    case 'EpochBegin':
      return ['debug', `${ep} begins: lr ${lr(e.lr)}, ${e.steps} steps`];
    case 'BatchEnd':
      return [
        'debug',
        `${ep} batch ${e.batch + 1} (step ${e.step}): loss ${num(e.loss)} acc ${pct(e.accuracy)} ${e.imagesPerSec.toFixed(1)} img/s`,
      ];
    case 'ValidationProgress':
      return ['debug', `${ep} validating: ${e.batchesDone}${e.batches === undefined ? '' : `/${e.batches}`} batches, ${e.images} images`];
    case 'EpochEnd': {
      const val = e.valLoss !== undefined || e.valAccuracy !== undefined
        ? ` | val loss ${e.valLoss !== undefined ? num(e.valLoss) : '-'} acc ${e.valAccuracy !== undefined ? pct(e.valAccuracy) : '-'}${e.valTop5Accuracy !== undefined ? ` top-5 ${pct(e.valTop5Accuracy)}` : ''}`
        : '';
      // The img/s is the epoch's training alone, so it follows the time, which has the validation in it.
      const rate = e.imagesPerSec === undefined ? '' : `, ${e.imagesPerSec.toFixed(1)} img/s`;
      return ['info', `${ep}: train loss ${num(e.trainLoss)} acc ${pct(e.trainAccuracy)}${val} | lr ${lr(e.lr)} | ${formatDuration(e.durationMs)}${rate}`];
    }
    case 'LrChanged':
      return ['info', `${ep}: learning rate ${lr(e.from)} → ${lr(e.to)}`];
    case 'CheckpointSaved':
      // No epoch label: a checkpoint taken after an epoch already belongs to the next one.
      return ['info', `checkpoint saved at step ${e.step}: ${printablePath(e.path)}${e.best ? ' (best so far)' : ''}`];
    case 'SampleSkipped':
      // One line naming the file even for a Skip built by hand (skip() already folds its message):
      // the logger would stamp each line of a multi-line message as a WARN of its own.
      return ['warn', `skipped ${printablePath(e.path)} (${e.reason}): ${oneLine(e.message)}`];
    case 'EarlyStop':
      return ['info', `${ep}: early stop: ${e.reason}`];
    case 'TrainEnd':
      return [
        'info',
        `training ended (${e.reason === 'time-limit' ? 'time-limit: the training-time budget is spent' : e.reason}) at step ${e.step}, after ${formatDuration(e.durationMs)}`,
      ];
    case 'Error': {
      // Problems found before the first step (a damaged checkpoint skipped at start-up) have no
      // position worth naming: "at epoch 1, step 0" would be wrong for a resumed run.
      // After the last epoch (its checkpoint failed to write, say) the next epoch does not
      // exist: "at epoch 3/2" would read as a bug, so the position is the last one's end.
      const done = totalEpochs !== undefined && e.epoch >= totalEpochs;
      const at = e.step <= 0 ? '' : done ? ` after epoch ${totalEpochs}/${totalEpochs}, step ${e.step}` : ` at ${ep}, step ${e.step}`;
      return e.fatal ? ['error', `fatal error${at}: ${e.message}`] : ['warn', `warning${at}: ${e.message}`];
    }
  }
}

/**
 * The run's skips counted by reason, most first (then by name), as the line after `training
 * ended`: each skip has its own WARN line when its file is first met, scattered over the
 * listing and the first epoch, so the end says how many files the run left out and why.
 */
// Said at the start: with the cpu backend the first progress comes minutes later, and a run
// that prints nothing for that long looks hung.
const CPU_BACKEND_WARNING =
  "backend cpu runs tfjs's plain-JavaScript kernels: a convnet step takes minutes (the bundled sample's small model, batch 32: ≈ 8 min a step on a 2-core VM, ≈ 1,000× the wasm backend's), so progress comes late; --backend wasm (what 'auto' picks when it loads) trains the same model";

function skipSummary(byReason: ReadonlyMap<string, number>): string {
  const n = [...byReason.values()].reduce((a, b) => a + b, 0);
  const reasons = [...byReason].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([r, k]) => `${r} ${k}`);
  return `skipped ${n} file${n === 1 ? '' : 's'} in this run, each named above: ${reasons.join(', ')}`;
}

/**
 * Logs the training events as an {@link EventSink}; see {@link formatEvent} for the lines and
 * their levels. When a fine-tuned run's TrainBegin line names only the first tensors left
 * fresh, a `debug` line after it lists them all; on the `cpu` backend a `warn` line after it says
 * that a step takes minutes there. After `training ended`, an `info` line counts
 * the run's skipped files by reason (`skipped 15 files in this run, each named above: hidden 5,
 * …`), when there were any. An upstream error is logged at `error` level, then passed on.
 *
 * @example
 * ```ts
 * const log = createLogger({ level: 'info', file: 'runs/alexnet/train.log' });
 * eventLogger(log)(events$).subscribe();
 * // 2026-01-31T12:00:00.000Z INFO  epoch 3/90: train loss 2.1034 acc 45.10% | val loss 2.3012 acc 41.20% | lr 0.0100 | 4m05s
 * ```
 */
export function eventLogger(logger: Logger, opts: EventLoggerOptions = {}): EventSink {
  const closeOnEnd = opts.closeOnEnd ?? false;
  return (events$) =>
    new Observable<never>((subscriber) => {
      let total: number | undefined;
      let fatal: string | undefined;
      const skips = new Map<string, number>();
      const sub = events$.subscribe({
        next: (e) => {
          if (e.kind === 'TrainBegin') total = e.epochs;
          if (e.kind === 'SampleSkipped') skips.set(e.reason, (skips.get(e.reason) ?? 0) + 1);
          if (e.kind === 'Error' && e.fatal) fatal = e.message;
          const [level, line] = formatEvent(e, total);
          // The TrainBegin line names only the first few tensors left fresh; here are all.
          const init = e.kind === 'TrainBegin' ? e.initialisedFrom : undefined;
          try {
            logger.log(level, line);
            if (init !== undefined && init.fresh.length > INITIALISED_FRESH_LOG_MAX && logger.enabled('debug')) {
              const of = init.freshMore === undefined || init.freshMore === 0 ? `all ${init.fresh.length}` : `the first ${init.fresh.length} of ${init.fresh.length + init.freshMore}`;
              logger.debug(`fresh weight tensors (${of}): ${init.fresh.join(', ')}`);
            }
            if (e.kind === 'TrainBegin' && e.backend === 'cpu') logger.warn(CPU_BACKEND_WARNING);
            if (e.kind === 'TrainEnd' && skips.size > 0) logger.info(skipSummary(skips));
          } catch (err) {
            subscriber.error(new Error(`logger: cannot write ${logger.file ?? 'log'}: ${(err as Error).message}`));
          }
        },
        error: (err: unknown) => {
          const message = err instanceof Error ? err.message : String(err);
          try {
            // A fatal Error event already logged this very message.
            if (message !== fatal) logger.error(`training stream failed: ${message}`);
          } catch {
            // the upstream error is the one worth passing on
          }
          subscriber.error(err);
        },
        complete: () => subscriber.complete(),
      });
      return () => {
        sub.unsubscribe();
        if (closeOnEnd) logger.close();
      };
    });
}
