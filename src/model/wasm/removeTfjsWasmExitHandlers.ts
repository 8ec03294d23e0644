import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const EVENTS = ['uncaughtException', 'unhandledRejection'] as const;
type ProcessEvent = (typeof EVENTS)[number];
type Handler = (...args: never[]) => void;

const load = createRequire(__filename);

/**
 * The text of tfjs-backend-wasm's Emscripten glue: the bundle `tf.ready()` runs and the wasm-out
 * scripts rxtrain's threaded load runs. Read once, on demand.
 */
let glueTexts: readonly string[] | undefined;

function readGlueTexts(): readonly string[] {
  if (glueTexts !== undefined) return glueTexts;
  const texts: string[] = [];
  try {
    const main = load.resolve('@tensorflow/tfjs-backend-wasm');
    const outDir = path.join(path.dirname(main), '..', 'wasm-out');
    const scripts = fs.readdirSync(outDir).filter((f) => f.endsWith('.js') && !f.endsWith('.worker.js')).map((f) => path.join(outDir, f));
    for (const file of [main, ...scripts]) texts.push(fs.readFileSync(file, 'utf8'));
  } catch {
    // No tfjs-backend-wasm installed (or unreadable): nothing of its can be on the process.
  }
  glueTexts = texts;
  return texts;
}

/** Whether `source` is, verbatim, the handler argument of a `process["on"](event, …)` in `text`. */
function isHandlerIn(text: string, event: ProcessEvent, source: string): boolean {
  const call = new RegExp(`process\\["on"\\]\\("${event}",\\s*$`);
  for (let at = text.indexOf(source); at >= 0; at = text.indexOf(source, at + 1)) {
    if (call.test(text.slice(Math.max(0, at - 64), at))) return true;
  }
  return false;
}

/**
 * Whether `fn` is one of the rethrowing handlers tfjs-backend-wasm's glue installs for `event`
 * (its source text is, verbatim, the handler of a `process["on"](event, …)` in the glue).
 *
 * @example
 * ```ts
 * process.listeners('unhandledRejection').filter((fn) => isTfjsWasmExitHandler('unhandledRejection', fn));
 * ```
 */
export function isTfjsWasmExitHandler(event: 'uncaughtException' | 'unhandledRejection', fn: (...args: never[]) => unknown): boolean {
  const source = String(fn);
  return readGlueTexts().some((t) => isHandlerIn(t, event, source));
}

function listenersOf(e: ProcessEvent): Handler[] {
  return e === 'uncaughtException' ? process.listeners(e) : process.listeners(e);
}

/**
 * Removes the `uncaughtException`/`unhandledRejection` handlers that tfjs-backend-wasm's
 * Emscripten glue installed whenever it was instantiated — including by an earlier `tf.ready()`
 * or `tf.setBackend('wasm')` outside rxtrain — and returns how many it removed. Those handlers
 * rethrow, so Node would report any later error in the program as the glue's minified source
 * line and exit with code 7 instead of printing the error and exiting with 1. A listener is
 * removed only when its source text is, verbatim, the handler of a `process["on"](…)` call in
 * the installed package's glue scripts, so the program's own listeners are always kept.
 * `initBackend()` calls it.
 *
 * @example
 * ```ts
 * await tf.ready();                    // tfjs' own wasm backend: installs the glue's handlers
 * removeTfjsWasmExitHandlers();        // 2
 * setTimeout(() => { throw new Error('boom'); }); // Node prints "Error: boom" and exits with 1
 * ```
 */
export function removeTfjsWasmExitHandlers(): number {
  let removed = 0;
  for (const e of EVENTS) {
    const listeners = listenersOf(e);
    for (const fn of listeners) {
      if (isTfjsWasmExitHandler(e, fn)) {
        process.removeListener(e, fn as (...args: unknown[]) => void);
        removed++;
      }
    }
  }
  return removed;
}
