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
 * const bytes = hub.bytesOf(hub.buffer.get(1)!);
 * ```
 */
export interface BufferedEvent {
  readonly sequence: number;
  readonly kind: TrainEventKind;
  readonly message: Event;
  /** Wire bytes, encoded on first send and shared by every subscriber. */
  bytes?: Buffer;
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
 * slow one costs O(1) memory and never delays {@link TelemetryHub.publish}.
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

  constructor(
    private readonly runId: string,
    replayCapacity: number,
    private readonly encode: (m: Event) => Buffer,
  ) {
    this.buffer = new ReplayBuffer(replayCapacity);
    this.snapshot = initialRun(runId);
  }

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
    this.buffer.push({ sequence, kind: e.kind, message: toProtoEvent(e, runId, sequence) });
    this.snapshot = reduceRun(this.snapshot, e, sequence);
    for (const l of this.listeners) l.notify();
  }

  /** The stream completed: subscribers drain what is left and end with OK. */
  complete(): void {
    this.end({ code: grpc.status.OK, details: 'training ended' });
  }

  /** The stream errored: the run is FAILED, subscribers drain and end with ABORTED. */
  fail(message: string): void {
    if (this.endStatus !== undefined) return;
    this.snapshot = { ...this.snapshot, status: 'FAILED', error: message };
    this.end({ code: grpc.status.ABORTED, details: `training failed: ${message}` });
  }

  /** Wire bytes of a buffered event, encoded once however many subscribers send it. */
  bytesOf(entry: BufferedEvent): Buffer {
    if (entry.bytes === undefined) entry.bytes = this.encode(entry.message);
    return entry.bytes;
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
    for (const l of [...this.listeners]) l.notify();
  }
}
