import type { TrainEnd } from '../telemetry/TrainEvent';

/** `dir` as one shell word: quoted when it holds anything a shell would split or expand. */
function shellWord(dir: string): string {
  return /^[\w@%+=:,./-]+$/.test(dir) ? dir : `'${dir.replace(/'/g, `'\\''`)}'`;
}

/**
 * The line `rxtrain train` ends a run with: what to do next. A stopped run (Ctrl-C, SIGTERM,
 * SIGHUP) is resumed by the same command; one out of its time budget by the same command with a
 * longer `--max-time`; a finished one is scored, used and exported by the commands that take its
 * run directory. `runDir` is shown as given (a path relative to the working directory stays so),
 * quoted for a shell when it needs to be.
 *
 * @example
 * ```ts
 * nextStepHint({ reason: 'stopped', step: 67 }, 'runs/sample');
 * // 'stopped at step 67: the same command resumes it from there (run directory runs/sample)'
 * nextStepHint({ reason: 'completed', step: 256 }, 'runs/sample');
 * // 'next: rxtrain evaluate runs/sample (accuracy per class), rxtrain predict runs/sample IMAGE…, rxtrain export runs/sample OUT_DIR'
 * ```
 */
export function nextStepHint(end: Pick<TrainEnd, 'reason' | 'step'>, runDir: string): string {
  const dir = shellWord(runDir);
  if (end.reason === 'stopped') return `stopped at step ${end.step}: the same command resumes it from there (run directory ${dir})`;
  const use = `rxtrain evaluate ${dir} (accuracy per class), rxtrain predict ${dir} IMAGE…, rxtrain export ${dir} OUT_DIR`;
  if (end.reason === 'time-limit') return `the time budget is spent at step ${end.step}: the same command with a longer --max-time trains on; next: ${use}`;
  return `next: ${use}`;
}
