import { epochLabel, type MonitorState } from './MonitorState';

const fmt = (x: number | undefined, digits = 4): string => (x === undefined ? '-' : Number.isNaN(x) ? 'NaN' : x.toPrecision(digits));
const pct = (x: number | undefined): string => (x === undefined ? '-' : `${(x * 100).toFixed(1)}%`);

// ASCII only: block and dash glyphs are 'ambiguous width' and take two cells in some
// terminals, which would wrap lines and break cursor-up repainting.
function bar(done: number, total: number, width: number): string {
  const f = total > 0 ? Math.max(0, Math.min(1, done / total)) : 0;
  const n = Math.round(f * width);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}] ${(f * 100).toFixed(0).padStart(3)}%`;
}

/**
 * Renders the monitor view as plain lines (no cursor control), so the CLI decides how to
 * paint them and tests can read them. Lines are cut to `columns`; given `rows`, a view that
 * would be taller shows fewer of the oldest epochs (the table keeps at least the latest).
 *
 * @example
 * ```ts
 * process.stdout.write('\x1b[H\x1b[J' + renderMonitor(state, 80, 23).join('\n'));
 * ```
 */
export function renderMonitor(s: MonitorState, columns = 80, rows = Number.POSITIVE_INFINITY): string[] {
  const width = Math.max(10, Math.min(50, columns - 30));
  const conn =
    s.connection === 'live' ? 'live' : s.connection === 'retrying' ? `reconnecting: ${s.connectionDetail}` : s.connection === 'ended' ? 'ended' : `connecting ${s.connectionDetail}`.trim();
  const lines = [
    `rxtrain monitor  ${s.address}  [${conn}]`,
    `run ${s.runId || '?'}  backend ${s.backend || '?'}  status ${s.status}  event #${s.lastSequence}`,
    '',
    `epoch ${epochLabel(s)}  ${bar(s.batch, s.stepsPerEpoch, width)}  batch ${s.batch}/${s.stepsPerEpoch || '?'}  step ${s.step}`,
    `loss ${fmt(s.loss)}  acc ${pct(s.accuracy)}  lr ${fmt(s.lr, 3)}  ${s.imagesPerSec === undefined ? '' : `${s.imagesPerSec.toFixed(1)} img/s`}`.trimEnd(),
  ];
  // A view taller than the terminal loses its bottom (the CLI keeps the top part, as
  // cursor-up repainting needs): drop the oldest epoch rows first, so that the checkpoints,
  // skips and notes below (an lr cut, an early stop, a restart) stay in sight.
  const below = (s.checkpoints.length > 0 ? 2 + s.checkpoints.length : 0) + 2 + s.recentSkips.length + (s.notes.length > 0 ? 2 + s.notes.length : 0);
  const epochRows = Math.max(1, Math.min(s.epochsDone.length, rows - lines.length - 2 - below));
  if (s.epochsDone.length > 0) {
    lines.push('', 'epoch  train loss  train acc  val loss  val acc   time');
    for (const e of s.epochsDone.slice(-epochRows)) {
      lines.push(
        `${String(e.epoch + 1).padStart(5)}  ${fmt(e.trainLoss).padStart(10)}  ${pct(e.trainAccuracy).padStart(9)}  ${fmt(e.valLoss).padStart(8)}  ${pct(e.valAccuracy).padStart(7)}  ${(e.durationMs / 1000).toFixed(1).padStart(5)}s`,
      );
    }
  }
  if (s.checkpoints.length > 0) {
    lines.push('', 'checkpoints:');
    for (const c of s.checkpoints) lines.push(`  ${c.text}`);
  }
  lines.push('', `skipped samples: ${Math.max(s.skipped, s.skippedAtServer)}`);
  for (const k of s.recentSkips) lines.push(`  ${k.text}`);
  if (s.notes.length > 0) {
    lines.push('', 'notes:');
    for (const n of s.notes) lines.push(`  ${n.text}`);
  }
  return lines.map((l) => (l.length > columns ? `${l.slice(0, columns - 3)}...` : l));
}
