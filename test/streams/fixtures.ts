// Test helpers for the stream tests: temp folders, real images cut from /work/shared/photos,
// and running a block as an unprivileged user when the suite runs as root.
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';

export const PHOTOS = '/work/shared/photos';

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
