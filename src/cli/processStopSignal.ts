/**
 * Calls `handler` on SIGINT (Ctrl-C) and SIGTERM for as long as the returned unhook has not
 * been called: the commands' default stop signal, which tests replace with their own trigger.
 * Handling the signals keeps Node from exiting at once, so a command can stop cleanly (save a
 * checkpoint, restore the terminal, remove partial files) and count a second Ctrl-C itself.
 *
 * @example
 * ```ts
 * const unhook = processStopSignal(() => controller.abort());
 * try { await work(controller.signal); } finally { unhook(); }
 * ```
 */
export function processStopSignal(handler: () => void): () => void {
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
