/**
 * The signals that stop a command: Ctrl-C (SIGINT) and SIGTERM (`kill`, a service manager).
 *
 * @example
 * ```ts
 * const code = (s: StopSignal): number => (s === 'SIGTERM' ? 143 : 130);
 * ```
 */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/**
 * Calls `handler` with the signal's name on SIGINT (Ctrl-C) and SIGTERM for as long as the
 * returned unhook has not been called: the commands' default stop signal, which tests replace
 * with their own trigger. Handling the signals keeps Node from exiting at once, so a command
 * can stop cleanly (save a checkpoint, restore the terminal, remove partial files), count a
 * second Ctrl-C itself and exit with the signal's conventional code (128 + its number).
 *
 * Node runs the handler on the main thread's event loop: not while synchronous work (a tfjs
 * kernel on the cpu or wasm backend) holds that thread, only once it yields. Work that must
 * stay interruptible belongs in a worker thread.
 *
 * @example
 * ```ts
 * const unhook = processStopSignal((signal) => controller.abort(signal));
 * try { await work(controller.signal); } finally { unhook(); }
 * ```
 */
export function processStopSignal(handler: (signal: StopSignal) => void): () => void {
  const onInt = (): void => handler('SIGINT');
  const onTerm = (): void => handler('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return () => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  };
}
