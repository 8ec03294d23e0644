import { isTfjsWasmExitHandler } from './removeTfjsWasmExitHandlers';

const EVENTS = ['uncaughtException', 'unhandledRejection'] as const;
type Listener = (...args: unknown[]) => void;

function rawListenersOf(e: (typeof EVENTS)[number]): Listener[] {
  return process.rawListeners(e) as Listener[];
}

/**
 * Runs `dispose` (which disposes a tfjs wasm module, e.g. `tf.removeBackend('wasm')`) and puts
 * back the program's `uncaughtException`/`unhandledRejection` listeners it removed. tfjs 4.22's
 * module dispose removes every listener that existed when the module started — the program's
 * own included (its "added by me" filter, `!list.indexOf(l) > -1`, is always true). The glue's
 * own rethrowing handlers stay removed; `once` listeners come back as `once` listeners.
 *
 * @example
 * ```ts
 * keepProcessListeners(() => tf.removeBackend('wasm'));
 * ```
 */
export function keepProcessListeners<T>(dispose: () => T): T {
  const before = EVENTS.map((e) => [e, rawListenersOf(e)] as const);
  try {
    return dispose();
  } finally {
    for (const [e, listeners] of before) {
      const now = new Set(rawListenersOf(e));
      for (const fn of listeners) {
        // rawListeners gives a `once` listener's wrapper; its `listener` is the program's function.
        const own = (fn as Listener & { listener?: Listener }).listener ?? fn;
        if (!now.has(fn) && !isTfjsWasmExitHandler(e, own)) process.on(e, fn);
      }
    }
  }
}
