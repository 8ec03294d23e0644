import type { SequencedEvent } from './fromProtoEvent';
import { printablePath } from '../streams/printablePath';
import { initialisedNote } from './initialisedNote';
import type { TrainEnd } from './TrainEvent';
import { epochRecord, type EpochRecord } from './EpochRecord';
import type { WatchSignal } from './watchTelemetry';
import type { RunStatus__Output } from './generated/rxtrain/telemetry/v1/RunStatus';

/**
 * A line of history the monitor keeps (checkpoints, skips, LR changes, notices).
 *
 * @example
 * ```ts
 * const n: MonitorNote = { time: Date.now(), text: 'lr 0.01 -> 0.001' };
 * ```
 */
export interface MonitorNote {
  readonly time: number;
  readonly text: string;
}

/**
 * One row of the monitor's epoch table: a finished epoch's figures.
 *
 * @example
 * ```ts
 * const row: MonitorEpoch = { epoch: 0, trainLoss: 2.1, trainAccuracy: 0.3, lr: 0.01, durationMs: 900 };
 * ```
 */
export type MonitorEpoch = EpochRecord;

/**
 * Everything the live monitor view shows, folded from {@link WatchSignal}s.
 *
 * @example
 * ```ts
 * const s = signals.reduce(reduceMonitor, initialMonitorState('127.0.0.1:50051'));
 * ```
 */
export interface MonitorState {
  readonly address: string;
  /**
   * `ended`: the run's stream ended (training over); `next-run`: it ended and the monitor
   * (`--follow`) waits for the next run at the address; `stopped`: the monitor itself stopped
   * first (Ctrl-C, SIGTERM, an error it cannot retry past), saying nothing about the run, with
   * the reason, if any, in `connectionDetail`.
   */
  readonly connection: 'connecting' | 'live' | 'retrying' | 'ended' | 'next-run' | 'stopped';
  readonly connectionDetail: string;
  readonly runId: string;
  readonly backend: string;
  readonly status: string;
  /** 0-based epoch shown: the one in progress, or the last one done (never `epochs`). */
  readonly epoch: number;
  readonly epochs: number;
  readonly step: number;
  /** Batches trained in the shown epoch; once it ended, all it trained (see `batchesShort`). */
  readonly batch: number;
  /** Planned batches per epoch, counted from the files before any was skipped. */
  readonly stepsPerEpoch: number;
  /**
   * How many fewer batches than planned the shown epoch trained (its skipped samples' worth),
   * once its training data ran out: from its last BatchEnd (`lastOfEpoch`), so while it still
   * validates, or else from its EpochEnd; 0 before. The progress shows the epoch done at
   * `batch` of `stepsPerEpoch`.
   */
  readonly batchesShort: number;
  /**
   * Where the epoch in progress began in this stream (its EpochBegin): the step and batch, so
   * that its end can count the batches it trained from the steps, whichever BatchEnd the
   * throttle left out.
   */
  readonly epochBegan?: { readonly epoch: number; readonly step: number; readonly batch: number };
  /**
   * The shown epoch's validation pass while it runs (from its ValidationProgress events; gone
   * at its EpochEnd): batches scored, the planned count when known, images, and where this
   * monitor first saw it (event time and images), for its img/s.
   */
  readonly validation?: MonitorValidation | undefined;
  readonly lr?: number;
  readonly loss?: number;
  readonly accuracy?: number;
  /** The latest BatchEnd's img/s, or once its epoch ended, the epoch's (its EpochEnd's). */
  readonly imagesPerSec?: number;
  /**
   * Per finished epoch, newest last (the latest 1000). Kept across a training restart for the
   * epochs the resumed run did not train again; a resumed run's TrainBegin `history` fills in
   * those this monitor did not see.
   */
  readonly epochsDone: readonly MonitorEpoch[];
  /**
   * Epochs a resumed run had finished before this training process started (its TrainBegin's
   * epoch), whose rows this monitor may not have seen (a server before TrainBegin `history`
   * does not send them); 0 for a run that started afresh.
   */
  readonly epochsBefore: number;
  readonly checkpoints: readonly MonitorNote[];
  /** Skips seen as events. */
  readonly skipped: number;
  /** Skips the server counted (GetRun), which includes any evicted or filtered out. */
  readonly skippedAtServer: number;
  readonly recentSkips: readonly MonitorNote[];
  readonly notes: readonly MonitorNote[];
  /** Sequence of the latest event of this training process's stream (0: none yet). */
  readonly lastSequence: number;
  /**
   * Whether events came from an earlier training process's stream (training restarted, e.g.
   * resumed, while this monitor watched): until the new stream's first event the view does not
   * read as if no run had been seen ("waiting", "nothing received yet").
   */
  readonly seenEarlierStream: boolean;
  /**
   * A restart's note waits for the new stream's first event: its TrainBegin says where training
   * resumed (`training restarted: resumed at epoch 2/3 step 7 from …`); another first event
   * (TrainBegin evicted or filtered out) where it went on (`training restarted: going on at
   * epoch 2/3 step 9`).
   */
  readonly restartNotePending: boolean;
}

/**
 * A validation pass as the monitor shows it (see {@link MonitorState}'s `validation`).
 *
 * @example
 * ```ts
 * const v: MonitorValidation = { epoch: 2, batchesDone: 12, batches: 40, images: 768, since: { time: 0, images: 0 }, imagesPerSec: 512 };
 * ```
 */
export interface MonitorValidation {
  readonly epoch: number;
  readonly batchesDone: number;
  readonly batches?: number | undefined;
  readonly images: number;
  /** The pass's first event this monitor saw: its time (ms) and images. */
  readonly since: { readonly time: number; readonly images: number };
  /** Images a second since then; undefined until time has passed. */
  readonly imagesPerSec?: number | undefined;
}

const END_STATUS: Readonly<Record<TrainEnd['reason'], string>> = {
  completed: 'FINISHED',
  'early-stop': 'EARLY_STOPPED',
  stopped: 'STOPPED',
  'time-limit': 'TIME_LIMIT',
};

// Statuses of a run that has not ended (or whose state is not known yet): no end to name.
const NOT_ENDED: ReadonlySet<string> = new Set(['UNKNOWN', 'UNSPECIFIED', 'STARTING', 'RUNNING']);

/**
 * How a run with this {@link MonitorState.status} ended, in the words of the monitor's own
 * `training ended: completed after 12.0s` line and of `rxtrain train`'s `training ended
 * (completed)`: the TrainEnd reason (`completed`, `early-stop`, `stopped`, `time-limit`), or
 * `failed`, rather than the status names (FINISHED, STOPPED) its header shows. Undefined for a
 * status that names no end (RUNNING, UNKNOWN); a status newer than these is given as it is.
 *
 * @example
 * ```ts
 * endedAs('FINISHED'); // 'completed'
 * endedAs('STOPPED');  // 'stopped'
 * endedAs('RUNNING');  // undefined
 * ```
 */
export function endedAs(status: string): string | undefined {
  if (NOT_ENDED.has(status)) return undefined;
  if (status === 'FAILED') return 'failed';
  const reason = (Object.keys(END_STATUS) as TrainEnd['reason'][]).find((r) => END_STATUS[r] === status);
  return reason ?? status;
}

/**
 * GetRun's status without the enum's prefix (RUN_STATUS_FAILED → FAILED): the names a
 * TrainEnd event gives (END_STATUS), which the view shows and the exit code tests for.
 * A value newer than these types arrives as its number and is shown as such.
 */
function runStatusName(status: RunStatus__Output | number): string {
  return String(status).replace(/^RUN_STATUS_/, '');
}

const KEEP = 5;
// Finished epochs kept for the table, which shows as many as the terminal's height fits: more
// than any terminal is tall, and a few tens of kilobytes.
const KEEP_EPOCHS = 1000;
/** The mark of the run's best checkpoint in view. */
const BEST = ' (best)';
const push = <T>(xs: readonly T[], x: T, keep = KEEP): readonly T[] => [...xs, x].slice(-keep);

/**
 * The rows for the epochs before a resumed run's first: the checkpoint's history where the
 * TrainBegin carries it (what the run will build on), else the rows this monitor saw.
 */
function rowsBefore(seen: readonly MonitorEpoch[], history: readonly MonitorEpoch[], before: number): readonly MonitorEpoch[] {
  const byEpoch = new Map<number, MonitorEpoch>();
  for (const r of [...seen, ...history]) if (r.epoch < before) byEpoch.set(r.epoch, epochRecord(r));
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch).slice(-KEEP_EPOCHS);
}

/**
 * The state before anything was received.
 *
 * @example
 * ```ts
 * initialMonitorState('127.0.0.1:50051').connection; // 'connecting'
 * ```
 */
export function initialMonitorState(address: string): MonitorState {
  return {
    address,
    connection: 'connecting',
    connectionDetail: '',
    runId: '',
    backend: '',
    status: 'UNKNOWN',
    epoch: 0,
    epochs: 0,
    step: 0,
    batch: 0,
    stepsPerEpoch: 0,
    batchesShort: 0,
    epochsDone: [],
    epochsBefore: 0,
    checkpoints: [],
    skipped: 0,
    skippedAtServer: 0,
    recentSkips: [],
    notes: [],
    lastSequence: 0,
    seenEarlierStream: false,
    restartNotePending: false,
  };
}

/**
 * The epoch the view shows for an event: the one in progress, or the last one done. Events
 * within an epoch carry it; the others carry the training cursor, which after an epoch's end
 * already points at the next epoch (`TrainEnd` of a 1-epoch run has epoch 1), so they never
 * move the view past the epoch before the cursor.
 */
function shownEpoch(s: MonitorState, e: SequencedEvent): number {
  switch (e.kind) {
    case 'EpochBegin':
    case 'BatchEnd':
    case 'ValidationProgress':
    case 'EpochEnd':
    case 'LrChanged': // emitted after EpochEnd, with the finished epoch
    case 'EarlyStop': // carries the finished epoch
      return e.epoch;
    case 'TrainBegin':
      // A resumed run whose epochs are all done starts at epoch == epochs.
      return e.epochs > 0 ? Math.min(e.epoch, e.epochs - 1) : e.epoch;
    default:
      return Math.max(s.epoch, e.epoch - 1);
  }
}

/** A restart's note until the new stream's TrainBegin says more. */
const RESTART_NOTE = 'training restarted: new event stream';

/**
 * What a training restart seen by this monitor comes to, once the new stream's TrainBegin says
 * it: where the resumed run continues (the epoch as the view shows it, and the step), or a run
 * started afresh.
 */
function restartNote(e: Extract<SequencedEvent, { kind: 'TrainBegin' }>): string {
  if (!e.resumedFrom) return 'training restarted: a new run, from epoch 1';
  const epoch = e.epochs > 0 ? Math.min(e.epoch, e.epochs - 1) : e.epoch;
  return `training restarted: resumed at epoch ${epochLabel({ epoch, epochs: e.epochs })} step ${e.step} from ${printablePath(e.resumedFrom)}`;
}

/**
 * The notes with the latest restart note replaced by `note`. Only the latest: an earlier one
 * still unfinished belongs to a stream this monitor saw no event of, which this event says
 * nothing about.
 */
function fillRestartNote(notes: readonly MonitorNote[], note: MonitorNote): readonly MonitorNote[] {
  const at = notes.map((n) => n.text).lastIndexOf(RESTART_NOTE);
  return at < 0 ? notes : notes.map((n, i) => (i === at ? note : n));
}

function onEvent(s: MonitorState, e: SequencedEvent): MonitorState {
  // A new stream whose TrainBegin never comes (evicted, filtered out by --kinds): its first
  // event still says where training went on, though not whether it resumed.
  if (s.restartNotePending && e.kind !== 'TrainBegin') {
    const note = { time: e.time, text: `training restarted: going on at epoch ${epochLabel({ epoch: shownEpoch(s, e), epochs: s.epochs })} step ${e.step}` };
    return onStreamEvent({ ...s, notes: fillRestartNote(s.notes, note), restartNotePending: false }, e);
  }
  return onStreamEvent(s, e);
}

function onStreamEvent(s: MonitorState, e: SequencedEvent): MonitorState {
  const base: MonitorState = { ...s, epoch: shownEpoch(s, e), step: e.step, lastSequence: e.sequence, runId: e.runId || s.runId, connection: 'live', restartNotePending: false };
  switch (e.kind) {
    case 'TrainBegin': {
      // A resumed run goes on from its checkpoint's epoch: rows for the epochs before it stay
      // (or come from its history), those it trains again go; a run started afresh starts a new table.
      const before = e.resumedFrom ? e.epoch : 0;
      // The restart's note, held until now, says where training went on (and from which checkpoint).
      const notes = s.restartNotePending
        ? fillRestartNote(s.notes, { time: e.time, text: restartNote(e) })
        : e.resumedFrom ? push(s.notes, { time: e.time, text: `resumed from ${printablePath(e.resumedFrom)}` }) : s.notes;
      return {
        ...base,
        epochsDone: rowsBefore(s.epochsDone, e.history ?? [], before),
        epochsBefore: before,
        validation: undefined,
        backend: e.backend,
        epochs: e.epochs,
        stepsPerEpoch: e.stepsPerEpoch,
        status: 'RUNNING',
        ...(e.epochs > 0 && e.epoch >= e.epochs ? { batch: e.stepsPerEpoch } : {}),
        notes: e.initialisedFrom ? push(notes, { time: e.time, text: initialisedNote(e.initialisedFrom) }) : notes,
      };
    }
    case 'EpochBegin':
      return { ...base, validation: undefined, lr: e.lr, batch: e.startBatch, stepsPerEpoch: e.steps || s.stepsPerEpoch, batchesShort: 0, epochBegan: { epoch: e.epoch, step: e.step, batch: e.startBatch } };
    case 'BatchEnd':
      return {
        ...base,
        batch: e.batch + 1,
        // The epoch's last: its data ran out here, before the planned count if samples were skipped.
        batchesShort: e.lastOfEpoch === true ? Math.max(0, s.stepsPerEpoch - (e.batch + 1)) : 0,
        loss: e.loss,
        accuracy: e.accuracy,
        imagesPerSec: e.imagesPerSec,
      };
    case 'EpochEnd': {
      // Skipped samples make an epoch end before its planned batches: the steps since its
      // EpochBegin say how many it trained. Without that EpochBegin (evicted, filtered out by
      // --kinds) its last BatchEnd said it, if that came; else the planned count is all there is.
      const began = s.epochBegan?.epoch === e.epoch ? s.epochBegan : undefined;
      const endedShort = s.epoch === e.epoch && s.batchesShort > 0 ? s.batch : s.stepsPerEpoch;
      const trained = began === undefined ? endedShort : Math.min(began.batch + e.step - began.step, s.stepsPerEpoch);
      return {
        ...base,
        lr: e.lr,
        batch: trained,
        batchesShort: s.stepsPerEpoch - trained,
        // The epoch's img/s replaces its last batches': the view's rate line would read as the
        // epoch's while it stays (a checkpoint's save, the run's end). A server before the
        // field sends none: the batches' rate stays then.
        ...(e.imagesPerSec === undefined ? {} : { imagesPerSec: e.imagesPerSec }),
        epochBegan: undefined,
        validation: undefined,
        epochsDone: push(s.epochsDone, epochRecord(e), KEEP_EPOCHS),
      };
    }
    case 'LrChanged':
      return { ...base, lr: e.to, notes: push(s.notes, { time: e.time, text: `lr ${e.from.toPrecision(3)} -> ${e.to.toPrecision(3)}` }) };
    case 'CheckpointSaved': {
      // `best` is "best so far": a newer best one takes the mark, or every improving epoch's
      // checkpoint in view would read as the best (the run's best.rxckpt is the newest of them).
      const earlier = e.best ? s.checkpoints.map((c) => (c.text.endsWith(BEST) ? { ...c, text: c.text.slice(0, -BEST.length) } : c)) : s.checkpoints;
      return { ...base, checkpoints: push(earlier, { time: e.time, text: `${printablePath(e.path)}${e.best ? BEST : ''}` }, 3) };
    }
    case 'SampleSkipped':
      return { ...base, skipped: s.skipped + 1, recentSkips: push(s.recentSkips, { time: e.time, text: `${e.reason}: ${printablePath(e.path)}` }, 3) };
    case 'ValidationProgress': {
      // The pass's img/s from its first event this monitor saw (one that joined late, or missed
      // events to the throttle or the buffer, still measures from what it has).
      const same = s.validation?.epoch === e.epoch && s.validation.batchesDone <= e.batchesDone ? s.validation : undefined;
      const since = same?.since ?? { time: e.time, images: e.images };
      const secs = (e.time - since.time) / 1000;
      return {
        ...base,
        validation: {
          epoch: e.epoch,
          batchesDone: e.batchesDone,
          batches: e.batches,
          images: e.images,
          since,
          imagesPerSec: secs > 0 ? (e.images - since.images) / secs : undefined,
        },
      };
    }
    case 'EarlyStop':
      return { ...base, notes: push(s.notes, { time: e.time, text: `early stop: ${e.reason}` }) };
    case 'TrainEnd':
      return { ...base, status: END_STATUS[e.reason], validation: undefined };
    case 'Error':
      return { ...base, status: e.fatal ? 'FAILED' : s.status, ...(e.fatal ? { validation: undefined } : {}), notes: push(s.notes, { time: e.time, text: `${e.fatal ? 'fatal ' : ''}error: ${e.message}` }) };
  }
}

/**
 * Folds one watch signal into the view state (pure, for any renderer).
 *
 * @example
 * ```ts
 * watchTelemetry(opts).pipe(scan(reduceMonitor, initialMonitorState(opts.address)));
 * ```
 */
export function reduceMonitor(s: MonitorState, sig: WatchSignal): MonitorState {
  switch (sig.type) {
    case 'event':
      return onEvent(s, sig.event);
    case 'run': {
      const r = sig.run;
      const m = r.metrics;
      return {
        ...s,
        runId: r.runId,
        backend: r.backend || s.backend,
        status: runStatusName(r.status),
        epochs: r.epochs || s.epochs,
        stepsPerEpoch: r.stepsPerEpoch || s.stepsPerEpoch,
        skippedAtServer: r.samplesSkipped,
        ...(m?.lr != null && s.lr === undefined ? { lr: m.lr } : {}),
        ...(m?.loss != null && s.loss === undefined ? { loss: m.loss } : {}),
        ...(m?.accuracy != null && s.accuracy === undefined ? { accuracy: m.accuracy } : {}),
      };
    }
    case 'connected':
      // Following (--follow) past a run's end: the tries at the address are the wait for the next run.
      if (s.connection === 'next-run') return s;
      return { ...s, connection: s.connection === 'live' ? 'live' : 'connecting', connectionDetail: sig.fromSequence > 0 ? `resuming from #${sig.fromSequence}` : '' };
    case 'disconnected':
      if (s.connection === 'next-run') return s;
      return { ...s, connection: 'retrying', connectionDetail: `${sig.message} (retry in ${(sig.retryInMs / 1000).toFixed(1)}s)` };
    case 'gap':
      return { ...s, notes: push(s.notes, { time: Date.now(), text: `missed events #${sig.from}-#${sig.to} (evicted from the server's buffer)` }) };
    case 'ended':
      // Following past the end: the run's figures stay in view until the next run's first event.
      return {
        ...s,
        connection: 'next-run',
        connectionDetail: '',
        // Its fatal Error event, if not filtered out, said why; the status must say it regardless.
        status: sig.failed ? 'FAILED' : s.status,
      };
    case 'restarted':
      // The finished epochs stay until the new stream's TrainBegin says whether it resumes them,
      // and so does the run's name (the same across resumes). The note is said in full by the
      // new stream's first event (its TrainBegin, or whichever came first).
      return {
        ...initialMonitorState(s.address),
        runId: s.runId,
        epochsDone: s.epochsDone,
        notes: push(s.notes, { time: Date.now(), text: RESTART_NOTE }),
        seenEarlierStream: s.seenEarlierStream || s.lastSequence > 0,
        restartNotePending: true,
      };
  }
}

/**
 * The epoch as the live view and the log lines show it: 1-based, out of the run's epochs when
 * known, and never past the last one (the state never goes there; the clamp keeps a hand-made
 * state honest too).
 *
 * @example
 * ```ts
 * epochLabel({ ...initialMonitorState('h:1'), epoch: 0, epochs: 1 }); // '1/1'
 * ```
 */
export function epochLabel(s: Pick<MonitorState, 'epoch' | 'epochs'>): string {
  return s.epochs > 0 ? `${Math.min(s.epoch + 1, s.epochs)}/${s.epochs}` : String(s.epoch + 1);
}
