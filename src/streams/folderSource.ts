import { constants as fsc, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Observable } from 'rxjs';
import { byCodeUnit, listCategoryDirs } from './listCategories';
import { ioErrorReason } from './ioErrorReason';
import { isHiddenName } from './isHiddenName';
import { skip, type Skip } from './Skip';
import type { SourceItem } from './SourceItem';
import { startDatasetWalk, walkClassFolder, type ClassFolderEntry } from './walkClassFolder';

/**
 * File extensions {@link folderSource} treats as images by default (compared case-insensitively).
 * `.bmp` is listed on purpose: sharp cannot decode it, so such files become `unsupported` skips
 * instead of vanishing.
 *
 * @example
 * ```ts
 * folderSource('/data', { extensions: [...DEFAULT_IMAGE_EXTENSIONS, '.jxl'] });
 * ```
 */
export const DEFAULT_IMAGE_EXTENSIONS: readonly string[] = [
  '.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif', '.bmp',
];

/**
 * Options of {@link folderSource}.
 *
 * @example
 * ```ts
 * const o: FolderSourceOptions = { extensions: ['.jpg'] };
 * ```
 */
export interface FolderSourceOptions {
  /** Extensions that count as images (with or without the dot, any case). */
  readonly extensions?: readonly string[] | undefined;
}

const ACCESS_CHUNK = 128;

/** An image name in a class folder: its path, its real path, and whether it is a symlink. */
interface Candidate {
  readonly check: string;
  readonly real: string;
  readonly link: boolean;
}

/** A {@link Candidate} that opened, with its file's identity (device and inode). */
interface Opened extends Candidate {
  readonly id: string;
}

/** A skip for a link in the dataset folder that leads nowhere, or undefined when it leads somewhere. */
async function brokenLink(full: string): Promise<Skip | undefined> {
  try {
    await fsp.stat(full);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return skip(full, 'dangling-link', 'symbolic link whose target does not exist (a class folder that moved?); its images, if any, are not listed');
    if (code === 'ELOOP') return skip(full, 'symlink-loop', 'symbolic link that points to itself (or a chain of links that loops); not followed');
    return skip(full, 'unreadable', (e as Error).message);
  }
}

function hasHiddenAncestor(relPath: string): boolean {
  const parts = relPath.split('/');
  return parts.slice(0, -1).some(isHiddenName);
}

/**
 * Lists a folder-per-class image dataset (`root/<class>/…/<image>`, e.g. Caltech256's
 * `001.ak47/001_0001.jpg`) as a cold Observable of {@link SourceItem}s, in a deterministic
 * order: classes sorted, then files sorted by path (code-unit order, locale-independent).
 *
 * Nothing is dropped silently. Besides the items it emits a typed {@link Skip} for:
 * hidden junk (`.DS_Store`, `Thumbs.db`, `._x.jpg`, dot-folders, `__MACOSX`) → `hidden`;
 * empty directories or special files named like images → `not-a-file` (a folder named like an
 * image that holds files is a subfolder: its images are listed); broken symlinks →
 * `dangling-link`; files it may not read → `unreadable`; files inside a class folder without
 * an image extension → `not-an-image`; images directly in `root` (no class) → `bad-label`;
 * a class folder it cannot list → `unreadable`. Other files directly in `root` (README,
 * manifests) are ignored. The Observable errors only if `root` itself is unusable. Skip paths
 * are joined onto `root` as given, and a message about what could not be read is the reason
 * alone (`permission denied`, `cannot list class folder: permission denied`), not Node's
 * message, which repeats the path, absolute.
 *
 * Symlinks are followed, with loop detection by real path: class folders and image files
 * may be links (a linked file is labelled by the class folder it sits in, a deliberate
 * choice). A folder symlink inside a class folder is entered at most once; one that leads
 * back into a folder containing it, to a folder already listed, or to itself (ELOOP) →
 * `symlink-loop`; one that leads into another class folder → `cross-class-link` (following
 * it would label that class's images with this one). Either way the walk stays bounded. Two
 * names in one class folder for the same file (by device and inode: two links to one image, a
 * link beside the file it leads to, two hard links) are one image: a name that is no symlink
 * (the first in path order), else the first link, is listed, the other → `duplicate-file`. The
 * same file in two class folders is listed in each: a file is labelled by the folder it sits in.
 *
 * @example
 * ```ts
 * folderSource('/data/caltech256').subscribe((x) =>
 *   x.kind === 'item' ? console.log(x.label, x.path) : console.warn(x.reason, x.path));
 * ```
 */
export function folderSource(root: string, opts: FolderSourceOptions = {}): Observable<SourceItem | Skip> {
  const exts = new Set((opts.extensions ?? DEFAULT_IMAGE_EXTENSIONS).map((e) => (e.startsWith('.') ? e : `.${e}`).toLowerCase()));
  const isImageName = (name: string): boolean => exts.has(path.extname(name).toLowerCase());

  return new Observable<SourceItem | Skip>((subscriber) => {
    let stopped = false;
    const emitAll = async (): Promise<void> => {
      const rootEntries = await fsp.readdir(root, { withFileTypes: true }).catch(() => []);
      const categories = await listCategoryDirs(root);
      for (const e of rootEntries.slice().sort((a, b) => byCodeUnit(a.name, b.name))) {
        if (stopped) return;
        const full = path.join(root, e.name);
        // A class folder linked in (`cat -> /data/cats`) whose target is gone, or a link loop,
        // is no folder for listCategoryDirs: said here, or a whole class would vanish unsaid.
        if (e.isSymbolicLink() && !isHiddenName(e.name)) {
          const broken = await brokenLink(full);
          if (broken !== undefined) {
            subscriber.next(broken);
            continue;
          }
        }
        if (!isImageName(e.name) || e.isDirectory()) continue;
        if (isHiddenName(e.name)) subscriber.next(skip(full, 'hidden', 'hidden or OS junk file'));
        else subscriber.next(skip(full, 'bad-label', 'image is directly in the dataset folder, not inside a class folder'));
      }
      const walk = await startDatasetWalk(categories);
      for (const { dir, dirName, category } of categories) {
        if (stopped) return;
        let entries: ClassFolderEntry[];
        try {
          entries = await walkClassFolder(dir, dirName, walk);
        } catch (e) {
          // The skip names the folder as given; Node's message would repeat it absolute.
          subscriber.next(skip(dir, 'unreadable', `cannot list class folder: ${ioErrorReason(e)}`));
          continue;
        }
        entries.sort((a, b) => byCodeUnit(a.path, b.path));
        // A folder named like an image (`shots.jpg/`) is a subfolder like any other: what it
        // holds is listed or skipped file by file, so a skip for the folder itself would say
        // its images were left out while they are trained. Only an empty one gets a word.
        const parents = new Set(entries.map((x) => x.path.slice(0, Math.max(0, x.path.lastIndexOf('/')))));
        const out: Array<Skip | Candidate> = [];
        for (const e of entries) {
          const full = path.join(dir, e.path);
          if (hasHiddenAncestor(e.path)) continue; // reported once, as its hidden folder
          if (isHiddenName(e.name)) out.push(skip(full, 'hidden', e.type === 'directory' ? 'hidden folder (not listed)' : 'hidden or OS junk file'));
          else if (e.type === 'skip') out.push(skip(full, e.reason, e.message));
          else if (e.type === 'directory') {
            if (isImageName(e.name) && !parents.has(e.path)) out.push(skip(full, 'not-a-file', 'an empty directory named like an image'));
          } else if (e.type === 'other') {
            if (isImageName(e.name)) out.push(skip(full, 'not-a-file', 'a special file (fifo, socket or device) named like an image'));
          } else if (!isImageName(e.name)) out.push(skip(full, 'not-an-image', `extension "${path.extname(e.name)}" is not an image extension`));
          else out.push({ check: full, real: e.real ?? full, link: e.link === true });
        }
        // Each name is opened (open(2), not access(2): access checks the real uid, open the
        // effective one); its fstat gives the file's identity, which also catches hard links.
        const opened: Array<Skip | Opened> = [];
        for (let i = 0; i < out.length; i += ACCESS_CHUNK) {
          if (stopped) return;
          await Promise.all(
            out.slice(i, i + ACCESS_CHUNK).map(async (x, j) => {
              if (!('check' in x)) {
                opened[i + j] = x;
                return;
              }
              try {
                const handle = await fsp.open(x.check, fsc.O_RDONLY);
                try {
                  const st = await handle.stat({ bigint: true });
                  // Some file systems report no inode numbers (0): the real path is all there is.
                  opened[i + j] = { ...x, id: st.ino === 0n ? x.real : `${st.dev}:${st.ino}` };
                } finally {
                  await handle.close();
                }
              } catch (e) {
                opened[i + j] = skip(x.check, 'unreadable', ioErrorReason(e));
              }
            }),
          );
        }
        // Two names of one file in a class (two links to a pool image, a link beside the real
        // file, two hard links) would train it twice per epoch: a real name keeps it (the first
        // in path order), else the first link.
        const keeper = new Map<string, Opened>();
        for (const x of opened) if ('id' in x && !x.link && !keeper.has(x.id)) keeper.set(x.id, x);
        for (const x of opened) if ('id' in x && !keeper.has(x.id)) keeper.set(x.id, x);
        for (const x of opened) {
          if (stopped) return;
          if (!('id' in x)) {
            subscriber.next(x);
            continue;
          }
          const kept = keeper.get(x.id) as Opened;
          if (kept.check === x.check) {
            subscriber.next({ kind: 'item', path: x.check, label: category.label, category, classCount: categories.length });
            continue;
          }
          const where = kept.real !== x.real ? (kept.link || x.link ? ` (${x.real} and ${kept.real} are hard links to one file)` : ' (hard links to one file)')
            : kept.link ? ` (both lead to ${x.real})` : '';
          subscriber.next(skip(x.check, 'duplicate-file', `the same file as ${kept.check}${where}, which this class folder already lists; listed once`));
        }
      }
    };
    emitAll().then(
      () => subscriber.complete(),
      (e: unknown) => subscriber.error(e),
    );
    return () => {
      stopped = true;
    };
  });
}
