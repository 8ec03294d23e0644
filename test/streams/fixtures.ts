// Test helpers for the stream tests: temp folders, real images cut from test/fixtures/photos,
// and running a block as an unprivileged user when the suite runs as root.
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { makeImage } from '../../src/ops/Image';
import type { SampleStore } from '../../src/streams/SampleStore';
import { skip } from '../../src/streams/Skip';

export const PHOTOS = path.join(__dirname, '..', 'fixtures', 'photos');

export async function tempDir(prefix = 'rxtrain-streams-'): Promise<string> {
  const d = await fsp.mkdtemp(path.join(os.tmpdir(), prefix));
  // Traversable by the unprivileged user asUnprivileged() switches to.
  await fsp.chmod(d, 0o755);
  return d;
}

export async function write(file: string, data: string | Buffer = 'x'): Promise<string> {
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
  await fsp.writeFile(file, data);
  return file;
}

/** A small real RGB JPEG cut from a shared photo. */
export async function photoJpeg(name = 'chelsea.png', size = 32): Promise<Buffer> {
  return sharp(path.join(PHOTOS, name)).resize(size, size).removeAlpha().jpeg({ quality: 85 }).toBuffer();
}

export async function photoPng(name = 'chelsea.png', size = 32): Promise<Buffer> {
  return sharp(path.join(PHOTOS, name)).resize(size, size).removeAlpha().png().toBuffer();
}

/**
 * A full-length JPEG with a damaged Huffman table: the 16 code counts after the first DHT marker
 * (0xFFC4, then a 2-byte length and a class/id byte) are overwritten so that they add up to more
 * than 256 codes. The segment length is kept, so the file still ends with its end-of-image
 * marker and libjpeg fails with "Bogus Huffman table definition".
 */
export function corruptHuffman(jpg: Buffer): Buffer {
  const b = Buffer.from(jpg);
  const dht = b.indexOf(Buffer.from([0xff, 0xc4]));
  if (dht < 0) throw new Error('corruptHuffman: no DHT segment');
  b.fill(0xff, dht + 5, dht + 5 + 16);
  return b;
}

/** A JPEG cut halfway through its (first) scan's entropy-coded data. */
export function cutInScan(jpg: Buffer): Buffer {
  const sos = jpg.indexOf(Buffer.from([0xff, 0xda]));
  if (sos < 0) throw new Error('cutInScan: no SOS segment');
  return jpg.subarray(0, sos + Math.floor((jpg.length - sos) / 2));
}

/**
 * The bad files of the user audit, written into `dir`: a full-length JPEG with a damaged
 * Huffman table, a JPEG cut inside its scan data, a zero-byte file and a text file named .png.
 * Resolves to each file's name and the skip reason it must get.
 */
export async function writeAuditFiles(dir: string): Promise<Record<string, string>> {
  const jpg = await photoJpeg('coffee.png', 64);
  await write(path.join(dir, 'zz_corrupt.jpg'), corruptHuffman(jpg));
  await write(path.join(dir, 'zz_cut.jpg'), cutInScan(jpg));
  await write(path.join(dir, 'zz_empty.jpg'), Buffer.alloc(0));
  await write(path.join(dir, 'zz_text.png'), 'these are notes, not a PNG\n');
  return { 'zz_corrupt.jpg': 'corrupt', 'zz_cut.jpg': 'truncated', 'zz_empty.jpg': 'empty', 'zz_text.png': 'not-an-image' };
}

/** Solid-colour RGB image of the given size and format. */
export async function solid(width: number, height: number, rgb: [number, number, number], format: 'png' | 'jpeg' = 'png'): Promise<Buffer> {
  const img = sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 95 }).toBuffer();
}

export const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Runs `fn` so that permission bits apply: as root (who bypasses them) the effective uid is
 * switched to `nobody` (glibc applies seteuid to every thread, libuv's pool and sharp's
 * included) and restored afterwards.
 */
export async function asUnprivileged<T>(fn: () => Promise<T>): Promise<T> {
  if (!isRoot() || typeof process.seteuid !== 'function') return fn();
  process.seteuid(65534);
  try {
    return await fn();
  } finally {
    process.seteuid(0);
  }
}

export interface MemoryStoreOptions {
  readonly size: number;
  readonly width?: number;
  readonly height?: number;
  readonly channels?: number;
  readonly numClasses?: number;
  /** Indices that load as a `truncated` skip. */
  readonly bad?: ReadonlySet<number>;
  /** Resolve loads after this many ms (0 = next macrotask). */
  readonly delayMs?: number;
}

/** Counters a {@link memoryStore} keeps, for backpressure tests. */
export interface StoreProbe {
  started: number;
  inflight: number;
  maxInflight: number;
  closed: boolean;
  /** Called at every load start with the index. */
  onStart?: (index: number) => void;
}

/** Pixel j of sample i: a pattern that differs per sample and per position. */
export const pixelOf = (i: number, j: number): number => (i * 31 + j * 7) % 256;

/** An in-memory SampleStore with synthetic images, instrumented. */
export function memoryStore(o: MemoryStoreOptions): SampleStore & { probe: StoreProbe } {
  const w = o.width ?? 12, h = o.height ?? 10, c = o.channels ?? 3, k = o.numClasses ?? 5;
  const probe: StoreProbe = { started: 0, inflight: 0, maxInflight: 0, closed: false };
  return {
    probe,
    size: o.size,
    numClasses: k,
    label: (i) => i % k,
    load: async (i) => {
      if (!(i >= 0 && i < o.size)) throw new RangeError(`index ${i}`);
      probe.started++;
      probe.inflight++;
      probe.maxInflight = Math.max(probe.maxInflight, probe.inflight);
      probe.onStart?.(i);
      await new Promise((r) => setTimeout(r, o.delayMs ?? 0));
      probe.inflight--;
      const path = `mem:${i}`;
      if (o.bad?.has(i)) return skip(path, 'truncated', 'synthetic bad sample');
      const data = new Uint8Array(w * h * c);
      for (let j = 0; j < data.length; j++) data[j] = pixelOf(i, j);
      return { kind: 'sample', image: makeImage(data, w, h, c), label: i % k, path };
    },
    close: async () => {
      probe.closed = true;
    },
  };
}
