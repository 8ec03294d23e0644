import { Presets, SingleBar } from 'cli-progress';
import { Observable } from 'rxjs';
import type { EventSink } from '../telemetry/EventSink';
import { formatDuration } from '../telemetry/eventLogger';

/**
 * Options of {@link trainProgress}.
 *
 * @example
 * ```ts
 * const o: TrainProgressOptions = { stream: process.stderr, bar: process.stderr.isTTY === true };
 * ```
 */
export interface TrainProgressOptions {
  /** Where the bar (or the plain lines) go. */
  readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  /** A redrawing bar (TTY) or plain lines. */
  readonly bar: boolean;
  /** Plain-line mode: at most one line per this many ms (default 10 s). */
  readonly lineEveryMs?: number;
  /** Clock, injectable for tests. */
  readonly now?: () => number;
}

/** A progress line's figures, from a BatchEnd. */
interface LineFields {
  readonly ips: string;
  readonly etaText: string;
  readonly loss: string;
  readonly acc: string;
}

/**
 * Per-epoch progress of a training run as an {@link EventSink}: on a terminal a cli-progress
 * bar (batches, img/s, ETA, loss) that is cleared when the epoch ends, so the logger's epoch
 * line replaces it; otherwise a plain line at most every `lineEveryMs`, and always one at the
 * epoch's end. Subscribe it before the logger so the bar is gone before the epoch summary is
 * printed. A resumed run's bar starts at the resumed batch (EpochBegin's `startBatch`), not at 0.
 *
 * An epoch that skipped samples trains fewer batches than planned (the plan counts the files,
 * and the next files take the skipped ones' places): when it ends, both modes write its end
 * line with the batches it trained, counted from the steps since its EpochBegin, and how many
 * fewer: `epoch 1/1 batch 22/32 (10 fewer: samples skipped) | … | ETA done | …`.
 *
 * @example
 * ```ts
 * trainProgress({ stream: process.stderr, bar: process.stderr.isTTY === true })(events$).subscribe();
 * ```
 */
export function trainProgress(opts: TrainProgressOptions): EventSink {
  const now = opts.now ?? Date.now;
  const every = opts.lineEveryMs ?? 10_000;
  return (events$) =>
    new Observable<never>((subscriber) => {
      let bar: SingleBar | undefined;
      let epochs = 0;
      let steps = 0;
      let lastLine = -Infinity;
      // Where and when this process began the current epoch: the ETA comes from the average
      // step time since then (steadier than one batch's img/s; '-' until a batch has ended).
      let epochStartAt = 0;
      let epochStartMs = 0;
      // Where the epoch began (its step and first batch) to count the batches it trained at
      // its end, and the latest BatchEnd's figures and whether a plain line showed them.
      let began: { readonly epoch: number; readonly step: number; readonly batch: number } | undefined;
      let latest: { readonly fields: LineFields; shown: boolean } | undefined;
      const line = (epoch: number, batch: string, f: LineFields): void => {
        lastLine = now();
        opts.stream.write(`epoch ${epoch + 1}/${epochs} batch ${batch} | ${f.ips} img/s | ETA ${f.etaText} | loss ${f.loss} acc ${f.acc}\n`);
      };
      const stopBar = (): void => {
        bar?.stop();
        bar = undefined;
      };
      const sub = events$.subscribe({
        next: (e) => {
          switch (e.kind) {
            case 'TrainBegin':
              epochs = e.epochs;
              break;
            case 'EpochBegin': {
              steps = e.steps;
              // Exact, where an estimate from the global step would fall short of it once
              // skipped samples had shortened an earlier epoch.
              const at = e.startBatch;
              lastLine = now();
              epochStartAt = at;
              epochStartMs = lastLine;
              began = { epoch: e.epoch, step: e.step, batch: e.startBatch };
              latest = undefined;
              if (opts.bar) {
                stopBar();
                bar = new SingleBar(
                  {
                    stream: opts.stream,
                    format: `epoch ${e.epoch + 1}/${epochs} [{bar}] {value}/{total} | {ips} img/s | ETA {etaText} | loss {loss} acc {acc}`,
                    clearOnComplete: true,
                    hideCursor: true,
                    etaBuffer: 20,
                    fps: 5,
                  },
                  Presets.shades_classic,
                );
                bar.start(e.steps, at, { ips: '-', etaText: '-', loss: '-', acc: '-' });
              }
              break;
            }
            case 'BatchEnd': {
              const left = steps - (e.batch + 1);
              const done = e.batch + 1 - epochStartAt;
              const elapsed = now() - epochStartMs;
              const eta = left <= 0 ? 'done'
                : done > 0 && elapsed > 0 ? formatDuration((left * elapsed) / done)
                : e.imagesPerSec > 0 ? formatDuration((left * e.batchSize * 1000) / e.imagesPerSec)
                : '-';
              const fields: LineFields = { ips: e.imagesPerSec.toFixed(1), etaText: eta, loss: e.loss.toFixed(4), acc: `${(100 * e.accuracy).toFixed(1)}%` };
              latest = { fields, shown: false };
              if (bar !== undefined) {
                bar.update(e.batch + 1, fields);
              } else if (!opts.bar && (now() - lastLine >= every || e.batch + 1 === steps)) {
                latest.shown = true;
                line(e.epoch, `${e.batch + 1}/${steps}`, fields);
              }
              break;
            }
            case 'EpochEnd': {
              stopBar();
              // Without its EpochBegin (never the case in-process) nothing says what it trained.
              if (began?.epoch !== e.epoch) break;
              const trained = Math.min(began.batch + e.step - began.step, steps);
              const short = steps - trained;
              // A full epoch's end line is the last BatchEnd's (the bar's is cleared for the
              // logger's epoch line); one that skipped samples ends short of it, in either mode.
              if (short > 0 || (!opts.bar && latest?.shown !== true)) {
                const f = latest?.fields ?? { ips: '-', loss: '-', acc: '-' };
                line(e.epoch, `${trained}/${steps}${short > 0 ? ` (${short} fewer: samples skipped)` : ''}`, { ...f, etaText: 'done' });
              }
              began = undefined;
              break;
            }
            case 'TrainEnd':
            case 'Error':
              stopBar();
              break;
            default:
              break;
          }
        },
        error: (err: unknown) => {
          stopBar();
          subscriber.error(err);
        },
        complete: () => {
          stopBar();
          subscriber.complete();
        },
      });
      return () => {
        stopBar();
        sub.unsubscribe();
      };
    });
}
