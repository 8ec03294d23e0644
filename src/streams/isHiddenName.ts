const JUNK = new Set(['thumbs.db', 'desktop.ini', '__macosx', '$recycle.bin', 'ehthumbs.db']);

/**
 * True for names that operating systems and tools leave behind and that are never data:
 * dot-files (`.DS_Store`, `._photo.jpg` AppleDouble files, `.git`), `Thumbs.db`,
 * `desktop.ini`, `__MACOSX`.
 *
 * @example
 * ```ts
 * isHiddenName('._cat.jpg'); // true
 * isHiddenName('cat.jpg');   // false
 * ```
 */
export function isHiddenName(name: string): boolean {
  return name.startsWith('.') || JUNK.has(name.toLowerCase());
}
