/** The process events on which Emscripten's Node glue installs handlers that rethrow. */
const EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

// Emscripten's glue for tfjs-backend-wasm 4.22 adds
//   process.on('uncaughtException', (ex) => { if (!(ex instanceof ExitStatus)) throw ex })
//   process.on('unhandledRejection', (reason) => { throw reason })
// Rethrowing inside a handler makes Node print the handler's source line (55 KB of minified
// glue), hide the real error below it and exit with code 7. These shapes identify them.
const EMSCRIPTEN_HANDLER = /ExitStatus|throw\s+reason/;

type Handler = (...args: never[]) => void;

// Node's typings overload listeners()/removeListener() per event name, not for a union of names.
function listenersOf(e: (typeof EVENTS)[number]): Handler[] {
  return e === 'uncaughtException' ? process.listeners(e) : process.listeners(e);
}

function remove(e: (typeof EVENTS)[number], fn: Handler): void {
  process.removeListener(e, fn as (...args: unknown[]) => void);
}

/**
 * Runs `load` (which instantiates an Emscripten module, such as the tfjs wasm backend) and then
 * removes the `uncaughtException`/`unhandledRejection` handlers the module's glue added, so that
 * an error anywhere in the program is reported by Node as usual (its stack, exit code 1) instead
 * of through Emscripten's rethrowing handlers. Handlers that were already there, and handlers
 * added meanwhile that are not Emscripten's, are kept.
 *
 * @example
 * ```ts
 * await withoutEmscriptenExitHandlers(async () => {
 *   await tf.setBackend('wasm');
 *   await tf.ready();
 * });
 * setTimeout(() => { throw new Error('boom'); }); // Node prints "Error: boom" and exits with 1
 * ```
 */
export async function withoutEmscriptenExitHandlers<T>(load: () => Promise<T>): Promise<T> {
  const before = new Map(EVENTS.map((e) => [e, new Set(listenersOf(e))]));
  try {
    return await load();
  } finally {
    for (const e of EVENTS) {
      for (const fn of listenersOf(e)) {
        if (!(before.get(e)?.has(fn) ?? false) && EMSCRIPTEN_HANDLER.test(String(fn))) remove(e, fn);
      }
    }
  }
}
