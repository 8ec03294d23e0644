import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { processAlive } from '../model/processAlive';

/** This host, in working folders' names: a PID means something only on the host that ran it, and OUT_DIR may be on a share. */
const HOST = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);

/**
 * The working folders of exports running in this process. A folder named with this process's
 * PID that is not among them was left by an earlier process that had the same PID (in a
 * container every run may get the same one).
 */
const inUse = new Set<string>();

/** `export-PID-RANDOM-HOST`; without `-HOST`, written by an rxtrain that did not name hosts (judged by its PID alone). */
const SUFFIX = /^export-(\d+)-[0-9a-f]{8}(?:-([0-9a-f]{8}))?$/;

/**
 * A temporary folder an export writes its files into before moving them into place, named
 * after the export's PID and host so that a later export can tell a killed one's leftover from
 * a running one's. `release()` forgets it once it is moved or removed.
 *
 * @example
 * ```ts
 * const work = exportWorkFolder('exports/sample', false);
 * fs.mkdirSync(work.path); // exports/.sample.export-4242-9f3c01ab-5be0c3d2
 * work.release();
 * ```
 */
export interface ExportWorkFolder {
  readonly path: string;
  release(): void;
}

/**
 * The path of a new working folder for an export to `outDir` (not yet created): inside it when
 * it exists (`OUT_DIR/.export-…`), else beside it (`.NAME.export-…`, renamed to `OUT_DIR`).
 *
 * @example
 * ```ts
 * const work = exportWorkFolder('exports/sample', fs.existsSync('exports/sample'));
 * try { await writeInto(work.path); } finally { work.release(); }
 * ```
 */
export function exportWorkFolder(outDir: string, inside: boolean): ExportWorkFolder {
  const resolved = path.resolve(outDir);
  const name = `export-${process.pid}-${randomBytes(4).toString('hex')}-${HOST}`;
  const p = inside ? path.join(resolved, `.${name}`) : path.join(path.dirname(resolved), `.${path.basename(resolved)}.${name}`);
  inUse.add(p);
  return { path: p, release: () => inUse.delete(p) };
}

/**
 * A working folder of an earlier export to the same OUT_DIR that is still there.
 *
 * @example
 * ```ts
 * const l: ExportLeftover = { path: '/srv/m/.export-4242-9f3c01ab-5be0c3d2', pid: 4242, state: 'dead', inside: true };
 * ```
 */
export interface ExportLeftover {
  readonly path: string;
  readonly pid: number;
  /**
   * dead: its process no longer runs (killed, e.g. with `kill -9`), so it can go; running: a
   * process with its PID runs (another export, or a program that got the PID since);
   * elsewhere: written on another host, whose processes cannot be checked from here.
   */
  readonly state: 'dead' | 'running' | 'elsewhere';
  /** In OUT_DIR; else beside it, from an export to a new OUT_DIR. */
  readonly inside: boolean;
}

/** The folders in `dir` named `prefix` + a working folder's suffix. */
function leftoversIn(dir: string, prefix: string, inside: boolean): ExportLeftover[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return []; // missing or unreadable: nothing of ours can be there, or nothing we could remove
  }
  const found: ExportLeftover[] = [];
  for (const e of entries) {
    if (!e.isDirectory() || !e.name.startsWith(prefix)) continue;
    const m = SUFFIX.exec(e.name.slice(prefix.length));
    if (m === null) continue;
    const p = path.join(dir, e.name);
    const pid = Number(m[1]);
    const state = m[2] !== undefined && m[2] !== HOST ? 'elsewhere' : (pid === process.pid ? inUse.has(p) : processAlive(pid)) ? 'running' : 'dead';
    found.push({ path: p, pid, state, inside });
  }
  return found;
}

/**
 * The working folders that exports to `outDir` left in it or beside it: what a `kill -9` (or a
 * crash, or a power cut) in the middle of an export leaves, and what a running export is using.
 *
 * @example
 * ```ts
 * for (const l of exportLeftovers('exports/sample')) if (l.state === 'dead') fs.rmSync(l.path, { recursive: true, force: true });
 * ```
 */
export function exportLeftovers(outDir: string): ExportLeftover[] {
  const resolved = path.resolve(outDir);
  return [...leftoversIn(resolved, '.', true), ...leftoversIn(path.dirname(resolved), `.${path.basename(resolved)}.`, false)];
}
