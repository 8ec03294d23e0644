import { epochLabel, type MonitorState, type MonitorValidation } from './MonitorState';
import { formatDuration } from './eventLogger';
import { DEFAULT_RUN_ID } from './TrainEvent';

const fmt = (x: number | undefined, digits = 4): string => (x === undefined ? '-' : Number.isNaN(x) ? 'NaN' : x.toPrecision(digits));
const pct = (x: number | undefined): string => (x === undefined ? '-' : `${(x * 100).toFixed(1)}%`);
// Whole images a second from 100000 on, so that the table's column holds up to 7 digits.
const rate = (x: number | undefined): string => (x === undefined ? '-' : x.toFixed(x < 1e5 ? 1 : 0));

// ASCII only: block and dash glyphs are 'ambiguous width' and take two cells in some
// terminals, which would wrap lines and break cursor-up repainting.
function bar(done: number, total: number, width: number): string {
  const f = total > 0 ? Math.max(0, Math.min(1, done / total)) : 0;
  const n = Math.round(f * width);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}] ${(f * 100).toFixed(0).padStart(3)}%`;
}

/**
 * The epoch table's header, as wide as its rows: the time column as the log writes durations
 * (formatDuration: `45.2s`, `20m35s`, `1h02m03s`), 8 wide, wider for an epoch of 10 hours or
 * more; below its width each epoch is laid out as a record instead. The validation top-5 column
 * is shown when an epoch reported it (more than 5 classes): 78 columns, still inside 80.
 */
function tableHeader(top5: boolean, timeWidth: number): string {
  return `epoch  train loss  train acc  val loss  val acc${top5 ? '  val top5' : ''}         lr  ${'time'.padStart(timeWidth)}`;
}

/**
 * The epoch's training img/s, the table's last column, when an epoch reported it and the
 * terminal is wide enough: 77 columns without top-5, 87 with it. Where it does not fit the
 * table goes without it (the view's rate line shows the latest epoch's), not to the
 * one-record-per-epoch layout, which shows far fewer epochs.
 */
const TABLE_RATE = '    img/s';

/** Epoch rows shown without a terminal height; with one, as many as fit (at least these, room allowing). */
const EPOCH_ROWS = 5;

/**
 * A field longer than its line: broken at a space, else after a '/' or '-' (if that keeps at
 * least half the line: a checkpoint's file name), else anywhere. The first piece gets `firstWidth`, the others `width`.
 */
function breakField(text: string, firstWidth: number, width: number): string[] {
  const out: string[] = [];
  let rest = text;
  for (let w = Math.max(1, firstWidth); rest.length > w; w = Math.max(1, width)) {
    const head = rest.slice(0, w + 1);
    const space = head.lastIndexOf(' ');
    const slash = Math.max(head.slice(0, w).lastIndexOf('/'), head.slice(0, w).lastIndexOf('-'));
    const cut = space > 0 ? space : slash >= w / 2 ? slash + 1 : w;
    out.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  out.push(rest);
  return out;
}

/**
 * Lays `fields` out on lines of at most `columns`, two spaces apart: a field that does not fit
 * where the line is starts the next one (indented by `indent`), and one longer than a whole
 * line is broken, so that nothing is ever cut off (a cut line loses what the user wanted to
 * read: the end of a checkpoint's path, the step count).
 */
function flow(fields: readonly string[], columns: number, first = '', indent = first): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const f of fields.filter((x) => x !== '')) {
    if (!empty && line.length + 2 + f.length <= columns) {
      line += `  ${f}`;
      continue;
    }
    if (!empty) {
      lines.push(line);
      line = indent;
    }
    const parts = breakField(f, columns - line.length, columns - indent.length);
    for (const p of parts.slice(0, -1)) {
      lines.push(line + p);
      line = indent;
    }
    line += parts[parts.length - 1];
    empty = false;
  }
  lines.push(line);
  return lines;
}

/**
 * The progress line: the bar as wide as the line leaves room for (10 to 50), else wrapped. An
 * epoch that skipped samples ends before its planned batches: the bar is full, the batch count
 * is what it trained, and a last field says how many fewer. While the epoch validates, a line
 * for the validation pass follows.
 */
function progressLines(s: MonitorState, cols: number): string[] {
  const short = s.batchesShort > 0 ? [`(${s.batchesShort} fewer: samples skipped)`] : [];
  const fields = [`epoch ${epochLabel(s)}`, `batch ${s.batch}/${s.stepsPerEpoch || '?'}`, `step ${s.step}`, ...short];
  // The gaps of two spaces, and the bar's brackets and percentage ("[", "] 100%").
  const room = cols - fields.reduce((n, f) => n + f.length, 0) - 2 * fields.length - 7;
  const width = Math.max(10, Math.min(50, room));
  const lines = flow([fields[0], bar(s.batch + s.batchesShort, s.stepsPerEpoch, width), ...fields.slice(1)], cols, '', '  ');
  return s.validation === undefined ? lines : [...lines, ...validationLines(s.validation, cols)];
}

/**
 * The validation pass under way, below the (full) training bar: `validating [###...] 30%
 * batch 12/40 768 images 512.0 img/s`; without a planned count, no bar and `batch 41`.
 */
function validationLines(v: MonitorValidation, cols: number): string[] {
  const fields = [
    v.batches === undefined ? `batch ${v.batchesDone}` : `batch ${v.batchesDone}/${v.batches}`,
    `${v.images} images`,
    v.imagesPerSec === undefined ? '' : `${v.imagesPerSec.toFixed(1)} img/s`,
  ].filter((f) => f !== '');
  if (v.batches === undefined) return flow(['validating', ...fields], cols, '', '  ');
  const room = cols - 'validating'.length - fields.reduce((n, f) => n + f.length, 0) - 2 * (fields.length + 1) - 7;
  return flow(['validating', bar(v.batchesDone, v.batches, Math.max(10, Math.min(50, room))), ...fields], cols, '', '  ');
}

/**
 * Renders the monitor view as plain lines (no cursor control), so the CLI decides how to
 * paint them and tests can read them. No line is longer than `columns`, and nothing is cut to
 * get there: on a narrow terminal the header's fields wrap, the epoch table becomes one
 * record per epoch, and long paths break across lines (after a '/' or '-'). Without `rows`
 * the epoch table shows the latest 5 epochs; given `rows`, as many of the latest as the view
 * has room for, more on a taller terminal, fewer on one too short for the rest (the table
 * keeps at least the latest). The epochs before those shown are said in one row (`1-35  not
 * shown`, or `1-35  before the restart` when all of them are a resumed run's earlier epochs).
 *
 * @example
 * ```ts
 * process.stdout.write('\x1b[H\x1b[J' + renderMonitor(state, 80, 23).join('\n'));
 * ```
 */
export function renderMonitor(s: MonitorState, columns = 80, rows = Number.POSITIVE_INFINITY): string[] {
  const cols = Math.max(20, columns);
  const conn =
    s.connection === 'live' ? 'live'
    // A monitor that followed a training restart has seen a run: it reconnects, never waits anew.
    : s.connection === 'retrying' ? `${s.lastSequence === 0 && !s.seenEarlierStream ? 'waiting' : 'reconnecting'}: ${s.connectionDetail}`
    : s.connection === 'ended' ? 'ended'
    : s.connection === 'next-run' ? 'ended: waiting for the next run'
    // "ended" after a Ctrl-C read as if training had ended, next to its status RUNNING.
    : s.connection === 'stopped' ? `monitor stopped${s.connectionDetail === '' ? '' : `: ${s.connectionDetail}`}`
    : `connecting ${s.connectionDetail}`.trim();
  const top = flow(['rxtrain monitor', s.address, `[${conn}]`], cols, '', '  ');
  // Before the first answer there is nothing to show: placeholders (run ?, status UNKNOWN,
  // epoch 1 at 0%, loss -) read as a run that exists and has not moved.
  if (s.runId === '' && s.lastSequence === 0 && !s.seenEarlierStream) return [...top, '', ...flow(['nothing received yet: no run to show'], cols)];
  const header = [
    ...top,
    // An unnamed run has no name to show ('run run' read as a stutter), as the piped lines say
    // `training on wasm: …` for it.
    ...flow([s.runId === DEFAULT_RUN_ID ? '' : `run ${s.runId || '?'}`, `backend ${s.backend || '?'}`, `status ${s.status}`, `event #${s.lastSequence}`], cols, '', '  '),
    '',
    ...progressLines(s, cols),
    ...flow([`loss ${fmt(s.loss)}`, `acc ${pct(s.accuracy)}`, `lr ${fmt(s.lr, 3)}`, s.imagesPerSec === undefined ? '' : `${s.imagesPerSec.toFixed(1)} img/s`], cols, '', '  '),
  ];
  const item = (text: string): string[] => flow([text], cols, '  ', '    ');
  const below: string[] = [];
  if (s.checkpoints.length > 0) below.push('', 'checkpoints:', ...s.checkpoints.flatMap((c) => item(c.text)));
  below.push('', ...flow([`skipped samples: ${Math.max(s.skipped, s.skippedAtServer)}`], cols), ...s.recentSkips.flatMap((k) => item(k.text)));
  if (s.notes.length > 0) below.push('', 'notes:', ...s.notes.flatMap((n) => item(n.text)));

  const top5 = s.epochsDone.some((e) => e.valTop5Accuracy !== undefined);
  const timeWidth = Math.max(8, ...s.epochsDone.map((e) => formatDuration(e.durationMs).length));
  const withoutRate = tableHeader(top5, timeWidth);
  const rates = s.epochsDone.some((e) => e.imagesPerSec !== undefined) && cols >= withoutRate.length + TABLE_RATE.length;
  const tableTop = rates ? withoutRate + TABLE_RATE : withoutRate;
  const table = cols >= tableTop.length;
  const epochLines = (e: MonitorState['epochsDone'][number]): string[] =>
    table
      ? [`${String(e.epoch + 1).padStart(5)}  ${fmt(e.trainLoss).padStart(10)}  ${pct(e.trainAccuracy).padStart(9)}  ${fmt(e.valLoss).padStart(8)}  ${pct(e.valAccuracy).padStart(7)}${top5 ? `  ${pct(e.valTop5Accuracy).padStart(8)}` : ''}  ${fmt(e.lr, 3).padStart(9)}  ${formatDuration(e.durationMs).padStart(timeWidth)}${rates ? `  ${rate(e.imagesPerSec).padStart(7)}` : ''}`]
      : flow([`epoch ${e.epoch + 1}`, `train loss ${fmt(e.trainLoss)} acc ${pct(e.trainAccuracy)}`, `val loss ${fmt(e.valLoss)} acc ${pct(e.valAccuracy)}${e.valTop5Accuracy === undefined ? '' : ` top-5 ${pct(e.valTop5Accuracy)}`}`, `lr ${fmt(e.lr, 3)}  ${formatDuration(e.durationMs)}${e.imagesPerSec === undefined ? '' : `  ${rate(e.imagesPerSec)} img/s`}`], cols, '', '  ');
  // The first `n` epochs have no row shown: those of a resumed run that finished before its
  // restart (this monitor came after, or was not told), and those the view has no room for.
  // One row says so, so that the table never looks like the run's start when it is not.
  const summary = (n: number): string[] => {
    if (n <= 0) return [];
    const span = n === 1 ? '1' : `1-${n}`;
    const what = n <= s.epochsBefore ? 'before the restart' : 'not shown';
    return table ? [`${span.padStart(5)}  ${what}`] : flow([`epoch${n === 1 ? '' : 's'} ${span}`, what], cols, '', '  ');
  };
  // The newest epochs, as many as the terminal's height fits (without a height, the latest
  // EPOCH_ROWS): a view taller than the terminal loses its bottom (the CLI keeps the top part,
  // as cursor-up repainting needs), so the oldest epochs go first and the checkpoints, skips
  // and notes below (an lr cut, an early stop, a restart) stay in sight. The latest epoch's
  // row and the summary row are kept even when they do not fit.
  const done = s.epochsDone;
  const room = Number.isFinite(rows) ? rows - header.length - 2 - below.length : Number.POSITIVE_INFINITY;
  const most = Number.isFinite(rows) ? done.length : EPOCH_ROWS;
  const kept: string[][] = [];
  let used = 0;
  for (let i = done.length - 1; i >= 0 && kept.length < most; i -= 1) {
    const lines = epochLines(done[i]);
    if (kept.length > 0 && used + lines.length + summary(done[i].epoch).length > room) break;
    kept.unshift(lines);
    used += lines.length;
  }
  const firstShown = kept.length > 0 ? done[done.length - kept.length].epoch : s.epochsBefore;
  const epochs: string[] = [];
  if (kept.length > 0 || firstShown > 0) epochs.push('', table ? tableTop : 'epochs:', ...summary(firstShown), ...kept.flat());
  return [...header, ...epochs, ...below];
}
