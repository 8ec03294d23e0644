import * as fs from 'node:fs';

/** What an intercepted `FileHandle.write` was asked to write. */
export interface InterceptedWrite {
  /** The path the handle was opened with. */
  readonly file: string;
  /** File offset of the write (positioned writes only; undefined otherwise). */
  readonly position: number | undefined;
  readonly length: number;
}

type WriteResult = { bytesWritten: number; buffer: unknown };

/**
 * The fs seam for write failures and held writes: every `FileHandle.write` on a file opened
 * (through `fs.promises.open`) while installed whose path passes `match` goes through `wrap`,
 * which decides when (and whether) the real write runs. Returns the function that uninstalls it.
 *
 * @example
 * ```ts
 * const restore = interceptWrites((f) => f.endsWith('.tmp'), () => Promise.reject(Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' })));
 * try { … } finally { restore(); }
 * ```
 */
export function interceptWrites(match: (file: string) => boolean, wrap: (write: () => Promise<WriteResult>, w: InterceptedWrite) => Promise<WriteResult>): () => void {
  const open = fs.promises.open;
  fs.promises.open = (async (file: fs.PathLike, ...rest: unknown[]) => {
    const fh = await (open as (...a: unknown[]) => Promise<fs.promises.FileHandle>)(file, ...rest);
    if (!match(String(file))) return fh;
    const write = fh.write.bind(fh) as (...a: unknown[]) => Promise<WriteResult>;
    fh.write = ((...args: unknown[]) => {
      const data = args[0] as Uint8Array;
      const length = typeof args[2] === 'number' ? args[2] : data.length;
      const position = typeof args[3] === 'number' ? args[3] : undefined;
      return wrap(() => write(...args), { file: String(file), position, length });
    }) as typeof fh.write;
    return fh;
  }) as typeof fs.promises.open;
  return () => {
    fs.promises.open = open;
  };
}
