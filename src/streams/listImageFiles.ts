import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_IMAGE_EXTENSIONS } from './folderSource';
import { isHiddenName } from './isHiddenName';

/**
 * The image files that paths name, for classifying unlabelled images: a file as given
 * (whatever its extension: decoding decides), a folder searched recursively for files with an
 * image extension (hidden files and folders left out; symlinked folders not followed, so a
 * link loop cannot recurse), each folder's files in name order, duplicates once. A path that
 * does not exist rejects, naming it.
 *
 * @example
 * ```ts
 * const files = await listImageFiles(['photos/', 'extra/cat.jpg']); // ['/abs/photos/a.jpg', …, '/abs/extra/cat.jpg']
 * ```
 */
export async function listImageFiles(paths: readonly string[], extensions: readonly string[] = DEFAULT_IMAGE_EXTENSIONS): Promise<string[]> {
  const exts = new Set(extensions.map((e) => (e.startsWith('.') ? e : `.${e}`).toLowerCase()));
  const out: string[] = [];
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
    try {
      stat = await fsp.stat(abs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(code === 'ENOENT' ? `${given}: no such file or folder` : `${given}: ${(e as Error).message}`);
    }
    if (!stat.isDirectory()) {
      add(abs);
      continue;
    }
    const entries = await fsp.readdir(abs, { recursive: true, withFileTypes: true });
    const files = entries
      .filter((e) => e.isFile() || e.isSymbolicLink())
      .map((e) => path.join(e.parentPath, e.name))
      .filter((f) => !path.relative(abs, f).split(path.sep).some(isHiddenName) && exts.has(path.extname(f).toLowerCase()))
      .sort();
    for (const f of files) add(f);
  }
  return out;
}
