import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_IMAGE_EXTENSIONS } from './folderSource';
import { ioErrorReason } from './ioErrorReason';
import { isHiddenName } from './isHiddenName';

/**
 * What {@link listImageFiles} found: the image files (absolute paths), and what it could not
 * list, in the order met: each given path that does not exist (`not-found`) or cannot be read,
 * and each folder inside a given one that cannot be read (`unreadable`: permission or I/O
 * error), as given (a folder inside one joined onto the given path). `message` is the reason
 * alone (`no such file or folder`, `permission denied`): the path is said apart.
 *
 * @example
 * ```ts
 * const { files, missing }: ImageFileList = await listImageFiles(['photos/', 'gone.jpg']);
 * for (const m of missing) console.error(`${m.path}: ${m.message}`); // gone.jpg: no such file or folder
 * ```
 */
export interface ImageFileList {
  readonly files: string[];
  readonly missing: ReadonlyArray<{ readonly path: string; readonly reason: 'not-found' | 'unreadable'; readonly message: string }>;
}

type Missing = ImageFileList['missing'][number];

// Node says "EACCES: permission denied, scandir '/abs/photos'": the code, the reason, the call
// and the absolute path. The caller names the path as the user gave it; the reason is what is left.
function notListed(given: string, e: unknown): Missing {
  const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not-found' : 'unreadable';
  return { path: given, reason, message: ioErrorReason(e) };
}

/**
 * The image files that paths name, for classifying unlabelled images: a file as given
 * (whatever its extension: decoding decides), a folder searched recursively for files with an
 * image extension (hidden files and folders left out; symlinked folders not followed, so a
 * link loop cannot recurse), sorted by path, duplicates once (also in `missing`: a folder reached
 * through two given paths is said once). A path that does not exist or
 * cannot be read does not stop the others, nor does a folder inside one that cannot be read
 * (the rest of that folder is still listed): each is listed in `missing`, as `cat` or `grep`
 * go on past a missing file and say so.
 *
 * @example
 * ```ts
 * const { files } = await listImageFiles(['photos/', 'extra/cat.jpg']); // ['/abs/photos/a.jpg', …, '/abs/extra/cat.jpg']
 * ```
 */
export async function listImageFiles(paths: readonly string[], extensions: readonly string[] = DEFAULT_IMAGE_EXTENSIONS): Promise<ImageFileList> {
  const exts = new Set(extensions.map((e) => (e.startsWith('.') ? e : `.${e}`).toLowerCase()));
  const out: string[] = [];
  const missing: Missing[] = [];
  const seen = new Set<string>();
  // A folder reached through two given paths (`photos` and `photos/`, or `photos` and
  // `photos/sub`) is listed twice; what cannot be read in it is said once, as first given.
  const seenMissing = new Set<string>();
  const notFound = (abs: string, shown: string, e: unknown): void => {
    if (seenMissing.has(abs)) return;
    seenMissing.add(abs);
    missing.push(notListed(shown, e));
  };
  const add = (file: string): void => {
    if (!seen.has(file)) {
      seen.add(file);
      out.push(file);
    }
  };
  // One folder at a time, not readdir's recursive mode: that rejects the whole tree when one
  // folder in it cannot be read, so one private sub-folder would hide every other image.
  const walk = async (dir: string, shown: string, found: string[]): Promise<void> => {
    let entries;
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch (e) {
      notFound(dir, shown, e);
      return;
    }
    // In name order, so that what cannot be read is said in the same order on every file system.
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (isHiddenName(e.name)) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p, path.join(shown, e.name), found);
      else if ((e.isFile() || e.isSymbolicLink()) && exts.has(path.extname(e.name).toLowerCase())) found.push(p);
    }
  };
  for (const given of paths) {
    const abs = path.resolve(given);
    let stat;
    try {
      stat = await fsp.stat(abs);
    } catch (e) {
      notFound(abs, given, e);
      continue;
    }
    if (!stat.isDirectory()) {
      add(abs);
      continue;
    }
    const found: string[] = [];
    await walk(abs, given, found);
    for (const f of found.sort()) add(f);
  }
  return { files: out, missing };
}
