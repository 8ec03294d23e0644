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
  readonly step?: number | undefined;
  /** `brain.Event:2` in the first record of every event file. */
  readonly fileVersion?: string | undefined;
  /** A serialized GraphDef (see `encodeGraphDef`). */
  readonly graphDef?: Uint8Array | undefined;
  readonly scalars?: readonly ScalarValue[] | undefined;
  /** Text summaries (TensorBoard's Text tab renders them as Markdown). */
  readonly texts?: readonly TextValue[] | undefined;
}

/**
 * A text summary value: shown in TensorBoard's Text tab, rendered as Markdown.
 *
 * @example
 * ```ts
 * const t: TextValue = { tag: 'config', text: '```json\n{"epochs": 90}\n```' };
 * ```
 */
export interface TextValue {
  readonly tag: string;
  readonly text: string;
}

// Value.tensor = 8, Value.metadata = 9; SummaryMetadata.plugin_data = 1 (PluginData.plugin_name = 1);
// TensorProto: dtype = 1 (DT_STRING = 7), tensor_shape = 2 (scalar: empty), string_val = 8.
function textValue(t: TextValue): ProtoWriter {
  const metadata = new ProtoWriter().message(1, new ProtoWriter().string(1, 'text'));
  const tensor = new ProtoWriter().int64(1, 7).message(2, new ProtoWriter()).string(8, t.text);
  return new ProtoWriter().string(1, t.tag).message(8, tensor).message(9, metadata);
}

/**
 * Encodes a `tensorflow.Event` protobuf (wall_time = 1, step = 2, file_version = 3,
 * graph_def = 4, summary = 5; Summary.value = 1; Value.tag = 1, Value.simple_value = 2; text as
 * a string tensor with the `text` plugin's metadata).
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
  if (e.scalars !== undefined || e.texts !== undefined) {
    const summary = new ProtoWriter();
    for (const s of e.scalars ?? []) summary.message(1, new ProtoWriter().string(1, s.tag).float(2, s.value));
    for (const t of e.texts ?? []) summary.message(1, textValue(t));
    w.message(5, summary);
  }
  return w.finish();
}
