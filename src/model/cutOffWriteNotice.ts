import * as path from 'node:path';
import type { RemovedTempFile } from './CheckpointStore';

const size = (bytes: number): string =>
  bytes < 1000 ? `${bytes} bytes` : bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;

/**
 * The one line a resume says when the previous run was killed while writing a checkpoint:
 * which write was cut off (its step, how much of it was written) and where training starts
 * instead, so that the steps since that checkpoint are not lost without a word. Undefined
 * when nothing was cut off, or only a best.rxckpt link (its checkpoint is saved; the resume
 * repairs best.rxckpt itself).
 *
 * @example
 * ```ts
 * cutOffWriteNotice([{ path: 'ck/.ckpt-s0000000015-e0003-b000000.rxckpt.4711.tmp', bytes: 2048, of: { step: 15, epoch: 3, batch: 0 } }], { path: 'ck/ckpt-s0000000010-e0002-b000000.rxckpt', step: 10 });
 * // 'the previous run was cut off while writing the checkpoint of step 15 (2.0 kB of it written, now removed): resuming from ck/ckpt-s0000000010-e0002-b000000.rxckpt at step 10 instead'
 * ```
 */
export function cutOffWriteNotice(removed: readonly RemovedTempFile[], resume: { readonly path: string; readonly step: number } | undefined): string | undefined {
  const cut = removed.filter((r) => r.of !== 'best');
  if (cut.length === 0) return undefined;
  // One run writes one checkpoint at a time: several temp files come from several crashes, and
  // the newest is the progress the user misses. Names without a step (not ours) sort last.
  const stepOf = (r: RemovedTempFile): number => (r.of === undefined || r.of === 'best' ? -1 : r.of.step);
  const [newest] = [...cut].sort((a, b) => stepOf(b) - stepOf(a));
  const what = newest.of === undefined || newest.of === 'best' ? `the temp file ${path.basename(newest.path)}` : `the checkpoint of step ${newest.of.step}`;
  const others = cut.length > 1 ? `; ${cut.length - 1} other cut-off write${cut.length === 2 ? '' : 's'} removed too` : '';
  const instead = resume === undefined ? 'starting afresh instead, as no earlier checkpoint is left' : `resuming from ${resume.path} at step ${resume.step} instead`;
  return `the previous run was cut off while writing ${what} (${size(newest.bytes)} of it written, now removed${others}): ${instead}`;
}
