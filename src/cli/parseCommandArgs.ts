import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closestName } from '../model/closestName';

/**
 * The known option closest to a mistyped one (`--epoch` → `--epochs`, `--no-record` →
 * `--no-records`), or undefined when nothing is close: {@link closestName}'s rule, on the name
 * without its dashes and `=value`.
 *
 * @example
 * ```ts
 * closestOption('--epoch', ['epochs', 'batch-size']); // '--epochs'
 * closestOption('--zzz', ['epochs']);                  // undefined
 * ```
 */
export function closestOption(typed: string, known: readonly string[]): string | undefined {
  const near = closestName(typed.replace(/^-+/, '').replace(/=.*$/, ''), known);
  return near === undefined ? undefined : `--${near}`;
}

/**
 * `node:util`'s `parseArgs`, with its errors rewritten as one line a user can act on:
 * `unknown option --epoch (did you mean --epochs?)`, `--epochs needs a value`, `--json takes
 * no value`, `--top needs a value (one that starts with a dash is written --top=-…)`. Node's
 * own messages run on for several lines and say nothing of the near miss. Errors are thrown as
 * `Error`s with `code` kept, so callers treat them as usage errors as before.
 *
 * @example
 * ```ts
 * const { values } = parseCommandArgs({ args: ['--epoch', '3'], options: { epochs: { type: 'string' } } });
 * // throws: unknown option --epoch (did you mean --epochs?)
 * ```
 */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    const err = e as Error & { code?: string };
    const options = config.options ?? {};
    const known = Object.keys(options).flatMap((k) => (config.allowNegative === true && options[k].type === 'boolean' ? [k, `no-${k}`] : [k]));
    let message: string | undefined;
    const unknown = /^Unknown option '([^']+)'/.exec(err.message);
    const missing = /^Option '(-\w, )?(--[\w-]+) <value>' argument missing/.exec(err.message);
    const noValue = /^Option '(-\w, )?(--[\w-]+)' does not take an argument/.exec(err.message);
    const ambiguous = /^Option '(-\w, )?(--[\w-]+)' argument is ambiguous/.exec(err.message);
    const positional = /^Unexpected argument '([^']*)'/.exec(err.message);
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
      const near = closestOption(unknown[1], known);
      message = `unknown option ${unknown[1]}${near === undefined ? '' : ` (did you mean ${near}?)`}`;
    } else if (missing) message = `${missing[2]} needs a value`;
    else if (noValue) message = `${noValue[2]} takes no value`;
    else if (ambiguous) message = `${ambiguous[2]} needs a value (one that starts with a dash is written ${ambiguous[2]}=-…)`;
    else if (positional) message = `unexpected argument '${positional[1]}'`;
    if (message === undefined) throw err;
    throw Object.assign(new Error(message), { code: err.code });
  }
}
