import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_IMAGE_EXTENSIONS } from './folderSource';
import { isHiddenName } from './isHiddenName';

/**
 * What {@link listImageFiles} found: the image files (absolute paths), and the given paths it
 * could not list, each as given with why (`not-found`: it does not exist; `unreadable`:
 * permission or I/O error), in the order given.
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

/**
 * The image files that paths name, for classifying unlabelled images: a file as given
 * (whatever its extension: decoding decides), a folder searched recursively for files with an
 * image extension (hidden files and folders left out; symlinked folders not followed, so a
 * link loop cannot recurse), each folder's files in name order, duplicates once. A path that
 * does not exist or cannot be read does not stop the others: it is listed in `missing`, as
 * `cat` or `grep` go on past a missing file and say so.
 *
 * @example
 * ```ts
 * const { files } = await listImageFiles(['photos/', 'extra/cat.jpg']); // ['/abs/photos/a.jpg', …, '/abs/extra/cat.jpg']
 * ```
 */
export async function listImageFiles(paths: readonly string[], extensions: readonly string[] = DEFAULT_IMAGE_EXTENSIONS): Promise<ImageFileList> {
  const exts = new Set(extensions.map((e) => (e.startsWith('.') ? e : `.${e}`).toLowerCase()));
  const out: string[] = [];
  const missing: Array<ImageFileList['missing'][number]> = [];
  const seen = new Set<string>();
  const add = (file: string): void => {
    if (!seen.has(file)) {
      seen.add(file);
      out.push(file);
    }
  };
  for (const given of paths) {
    const abs = path.resolve(given);
    let stat;
    let entries;
    try {
      stat = await fsp.stat(abs);
      entries = stat.isDirectory() ? await fsp.readdir(abs, { recursive: true, withFileTypes: true }) : undefined;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      missing.push(code === 'ENOENT' ? { path: given, reason: 'not-found', message: 'no such file or folder' } : { path: given, reason: 'unreadable', message: (e as Error).message });
      continue;
    }
    if (entries === undefined) {
      add(abs);
      continue;
    }
    const files = entries
      .filter((e) => e.isFile() || e.isSymbolicLink())
      .map((e) => path.join(e.parentPath, e.name))
      .filter((f) => !path.relative(abs, f).split(path.sep).some(isHiddenName) && exts.has(path.extname(f).toLowerCase()))
      .sort();
    for (const f of files) add(f);
  }
  return { files: out, missing };
}
