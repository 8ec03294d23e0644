import * as grpc from '@grpc/grpc-js';
import type { CallStatus } from './bearerAuth';
import { oldestSequenceMetadata } from './oldestSequenceMetadata';
import { rawResponseStream, type RawResponseStream } from './rawResponseStream';
import { resetServerStream } from './resetServerStream';
import type { TelemetryHub, HubListener } from './TelemetryHub';
import type { TrainEventKind } from './TrainEvent';
import type { Event } from './generated/rxtrain/telemetry/v1/Event';
import type { SubscribeRequest__Output } from './generated/rxtrain/telemetry/v1/SubscribeRequest';

/**
 * How a subscription ended, for the server's bookkeeping and tests.
 *
 * @example
 * ```ts
 * server.ended.slow; // subscriptions ended as 'slow'
 * ```
 */
export type SubscriptionEnd = 'ok' | 'cancelled' | 'slow' | 'error';

/** Largest single write when catching up (replay, bursts): bounds what one slow stream buffers. */
const MAX_CHUNK_BYTES = 64 * 1024;

/**
 * One Subscribe call. It keeps only a cursor into the hub's replay buffer and writes while
 * the stream says it has room; when it says no, it waits for 'drain' and only counts what
 * it is missing. Past `maxQueue` missed events (or once its cursor is evicted) it is ended
 * with RESOURCE_EXHAUSTED, so a subscriber that never reads costs bounded memory and never
 * slows the producer. Events are written as the hub's shared pre-framed Buffers straight to
 * the HTTP/2 stream (see {@link rawResponseStream}; `call.write()` if that is unavailable),
 * and everything pending is sent in one write (up to 64 KiB).
 *
 * @example
 * ```ts
 * new Subscription(hub, call, new Set(['EpochEnd']), 1, { maxQueue: 1024, graceMs: 5000 }, () => {}).start();
 * ```
 */
export class Subscription implements HubListener {
  private blocked = false;
  private missed = 0;
  private done = false;
  private resetTimer: NodeJS.Timeout | undefined;
  private raw: RawResponseStream | undefined;
  /** Newest sequence already accounted for (sent, skipped by the filter, or counted as missed). */
  private seen = 0;
  private endSent = false;

  constructor(
    private readonly hub: TelemetryHub,
    private readonly call: grpc.ServerWritableStream<SubscribeRequest__Output, Event>,
    private readonly kinds: ReadonlySet<TrainEventKind> | undefined,
    private cursor: number,
    private readonly limits: { readonly maxQueue: number; readonly graceMs: number },
    private readonly onEnd: (how: SubscriptionEnd, sub: Subscription) => void,
  ) {}

  /** Whether this subscriber was sent everything and the run's end (OK, or ABORTED for a failed run). */
  get sentEnd(): boolean {
    return this.endSent;
  }

  /** Next sequence this subscriber will be sent (or skip, if filtered out). */
  get nextSequence(): number {
    return this.cursor;
  }

  start(): void {
    this.raw = rawResponseStream(this.call);
    const onDrain = (): void => {
      this.blocked = false;
      this.missed = 0;
      this.pump();
    };
    if (this.raw !== undefined) this.raw.on('drain', onDrain);
    else this.call.on('drain', onDrain);
    this.call.on('cancelled', () => this.finish('cancelled'));
    // A write to a stream the peer reset surfaces here; the call is over either way.
    this.call.on('error', () => this.finish('error'));
    this.hub.add(this);
    this.pump();
  }

  notify(): void {
    if (this.done) return;
    if (!this.blocked) {
      this.pump();
      return;
    }
    // Told once per batch of events: count each new event this subscriber wants.
    const buf = this.hub.buffer;
    for (let seq = Math.max(this.seen + 1, this.cursor, buf.oldest); seq <= buf.newest; seq += 1) {
      const entry = buf.get(seq);
      if (entry !== undefined && this.wants(entry.kind)) this.missed += 1;
    }
    this.seen = Math.max(this.seen, buf.newest);
    if (this.hub.ended === undefined && this.missed > this.limits.maxQueue) {
      this.cutOff(
        `subscriber too slow: more than ${this.limits.maxQueue} events queued; ` +
          `resubscribe with from_sequence=${this.cursor} to resume`,
      );
    }
  }

  /** Ends the call at once (server shutdown): OK, as for a normal end of training. */
  close(): void {
    if (this.done) return;
    this.finish('ok');
    this.call.end();
  }

  private wants(kind: TrainEventKind): boolean {
    return this.kinds === undefined || this.kinds.has(kind);
  }

  private pump(): void {
    const buf = this.hub.buffer;
    while (!this.done && !this.blocked && this.cursor <= buf.newest) {
      if (buf.get(this.cursor) === undefined) {
        this.cutOff(
          `subscriber fell behind the replay buffer: sequence ${this.cursor} was evicted; ` +
            `oldest available is ${buf.oldest}`,
          // The same number for programs, under the key an evicted from_sequence's OUT_OF_RANGE uses.
          oldestSequenceMetadata(buf.oldest),
        );
        return;
      }
      const parts: Buffer[] = [];
      let bytes = 0;
      for (let entry = buf.get(this.cursor); entry !== undefined && bytes < MAX_CHUNK_BYTES; entry = buf.get(this.cursor)) {
        this.cursor += 1;
        if (!this.wants(entry.kind)) continue;
        const framed = this.hub.framedOf(entry);
        parts.push(framed);
        bytes += framed.length;
      }
      if (parts.length > 0 && !this.send(parts, bytes)) {
        this.blocked = true;
        this.missed = 0;
      }
    }
    this.seen = Math.max(this.seen, this.cursor - 1);
    const end = this.hub.ended;
    if (!this.done && end !== undefined && this.cursor > buf.newest) this.endWith(end);
  }

  /** Writes framed events; false once the stream is over its high-water mark. */
  private send(parts: readonly Buffer[], bytes: number): boolean {
    const raw = this.raw;
    if (raw !== undefined) {
      // The peer is gone: its 'cancelled'/'close' ends this subscription.
      if (raw.destroyed || raw.closed || raw.writableEnded) return false;
      return raw.write(parts.length === 1 ? parts[0] : Buffer.concat(parts, bytes));
    }
    let room = true;
    // The Subscribe serializer passes pre-encoded Buffers through (see serveTelemetry).
    for (const p of parts) room = this.call.write(p.subarray(5) as unknown as Event);
    return room;
  }

  private endWith(status: CallStatus): void {
    this.endSent = true;
    this.finish(status.code === grpc.status.OK ? 'ok' : 'error');
    if (status.code === grpc.status.OK) this.call.end();
    else this.call.emit('error', { code: status.code, details: status.details });
  }

  private cutOff(details: string, metadata?: grpc.Metadata): void {
    if (this.done) return;
    this.finish('slow');
    // In-band status first: a client that resumes reading gets everything up to here and
    // then a RESOURCE_EXHAUSTED saying where to resume.
    this.call.emit('error', { code: grpc.status.RESOURCE_EXHAUSTED, details, ...(metadata !== undefined ? { metadata } : {}) });
    // A client that never reads would never see it (flow control), and its stream would
    // hold server memory; reset it after a grace period.
    this.resetTimer = setTimeout(() => resetServerStream(this.call), this.limits.graceMs);
    this.resetTimer.unref();
    this.call.once('close', () => clearTimeout(this.resetTimer));
  }

  /** Forgets the stream immediately (used at forced shutdown). */
  dispose(): void {
    clearTimeout(this.resetTimer);
  }

  private finish(how: SubscriptionEnd): void {
    if (this.done) return;
    this.done = true;
    this.hub.remove(this);
    this.onEnd(how, this);
  }
}
