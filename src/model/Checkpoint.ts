import { createHash } from 'node:crypto';
import type { RngState } from '../ops/Rng';
import type { SchedulerState } from './LrScheduler';
import type { TrainerState } from './Trainer';
import type { WeightEma } from './WeightEma';
import { parseInferenceInfo, type InferenceInfo } from './InferenceInfo';
import type { EpochRecord } from '../telemetry/EpochRecord';

/**
 * What a checkpoint must match to be resumed: the config fields that change the maths, and
 * a description of the data (e.g. manifest hashes). Both are plain JSON; their hash goes
 * into the checkpoint, and on a mismatch {@link diffIdentity} names the fields that differ.
 *
 * @example
 * ```ts
 * const id: RunIdentity = { config: { batchSize: 32, seed: 1 }, data: { 'train.csv': 'ab12…' } };
 * ```
 */
export interface RunIdentity {
  readonly config: unknown;
  readonly data: unknown;
  /**
   * Dotted paths of values that say where the data is, not what it is (e.g. `config.data.train`,
   * an absolute path). A checkpoint whose identity differs only there still resumes when `data`
   * (the fingerprint) is non-empty and equal, so a moved or re-mounted project keeps its resume.
   * Not part of the hash: adding it leaves the hash of older checkpoints' identities unchanged.
   */
  readonly relocatable?: readonly string[] | undefined;
  /**
   * What to do when a config value differs from the checkpoint's, beyond refusing it (the
   * first rule whose `path` and `from` fit wins; not part of the hash, like `relocatable`).
   * E.g. `config.replicas` may change on request, with a warning.
   */
  readonly changes?: readonly IdentityChangeRule[] | undefined;
}

/**
 * How {@link matchIdentity} treats a difference at one dotted path of a run identity: `accept`
 * resumes anyway and reports `note` with the difference (a warning for the log); `refuse`
 * refuses as usual and adds `note` to the problems (what to do about it).
 *
 * @example
 * ```ts
 * const r: IdentityChangeRule = { path: 'config.replicas', action: 'refuse', note: 'pass --allow-replica-change to resume anyway' };
 * ```
 */
export interface IdentityChangeRule {
  readonly path: string;
  /** Only when the checkpoint's value is this one (e.g. an older encoding); absent = any value. */
  readonly from?: unknown;
  /** Only when the current value is this one (`undefined`: the field went away); absent = any value. */
  readonly to?: unknown;
  readonly action: 'accept' | 'refuse';
  readonly note: string;
  /**
   * With `accept`: resume without listing the difference in `changed`, for one the caller has
   * already said in its own words (one line for several fields, not a warning each).
   */
  readonly quiet?: boolean | undefined;
}

/**
 * Which half of a run identity a difference is in: `config` (the settings) or `data` (the
 * fingerprint of what was read), so that a message can say which of the two changed.
 *
 * @example
 * ```ts
 * const part: IdentityPart = 'data'; // e.g. a difference at data.train.csv
 * ```
 */
export type IdentityPart = 'config' | 'data';

/**
 * A difference from the checkpoint's identity that a rule accepted: its readable line
 * (`path: checkpoint X, now Y: note`) and which half of the identity it is in.
 *
 * @example
 * ```ts
 * const c: AcceptedChange = { part: 'config', line: 'config.replicas: checkpoint 1, now 2: --allow-replica-change: …' };
 * ```
 */
export interface AcceptedChange {
  readonly part: IdentityPart;
  readonly line: string;
}

/**
 * Outcome of {@link matchIdentity}: resumable (with the relocated fields and the differences
 * accepted by a rule, if any, one readable line each), or the reasons it is not, with the
 * halves of the identity the refused differences are in (`differs`: config, data or both).
 *
 * @example
 * ```ts
 * const m: IdentityMatch = { ok: false, differs: ['config'], problems: ['config.batchSize: checkpoint 32, now 64'] };
 * ```
 */
export type IdentityMatch =
  | { readonly ok: true; readonly moved: readonly string[]; readonly changed: readonly AcceptedChange[] }
  | { readonly ok: false; readonly differs: readonly IdentityPart[]; readonly problems: readonly string[] };

/**
 * Running sums of the epoch in progress, so that a checkpoint taken mid-epoch resumes with
 * the same epoch metrics as an uninterrupted run.
 *
 * @example
 * ```ts
 * const a: EpochAccumulator = { lossSum: 0, correct: 0, count: 0, elapsedMs: 0 };
 * ```
 */
export interface EpochAccumulator {
  readonly lossSum: number;
  readonly correct: number;
  readonly count: number;
  readonly elapsedMs: number;
}

/**
 * Everything needed to continue a run exactly: weights and optimizer slots, scheduler and
 * early-stopping state, the step-seed RNG, the data-order cursor (epoch, batch) and the
 * partial epoch sums, plus the identity it must match.
 *
 * @example
 * ```ts
 * const { latest } = await store.scan();
 * if (latest) console.log(`resume at epoch ${latest.checkpoint.epoch} batch ${latest.checkpoint.batch}`);
 * ```
 */
export interface Checkpoint {
  /** Epoch of the data cursor: the next batch to train is `batch` of this epoch. */
  readonly epoch: number;
  readonly batch: number;
  /** Global steps trained so far. */
  readonly step: number;
  readonly seed: number;
  /** State of the RNG that draws the per-step seeds. */
  readonly rng: RngState;
  readonly lr: number;
  /** The lr scheduler's state, or null when no scheduler runs. */
  readonly scheduler: SchedulerState | null;
  /** Best monitored metric so far (lower is better after sign normalisation), and its epoch. */
  readonly best: { readonly metric: string; readonly value: number; readonly epoch: number } | null;
  /** Early stopping: epochs since the last improvement. */
  readonly badEpochs: number;
  readonly accumulator: EpochAccumulator;
  readonly history: readonly EpochRecord[];
  readonly identity: RunIdentity;
  readonly identityHash: string;
  readonly trainer: TrainerState;
  /** The moving average of the weights, when the run keeps one (config `ema`). */
  readonly ema?: WeightEma;
  /** Class names and normalisation, so the checkpoint can be scored without its training data. */
  readonly inference?: InferenceInfo;
}

/**
 * A checkpoint file that cannot be used: truncated, corrupt, or of an unknown format.
 *
 * @example
 * ```ts
 * try { decodeCheckpoint(bytes); } catch (e) { if (e instanceof CorruptCheckpointError) console.warn(e.message); }
 * ```
 */
export class CorruptCheckpointError extends Error {
  override readonly name = 'CorruptCheckpointError';
}

const MAGIC = Buffer.from('RXCKPT01', 'ascii');
const DIGEST_BYTES = 32;

interface TensorEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly length: number;
}

/**
 * JSON with object keys sorted, so equal values hash equally whatever the key order.
 *
 * @example
 * ```ts
 * stableStringify({ b: 1, a: 2 }); // '{"a":2,"b":1}'
 * ```
 */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * SHA-256 (hex) of a run identity.
 *
 * @example
 * ```ts
 * hashIdentity({ config: { seed: 1 }, data: {} }).length; // 64
 * ```
 */
export function hashIdentity(identity: RunIdentity): string {
  return createHash('sha256').update(stableStringify({ config: identity.config, data: identity.data })).digest('hex');
}

interface IdentityDiff {
  readonly path: string;
  readonly saved: unknown;
  readonly current: unknown;
}

function identityDiffs(saved: RunIdentity, current: RunIdentity): IdentityDiff[] {
  const out: IdentityDiff[] = [];
  const isObj = (u: unknown): u is Record<string, unknown> => u !== null && typeof u === 'object' && !Array.isArray(u);
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (isObj(a) && isObj(b)) {
      const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
      for (const k of keys) walk(a[k], b[k], path === '' ? k : `${path}.${k}`);
      return;
    }
    if (stableStringify(a) !== stableStringify(b)) out.push({ path, saved: a, current: b });
  };
  walk({ config: saved.config, data: saved.data }, { config: current.config, data: current.data }, '');
  return out;
}

function partOf(d: IdentityDiff): IdentityPart {
  return d.path === 'data' || d.path.startsWith('data.') ? 'data' : 'config';
}

function formatDiff(d: IdentityDiff): string {
  const show = (u: unknown): string => (u === undefined ? '(absent)' : stableStringify(u));
  return `${d.path}: checkpoint ${show(d.saved)}, now ${show(d.current)}`;
}

/**
 * The fields where two identities differ, as `path: checkpoint X, now Y` lines (empty when equal).
 *
 * @example
 * ```ts
 * diffIdentity({ config: { batchSize: 32 }, data: {} }, { config: { batchSize: 64 }, data: {} });
 * // ['config.batchSize: checkpoint 32, now 64']
 * ```
 */
export function diffIdentity(saved: RunIdentity, current: RunIdentity): string[] {
  return identityDiffs(saved, current).map(formatDiff);
}

/**
 * Whether a checkpoint (its saved identity and hash) may be resumed with the `current`
 * identity. Equal hashes, or equal contents, match. Differences only in `current.relocatable`
 * fields (data paths) match too when the data fingerprint is non-empty and unchanged: the same
 * data at a new place. A difference that a rule of `current.changes` accepts matches, and is
 * listed in `changed` with the rule's note and the half of the identity it is in. Anything
 * else does not: `differs` says whether the config, the data or both differ, and the problems
 * which fields, with a plain-words line first when it is the data itself that changed, and the
 * notes of the `refuse` rules that apply last.
 *
 * @example
 * ```ts
 * const m = matchIdentity(ck.identity, ck.identityHash, identity);
 * if (!m.ok) throw new Error(`refusing to resume (different ${m.differs.join(' and ')}):\n  ${m.problems.join('\n  ')}`);
 * else for (const c of m.changed) console.warn(`resuming with ${c.part === 'data' ? 'data' : 'a config'} that differs: ${c.line}`);
 * ```
 */
export function matchIdentity(saved: RunIdentity, savedHash: string, current: RunIdentity): IdentityMatch {
  if (savedHash === hashIdentity(current)) return { ok: true, moved: [], changed: [] };
  const diffs = identityDiffs(saved, current);
  const relocatable = new Set(current.relocatable ?? []);
  // A move is a path that became another path; a path that appeared or went away is a change.
  const isMove = (d: IdentityDiff): boolean => relocatable.has(d.path) && typeof d.saved === 'string' && typeof d.current === 'string';
  const ruleOf = (d: IdentityDiff): IdentityChangeRule | undefined =>
    (current.changes ?? []).find(
      (r) => r.path === d.path && (!('from' in r) || stableStringify(r.from) === stableStringify(d.saved)) && (!('to' in r) || stableStringify(r.to) === stableStringify(d.current)),
    );
  const accepted = diffs.filter((d) => !isMove(d) && ruleOf(d)?.action === 'accept');
  const moved = diffs.filter(isMove);
  const rest = diffs.filter((d) => !isMove(d) && !accepted.includes(d));
  const fp = current.data;
  const vouched = fp !== null && typeof fp === 'object' && Object.keys(fp).length > 0;
  if (rest.length === 0 && (moved.length === 0 || vouched)) {
    const told = accepted.filter((d) => ruleOf(d)?.quiet !== true);
    return { ok: true, moved: moved.map(formatDiff), changed: told.map((d) => ({ part: partOf(d), line: `${formatDiff(d)}: ${ruleOf(d)?.note ?? ''}` })) };
  }
  const problems: string[] = [];
  const dataChanged = rest.filter((d) => partOf(d) === 'data');
  if (dataChanged.length > 0) {
    problems.push(
      `the data is not what the checkpoint was trained on: its fingerprint (a folder's file listing and labels, a record file's index, a preprocess output's files, and the sizes of a sample of image files) differs in ${dataChanged.map((d) => d.path).join(', ')}`,
    );
  } else if (moved.length > 0 && !vouched) {
    problems.push('the data moved and there is no data fingerprint to show it is the same data');
  }
  const notes = [...new Set(rest.flatMap((d) => { const r = ruleOf(d); return r?.action === 'refuse' ? [r.note] : []; }))];
  const refused = diffs.filter((d) => !accepted.includes(d));
  // A move is refused only for want of a fingerprint: it names the config when nothing else differs.
  const reasons = rest.length > 0 ? rest : refused;
  const differs = (['config', 'data'] as const).filter((p) => reasons.some((d) => partOf(d) === p));
  return { ok: false, differs, problems: [...problems, ...refused.map(formatDiff), ...notes] };
}

/**
 * A checkpoint's file as {@link encodeCheckpoint} makes it, to be written piece by piece: its
 * length, and its bytes in order. Making it copies nothing: the header is serialised at once
 * (so the cursor, history and scheduler it records are those of the call), and the pieces are
 * views of the checkpoint's tensors, so those must not change until the pieces are written.
 *
 * @example
 * ```ts
 * const file = checkpointEncoding(ck);
 * for (const piece of file.chunks(8 << 20)) await handle.write(piece); // file.bytes in all
 * ```
 */
export interface CheckpointEncoding {
  /** Length of the file. */
  readonly bytes: number;
  /**
   * The file's bytes in order, in pieces of at most `maxBytes`, the digest last. Each call
   * starts afresh; the digest is computed piece by piece as they are taken, so that no step
   * holds the thread for the whole file (hundreds of MB for AlexNet).
   */
  chunks(maxBytes: number): Iterable<Uint8Array>;
}

/**
 * The bytes of a checkpoint's file, without joining them ({@link CheckpointEncoding}): what a
 * writer that must not hold the event loop for a whole file writes, piece by piece.
 *
 * @example
 * ```ts
 * checkpointEncoding(ck).bytes === encodeCheckpoint(ck).length; // true
 * ```
 */
export function checkpointEncoding(ck: Checkpoint): CheckpointEncoding {
  const entries = (list: TrainerState['weights']): TensorEntry[] => list.map((w) => ({ name: w.name, shape: [...w.shape], length: w.data.length }));
  const { trainer, ema, ...meta } = ck;
  // `relocatable` is the current code's matching policy, not a property of the run: leaving it
  // out keeps the file readable by versions that hash the whole stored identity.
  const identity: RunIdentity = { config: ck.identity.config, data: ck.identity.data };
  const header = Buffer.from(
    JSON.stringify({
      ...meta,
      identity,
      // Only when present, so files without an average stay byte-identical to older versions'.
      ...(ema === undefined ? {} : { emaUpdates: ema.updates }),
      tensors: { weights: entries(trainer.weights), optimizer: entries(trainer.optimizer), ...(ema === undefined ? {} : { ema: entries(ema.weights) }) },
    }),
    'utf8',
  );
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length, 0);
  const blobs = [...trainer.weights, ...trainer.optimizer, ...(ema?.weights ?? [])].map((w) => Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength));
  const parts = [MAGIC, len, header, ...blobs];
  return {
    bytes: parts.reduce((sum, p) => sum + p.length, DIGEST_BYTES),
    *chunks(maxBytes) {
      if (!(maxBytes > 0)) throw new RangeError(`chunks: maxBytes must be positive, got ${maxBytes}`);
      const hash = createHash('sha256');
      for (const part of parts) {
        for (let at = 0; at < part.length; at += maxBytes) {
          const piece = part.subarray(at, at + maxBytes);
          hash.update(piece);
          yield piece;
        }
      }
      const digest = hash.digest();
      for (let at = 0; at < digest.length; at += maxBytes) yield digest.subarray(at, at + maxBytes);
    },
  };
}

/**
 * Serialises a checkpoint: magic, JSON header, raw float32 tensors, SHA-256 of all of it. The
 * trailing digest lets a reader tell a complete file from a truncated or damaged one. The
 * identity is stored as `{ config, data }` (without `relocatable`). One buffer of the whole
 * file; {@link checkpointEncoding} gives the same bytes in pieces.
 *
 * @example
 * ```ts
 * const bytes = encodeCheckpoint(ck);
 * decodeCheckpoint(bytes).step === ck.step; // true
 * ```
 */
export function encodeCheckpoint(ck: Checkpoint): Buffer {
  const file = checkpointEncoding(ck);
  return Buffer.concat([...file.chunks(Infinity)], file.bytes);
}

/**
 * A checkpoint's header: everything but its tensors (weights, optimizer slots, weight average),
 * which hold nearly all of its bytes (470 MB for AlexNet). What {@link readCheckpointHeader}
 * returns, unverified: only {@link decodeCheckpoint} checks the digest of the whole file.
 *
 * @example
 * ```ts
 * const h: CheckpointHeader = await readCheckpointHeader('runs/x/checkpoints/best.rxckpt');
 * console.log(h.step, h.identity.data);
 * ```
 */
export type CheckpointHeader = Omit<Checkpoint, 'trainer' | 'ema'>;

/**
 * Bytes before a checkpoint's JSON header: the magic and the header's length (uint32 LE).
 *
 * @example
 * ```ts
 * const prefix = Buffer.alloc(CHECKPOINT_PREFIX_BYTES); // then read the file's first bytes into it
 * ```
 */
export const CHECKPOINT_PREFIX_BYTES = MAGIC.length + 4;

/**
 * Where the header of a checkpoint ends (the bytes to read for {@link decodeCheckpointHeader}),
 * from the file's first {@link CHECKPOINT_PREFIX_BYTES} bytes.
 *
 * @throws CorruptCheckpointError when they are too few or not those of a checkpoint.
 * @example
 * ```ts
 * checkpointHeaderEnd(encodeCheckpoint(ck).subarray(0, CHECKPOINT_PREFIX_BYTES)); // 12 + the header's length
 * ```
 */
export function checkpointHeaderEnd(prefix: Buffer): number {
  if (prefix.length < CHECKPOINT_PREFIX_BYTES || !prefix.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new CorruptCheckpointError(`not an rxtrain checkpoint or truncated (${prefix.length < CHECKPOINT_PREFIX_BYTES ? `${prefix.length} bytes` : 'no checkpoint magic at its start'})`);
  }
  return CHECKPOINT_PREFIX_BYTES + prefix.readUInt32LE(MAGIC.length);
}

type StoredHeader = CheckpointHeader & { emaUpdates?: number; tensors: { weights: TensorEntry[]; optimizer: TensorEntry[]; ema?: TensorEntry[] } };

function parseHeader(bytes: Buffer): StoredHeader {
  const end = checkpointHeaderEnd(bytes);
  if (bytes.length < end) throw new CorruptCheckpointError(`truncated header (${bytes.length} of ${end} bytes)`);
  let header: unknown;
  try {
    header = JSON.parse(bytes.subarray(CHECKPOINT_PREFIX_BYTES, end).toString('utf8'));
  } catch (e) {
    throw new CorruptCheckpointError(`unreadable header: ${(e as Error).message}`);
  }
  const isObj = (u: unknown): u is Record<string, unknown> => u !== null && typeof u === 'object' && !Array.isArray(u);
  // Resuming compares the identity and decoding lists the tensors: without them the file is no checkpoint.
  if (!isObj(header) || !isObj(header.identity) || !isObj(header.tensors)) {
    throw new CorruptCheckpointError('unreadable header: no run identity or tensor list');
  }
  return header as StoredHeader;
}

/**
 * The header of a checkpoint (all but its tensors) from its first bytes: the file's first
 * {@link checkpointHeaderEnd} bytes are enough. Not verified: the digest covers the whole file.
 *
 * @throws CorruptCheckpointError when the bytes are not a checkpoint's or its header is cut short or unreadable.
 * @example
 * ```ts
 * decodeCheckpointHeader(encodeCheckpoint(ck)).step === ck.step; // true
 * ```
 */
export function decodeCheckpointHeader(bytes: Buffer): CheckpointHeader {
  const { tensors: _tensors, emaUpdates: _emaUpdates, inference: storedInference, ...meta } = parseHeader(bytes);
  const inference = parseInferenceInfo(storedInference);
  return { ...meta, ...(inference === undefined ? {} : { inference }) };
}

/**
 * Parses and verifies {@link encodeCheckpoint}'s bytes.
 *
 * @throws CorruptCheckpointError when the file is truncated, damaged or not a checkpoint.
 * @example
 * ```ts
 * const ck = decodeCheckpoint(await fs.promises.readFile('runs/x/checkpoints/best.rxckpt'));
 * ```
 */
export function decodeCheckpoint(bytes: Buffer): Checkpoint {
  if (bytes.length < MAGIC.length + 4 + DIGEST_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new CorruptCheckpointError(`not an rxtrain checkpoint or truncated (${bytes.length} bytes)`);
  }
  const body = bytes.subarray(0, bytes.length - DIGEST_BYTES);
  const digest = createHash('sha256').update(body).digest();
  if (!digest.equals(bytes.subarray(bytes.length - DIGEST_BYTES))) {
    throw new CorruptCheckpointError(`checksum mismatch (${bytes.length} bytes): the file is truncated or damaged`);
  }
  const header = parseHeader(body);
  let offset = checkpointHeaderEnd(body);
  const read = (list: TensorEntry[]) =>
    list.map((e) => {
      const bytesLen = e.length * 4;
      if (offset + bytesLen > body.length) throw new CorruptCheckpointError(`tensor ${e.name} runs past the end of the file`);
      // Copy: the Float32Array must be aligned and must not alias the file buffer.
      const data = new Float32Array(e.length);
      Buffer.from(data.buffer).set(body.subarray(offset, offset + bytesLen));
      offset += bytesLen;
      return { name: e.name, shape: e.shape, data };
    });
  const weights = read(header.tensors.weights);
  const optimizer = read(header.tensors.optimizer);
  const ema = header.tensors.ema === undefined ? undefined : read(header.tensors.ema);
  if (offset !== body.length) throw new CorruptCheckpointError(`${body.length - offset} unexpected bytes after the tensors`);
  if (ema !== undefined && !(Number.isInteger(header.emaUpdates) && (header.emaUpdates as number) > 0)) {
    throw new CorruptCheckpointError(`the weight average has no valid update count (${String(header.emaUpdates)})`);
  }
  const { tensors: _tensors, emaUpdates, inference: storedInference, ...meta } = header;
  const inference = parseInferenceInfo(storedInference);
  return {
    ...meta,
    trainer: { weights, optimizer },
    ...(ema === undefined ? {} : { ema: { updates: emaUpdates as number, weights: ema } }),
    ...(inference === undefined ? {} : { inference }),
  };
}
