import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { ReplayBuffer } from './ReplayBuffer';
import { initialRun, reduceRun, type RunSnapshot } from './runReducer';
import { toProtoEvent } from './toProtoEvent';
import type { TrainEvent, TrainEventKind } from './TrainEvent';
import type { Event } from './generated/rxtrain/telemetry/v1/Event';
import type { CallStatus } from './bearerAuth';

/**
 * An event as the hub keeps it: sequenced, mapped once, encoded at most once.
 *
 * @example
 * ```ts
 * const framed = hub.framedOf(hub.buffer.get(1)!);
 * ```
 */
export interface BufferedEvent {
  readonly sequence: number;
  readonly kind: TrainEventKind;
  readonly message: Event;
  /**
   * gRPC length-prefixed wire bytes (5-byte prefix + protobuf), encoded on first send and
   * shared by every subscriber.
   */
  framed?: Buffer;
}

/**
 * What the hub needs from a subscriber: to be told that there is more to read.
 *
 * @example
 * ```ts
 * hub.add({ notify: () => console.log('newest', hub.buffer.newest) });
 * ```
 */
export interface HubListener {
  /** A new event was appended, or the hub ended; the listener pulls what it wants. */
  notify(): void;
}

/**
 * The server's core, free of sockets: assigns gap-free sequence numbers, maps each event
 * to its wire form once, keeps the bounded replay buffer and the run snapshot, and tells
 * subscribers that there is more. Subscribers pull from the buffer at their own pace, so a
 * slow one costs O(1) memory and never delays {@link TelemetryHub.publish}. Subscribers
 * are told once per turn of the event loop (setImmediate), not once per event: events that
 * arrive together (EpochEnd, CheckpointSaved, EpochBegin; a burst of skips) reach each
 * subscriber in one write. The turn's first listener rotates, so no subscriber is always the
 * last to be written to.
 *
 * @example
 * ```ts
 * const hub = new TelemetryHub('run-1', 1000, (m) => Buffer.from(JSON.stringify(m)));
 * hub.publish({ kind: 'EarlyStop', time: Date.now(), epoch: 4, step: 400, reason: 'plateau' });
 * hub.buffer.get(1)?.kind; // 'EarlyStop'
 * ```
 */
export class TelemetryHub {
  readonly buffer: ReplayBuffer<BufferedEvent>;
  private snapshot: RunSnapshot;
  private readonly listeners = new Set<HubListener>();
  private endStatus: CallStatus | undefined;
  private notifyScheduled = false;
  /** Turns so far: where the next turn starts telling listeners (see scheduleNotify). */
  private turn = 0;

  constructor(
    private readonly runId: string,
    replayCapacity: number,
    private readonly encode: (m: Event) => Buffer,
  ) {
    this.buffer = new ReplayBuffer(replayCapacity);
    this.snapshot = initialRun(runId, this.streamId);
  }

  /**
   * This hub's event stream: random, so a client can tell a restarted training (whose
   * sequence starts again at 1) from the one it was following.
   */
  readonly streamId: string = randomUUID();

  /** The run so far, as GetRun reports it. */
  get run(): RunSnapshot {
    return this.snapshot;
  }

  /** Set once the event stream has ended: OK after completion, ABORTED after an error. */
  get ended(): CallStatus | undefined {
    return this.endStatus;
  }

  /** Number of live subscribers. */
  get subscriberCount(): number {
    return this.listeners.size;
  }

  /** Appends an event and wakes the subscribers. Ignored after the hub has ended. */
  publish(e: TrainEvent): void {
    if (this.endStatus !== undefined) return;
    const sequence = this.buffer.newest + 1;
    // TrainBegin may carry the definitive run id (e.g. one chosen after resolving the run dir).
    const runId = e.kind === 'TrainBegin' && e.runId !== '' ? e.runId : this.snapshot.runId || this.runId;
    this.buffer.push({ sequence, kind: e.kind, message: toProtoEvent(e, runId, sequence, this.streamId) });
    this.snapshot = reduceRun(this.snapshot, e, sequence);
    this.scheduleNotify();
  }

  /** The stream completed: subscribers drain what is left and end with OK. */
  complete(): void {
    this.end({ code: grpc.status.OK, details: 'training ended' });
  }

  /** The stream errored: the run is RUN_STATUS_FAILED, subscribers drain and end with ABORTED. */
  fail(message: string): void {
    if (this.endStatus !== undefined) return;
    this.snapshot = { ...this.snapshot, status: 'RUN_STATUS_FAILED', error: message };
    this.end({ code: grpc.status.ABORTED, details: `training failed: ${message}` });
  }

  /** gRPC-framed wire bytes of a buffered event, encoded once however many subscribers send it. */
  framedOf(entry: BufferedEvent): Buffer {
    if (entry.framed === undefined) {
      const bytes = this.encode(entry.message);
      const framed = Buffer.allocUnsafe(bytes.length + 5);
      framed.writeUInt8(0, 0); // not compressed
      framed.writeUInt32BE(bytes.length, 1);
      bytes.copy(framed, 5);
      entry.framed = framed;
    }
    return entry.framed;
  }

  /** Protobuf bytes of a buffered event (no gRPC prefix), a view of {@link TelemetryHub.framedOf}. */
  bytesOf(entry: BufferedEvent): Buffer {
    return this.framedOf(entry).subarray(5);
  }

  add(l: HubListener): void {
    this.listeners.add(l);
  }

  remove(l: HubListener): void {
    this.listeners.delete(l);
  }

  private end(status: CallStatus): void {
    if (this.endStatus !== undefined) return;
    this.endStatus = status;
    this.scheduleNotify();
  }

  private scheduleNotify(): void {
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    setImmediate(() => {
      this.notifyScheduled = false;
      // A copy: a listener may end (and remove itself) while being told.
      const listeners = [...this.listeners];
      // Each turn starts one listener further on. Writes are queued, and the sockets then
      // flushed, in this order (≈ 25 µs per subscriber): with a fixed order the monitor that
      // connected last would wait for every other one's write on every event, forever.
      const n = listeners.length;
      const start = n === 0 ? 0 : this.turn % n;
      this.turn += 1;
      for (let i = 0; i < n; i += 1) listeners[(start + i) % n].notify();
    });
  }
}
