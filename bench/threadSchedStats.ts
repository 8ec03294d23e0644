import * as fs from 'node:fs';

/**
 * One thread's scheduler accounting (Linux `/proc/<pid>/task/<tid>/schedstat`).
 *
 * @example
 * ```ts
 * const t: ThreadSched = { runMs: 430, waitMs: 25, slices: 40 };
 * ```
 */
export interface ThreadSched {
  /** Time on a CPU, ms. */
  readonly runMs: number;
  /** Time runnable but waiting for a CPU (on a run queue), ms. */
  readonly waitMs: number;
  /** Times it was given a CPU. */
  readonly slices: number;
}

/**
 * Every thread of this process with its scheduler accounting so far, by thread id; empty
 * where `/proc` has no schedstat (not Linux, or schedstats compiled out). Two snapshots
 * subtracted with {@link schedDelta} show where a benchmark's CPU went: which threads ran, and
 * how long busy threads waited for a CPU that another thread (or process) held.
 *
 * @example
 * ```ts
 * const before = threadSchedStats();
 * await work();
 * const busy = schedDelta(before, threadSchedStats()).filter((t) => t.runMs > 10);
 * ```
 */
export function threadSchedStats(): Map<number, ThreadSched> {
  const out = new Map<number, ThreadSched>();
  let tids: string[];
  try {
    tids = fs.readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const [run, wait, slices] = fs.readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
      if ([run, wait, slices].every(Number.isFinite)) out.set(Number(tid), { runMs: run / 1e6, waitMs: wait / 1e6, slices });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/**
 * What each thread present in both snapshots did in between, busiest first.
 *
 * @example
 * ```ts
 * const [first] = schedDelta(before, threadSchedStats()); // the thread that ran longest
 * ```
 */
export function schedDelta(before: ReadonlyMap<number, ThreadSched>, after: ReadonlyMap<number, ThreadSched>): Array<ThreadSched & { readonly tid: number }> {
  const rows: Array<ThreadSched & { readonly tid: number }> = [];
  for (const [tid, a] of after) {
    const b = before.get(tid);
    if (b === undefined) continue;
    rows.push({ tid, runMs: a.runMs - b.runMs, waitMs: a.waitMs - b.waitMs, slices: a.slices - b.slices });
  }
  return rows.sort((x, y) => y.runMs - x.runMs);
}
