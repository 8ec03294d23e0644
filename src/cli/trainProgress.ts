import { SingleBar } from 'cli-progress';
import { Observable } from 'rxjs';
import type { EventSink } from '../telemetry/EventSink';
import type { ValidationProgress } from '../telemetry/TrainEvent';
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
  /**
   * Runs `restore` when the process exits while a bar is drawn; returns its unhook. Default: on
   * the process's `'exit'`, injectable for tests.
   */
  readonly atExit?: (restore: () => void) => () => void;
}

function onProcessExit(restore: () => void): () => void {
  process.on('exit', restore);
  return () => {
    process.off('exit', restore);
  };
}

/** A progress line's figures, from a BatchEnd: the plain lines' and the bar's alike. */
interface LineFields {
  readonly ips: string;
  readonly etaText: string;
  readonly loss: string;
  readonly acc: string;
  /** Batches fewer than planned, once the epoch's last BatchEnd said its data ran out short. */
  readonly short?: number;
}

/** `22/32`, or `22/32 (10 fewer: samples skipped)` for an epoch whose data ran out short. */
function batchCount(trained: number, steps: number, short: number): string {
  return `${trained}/${steps}${short > 0 ? ` (${short} fewer: samples skipped)` : ''}`;
}

const BAR_MAX = 40;
const BAR_MIN = 10;

/**
 * The widths a redrawn line holds its changing figures to, right-aligned: each frame's text
 * would otherwise move everything after a figure whose digits changed (`9.8 img/s`, then
 * `10.2`), and the bar's size with it on a terminal too narrow for the bar's most. A figure
 * longer than its width (`1h02m03s`, a loss of 12.3456) takes what it needs.
 */
const WIDTH = { ips: 6, eta: 6, loss: 6, acc: 6 } as const;

/** `value/total` with `value` as wide as `total`, so the count does not widen as it goes up. */
function steadyCount(value: number, total: number): string {
  return `${String(value).padStart(String(total).length)}/${total}`;
}

/**
 * The bar line, fitted to the terminal's width (`maxWidth`, read at every redraw, so a resize
 * takes effect at once). cli-progress cuts a line at the right margin, and at 40 columns of
 * bar an 80-column terminal lost the loss and accuracy, the figures the bar is watched for:
 * the bar narrows first (down to 10), then goes, then img/s, then the ETA.
 */
function fittedBarLine(head: string, params: { readonly progress: number; readonly value: number; readonly total: number; readonly maxWidth: number }, f: LineFields): string {
  // The last column stays free: a character written there makes some terminals wrap.
  const room = params.maxWidth - 1;
  const fit = (parts: readonly string[]): string | undefined => {
    const line = parts.join(' | ');
    return line.length <= room ? line : undefined;
  };
  const short = f.short ?? 0;
  const at = short > 0 ? batchCount(params.value, params.total, short) : steadyCount(params.value, params.total);
  const figures = `loss ${f.loss.padStart(WIDTH.loss)} acc ${f.acc.padStart(WIDTH.acc)}`;
  const ips = `${f.ips.padStart(WIDTH.ips)} img/s`;
  const eta = `ETA ${f.etaText.padStart(WIDTH.eta)}`;
  const rest = [at, ips, eta, figures];
  const plain = `${head} ${rest.join(' | ')}`;
  const size = Math.min(BAR_MAX, room - plain.length - 3);
  if (size >= BAR_MIN) {
    // An epoch whose data ran out short is done: its bar full.
    const done = Math.round(Math.min(Math.max(short > 0 ? 1 : params.progress, 0), 1) * size);
    return `${head} [${'\u2588'.repeat(done)}${'\u2591'.repeat(size - done)}] ${rest.join(' | ')}`;
  }
  return fit([`${head} ${at}`, ips, eta, figures])
    ?? fit([`${head} ${at}`, eta, figures])
    ?? `${head} ${at} | ${figures}`;
}

/** A validation line's figures, from a ValidationProgress: the plain lines' and the bar's alike. */
interface ValidationFields {
  readonly done: number;
  /**
   * The pass's planned batches; undefined when the event has none (not known, or passed). Always
   * set: cli-progress merges a redraw's payload into the previous one, which would keep a stale count.
   */
  readonly total: number | undefined;
  readonly ips: string;
  readonly etaText: string;
}

/** The figures of a validation pass `elapsedMs` after it began: img/s and ETA from its average so far. */
function validationFields(e: ValidationProgress, elapsedMs: number): ValidationFields {
  const left = e.batches === undefined ? undefined : e.batches - e.batchesDone;
  const eta = left === undefined ? '-'
    : left <= 0 ? 'done'
    : e.batchesDone > 0 && elapsedMs > 0 ? formatDuration((left * elapsedMs) / e.batchesDone)
    : '-';
  return {
    done: e.batchesDone,
    total: e.batches,
    ips: e.images > 0 && elapsedMs > 0 ? ((e.images * 1000) / elapsedMs).toFixed(1) : '-',
    etaText: eta,
  };
}

/** `12/40 | 512.0 img/s | ETA 5s` (`41 | …` without a planned count): after `validating`. */
function validationParts(f: ValidationFields): [string, string, string] {
  return [f.total === undefined ? `${f.done}` : `${f.done}/${f.total}`, `${f.ips} img/s`, `ETA ${f.etaText}`];
}

/**
 * The validation bar's line, fitted to the terminal's width as the training bar's is: the bar
 * (when the pass's batch count is known) narrows and goes first, then img/s, then the ETA.
 */
function fittedValidationLine(head: string, maxWidth: number, f: ValidationFields): string {
  const room = maxWidth - 1;
  const at = f.total === undefined ? `${f.done}` : steadyCount(f.done, f.total);
  const ips = `${f.ips.padStart(WIDTH.ips)} img/s`;
  const eta = `ETA ${f.etaText.padStart(WIDTH.eta)}`;
  const plain = `${head} ${[at, ips, eta].join(' | ')}`;
  const size = Math.min(BAR_MAX, room - plain.length - 3);
  if (f.total !== undefined && size >= BAR_MIN) {
    const done = Math.round(Math.min(Math.max(f.total > 0 ? f.done / f.total : 0, 0), 1) * size);
    return `${head} [${'\u2588'.repeat(done)}${'\u2591'.repeat(size - done)}] ${[at, ips, eta].join(' | ')}`;
  }
  for (const parts of [[`${head} ${at}`, ips, eta], [`${head} ${at}`, eta]]) {
    const line = parts.join(' | ');
    if (line.length <= room) return line;
  }
  return `${head} ${at}`;
}

/**
 * Per-epoch progress of a training run as an {@link EventSink}: on a terminal a cli-progress
 * bar (batches, img/s, ETA, loss; each in a fixed-width column, so that nothing moves from frame
 * to frame as the digits change) that is cleared when the epoch ends, so the logger's epoch
 * line replaces it; otherwise a plain line at most every `lineEveryMs`, and always one at the
 * epoch's end. Subscribe it before the logger so the bar is gone before the epoch summary is
 * printed. A resumed run's bar starts at the resumed batch (EpochBegin's `startBatch`), not at 0.
 *
 * An epoch that skipped samples trains fewer batches than planned (the plan counts the files,
 * and the next files take the skipped ones' places): as soon as its last BatchEnd says so
 * (`lastOfEpoch`), before its validation, the bar is full and both modes show the batches it
 * trained and how many fewer: `epoch 1/1 batch 22/32 (10 fewer: samples skipped) | … | ETA
 * done | …`; that line stays when the bar is cleared at its end. Without that BatchEnd (a
 * stream of events from before the field) the end line comes at EpochEnd, counted from the
 * steps since its EpochBegin.
 *
 * While an epoch validates (ValidationProgress), the bar becomes a validation bar, `epoch 3/30
 * validating [███░░░] 12/40 | 512.0 img/s | ETA 1m05s` (img/s and ETA from the pass's average
 * so far; without a planned count, `validating 41 | …` and no bar), cleared at EpochEnd as the
 * training bar was; an epoch that skipped samples writes its end line above it first. Plain
 * lines write `epoch 3/30 validating 12/40 | …` at most every `lineEveryMs`, as for batches.
 *
 * @example
 * ```ts
 * trainProgress({ stream: process.stderr, bar: process.stderr.isTTY === true })(events$).subscribe();
 * ```
 */
export function trainProgress(opts: TrainProgressOptions): EventSink {
  const now = opts.now ?? Date.now;
  const every = opts.lineEveryMs ?? 10_000;
  const atExit = opts.atExit ?? onProcessExit;
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
      // The epoch's end line was written when its last BatchEnd came (plain lines), or when
      // its validation began (a bar).
      let endShown = false;
      // The epoch's validation pass under way, and when this process saw it begin.
      let validation: { readonly epoch: number; readonly startMs: number } | undefined;
      const line = (epoch: number, batch: string, f: LineFields): void => {
        lastLine = now();
        opts.stream.write(`epoch ${epoch + 1}/${epochs} batch ${batch} | ${f.ips} img/s | ETA ${f.etaText} | loss ${f.loss} acc ${f.acc}\n`);
      };
      // A bar hides the cursor and turns line wrapping off until it stops. process.exit (a second
      // Ctrl-C) runs no unsubscribe: the terminal would be left without a cursor after the prompt.
      let unhookExit: (() => void) | undefined;
      const stopBar = (): void => {
        unhookExit?.();
        unhookExit = undefined;
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
              endShown = false;
              validation = undefined;
              if (opts.bar) {
                stopBar();
                const head = `epoch ${e.epoch + 1}/${epochs}`;
                bar = new SingleBar(
                  {
                    stream: opts.stream,
                    format: (_options, params, payload: LineFields) => fittedBarLine(head, params, payload),
                    clearOnComplete: true,
                    hideCursor: true,
                    etaBuffer: 20,
                    fps: 5,
                  },
                );
                bar.start(e.steps, at, { ips: '-', etaText: '-', loss: '-', acc: '-' });
                unhookExit = atExit(stopBar);
              }
              break;
            }
            case 'BatchEnd': {
              // The epoch's last: what was not trained by now never will be.
              const left = e.lastOfEpoch === true ? 0 : steps - (e.batch + 1);
              const short = e.lastOfEpoch === true ? Math.max(0, steps - (e.batch + 1)) : 0;
              const done = e.batch + 1 - epochStartAt;
              const elapsed = now() - epochStartMs;
              const eta = left <= 0 ? 'done'
                : done > 0 && elapsed > 0 ? formatDuration((left * elapsed) / done)
                : e.imagesPerSec > 0 ? formatDuration((left * e.batchSize * 1000) / e.imagesPerSec)
                : '-';
              const fields: LineFields = { ips: e.imagesPerSec.toFixed(1), etaText: eta, loss: e.loss.toFixed(4), acc: `${(100 * e.accuracy).toFixed(1)}%`, ...(short > 0 ? { short } : {}) };
              latest = { fields, shown: false };
              if (bar !== undefined) {
                bar.update(e.batch + 1, fields);
              } else if (!opts.bar && (now() - lastLine >= every || e.batch + 1 === steps || short > 0)) {
                latest.shown = true;
                endShown = short > 0;
                line(e.epoch, batchCount(e.batch + 1, steps, short), fields);
              }
              break;
            }
            case 'ValidationProgress': {
              const t = now();
              const starts = validation?.epoch !== e.epoch;
              if (validation === undefined || starts) validation = { epoch: e.epoch, startMs: t };
              const fields = validationFields(e, t - validation.startMs);
              const head = `epoch ${e.epoch + 1}/${epochs} validating`;
              if (opts.bar && starts) {
                stopBar();
                // The end line of an epoch whose data ran out short stays above the validation bar
                // (its EpochEnd would write it, the training bar it showed on being gone now).
                const short = latest?.fields.short ?? 0;
                if (!endShown && short > 0 && latest !== undefined) {
                  const { short: _, ...f } = latest.fields;
                  line(e.epoch, batchCount(steps - short, steps, short), { ...f, etaText: 'done' });
                  endShown = true;
                }
                bar = new SingleBar({
                  stream: opts.stream,
                  format: (_options, params, payload: ValidationFields) => fittedValidationLine(head, params.maxWidth, payload),
                  clearOnComplete: true,
                  hideCursor: true,
                  fps: 5,
                });
                bar.start(e.batches ?? 0, e.batchesDone, fields);
                unhookExit = atExit(stopBar);
              } else if (bar !== undefined) {
                bar.update(e.batchesDone, fields);
              } else if (!opts.bar && t - lastLine >= every) {
                lastLine = t;
                opts.stream.write(`${head} ${validationParts(fields).join(' | ')}\n`);
              }
              break;
            }
            case 'EpochEnd': {
              stopBar();
              validation = undefined;
              // Without its EpochBegin (never the case in-process) nothing says what it trained.
              if (began?.epoch !== e.epoch) break;
              const trained = Math.min(began.batch + e.step - began.step, steps);
              const short = steps - trained;
              // A full epoch's end line is the last BatchEnd's (the bar's is cleared for the
              // logger's epoch line); one that skipped samples ends short of it, in either mode.
              if (!endShown && (short > 0 || (!opts.bar && latest?.shown !== true))) {
                const { short: _, ...f } = latest?.fields ?? { ips: '-', loss: '-', acc: '-' };
                line(e.epoch, batchCount(trained, steps, short), { ...f, etaText: 'done' });
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
