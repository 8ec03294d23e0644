import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Log levels, most severe first.
 *
 * @example
 * ```ts
 * const level: LogLevel = 'debug';
 * ```
 */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/**
 * Log levels in order of severity; a logger at level L writes L and everything before it.
 *
 * @example
 * ```ts
 * LOG_LEVELS.indexOf('warn') <= LOG_LEVELS.indexOf('info'); // true: an info logger writes warnings
 * ```
 */
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

/**
 * Where console lines go: anything with `write(text)`, e.g. `process.stderr`.
 *
 * @example
 * ```ts
 * createLogger({ console: process.stderr }); // every line to stderr
 * ```
 */
export interface LogStream {
  write(text: string): unknown;
}

/**
 * Options of {@link createLogger}.
 *
 * @example
 * ```ts
 * const o: LoggerOptions = { level: 'info', file: 'runs/a/train.log', console: false };
 * ```
 */
export interface LoggerOptions {
  /** Lowest severity written (default `info`). */
  readonly level?: LogLevel | undefined;
  /** Log file, appended to (so a resumed run continues the same log); parent folders are created. */
  readonly file?: string | undefined;
  /**
   * Console output: `true` (default) writes info/debug to stdout and warn/error to stderr;
   * `false` writes nothing; a stream receives every line.
   */
  readonly console?: boolean | LogStream | undefined;
  /** Clock for the timestamps (default `() => new Date()`); injected by tests. */
  readonly clock?: (() => Date) | undefined;
  /**
   * Called once when `file` cannot be opened (`during: 'open'`: a folder by that name, no
   * permission) or a line cannot be written to it (`'write'`: a full disk); the logger then
   * goes on with the console only, as it does for the rest of a run. Without it, such an open or
   * write throws.
   */
  readonly onFileError?: ((error: Error, during: 'open' | 'write') => void) | undefined;
}

/**
 * A levelled logger writing timestamped lines (`2026-01-31T12:00:00.000Z INFO  message`)
 * to the console and/or a file.
 *
 * @example
 * ```ts
 * const log: Logger = createLogger();
 * log.warn('disk almost full');
 * ```
 */
export interface Logger {
  readonly level: LogLevel;
  /** Path of the log file, if any. */
  readonly file?: string;
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  log(level: LogLevel, message: string): void;
  /** True when a message at `level` would be written. */
  enabled(level: LogLevel): boolean;
  /** Closes the log file; later messages go to the console only. */
  close(): void;
}

/**
 * Creates a {@link Logger}. File lines are written synchronously with `O_APPEND`, so the log
 * of a run that crashes is complete up to the crash, and a resumed run appends to it.
 *
 * @example
 * ```ts
 * const log = createLogger({ level: 'debug', file: 'runs/alexnet/train.log' });
 * log.info('epoch 1/90 ...');
 * log.close();
 * ```
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  if (!LOG_LEVELS.includes(level)) throw new Error(`logger: unknown level '${String(level)}' (expected ${LOG_LEVELS.join(', ')})`);
  const max = LOG_LEVELS.indexOf(level);
  const clock = opts.clock ?? (() => new Date());
  const consoleOpt = opts.console ?? true;
  let fd: number | undefined;
  if (opts.file !== undefined) {
    try {
      fs.mkdirSync(path.dirname(opts.file), { recursive: true });
      fd = fs.openSync(opts.file, 'a');
    } catch (err) {
      if (opts.onFileError === undefined) throw new Error(`logger: cannot open log file ${opts.file}: ${(err as Error).message}`);
      opts.onFileError(err as Error, 'open');
    }
  }
  const enabled = (l: LogLevel): boolean => LOG_LEVELS.indexOf(l) <= max;
  const log = (l: LogLevel, message: string): void => {
    if (!enabled(l)) return;
    const lines = message.split('\n').map((m) => `${clock().toISOString()} ${l.toUpperCase().padEnd(5)} ${m}\n`);
    const text = lines.join('');
    if (consoleOpt === true) (l === 'error' || l === 'warn' ? process.stderr : process.stdout).write(text);
    else if (consoleOpt !== false) consoleOpt.write(text);
    if (fd === undefined) return;
    try {
      fs.writeSync(fd, text);
    } catch (err) {
      if (opts.onFileError === undefined) throw err;
      const f = fd;
      fd = undefined;
      try {
        fs.closeSync(f);
      } catch {
        // the write's error is the one to report
      }
      opts.onFileError(err as Error, 'write');
    }
  };
  return {
    level,
    file: opts.file,
    error: (m) => log('error', m),
    warn: (m) => log('warn', m),
    info: (m) => log('info', m),
    debug: (m) => log('debug', m),
    log,
    enabled,
    close: () => {
      if (fd === undefined) return;
      const f = fd;
      fd = undefined;
      fs.closeSync(f);
    },
  };
}
