import { ProtoWriter } from './ProtoWriter';

/**
 * A scalar summary value: what TensorBoard's Scalars tab plots.
 *
 * @example
 * ```ts
 * const v: ScalarValue = { tag: 'loss/train', value: 0.42 };
 * ```
 */
export interface ScalarValue {
  readonly tag: string;
  readonly value: number;
}

/**
 * The fields of a `tensorflow.Event` this writer produces; exactly one of `fileVersion`,
 * `graphDef` and `scalars` is normally set.
 *
 * @example
 * ```ts
 * const e: EventFields = { wallTime: Date.now() / 1000, step: 3, scalars: [{ tag: 'lr', value: 0.01 }] };
 * ```
 */
export interface EventFields {
  /** Seconds since the Unix epoch (fractional). */
  readonly wallTime: number;
  readonly step?: number;
  /** `brain.Event:2` in the first record of every event file. */
  readonly fileVersion?: string;
  /** A serialized GraphDef (see `encodeGraphDef`). */
  readonly graphDef?: Uint8Array;
  readonly scalars?: readonly ScalarValue[];
}

/**
 * Encodes a `tensorflow.Event` protobuf (wall_time = 1, step = 2, file_version = 3,
 * graph_def = 4, summary = 5; Summary.value = 1; Value.tag = 1, Value.simple_value = 2).
 *
 * @example
 * ```ts
 * const bytes = encodeEvent({ wallTime: 1.7e9, fileVersion: 'brain.Event:2' });
 * ```
 */
export function encodeEvent(e: EventFields): Buffer {
  const w = new ProtoWriter().double(1, e.wallTime);
  if (e.step !== undefined) w.int64(2, e.step);
  if (e.fileVersion !== undefined) w.string(3, e.fileVersion);
  if (e.graphDef !== undefined) w.bytes(4, e.graphDef);
  if (e.scalars !== undefined) {
    const summary = new ProtoWriter();
    for (const s of e.scalars) summary.message(1, new ProtoWriter().string(1, s.tag).float(2, s.value));
    w.message(5, summary);
  }
  return w.finish();
}
