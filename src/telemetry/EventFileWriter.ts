import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeEvent, type ScalarValue, type TextValue } from './encodeEvent';
import { encodeGraphDef, type GraphNode } from './GraphDef';
import { tfRecord } from './tfRecord';

/**
 * Options of {@link EventFileWriter.open}.
 *
 * @example
 * ```ts
 * const o: EventFileWriterOptions = { hostname: 'trainer-1' };
 * ```
 */
export interface EventFileWriterOptions {
  /** Host name in the file name (default `os.hostname()`). */
  readonly hostname?: string | undefined;
  /** Clock, ms since the Unix epoch (default `Date.now`); injected by tests. */
  readonly now?: (() => number) | undefined;
}

/**
 * One TensorBoard event file (`events.out.tfevents.<seconds>.<host>`) in a log directory.
 * Writes are synchronous: records are small, and a record that returned is in the file
 * before the next training event is handled, so a crash loses at most what was not yet
 * fsynced, never the order. {@link flush} fsyncs.
 *
 * @example
 * ```ts
 * const w = EventFileWriter.open('runs/alexnet/tb');
 * w.writeScalars(0, [{ tag: 'loss/train', value: 2.3 }]);
 * w.close();
 * ```
 */
export class EventFileWriter {
  private fd: number | undefined;

  private constructor(
    /** Path of the event file. */
    readonly path: string,
    fd: number,
    private readonly now: () => number,
  ) {
    this.fd = fd;
  }

  /**
   * Creates the log directory if needed and a new event file in it, starting with the
   * `brain.Event:2` file-version record. Never appends to an existing file: a second writer
   * in the same second gets a `.1`, `.2`, ... suffix.
   */
  static open(logDir: string, opts: EventFileWriterOptions = {}): EventFileWriter {
    const now = opts.now ?? Date.now;
    const host = (opts.hostname ?? os.hostname()).replace(/[/\\]/g, '_');
    fs.mkdirSync(logDir, { recursive: true });
    const base = path.join(logDir, `events.out.tfevents.${Math.floor(now() / 1000)}.${host}`);
    for (let n = 0; ; n++) {
      const file = n === 0 ? base : `${base}.${n}`;
      let fd: number;
      try {
        fd = fs.openSync(file, 'wx');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw new Error(`TensorBoard: cannot create event file ${file}: ${(err as Error).message}`);
      }
      const w = new EventFileWriter(file, fd, now);
      w.write(encodeEvent({ wallTime: now() / 1000, step: 0, fileVersion: 'brain.Event:2' }));
      return w;
    }
  }

  /** Appends one Event with the given scalar values at `step`. */
  writeScalars(step: number, scalars: readonly ScalarValue[], wallTimeMs: number = this.now()): void {
    if (scalars.length === 0) return;
    this.write(encodeEvent({ wallTime: wallTimeMs / 1000, step, scalars }));
  }

  /** Appends one Event with the given text summaries at `step`. */
  writeTexts(step: number, texts: readonly TextValue[], wallTimeMs: number = this.now()): void {
    if (texts.length === 0) return;
    this.write(encodeEvent({ wallTime: wallTimeMs / 1000, step, texts }));
  }

  /**
   * Appends the model graph, as nodes or an encoded GraphDef (TensorBoard's Graphs tab shows
   * the last one in the run).
   */
  writeGraph(graph: readonly GraphNode[] | Uint8Array, wallTimeMs: number = this.now()): void {
    const graphDef = graph instanceof Uint8Array ? graph : encodeGraphDef(graph);
    this.write(encodeEvent({ wallTime: wallTimeMs / 1000, step: 0, graphDef }));
  }

  /** Appends an already-encoded Event protobuf. */
  write(event: Uint8Array): void {
    if (this.fd === undefined) throw new Error(`TensorBoard: event file ${this.path} is closed`);
    const rec = tfRecord(event);
    let off = 0;
    while (off < rec.length) off += fs.writeSync(this.fd, rec, off, rec.length - off);
  }

  /** Forces everything written so far to disk. */
  flush(): void {
    if (this.fd !== undefined) fs.fsyncSync(this.fd);
  }

  /** Flushes and closes the file; further writes throw, further closes do nothing. */
  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}
